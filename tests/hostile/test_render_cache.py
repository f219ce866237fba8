"""The render cache against unusable folders, odd entries and signals: the render always goes on.

Each test runs the real ``guestbook synth`` with ``GUESTBOOK_CACHE_DIR`` pointing
at the situation, and checks the output against the committed ``dist/``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from guestbook.environments import load_environments
from guestbook.render_cache import ENTRY_MAX_BYTES, decode_entry, environment_key
from guestbook.tools import CACHE_DIR_ENV
from tests.conftest import ROOT, cache_entries, dist_folders, read_tree
from tests.hostile.test_synth import synth as synth_in

GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))
TIMEOUT_S = 300


def synth(
    cache: Path | str, out: Path, *args: str, user: bool = False
) -> subprocess.CompletedProcess[str]:
    """``guestbook synth`` of the project into ``out`` with the render cache ``cache`` (with
    ``user``, with file permissions applying)."""
    return synth_in(ROOT, "-o", str(out), *args, user=user, **{CACHE_DIR_ENV: str(cache)})


def assert_rendered_with_one_warning(done: subprocess.CompletedProcess[str], out: Path) -> None:
    assert done.returncode == 0, done.stderr
    assert read_tree(out) == read_tree(ROOT / "dist")
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("guestbook: warning: render cache ")
    assert lines[0].endswith("; rendering without it")


def test_a_cache_folder_nobody_may_create_warns_once_and_renders(tmp_path: Path) -> None:
    # Given a cache folder in a place not even root may create one
    done = synth("/sys/guestbook-render-cache", tmp_path / "out")
    # Then the render is complete, with one warning naming the folder
    assert_rendered_with_one_warning(done, tmp_path / "out")
    assert "/sys/guestbook-render-cache" in done.stderr


def test_a_file_where_the_cache_folder_should_be_warns_once_and_stays(tmp_path: Path) -> None:
    # Given a file at the cache folder's path
    cache = tmp_path / "cache"
    cache.write_text("mine\n")
    done = synth(cache, tmp_path / "out")
    # Then the render is complete, one warning, and the file is untouched
    assert_rendered_with_one_warning(done, tmp_path / "out")
    assert cache.read_text() == "mine\n"


def test_a_dangling_link_as_the_cache_folder_warns_once(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.symlink_to(tmp_path / "nowhere" / "deeper")
    done = synth(cache, tmp_path / "out")
    assert_rendered_with_one_warning(done, tmp_path / "out")


def test_a_link_to_a_folder_is_the_cache_folder(tmp_path: Path) -> None:
    # Given the cache folder is a link to a folder (as .tools itself may be)
    (tmp_path / "real").mkdir()
    (tmp_path / "cache").symlink_to(tmp_path / "real")
    # When synth runs twice
    for _ in range(2):
        done = synth(tmp_path / "cache", tmp_path / "out")
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
    # Then the entries are in the folder it points to
    assert len(cache_entries(tmp_path / "real")) == len(dist_folders())
    assert read_tree(tmp_path / "out") == read_tree(ROOT / "dist")


def keys() -> dict[str, str]:
    return {env.name: environment_key(env) for env in load_environments(ROOT / "environments")}


def key_of_this_python(name: str, cache: Path) -> Path:
    """The entry path of environment ``name`` as the CLI computes it (same code and tools)."""
    done = synth(cache, cache.parent / "probe-out")
    assert done.returncode == 0, done.stderr
    return cache / keys()[name]


def test_a_folder_at_an_entrys_name_warns_once_and_renders(tmp_path: Path) -> None:
    # Given a folder where dev's entry goes (found by a first render)
    cache = tmp_path / "cache"
    entry = key_of_this_python("dev", cache)
    entry.unlink()
    entry.mkdir()
    # When synth runs
    done = synth(cache, tmp_path / "out")
    # Then dev is rendered, the folder stays, one warning
    assert_rendered_with_one_warning(done, tmp_path / "out")
    assert entry.is_dir()


def test_an_entry_too_large_to_be_one_is_not_read(tmp_path: Path) -> None:
    # Given dev's entry grown past the bound (a sparse file: nothing is really written)
    cache = tmp_path / "cache"
    entry = key_of_this_python("dev", cache)
    with entry.open("r+b") as handle:
        handle.truncate(ENTRY_MAX_BYTES + 1)
    # When synth runs, Then the output is right and the entry is whole again
    done = synth(cache, tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert read_tree(tmp_path / "out") == read_tree(ROOT / "dist")
    assert decode_entry(entry.read_bytes(), "dev") is not None


def test_sigterm_while_entries_are_written_leaves_only_whole_entries(tmp_path: Path) -> None:
    # Given 150 environments and an empty cache
    project = tmp_path / "project"
    (project / "environments").mkdir(parents=True)
    for number in range(150):
        (project / "environments" / f"env-{number:03d}.yaml").write_text("{}\n")
    cache = tmp_path / "cache"
    # When SIGTERM arrives once the render has stored a few entries
    with subprocess.Popen(
        [GUESTBOOK, "synth", "-q", "--jobs", "1", "-o", "out"],
        cwd=project,
        env={**os.environ, CACHE_DIR_ENV: str(cache)},
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            deadline = time.monotonic() + TIMEOUT_S
            while proc.poll() is None and time.monotonic() < deadline:
                if cache.is_dir() and len(os.listdir(cache)) >= 3:
                    break
                time.sleep(0.002)
            proc.send_signal(signal.SIGTERM)
            _, stderr = proc.communicate(timeout=TIMEOUT_S)
        finally:
            proc.kill()
    # Then the process unwinds (exit 143), and the cache holds whole entries only
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr
    names = os.listdir(cache)
    assert names
    assert not [name for name in names if ".tmp-" in name]
    by_key = {environment_key(e): e.name for e in load_environments(project / "environments")}
    for name in names:
        assert decode_entry((cache / name).read_bytes(), by_key[name]) is not None
    # And the next run renders the rest and takes the whole ones
    again = synth_in(project, "-o", "out", **{CACHE_DIR_ENV: str(cache)})
    assert again.returncode == 0, again.stderr
    assert len(os.listdir(project / "out")) == 152  # 150 environments, argocd/, the marker


def test_a_read_only_warm_cache_is_read_without_a_word(tmp_path: Path) -> None:
    # Given a warm cache the user may not write
    cache = tmp_path / "cache"
    assert synth(cache, tmp_path / "first").returncode == 0
    cache.chmod(0o555)
    try:
        done = synth(cache, tmp_path / "out", user=True)
    finally:
        cache.chmod(0o755)
    # Then every folder comes from it (nothing to write, nothing to warn about)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert read_tree(tmp_path / "out") == read_tree(ROOT / "dist")
