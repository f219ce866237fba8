"""The git edge: finding the repository, choosing the base, a throwaway worktree."""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePosixPath

import pytest

from guestbook.diff.worktree import (
    checkout,
    default_base,
    find_project,
    find_repository,
    resolve,
    run_folder,
)
from guestbook.errors import GuestbookError
from tests.diff_repos import Repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo.init(tmp_path / "repo")
    repo.write("file.txt", "one\n")
    repo.commit("one")
    return repo


def test_outside_a_git_repository_is_a_user_error(tmp_path: Path) -> None:
    # Given a folder that is not in a git repository / When looking for one / Then it says so
    with pytest.raises(GuestbookError, match="not inside a git working tree"):
        find_repository(tmp_path)


def test_a_ref_resolves_to_its_commit(repo: Repo) -> None:
    # Given a tag / When resolving it / Then its full commit id comes back
    repo.git("tag", "v1")
    revision = resolve(find_repository(repo.root), "v1")
    assert (revision.label, revision.commit) == ("v1", repo.git("rev-parse", "HEAD"))


@pytest.mark.parametrize("ref", ["no-such-branch", "--output=/tmp/x", "HEAD~5"])
def test_an_unknown_ref_is_a_user_error(repo: Repo, ref: str) -> None:
    # Given a ref that names no commit (or looks like an option) / When resolving
    # Then a message names it
    with pytest.raises(GuestbookError, match=r"unknown git revision '.*': pass a branch"):
        resolve(find_repository(repo.root), ref)


def test_default_base_is_the_merge_base_with_main(repo: Repo) -> None:
    # Given a feature branch forked from main, and main moved on since
    fork_point = repo.git("rev-parse", "HEAD")
    repo.git("switch", "--quiet", "-c", "feature")
    repo.write("file.txt", "feature\n")
    repo.commit("feature work")
    repo.git("switch", "--quiet", "main")
    repo.write("other.txt", "later\n")
    repo.commit("main moved on")
    repo.git("switch", "--quiet", "feature")
    # When choosing the default base
    base = default_base(find_repository(repo.root))
    # Then it is the fork point, not main's tip
    assert (base.label, base.commit) == ("merge base with main", fork_point)


def test_default_base_follows_origin_head(tmp_path: Path, repo: Repo) -> None:
    # Given a clone of a repository whose default branch is called trunk
    repo.git("branch", "-m", "main", "trunk")
    clone = Repo(tmp_path / "clone")
    Repo(tmp_path).git("clone", "--quiet", str(repo.root), str(clone.root))
    clone.git("switch", "--quiet", "-c", "feature")
    clone.write("file.txt", "feature\n")
    clone.commit("feature work")
    # When choosing the default base / Then it is the merge base with origin/trunk
    base = default_base(find_repository(clone.root))
    assert (base.label, base.commit) == (
        "merge base with origin/trunk",
        repo.git("rev-parse", "HEAD"),
    )


def test_default_base_falls_back_to_head(tmp_path: Path) -> None:
    # Given a repository without origin, main or master
    repo = Repo.init(tmp_path / "repo", branch="work")
    head = repo.commit("only commit")
    # When choosing the default base / Then it is HEAD
    base = default_base(find_repository(repo.root))
    assert (base.label, base.commit) == ("HEAD", head)


def test_a_repository_without_commits_has_no_base(tmp_path: Path) -> None:
    # Given a fresh repository / When choosing the base / Then it says there is nothing to compare
    repo = Repo.init(tmp_path / "repo")
    with pytest.raises(GuestbookError, match="no commit yet"):
        default_base(find_repository(repo.root))


