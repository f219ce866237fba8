"""Real git repositories in a temp folder, for the diff tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import FIXTURES, ROOT, read_tree

_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


class Repo:
    """A git working tree the tests write to, commit in and inspect."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def init(cls, root: Path, branch: str = "main") -> Repo:
        root.mkdir(parents=True, exist_ok=True)
        repo = cls(root)
        repo.git("init", "--quiet", "-b", branch)
        return repo

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=self.root,
            env={**os.environ, **_IDENTITY},
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    def write(self, path: str, text: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def read(self, path: str) -> str:
        return (self.root / path).read_text()

    def commit(self, message: str = "change") -> str:
        self.git("add", "--all")
        self.git("commit", "--quiet", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def clone(self, dest: Path, *args: str) -> Repo:
        """A clone of this repository over file:// (so that ``--depth`` is honoured)."""
        Repo(dest.parent).git("clone", "--quiet", *args, self.root.as_uri(), str(dest))
        return Repo(dest)

    def worktrees(self) -> list[str]:
        return [
            line
            for line in self.git("worktree", "list", "--porcelain").splitlines()
            if line.startswith("worktree ")
        ]

    def snapshot(self) -> tuple[dict[str, bytes], bytes, list[str]]:
        """Every file outside .git, the index's bytes, and the worktree list."""
        files = {k: v for k, v in read_tree(self.root).items() if not k.startswith(".git/")}
        return files, (self.root / ".git" / "index").read_bytes(), self.worktrees()


def project_repo(root: Path, subfolder: str = ".") -> Repo:
    """A repository holding a copy of this project: its code, overlays and dist/, committed.

    The project lies in ``subfolder`` of the repository (a monorepo), by default at its root.
    """
    repo = Repo.init(root)
    project = root / subfolder
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "lib" / "guestbook", project / "lib" / "guestbook", ignore=ignore)
    for folder in ("environments", "dist"):
        shutil.copytree(ROOT / folder, project / folder)
    for file in ("main.py", "pyproject.toml"):
        shutil.copy(ROOT / file, project / file)
    repo.commit("the project")
    return repo


def static_repo(root: Path, manifests: dict[str, str], main: str = "static_main.py") -> Repo:
    """A small repository whose main.py publishes ``manifests`` (path under manifests/ → YAML).

    ``main`` is the stand-in main.py from tests/fixtures/diff/.
    """
    repo = Repo.init(root)
    shutil.copy(FIXTURES / "diff" / main, root / "main.py")
    for path, text in manifests.items():
        repo.write(f"manifests/{path}", text)
    repo.commit("static manifests")
    return repo
