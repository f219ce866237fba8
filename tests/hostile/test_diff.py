"""`guestbook diff` used carelessly: each case exits 2 with one clear line (or just works),
never a traceback, and the user's files, index and worktrees stay as they were."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.diff_repos import Repo, project_repo, static_repo

GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))

CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: '%s'}\n"


def diff(
    cwd: Path, *args: str, env: dict[str, str] | None = None, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """The real `guestbook diff ARGS`, run in ``cwd``."""
    return subprocess.run(
        [*prefix, GUESTBOOK, "diff", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def assert_usage_error(done: subprocess.CompletedProcess[str], message: str) -> None:
    """Exit 2, no report, and one line that starts with ``error: <message>``."""
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr.startswith(f"error: {message}"), done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repo]:
    """A small repository (a stand-in main.py), checked to be untouched by each test."""
    repo = static_repo(tmp_path / "repo", {"dev/a.yaml": CONFIG_MAP % 1})
    repo.write("manifests/dev/a.yaml", CONFIG_MAP % 2)  # uncommitted
    before = repo.snapshot()
    yield repo
    assert repo.snapshot() == before


def test_outside_a_git_repository(tmp_path: Path) -> None:
    # Given a folder outside any repository / When diffing / Then it says so
    assert_usage_error(diff(tmp_path), f"{tmp_path}: not inside a git working tree")


def test_inside_the_git_folder(repo: Repo) -> None:
    # Given the user inside .git / When diffing / Then it says it needs the working tree
    assert_usage_error(diff(repo.root / ".git"), f"{repo.root / '.git'}: not inside a git")


def test_a_working_directory_that_was_deleted(repo: Repo) -> None:
    # Given a shell whose current folder was deleted under it / When diffing there
    gone = repo.root / "gone"
    gone.mkdir()
    done = diff(repo.root, prefix=("sh", "-c", 'cd gone && rmdir ../gone && exec "$0" "$@"'))
    # Then it says the current folder is gone
    assert_usage_error(done, "cannot read the current folder")


def test_a_detached_head_compares_with_the_merge_base(tmp_path: Path) -> None:
    # Given a detached HEAD on main's commit, and an uncommitted change
    repo = static_repo(tmp_path / "repo", {"dev/a.yaml": CONFIG_MAP % 1})
    repo.git("checkout", "--quiet", "--detach", "HEAD")
    repo.write("manifests/dev/a.yaml", CONFIG_MAP % 2)
    before = repo.snapshot()
    # When diffing / Then it just works
    done = diff(repo.root, "--exit-code")
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("Manifest diff: base merge base with main (")
    assert "~ data.k: '1' → '2'" in done.stdout
    assert repo.snapshot() == before


def test_a_base_that_does_not_exist(repo: Repo) -> None:
    assert_usage_error(diff(repo.root, "--base", "mian"), "unknown git revision 'mian'")


def test_an_empty_base(repo: Repo) -> None:
    assert_usage_error(diff(repo.root, "--base", ""), "unknown git revision ''")


def test_a_base_whose_render_fails(tmp_path: Path) -> None:
    # Given a base commit whose main.py fails, fixed in the working tree
    repo = static_repo(tmp_path / "repo", {"dev/a.yaml": CONFIG_MAP % 1})
    good = repo.read("main.py")
    repo.write("main.py", "raise SystemExit('boom: the base is broken')\n")
    repo.commit("broken")
    repo.write("main.py", good)
    before = repo.snapshot()
    # When diffing against it
    done = diff(repo.root, "--base", "HEAD")
    # Then the error names the base and shows its message; no worktree is left
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("error: cannot render base HEAD (")
    assert "boom: the base is broken" in done.stderr and "Traceback" not in done.stderr
    assert repo.snapshot() == before


def test_git_missing_from_path(repo: Repo, tmp_path: Path) -> None:
    # Given a PATH without git / When diffing / Then it says git is needed
    empty = tmp_path / "bin"
    empty.mkdir()
    assert_usage_error(diff(repo.root, env={"PATH": str(empty)}), "git not found")


def test_a_repository_without_commits(tmp_path: Path) -> None:
    # Given a new repository with a project's files, nothing committed
    repo = Repo.init(tmp_path / "repo")
    shutil.copy(FIXTURES / "diff" / "static_main.py", repo.root / "main.py")
    repo.write("manifests/dev/a.yaml", CONFIG_MAP % 1)
    # When diffing / Then it says there is no base yet
    assert_usage_error(diff(repo.root), "the repository has no commit yet")


def test_a_read_only_repository(repo: Repo) -> None:
    # Given the repository on a read-only mount (a private mount namespace; as root inside
    # a user namespace when not root, so that git still sees the repository as ours)
    unshare = ("unshare", "--mount", *(("--map-root-user",) if os.geteuid() else ()))
    probe = subprocess.run([*unshare, "true"], capture_output=True, check=False, text=True)
    if probe.returncode != 0:
        pytest.skip(f"needs a private mount namespace: {probe.stderr.strip()}")
    mount = 'mount --bind -o ro "$1" "$1" && shift && exec "$@"'
    # When diffing there
    done = diff(repo.root, prefix=(*unshare, "sh", "-c", mount, "-", str(repo.root)))
    # Then it says the worktree could not be created, and why
    assert_usage_error(done, "cannot check out ")
    assert "Read-only file system" in done.stderr


def test_a_syntax_error_in_an_uncommitted_overlay(tmp_path: Path) -> None:
    # Given the real project with a YAML syntax error in dev's overlay, not committed
    repo = project_repo(tmp_path / "repo")
    repo.write("environments/dev.yaml", "frontend:\n  replicas: [1\n")
    before = repo.snapshot()
    # When diffing
    done = diff(repo.root)
    # Then the render error names the file and line, once, and nothing was changed
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("error: cannot render the working tree: main.py exited with 2")
    assert "environments/dev.yaml:3: invalid YAML" in done.stderr
    assert "Traceback" not in done.stderr
    assert repo.snapshot() == before


@pytest.mark.parametrize("commit", [["commit"], ["commit", "--all"]])
def test_in_a_pre_commit_hook_the_commit_keeps_what_was_staged(
    tmp_path: Path, commit: list[str]
) -> None:
    # Given a pre-commit hook that runs the diff (git hands it the commit's index file:
    # .git/index, or with --all a temporary one given by its absolute path)
    repo = static_repo(tmp_path / "repo", {"dev/a.yaml": CONFIG_MAP % 1})
    hook = repo.root / ".git" / "hooks" / "pre-commit"
    hook.write_text(f'#!/bin/sh\nexec "{GUESTBOOK}" diff --base HEAD --exit-code >&2\n')
    hook.chmod(0o755)
    # When committing a change, the hook's diff reporting it (--exit-code stops the commit)
    repo.write("manifests/dev/a.yaml", CONFIG_MAP % 2)
    repo.git("add", "manifests/dev/a.yaml")
    with pytest.raises(subprocess.CalledProcessError) as stopped:
        repo.git(*commit, "--quiet", "-m", "two")
    assert "~ data.k: '1' → '2'" in stopped.value.stderr
    # And committing again with a hook that lets it through
    hook.write_text(f'#!/bin/sh\nexec "{GUESTBOOK}" diff --base HEAD >/dev/null\n')
    repo.git(*commit, "--quiet", "-m", "two")
    # Then the commit holds the change and nothing is left to commit
    assert repo.git("show", "HEAD:manifests/dev/a.yaml") == (CONFIG_MAP % 2).strip()
    assert repo.git("status", "--porcelain") == ""
