"""The git repository Argo CD pulls from: a bare repository holding this project and its dist/.

A working clone is where the test plays the developer: edit an overlay, ``guestbook synth``,
commit, push. ``GUESTBOOK_REPO_URL`` points the rendered Applications at the bare
repository (``file://``), so dist/argocd/ is rendered exactly as a user would, only with
this repository's address.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

BRANCH = "main"
AUTHOR = {
    "GIT_AUTHOR_NAME": "e2e",
    "GIT_AUTHOR_EMAIL": "e2e@localhost",
    "GIT_COMMITTER_NAME": "e2e",
    "GIT_COMMITTER_EMAIL": "e2e@localhost",
}


def project_files(root: Path) -> list[Path]:
    """The project's files as git sees them: tracked plus untracked-not-ignored, no dist/."""
    out = subprocess.run(
        ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout
    names = [name for name in out.decode().split("\0") if name]
    return [Path(n) for n in names if not n.startswith("dist/") and (root / n).is_file()]


@dataclass(frozen=True)
class GitRepo:
    """``bare`` is what Argo CD reads; ``work`` is a clone to change and push from."""

    bare: Path
    work: Path
    guestbook: Path
    """The project's ``guestbook`` command."""

    @property
    def url(self) -> str:
        """The repoURL Argo CD uses."""
        return f"file://{self.bare}"

    def git(self, *args: str) -> str:
        """Run git in the working clone."""
        env = {**os.environ, **AUTHOR}
        proc = subprocess.run(
            ["git", "-C", str(self.work), *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed:\n{proc.stderr}")
        return proc.stdout.strip()

    def create(self, project: Path, extra: Mapping[str, str] | None = None) -> str:
        """Copy ``project`` into the clone, add the ``extra`` files (path to text), render
        dist/, commit, push; return the commit."""
        subprocess.run(
            ["git", "init", "--quiet", "--bare", "-b", BRANCH, str(self.bare)], check=True
        )
        self.work.mkdir(parents=True)
        for name in project_files(project):
            (self.work / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(project / name, self.work / name)
        for relative, text in (extra or {}).items():
            (self.work / relative).write_text(text, encoding="utf-8")
        self.git("init", "--quiet", "-b", BRANCH)
        self.git("remote", "add", "origin", self.url)
        self.synth()
        return self.commit_and_push("The project and its dist/, rendered for this repository")

    def synth(self) -> None:
        """``guestbook synth`` in the clone, with Argo CD pointed at the bare repository."""
        env = {**os.environ, "GUESTBOOK_REPO_URL": self.url, "GUESTBOOK_REVISION": BRANCH}
        proc = subprocess.run(
            [str(self.guestbook), "synth", "--quiet"],
            cwd=self.work,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"guestbook synth failed:\n{proc.stderr}")

    def commit_and_push(self, message: str) -> str:
        """Commit everything in the clone and push it; return the new commit."""
        self.git("add", "--all")
        self.git("commit", "--quiet", "-m", message)
        self.git("push", "--quiet", "origin", BRANCH)
        return self.git("rev-parse", "HEAD")
