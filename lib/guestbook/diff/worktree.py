"""Git at the edge: find the repository, resolve the base, check it out in a temporary worktree.

Only read-only git commands run against the user's checkout; the base is
checked out with ``git worktree add --detach --lock`` into a temporary folder,
which is removed again even when rendering fails or a signal stops the run,
and by a later run if this one was killed outright. The user's files, index
and ``dist/`` are never written.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from guestbook.diff.model import Revision
from guestbook.errors import GuestbookError

DEFAULT_BRANCHES = ("main", "master", "origin/main", "origin/master")
"""Tried in order when ``origin/HEAD`` does not name the default branch."""

GIT_TIMEOUT_S = 120

RUN_PREFIX = "guestbook-diff-"
"""Name prefix of a diff run's temporary folder."""

BASE_FOLDER = "base"
"""The base's worktree inside a run folder."""


@dataclass(frozen=True)
class Repository:
    """The git working tree the user runs in."""

    root: Path
    """Top-level folder of the working tree."""


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}
    # In a pre-commit hook this names the commit's index: the base's checkout would overwrite it.
    env.pop("GIT_INDEX_FILE", None)
    try:
        return subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError:
        raise GuestbookError("git not found; install git to compare manifests") from None
    except subprocess.TimeoutExpired:
        raise GuestbookError(f"git {args[0]} took longer than {GIT_TIMEOUT_S} s") from None


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def find_repository(cwd: Path) -> Repository:
    """The working tree that contains ``cwd``."""
    done = _git(cwd, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        reason = _first_line(done.stderr) or "not a git repository"
        raise GuestbookError(f"{cwd}: not inside a git working tree ({reason})")
    return Repository(Path(done.stdout.strip()))


def find_project(repo: Repository, cwd: Path) -> PurePosixPath:
    """The guestbook project's folder that ``cwd`` is in, relative to the repository's top.

    The nearest folder at or above ``cwd`` (up to the top) with ``environments/``
    or a ``pyproject.toml`` that has ``[tool.guestbook]``; else the top, if it
    has ``main.py``. In a monorepo the project may be any subfolder.
    """
    top = repo.root.resolve()
    here = cwd.resolve()
    for folder in (here, *here.parents):
        if (folder / "environments").is_dir() or _configures_guestbook(folder / "pyproject.toml"):
            return PurePosixPath(folder.relative_to(top).as_posix())
        if folder == top:
            break
    if (top / "main.py").is_file():
        return PurePosixPath(".")
    raise GuestbookError(
        f"no guestbook project at or above {cwd}: run guestbook diff in the project's folder "
        "(the one with main.py and environments/ or a pyproject.toml with [tool.guestbook])"
    )


def _configures_guestbook(pyproject: Path) -> bool:
    try:
        tool = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(tool, dict) and "guestbook" in tool


def _commit_of(repo: Repository, ref: str) -> str | None:
    done = _git(
        repo.root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"
    )
    return done.stdout.strip() if done.returncode == 0 else None


FETCH_HINT = (
    "fetch enough history (GitHub Actions: actions/checkout with fetch-depth: 0; "
    "elsewhere: git fetch --unshallow, or --deepen=N)"
)


def is_shallow(repo: Repository) -> bool:
    """Whether the repository is a shallow clone (its history is cut off)."""
    done = _git(repo.root, "rev-parse", "--is-shallow-repository")
    return done.returncode == 0 and done.stdout.strip() == "true"


def _shallow_note(repo: Repository) -> str:
    return (
        f"; this is a shallow clone, so older commits are missing: {FETCH_HINT}"
        if is_shallow(repo)
        else ""
    )


def resolve(repo: Repository, ref: str) -> Revision:
    """The commit ``ref`` names; an unknown ref is a user error."""
    commit = _commit_of(repo, ref)
    if commit is None:
        raise GuestbookError(
            f"unknown git revision {ref!r}: pass a branch, tag or commit"
            + (
                _shallow_note(repo)
                or " (in CI, fetch history with fetch-depth: 0 so that origin/<base> exists)"
            )
        )
    return Revision(ref, commit)


def default_branch(repo: Repository) -> str | None:
    """``origin/HEAD``'s branch, else the first of :data:`DEFAULT_BRANCHES` that exists."""
    done = _git(repo.root, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
    if done.returncode == 0 and done.stdout.strip():
        return done.stdout.strip()
    return next((name for name in DEFAULT_BRANCHES if _commit_of(repo, name)), None)


def default_base(repo: Repository) -> Revision:
    """The merge base of ``HEAD`` with the default branch.

    ``HEAD`` itself only in a repository without remotes and without a default
    branch (nothing to fork from). Any other failure to find the fork point is
    a user error, never a silent fallback: comparing with the wrong base would
    report "no changes" for changes that are there.
    """
    head = _commit_of(repo, "HEAD")
    if head is None:
        raise GuestbookError("the repository has no commit yet: there is no base to compare with")
    branch = default_branch(repo)
    if branch is None:
        if not _git(repo.root, "remote").stdout.strip() and not is_shallow(repo):
            return Revision("HEAD", head)
        raise GuestbookError(
            "cannot tell the default branch to compare with: origin/HEAD is not set and none "
            f"of {', '.join(DEFAULT_BRANCHES)} exists; pass --base REVISION, or fetch the "
            "default branch (git fetch origin main:refs/remotes/origin/main)" + _shallow_note(repo)
        )
    done = _git(repo.root, "merge-base", "HEAD", branch)
    if done.returncode == 0 and done.stdout.strip():
        return Revision(f"merge base with {branch}", done.stdout.strip())
    if is_shallow(repo):
        raise GuestbookError(
            f"cannot find where HEAD forked from {branch}: this is a shallow clone and the "
            f"fork point is not in the history it has; {FETCH_HINT}, or pass --base REVISION"
        )
    raise GuestbookError(
        f"HEAD has no history in common with {branch}: pass --base REVISION to choose "
        "what to compare with"
    )


@contextmanager
def run_folder() -> Iterator[Path]:
    """A temporary folder for one diff run (the base's worktree, both renders); removed after.

    Its name starts with :data:`RUN_PREFIX`, so that a later run can tell a
    leftover of a killed run (see :func:`remove_stale_worktrees`).
    """
    folder = Path(tempfile.mkdtemp(prefix=RUN_PREFIX))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def checkout(repo: Repository, commit: str, run: Path) -> Iterator[Path]:
    """Check ``commit`` out into ``run/base``, a detached worktree; remove it afterwards.

    ``run`` is a :func:`run_folder`. The worktree is locked with this process's
    id as the reason, so that no ``git worktree prune`` takes it away while it
    is in use, and a later run can remove it if this process is killed before
    it could. Hooks are disabled: a post-checkout hook has no business running
    for a throwaway tree.
    """
    remove_stale_worktrees(repo)
    tree = run / BASE_FOLDER
    try:
        done = _git(
            repo.root,
            "-c",
            "core.hooksPath=/dev/null",
            "worktree",
            "add",
            "--detach",
            "--quiet",
            "--lock",
            "--reason",
            _lock_reason(os.getpid()),
            str(tree),
            commit,
        )
        if done.returncode != 0:
            reason = _first_line(done.stderr)
            raise GuestbookError(
                f"cannot check out {commit[:12]} in a temporary worktree: {reason}"
            )
        yield tree
    finally:
        _remove_worktree(repo, tree)


def remove_stale_worktrees(repo: Repository) -> None:
    """Remove the worktrees of diff runs on this machine whose process is gone (killed).

    Only worktrees locked by :func:`checkout` count, recognised by the lock
    reason; the user's own worktrees are left alone, apart from ``git
    worktree prune`` forgetting those whose folder was deleted.
    """
    done = _git(repo.root, "worktree", "list", "--porcelain")
    for block in done.stdout.split("\n\n"):
        fields = dict(line.partition(" ")[::2] for line in block.splitlines())
        pid = _owner(fields.get("locked", ""))
        if "worktree" in fields and pid is not None and not _running(pid):
            tree = Path(fields["worktree"])
            _remove_worktree(repo, tree)
            if tree.name == BASE_FOLDER and tree.parent.name.startswith(RUN_PREFIX):
                shutil.rmtree(tree.parent, ignore_errors=True)  # the dead run's renders
    _git(repo.root, "worktree", "prune")


def _lock_reason(pid: int) -> str:
    return f"guestbook diff (pid {pid} on {socket.gethostname()})"


def _owner(reason: str) -> int | None:
    """The pid in a lock reason written by this machine's :func:`checkout`, else None."""
    match = re.fullmatch(r"guestbook diff \(pid (\d+) on (.+)\)", reason)
    if match is None or match[2] != socket.gethostname():
        return None
    return int(match[1])


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a dead run's pid, reused by this one: it has no worktree yet
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _remove_worktree(repo: Repository, tree: Path) -> None:
    done = _git(repo.root, "worktree", "remove", "--force", "--force", str(tree))
    if done.returncode != 0:
        # Never registered, or git failed half-way: delete the folder, forget the registration.
        shutil.rmtree(tree, ignore_errors=True)
        _git(repo.root, "worktree", "unlock", str(tree))
        _git(repo.root, "worktree", "prune")
