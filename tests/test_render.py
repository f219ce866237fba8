"""Synth: deterministic bytes, committed dist/ current, and dist/ untouched on failure."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from guestbook.environments import load_environments
from guestbook.errors import GuestbookError
from guestbook.output import MARKER, MARKER_TEXT
from guestbook.render import render_files, synth
from guestbook.settings import load_argocd_settings
from guestbook.validate.documents import find_files
from tests.conftest import ROOT, read_tree


def test_same_input_gives_byte_identical_files() -> None:
    envs = load_environments(ROOT / "environments")
    first = render_files(envs)
    second = render_files(load_environments(ROOT / "environments"))
    assert first == second


def test_committed_dist_equals_a_fresh_synth(tmp_path: Path) -> None:
    # Given a fresh synth of the committed overlays, cold: no render cache, every folder rendered
    synth(
        load_environments(ROOT / "environments"),
        tmp_path / "dist",
        settings=load_argocd_settings(ROOT / "pyproject.toml"),
        cache=None,
    )
    # Then it equals the committed dist/ byte for byte (else: run `make synth` and commit)
    assert read_tree(tmp_path / "dist") == read_tree(ROOT / "dist")


def test_full_synth_removes_folders_of_deleted_environments(project: Path) -> None:
    (project / "environments" / "dev.yaml").unlink()
    synth(load_environments(project / "environments"), project / "dist")
    assert sorted(p.name for p in (project / "dist").iterdir()) == [
        MARKER,
        "argocd",
        "prod",
        "prod.logging",
        "staging",
        "tutorial",
    ]
    assert not (project / "dist/argocd/application-guestbook-dev.yaml").exists()


def test_partial_synth_replaces_only_the_named_environment(project: Path) -> None:
    # Given a stray file in prod's output and a changed dev overlay
    (project / "dist" / "prod" / "stray.yaml").write_text("x: 1\n")
    (project / "environments" / "dev.yaml").write_text("frontend:\n  replicas: 4\n")
    before = read_tree(project / "dist" / "prod")
    # When only dev is rendered
    synth(load_environments(project / "environments", ["dev"]), project / "dist", partial=True)
    # Then dev changed and prod is exactly as it was
    assert "replicas: 4" in (project / "dist/dev/deployment-frontend.yaml").read_text()
    assert read_tree(project / "dist" / "prod") == before


def test_no_temporary_folders_are_left_beside_the_output(project: Path) -> None:
    synth(load_environments(project / "environments"), project / "dist")
    assert sorted(p.name for p in project.iterdir()) == ["dist", "environments"]


def _npx() -> str | None:
    return shutil.which("npx") if (ROOT / "node_modules" / ".bin" / "cdk8s").exists() else None


@pytest.mark.skipif(_npx() is None, reason="cdk8s CLI not installed (run `make setup`)")
def test_cdk8s_synth_and_main_py_produce_the_committed_dist(tmp_path: Path) -> None:
    # Given the pinned cdk8s CLI, When it synthesizes into a temp folder
    out = tmp_path / "out"
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    subprocess.run(
        ["npx", "--no-install", "cdk8s", "synth", "--output", str(out)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    # Then the files are exactly the committed dist/
    assert read_tree(out) == read_tree(ROOT / "dist")


@pytest.mark.parametrize("seed", ["1", "2"])
def test_output_does_not_depend_on_hash_randomization(project: Path, seed: str) -> None:
    # Given a fresh process with a different hash seed, When it renders (not from the cache)
    out = project / f"out-{seed}"
    env = {
        **os.environ,
        "PYTHONHASHSEED": seed,
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    subprocess.run(
        [
            str(Path(sys.executable).with_name("guestbook")),
            "synth",
            "-q",
            "--no-cache",
            "-o",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    # Then the bytes are the committed ones (set or dict ordering never leaks into output)
    assert read_tree(out) == read_tree(ROOT / "dist")


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_output_modes_follow_the_umask(project: Path, umask: int) -> None:
    # Given a umask, When synth writes a new output folder and replaces dist/
    envs = load_environments(project / "environments", ["dev"])
    previous = os.umask(umask)
    try:
        synth(envs, project / "new")
        synth(envs, project / "dist")
    finally:
        os.umask(previous)
    # Then folders are 0777 and files 0666 less the umask, like mkdir and touch make them
    for out in (project / "new", project / "dist"):
        assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~umask
        assert stat.S_IMODE((out / "dev").stat().st_mode) == 0o777 & ~umask
        for path in (out / MARKER, out / "dev" / "deployment-frontend.yaml"):
            assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_the_marker_is_beside_the_environments_not_a_manifest(tmp_path: Path) -> None:
    # Given a full synth
    out = tmp_path / "dist"
    synth(load_environments(ROOT / "environments"), out)
    # Then the marker is only at the top (Argo CD syncs dist/<env>/ and dist/argocd/)
    assert [p.relative_to(out) for p in out.rglob(MARKER)] == [Path(MARKER)]
    # And validate (and kubeconform, which takes the same suffixes) reads no manifest from it
    assert out / MARKER not in find_files([out])
    assert len(find_files([out])) == len(read_tree(out)) - 1


def test_partial_synth_marks_the_output_folder(project: Path) -> None:
    # Given a dist/ without the marker (as earlier versions wrote it) and a new folder
    (project / "dist" / MARKER).unlink()
    envs = load_environments(project / "environments", ["dev"])
    # When only dev is rendered into each
    synth(envs, project / "dist", partial=True)
    synth(envs, project / "new", partial=True)
    # Then both are marked as output, so later renders may replace them
    assert (project / "dist" / MARKER).read_bytes() == MARKER_TEXT
    assert sorted(p.name for p in (project / "new").iterdir()) == [MARKER, "dev"]


def test_the_library_refuses_an_output_folder_that_is_not_ours(project: Path) -> None:
    # Given an output folder holding the user's file
    (project / "mine").mkdir()
    (project / "mine" / "notes.md").write_text("mine\n")
    # When the library (what main.py and `cdk8s synth` call) is pointed there
    # Then it refuses, naming the folder and the file, and the file stays
    with pytest.raises(GuestbookError, match=r"output folder .*mine: it holds notes\.md"):
        synth(load_environments(project / "environments"), project / "mine")
    assert sorted(p.name for p in (project / "mine").iterdir()) == ["notes.md"]
