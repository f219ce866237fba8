"""The render cache: which changes render what again, entries that are not whole, workers.

Renders here are real (cdk8s and jsii in this process or in worker processes); a spy
on ``render_environment`` only records which environments were rendered.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guestbook import render
from guestbook.environments import Environment, load_environments
from guestbook.output import RenderedFile, write_output
from guestbook.render import render_files, render_folders
from guestbook.render_cache import (
    RenderCache,
    RenderedFolder,
    decode_entry,
    encode_entry,
    environment_key,
    fingerprint,
)
from guestbook.settings import ArgoCdSettings, load_synth_settings
from guestbook.tools import CACHE_DIR_ENV
from guestbook.warm import HINT_PREFIX
from tests.conftest import ROOT, cache_entries, dist_folders, read_tree

SETTINGS = ArgoCdSettings()
GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the environments rendered (not taken from a cache), in order."""
    names: list[str] = []
    real = render.render_environment

    def spy(environment: Environment) -> RenderedFolder:
        names.append(environment.name)
        return real(environment)

    monkeypatch.setattr(render, "render_environment", spy)
    return names


@pytest.fixture
def envs(tmp_path: Path) -> Path:
    """Three small environments: a, b and c."""
    folder = tmp_path / "environments"
    folder.mkdir()
    for name, replicas in (("a", 1), ("b", 2), ("c", 3)):
        (folder / f"{name}.yaml").write_text(f"frontend:\n  replicas: {replicas}\n")
    return folder


def cache_in(tmp_path: Path) -> RenderCache:
    return RenderCache(tmp_path / "cache", warn=pytest.fail)


def warm_cache(envs: Path, tmp_path: Path, rendered: list[str]) -> RenderCache:
    """A cache holding a render of ``envs`` with the default settings; the spy emptied."""
    cache = cache_in(tmp_path)
    render_files(load_environments(envs), SETTINGS, cache=cache)
    rendered.clear()
    return cache


def entries(cache: RenderCache) -> list[Path]:
    return sorted(p for p in cache.folder.iterdir() if not p.name.startswith("."))


def test_a_second_render_renders_nothing_and_gives_the_same_bytes(
    envs: Path, tmp_path: Path, rendered: list[str]
) -> None:
    # Given a render of three environments and argocd/ into an empty cache
    cache = cache_in(tmp_path)
    first = render_files(load_environments(envs), SETTINGS, cache=cache)
    assert rendered == ["a", "b", "c"]
    assert len(entries(cache)) == 4
    # When the same inputs render again
    rendered.clear()
    second = render_files(load_environments(envs), SETTINGS, cache=cache)
    # Then nothing is rendered and the files are the same bytes
    assert rendered == []
    assert second == first
    assert first == render_files(load_environments(envs), SETTINGS)


def test_changing_one_overlay_renders_only_that_environment(
    envs: Path, tmp_path: Path, rendered: list[str]
) -> None:
    # Given a warm cache
    cache = warm_cache(envs, tmp_path, rendered)
    # When b's overlay changes
    (envs / "b.yaml").write_text("frontend:\n  replicas: 5\n")
    files = render_files(load_environments(envs), SETTINGS, cache=cache)
    # Then only b is rendered, and the result is a cold render's
    assert rendered == ["b"]
    assert files == render_files(load_environments(envs), SETTINGS)


def test_an_edit_that_changes_no_setting_renders_nothing(
    envs: Path, tmp_path: Path, rendered: list[str]
) -> None:
    # Given a warm cache, When a comment is added and a default written out
    cache = warm_cache(envs, tmp_path, rendered)
    (envs / "a.yaml").write_text("# scaled later\nfrontend:\n  replicas: 1\nmonitoring: {}\n")
    render_files(load_environments(envs), SETTINGS, cache=cache)
    # Then the merged overlay is the same, so nothing is rendered
    assert rendered == []


def test_renaming_an_environment_renders_it_under_its_new_name(
    envs: Path, tmp_path: Path, rendered: list[str]
) -> None:
    cache = warm_cache(envs, tmp_path, rendered)
    (envs / "c.yaml").rename(envs / "d.yaml")
    files = render_files(load_environments(envs), SETTINGS, cache=cache)
    assert rendered == ["d"]
    assert files == render_files(load_environments(envs), SETTINGS)


def test_changed_argocd_settings_render_only_argocd(
    envs: Path, tmp_path: Path, rendered: list[str]
) -> None:
    # Given a warm cache
    cache = warm_cache(envs, tmp_path, rendered)
    before = render_files(load_environments(envs), SETTINGS, cache=cache)
    # When the Argo CD settings change (a revision)
    other = ArgoCdSettings(revision="release-2")
    after = render_files(load_environments(envs), other, cache=cache)
    # Then no environment renders, argocd/ does, and it names the new revision
    assert rendered == []
    changed = {f.path for f in set(after) - set(before)}
    assert changed and all(path.startswith("argocd/") for path in changed)
    assert after == render_files(load_environments(envs), other)


