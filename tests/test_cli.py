"""The `guestbook` command as a user runs it: exit codes, messages, and dist/ kept safe."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT, read_tree

GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))
QUIET_NODE = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JSII_SILENCE")}
    return subprocess.run(
        [GUESTBOOK, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_synth_renders_every_environment_and_prints_a_summary(project: Path) -> None:
    shutil.rmtree(project / "dist")
    result = _run("synth", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "4 environments (dev, prod, staging, tutorial) into dist/" in result.stdout
    assert read_tree(project / "dist") == read_tree(ROOT / "dist")


def test_synth_prints_no_node_end_of_life_banner(project: Path) -> None:
    # Given no JSII silencing in the user's environment, Then jsii's banner never shows
    result = _run("synth", "--quiet", cwd=project)
    assert result.returncode == 0
    assert result.stdout == ""
    assert "end-of-life" not in result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize(
    "fixture",
    sorted(p.name for p in (FIXTURES / "overlays").glob("*.yaml")),
)
def test_bad_overlay_exits_2_with_one_message_and_leaves_dist_untouched(
    project: Path, fixture: str
) -> None:
    # Given a committed dist/ and a broken prod overlay
    before = read_tree(project / "dist")
    shutil.copy(FIXTURES / "overlays" / fixture, project / "environments" / "prod.yaml")
    # When synth runs
    result = _run("synth", cwd=project)
    # Then it exits 2, names the file, shows no traceback, and dist/ is byte-identical
    assert result.returncode == 2
    assert result.stderr.startswith("error: environments/prod.yaml:")
    assert "Traceback" not in result.stderr
    assert read_tree(project / "dist") == before


def test_unknown_environment_exits_2(project: Path) -> None:
    result = _run("synth", "--env", "qa", cwd=project)
    assert result.returncode == 2
    assert "no overlay for environment 'qa'" in result.stderr


def test_unknown_option_is_a_usage_error(project: Path) -> None:
    result = _run("synth", "--no-such-option", cwd=project)
    assert result.returncode == 2
    assert "No such option" in result.stderr


def test_main_py_reports_bad_config_like_the_cli(project: Path) -> None:
    shutil.copy(ROOT / "main.py", project / "main.py")
    shutil.copy(FIXTURES / "overlays" / "unknown_key.yaml", project / "environments" / "dev.yaml")
    before = read_tree(project / "dist")
    result = subprocess.run(
        [sys.executable, "main.py"],
        cwd=project,
        capture_output=True,
        text=True,
        env=QUIET_NODE,
        check=False,
    )
    assert result.returncode == 2
    assert "frontend.replica: unknown key" in result.stderr
    assert "Traceback" not in result.stderr
    assert read_tree(project / "dist") == before


def test_help_lists_the_commands() -> None:
    result = subprocess.run([GUESTBOOK, "--help"], capture_output=True, text=True, check=True)
    for command in ("synth", "schema"):
        assert command in result.stdout


def test_version_names_the_package_and_the_kubernetes_target() -> None:
    from guestbook.kubernetes import KUBERNETES_VERSION

    result = subprocess.run(
        [GUESTBOOK, "--version"], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout == f"guestbook 0.1.0 (Kubernetes {KUBERNETES_VERSION})\n"


@pytest.mark.parametrize("command", ["synth", "validate", "diff"])
def test_help_names_the_command_as_users_type_it(project: Path, command: str) -> None:
    # Given synth re-runs itself under `python -O` / When asking any command for help
    result = _run(command, "--help", cwd=project)
    # Then the usage line names `guestbook`, not the interpreter
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Usage: guestbook {command} [OPTIONS]")