def test_checkout_shows_the_commit_and_is_removed_afterwards(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a second commit, and temp folders going to a folder we can inspect
    first = repo.git("rev-parse", "HEAD")
    repo.write("file.txt", "two\n")
    repo.commit("two")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    before = repo.snapshot()
    # When checking out the first commit
    with run_folder() as run, checkout(find_repository(repo.root), first, run) as tree:
        # Then its files are there
        assert (tree / "file.txt").read_text() == "one\n"
        assert len(repo.worktrees()) == 2
    # And afterwards the worktree and its folder are gone and the repository is as it was
    assert repo.snapshot() == before
    assert list(scratch.iterdir()) == []


def test_checkout_is_removed_even_when_the_work_inside_fails(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given temp folders going to a folder we can inspect
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    # When the work inside the checkout fails
    with (
        pytest.raises(GuestbookError, match="render failed"),
        run_folder() as run,
        checkout(find_repository(repo.root), repo.git("rev-parse", "HEAD"), run),
    ):
        raise GuestbookError("render failed")
    # Then no worktree and no folder is left
    assert len(repo.worktrees()) == 1
    assert list(scratch.iterdir()) == []


# --- shallow clones and histories without a fork point -------------------------


@pytest.fixture
def forked(tmp_path: Path) -> Repo:
    """An origin whose feature branch is one commit ahead of main."""
    origin = Repo.init(tmp_path / "origin")
    origin.write("file.txt", "main\n")
    origin.commit("on main")
    origin.git("switch", "--quiet", "-c", "feature")
    origin.write("file.txt", "feature\n")
    origin.commit("on feature")
    origin.git("switch", "--quiet", "main")
    return origin


def test_a_shallow_clone_without_the_fork_point_is_an_error_not_head(
    tmp_path: Path, forked: Repo
) -> None:
    # Given CI's shallow checkout of feature, with main's tip fetched one commit deep
    clone = forked.clone(tmp_path / "clone", "--depth", "1", "--branch", "feature")
    clone.git("fetch", "--quiet", "--depth", "1", "origin", "main:refs/remotes/origin/main")
    # When choosing the default base / Then it says the history is too short and how to fix it
    with pytest.raises(GuestbookError) as caught:
        default_base(find_repository(clone.root))
    message = str(caught.value)
    assert "cannot find where HEAD forked from origin/main" in message
    assert "shallow clone" in message and "fetch-depth: 0" in message


def test_a_shallow_clone_with_enough_history_finds_the_merge_base(
    tmp_path: Path, forked: Repo
) -> None:
    # Given a shallow clone of feature two commits deep, and main's tip
    clone = forked.clone(tmp_path / "clone", "--depth", "2", "--branch", "feature")
    clone.git("fetch", "--quiet", "--depth", "1", "origin", "main:refs/remotes/origin/main")
    # When choosing the default base / Then it is main's tip, where feature forked
    base = default_base(find_repository(clone.root))
    assert (base.label, base.commit) == (
        "merge base with origin/main",
        forked.git("rev-parse", "main"),
    )


@pytest.mark.parametrize("depth", [["--depth", "1"], ["--single-branch"]])
def test_a_clone_without_the_default_branch_is_an_error_not_head(
    tmp_path: Path, forked: Repo, depth: list[str]
) -> None:
    # Given a clone of feature alone (shallow or not): no origin/HEAD, no main
    clone = forked.clone(tmp_path / "clone", *depth, "--branch", "feature")
    # When choosing the default base / Then it says it cannot tell what to compare with
    with pytest.raises(GuestbookError, match="cannot tell the default branch") as caught:
        default_base(find_repository(clone.root))
    assert "--base" in str(caught.value)
    assert ("shallow clone" in str(caught.value)) == (depth[0] == "--depth")


def test_unrelated_history_is_an_error_not_head(repo: Repo) -> None:
    # Given HEAD on an orphan branch, with no commit in common with main
    repo.git("switch", "--quiet", "--orphan", "elsewhere")
    repo.write("file.txt", "unrelated\n")
    repo.commit("unrelated")
    # When choosing the default base / Then it says so and how to choose one
    with pytest.raises(GuestbookError, match="HEAD has no history in common with main") as caught:
        default_base(find_repository(repo.root))
    assert "shallow" not in str(caught.value)
    assert "--base" in str(caught.value)


def test_an_explicit_base_in_a_shallow_clone_is_checked_out(tmp_path: Path, forked: Repo) -> None:
    # Given CI's shallow checkout of feature, with main's tip fetched one commit deep
    clone = forked.clone(tmp_path / "clone", "--depth", "1", "--branch", "feature")
    clone.git("fetch", "--quiet", "--depth", "1", "origin", "main:refs/remotes/origin/main")
    repository = find_repository(clone.root)
    # When resolving --base origin/main and checking it out
    revision = resolve(repository, "origin/main")
    assert revision.commit is not None
    with run_folder() as run, checkout(repository, revision.commit, run) as tree:
        # Then it is main's tip
        assert (tree / "file.txt").read_text() == "main\n"


def test_a_base_older_than_a_shallow_clone_names_the_shallow_history(
    tmp_path: Path, forked: Repo
) -> None:
    # Given a shallow clone one commit deep / When resolving its parent
    clone = forked.clone(tmp_path / "clone", "--depth", "1", "--branch", "feature")
    with pytest.raises(GuestbookError, match="unknown git revision 'HEAD~1'") as caught:
        resolve(find_repository(clone.root), "HEAD~1")
    # Then the message says the history is cut and how to fetch more
    assert "shallow clone" in str(caught.value) and "fetch-depth: 0" in str(caught.value)


# --- the project's folder in a monorepo ----------------------------------------------


@pytest.mark.parametrize(
    ("files", "cwd", "project"),
    [
        # environments/ marks the project, from any folder inside it
        (["app/environments/dev.yaml", "app/main.py"], "app/environments", "app"),
        (["app/environments/dev.yaml", "app/lib/x/y.py"], "app/lib/x", "app"),
        # so does a pyproject.toml with [tool.guestbook...]; one without it does not
        (["app/pyproject.toml:[tool.guestbook.argocd]", "app/sub/f"], "app/sub", "app"),
        (["main.py", "app/pyproject.toml:[tool.ruff]", "app/sub/f"], "app/sub", "."),
        # the nearest one wins; nothing found falls back to a top with main.py
        (["environments/a.yaml", "in/environments/a.yaml", "in/x/f"], "in/x", "in"),
        (["main.py", "manifests/dev/a.yaml"], "manifests/dev", "."),
    ],
)
def test_the_project_is_the_nearest_folder_with_environments_or_tool_guestbook(
    repo: Repo, files: list[str], cwd: str, project: str
) -> None:
    # Given these files (path:content)
    for spec in files:
        path, _, text = spec.partition(":")
        repo.write(path, text + "\n")
    # When finding the project from cwd / Then it is that folder, relative to the top
    assert find_project(find_repository(repo.root), repo.root / cwd) == PurePosixPath(project)