def test_an_environment_argocd_setting_renders_it_and_argocd(
    envs: Path, tmp_path: Path, rendered: list[str]
) -> None:
    cache = warm_cache(envs, tmp_path, rendered)
    (envs / "a.yaml").write_text("frontend:\n  replicas: 1\nargocd:\n  automated: false\n")
    after = render_files(load_environments(envs), SETTINGS, cache=cache)
    assert rendered == ["a"]
    assert after == render_files(load_environments(envs), SETTINGS)


def test_a_changed_fingerprint_renders_everything(
    envs: Path, tmp_path: Path, rendered: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a warm cache
    cache = warm_cache(envs, tmp_path, rendered)
    # When the fingerprint changes (new code, a new cdk8s, another Node: see the tests below)
    monkeypatch.setattr("guestbook.render_cache.fingerprint", lambda: "another")
    render_files(load_environments(envs), SETTINGS, cache=cache)
    # Then every environment renders again
    assert rendered == ["a", "b", "c"]


FINGERPRINT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from guestbook.render_cache import fingerprint; print(fingerprint())"
)


def test_the_fingerprint_covers_every_file_of_the_package(tmp_path: Path) -> None:
    # Given a copy of the package
    lib = tmp_path / "lib"
    subprocess.run(["cp", "-a", str(ROOT / "lib"), str(lib)], check=True)

    def of_copy() -> str:
        done = subprocess.run(
            [sys.executable, "-c", FINGERPRINT, str(lib)],
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp_path,
        )
        return done.stdout.strip()

    before = of_copy()
    # When a comment changes in a construct, Then the fingerprint changes
    construct = lib / "guestbook" / "constructs" / "frontend.py"
    construct.write_text(construct.read_text() + "# a comment\n")
    after_code = of_copy()
    assert after_code != before
    # And a data file of the package counts too
    (lib / "guestbook" / "py.typed").write_text("partial\n")
    assert of_copy() not in (before, after_code)


@pytest.mark.parametrize("distribution", ["cdk8s", "cdk8s-plus-37", "constructs", "jsii"])
def test_the_fingerprint_covers_the_versions_that_shape_the_output(
    monkeypatch: pytest.MonkeyPatch, distribution: str
) -> None:
    # Given the fingerprint with the installed versions
    before = fingerprint.__wrapped__()
    real = metadata.version
    # When one distribution reports another version
    monkeypatch.setattr(
        metadata, "version", lambda name: "99.0.0" if name == distribution else real(name)
    )
    # Then the fingerprint changes
    assert fingerprint.__wrapped__() != before


def test_the_fingerprint_covers_python_and_node(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    before = fingerprint.__wrapped__()
    # When jsii would start another Node (JSII_NODE) that is another version
    node = tmp_path / "node"
    node.write_text("#!/bin/sh\necho v99.0.0\n")
    node.chmod(0o755)
    monkeypatch.setenv("JSII_NODE", str(node))
    with_node = fingerprint.__wrapped__()
    assert with_node != before
    # And another Python
    monkeypatch.setattr(sys, "version", "3.99.0 (other)")
    assert fingerprint.__wrapped__() not in (before, with_node)


def test_the_key_covers_the_merged_overlay_and_the_name(envs: Path) -> None:
    a, b, c = load_environments(envs)
    assert len({environment_key(a), environment_key(b), environment_key(c)}) == 3
    # The same overlay under another name is another key (names and namespaces render)
    (envs / "d.yaml").write_bytes((envs / "a.yaml").read_bytes())
    d = load_environments(envs, ["d"])[0]
    assert environment_key(d) != environment_key(a)


# --- entries that are not whole ------------------------------------------------


def warm(envs: Path, tmp_path: Path) -> tuple[RenderCache, Path, list[RenderedFile]]:
    """A warm cache, the entry of environment a, and a cold render's files."""
    cache = cache_in(tmp_path)
    files = render_files(load_environments(envs), SETTINGS, cache=cache)
    entry = cache.folder / environment_key(load_environments(envs, ["a"])[0])
    assert entry.is_file()
    return cache, entry, files


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: data[:-40] + b"X" + data[-39:], id="a-byte-flipped"),
        pytest.param(lambda data: b"", id="empty"),
        pytest.param(lambda data: b"not an entry at all\n", id="garbage"),
    ],
)
def test_a_damaged_entry_is_ignored_and_written_again(
    envs: Path, tmp_path: Path, rendered: list[str], damage: Callable[[bytes], bytes]
) -> None:
    # Given a warm cache whose entry of a is damaged
    cache, entry, files = warm(envs, tmp_path)
    good = entry.read_bytes()
    entry.write_bytes(damage(good))
    rendered.clear()
    # When rendering again
    again = render_files(load_environments(envs), SETTINGS, cache=cache)
    # Then a is rendered, the output is the cold render's, and the entry is whole again
    assert rendered == ["a"]
    assert again == files
    assert entry.read_bytes() == good


