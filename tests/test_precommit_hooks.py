"""The pre-commit hooks in .pre-commit-hooks.yaml, run by the real pre-commit.

The ``guestbook-validate-system`` hook runs through ``pre-commit try-repo`` on
a scratch repository (offline: it uses the ``guestbook`` installed beside this
Python). ``guestbook-validate`` is the same hook with ``language: python``:
pre-commit installs this package into its own environment from PyPI, which a
test must not depend on, so its definition is checked here against the system
hook and by pre-commit's own manifest check.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parent.parent
HOOKS = ROOT / ".pre-commit-hooks.yaml"

VALID = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  greeting: hello
"""
# Another ConfigMap, with a field misspelt at the top level: the schema layer rejects it.
BROKEN = VALID.replace("settings", "other-settings") + "binaryDat: {}\n"


def _pre_commit(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        # guestbook from this Python's environment first, as a project venv puts it
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A git repository with a valid and a broken manifest, committed."""
    repo = tmp_path / "repo"
    (repo / "manifests").mkdir(parents=True)
    (repo / "manifests" / "valid.yaml").write_text(VALID)
    (repo / "manifests" / "broken.yaml").write_text(BROKEN)
    (repo / "README.md").write_text("not a manifest\n")
    for command in (
        ["git", "init", "-q"],
        ["git", "add", "."],
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "init"],
    ):
        subprocess.run(command, cwd=repo, check=True, capture_output=True)
    return repo


def _try_system_hook(
    scratch: Path, tmp_path: Path, *selection: str
) -> subprocess.CompletedProcess[str]:
    """``pre-commit try-repo`` of this checkout's system hook in ``scratch`` on ``selection``."""
    return _pre_commit(
        "try-repo",
        str(ROOT),
        "guestbook-validate-system",
        *selection,
        cwd=scratch,
        home=tmp_path / "home",
    )


def _hooks() -> dict[str, dict[str, Any]]:
    hooks: list[dict[str, Any]] = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    return {hook["id"]: hook for hook in hooks}


def test_pre_commit_accepts_the_hooks_manifest(tmp_path: Path) -> None:
    # When pre-commit checks .pre-commit-hooks.yaml
    run = _pre_commit("validate-manifest", str(HOOKS), cwd=ROOT, home=tmp_path)
    # Then it finds nothing wrong
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_python_hook_is_the_system_hook_installed_by_pre_commit() -> None:
    # Given both hooks
    hooks = _hooks()
    python, system = hooks["guestbook-validate"], hooks["guestbook-validate-system"]
    # Then they differ only in how guestbook is found, and in their names
    differing = {key for key in python.keys() | system.keys() if python.get(key) != system.get(key)}
    assert differing == {"id", "name", "description", "language"}
    assert (python["language"], system["language"]) == ("python", "system")
    # And the entry is the console script this package installs
    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert python["entry"] == "guestbook validate"
    assert 'guestbook = "guestbook.entry:main"' in project


def test_the_hook_passes_a_valid_manifest(scratch: Path, tmp_path: Path) -> None:
    # When the hook runs on the valid manifest (and a file that is no manifest)
    run = _try_system_hook(scratch, tmp_path, "--files", "manifests/valid.yaml", "README.md")
    # Then it passes
    assert run.returncode == 0, run.stdout + run.stderr
    assert "guestbook validate (installed)" in run.stdout
    assert "Passed" in run.stdout


def test_the_hook_fails_a_broken_manifest_naming_file_line_and_rule(
    scratch: Path, tmp_path: Path
) -> None:
    # When the hook runs on every file of the repository
    run = _try_system_hook(scratch, tmp_path, "--all-files")
    # Then it fails on the broken manifest alone, with guestbook's finding
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Failed" in run.stdout
    assert "manifests/broken.yaml:7: error [schema] ConfigMap/other-settings" in run.stdout
    assert "FAILED: 1 error, 0 warnings in 2 objects (2 files)" in run.stdout


def test_the_documented_config_is_valid_and_uses_the_hooks(tmp_path: Path) -> None:
    # Given the example .pre-commit-config.yaml of the README
    example = ROOT / "docs" / "examples" / "pre-commit-config.yaml"
    # When pre-commit checks it, Then it is valid (and names no moving revision)
    run = _pre_commit("validate-config", str(example), cwd=ROOT, home=tmp_path)
    assert (run.returncode, run.stdout) == (0, ""), run.stderr
    # And each hook it names (commented ones too) is one of ours
    named = re.findall(r"- id: ([\w-]+)", example.read_text(encoding="utf-8"))
    assert named and set(named) <= set(_hooks())