def test_an_entry_naming_a_file_outside_its_folder_is_ignored(
    envs: Path, tmp_path: Path, rendered: list[str]
) -> None:
    # Given a well-formed entry (right checksum) for a whose file climbs out of a/
    cache, entry, files = warm(envs, tmp_path)
    header = b"# Generated by guestbook-gitops\n"
    planted = RenderedFolder("a", (RenderedFile("a/../../escape.yaml", header),), frozenset())
    entry.write_bytes(encode_entry(planted))
    rendered.clear()
    # When rendering, Then the entry is not used
    assert render_files(load_environments(envs), SETTINGS, cache=cache) == files
    assert rendered == ["a"]


def test_an_entry_of_another_folder_is_not_served() -> None:
    # Given a whole entry of folder a, When read as folder b's, Then it is refused
    header = b"# Generated by guestbook-gitops\n"
    folder = RenderedFolder("a", (RenderedFile("a/x.yaml", header + b"x: 1\n"),), frozenset())
    data = encode_entry(folder)
    assert decode_entry(data, "a") == folder
    assert decode_entry(data, "b") is None


def test_an_entry_that_is_a_link_is_not_followed_and_is_replaced(
    envs: Path, tmp_path: Path, rendered: list[str]
) -> None:
    # Given the entry of a replaced by a link to a whole entry elsewhere
    cache, entry, files = warm(envs, tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(entry.read_bytes())
    entry.unlink()
    entry.symlink_to(elsewhere)
    rendered.clear()
    # When rendering
    assert render_files(load_environments(envs), SETTINGS, cache=cache) == files
    # Then the link was not read, and a regular entry took its place
    assert rendered == ["a"]
    assert not entry.is_symlink()
    assert entry.read_bytes() == elsewhere.read_bytes()


def test_the_cache_is_bounded_least_recently_used_first(envs: Path, tmp_path: Path) -> None:
    # Given a cache bounded to about two entries, and a, b, c rendered into it in turn
    cache = cache_in(tmp_path)
    environments = load_environments(envs)
    sizes = []
    for number, env in enumerate(environments):
        render_folders([env], cache=cache)
        entry = cache.folder / environment_key(env)
        os.utime(entry, (1000 + number, 1000 + number))
        sizes.append(entry.stat().st_size)
    # When one more entry is written with a bound below the total
    cache.max_bytes = sum(sizes) - 1
    (envs / "d.yaml").write_text("{}\n")
    render_folders(load_environments(envs, ["d"]), cache=cache)
    # Then the oldest entries went until it fits, and the newest stayed
    names = {p.name for p in entries(cache)}
    assert environment_key(environments[0]) not in names
    assert environment_key(load_environments(envs, ["d"])[0]) in names
    assert sum(p.stat().st_size for p in entries(cache)) <= cache.max_bytes


def test_a_killed_writers_old_temporary_file_is_removed_and_never_read(
    envs: Path, tmp_path: Path
) -> None:
    # Given a temporary file left by a killed writer an hour ago, and a fresh one
    cache = cache_in(tmp_path)
    cache.folder.mkdir()
    old = cache.folder / f".{'0' * 64}.tmp-deadbeef"
    fresh = cache.folder / f".{'1' * 64}.tmp-deadbeef"
    for path in (old, fresh):
        path.write_bytes(b"half an entry")
    os.utime(old, (1000, 1000))
    # When a render writes to the cache
    render_files(load_environments(envs), SETTINGS, cache=cache)
    # Then the old one is gone, and a concurrent writer's fresh one is left alone
    assert not old.exists()
    assert fresh.exists()


# --- worker processes -------------------------------------------------------------


def test_workers_render_the_same_bytes_as_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the project's environments, rendered in this process only
    environments = load_environments(ROOT / "environments")
    alone = render_files(environments, SETTINGS)
    # When three processes share them (a worker even for one environment each)
    monkeypatch.setattr(render, "MIN_ENVIRONMENTS_PER_PROCESS", 1)
    shared = render_files(environments, SETTINGS, jobs=3)
    # Then the bytes are the same, and they are the committed dist/
    assert shared == alone
    committed = read_tree(ROOT / "dist")
    assert {f.path: f.content for f in shared} == {
        k: v for k, v in committed.items() if k.endswith(".yaml")
    }


def test_jobs_come_from_the_flag_then_the_setting_then_the_cores(tmp_path: Path) -> None:
    project = tmp_path / "pyproject.toml"
    project.write_text("[tool.guestbook.synth]\njobs = 3\n")
    settings_ = load_synth_settings(project)
    assert settings_.effective_jobs(5) == 5
    assert settings_.effective_jobs() == 3
    assert load_synth_settings(tmp_path / "none.toml").effective_jobs() == len(
        os.sched_getaffinity(0)
    )


def test_a_jobs_setting_that_is_not_a_count_is_a_message(tmp_path: Path) -> None:
    from guestbook.errors import GuestbookError

    project = tmp_path / "pyproject.toml"
    project.write_text("[tool.guestbook.synth]\njobs = 0\n")
    with pytest.raises(GuestbookError, match=r"pyproject.toml:2: \[tool.guestbook.synth\]: jobs"):
        load_synth_settings(project)


# --- the command line -------------------------------------------------------------


def synth_cli(cwd: Path, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GUESTBOOK, "synth", "-q", *args],
        cwd=cwd,
        env={**os.environ, CACHE_DIR_ENV: str(cache)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_no_cache_neither_reads_nor_writes_the_cache(tmp_path: Path) -> None:
    # Given a cache folder that does not exist yet
    cache = tmp_path / "cache"
    # When synth runs with --no-cache
    done = synth_cli(ROOT, cache, "--no-cache", "-o", str(tmp_path / "out"))
    # Then it renders the committed dist/ and writes no cache at all
    assert done.returncode == 0, done.stderr
    assert read_tree(tmp_path / "out") == read_tree(ROOT / "dist")
    assert not cache.exists()
    # And without it the same command fills the cache, with the same output
    done = synth_cli(ROOT, cache, "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert len(cache_entries(cache)) == len(dist_folders())
    assert read_tree(tmp_path / "out") == read_tree(ROOT / "dist")


def test_two_synths_at_once_share_a_cold_cache(tmp_path: Path) -> None:
    # Given an empty cache and two synths started together into two outputs
    cache = tmp_path / "cache"
    procs = [
        subprocess.Popen(
            [GUESTBOOK, "synth", "-q", "-o", str(tmp_path / f"out-{n}")],
            cwd=ROOT,
            env={**os.environ, CACHE_DIR_ENV: str(cache)},
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    try:
        results = [(p.wait(timeout=300), p.communicate()[1]) for p in procs]
    finally:
        for proc in procs:
            proc.kill()
    # Then both succeed with the committed dist/, and the cache holds whole entries only
    for code, stderr in results:
        assert code == 0, stderr
    for n in range(2):
        assert read_tree(tmp_path / f"out-{n}") == read_tree(ROOT / "dist")
    names = sorted(p.name for p in cache.iterdir() if not p.name.startswith(HINT_PREFIX))
    assert len(names) == len(dist_folders())
    environments = {
        env.name: environment_key(env) for env in load_environments(ROOT / "environments")
    }
    for name, key in environments.items():
        assert decode_entry((cache / key).read_bytes(), name) is not None


# --- cached equals cold, for any sequence of edits --------------------------------

EDITS = st.tuples(
    st.sampled_from(["a", "b", "c"]),
    st.sampled_from(
        [
            "frontend:\n  replicas: 2\n",
            "frontend:\n  replicas: 4\n",
            "networkPolicy:\n  enabled: true\n",
            "redis:\n  followers:\n    replicas: 1\n",
            "argocd:\n  automated: false\n",
            "# only a comment\n",
            "{}\n",
        ]
    ),
)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(edits=st.lists(EDITS, min_size=1, max_size=4), revision=st.sampled_from(["main", "v2"]))
def test_a_cached_render_equals_a_cold_one_after_any_edits(
    tmp_path_factory: pytest.TempPathFactory, edits: list[tuple[str, str]], revision: str
) -> None:
    # Given three environments and a cache, rendered once
    root = tmp_path_factory.mktemp("edits")
    folder = root / "environments"
    folder.mkdir()
    for name in "abc":
        (folder / f"{name}.yaml").write_text("{}\n")
    cache = RenderCache(root / "cache", warn=pytest.fail)
    render_files(load_environments(folder), SETTINGS, cache=cache)
    # When the overlays are edited in turn, each edit rendered with the cache into one output
    for number, (name, text) in enumerate(edits):
        (folder / f"{name}.yaml").write_text(text)
        settings_ = ArgoCdSettings(revision=revision)
        cached = render_files(load_environments(folder), settings_, cache=cache)
        write_output(cached, root / "out")
        # Then every render equals a cold one written into a new folder, byte for byte
        cold = render_files(load_environments(folder), settings_)
        assert cached == cold
        write_output(cold, root / f"cold-{number}")
        assert read_tree(root / "out") == read_tree(root / f"cold-{number}")
