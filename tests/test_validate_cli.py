"""``guestbook validate`` as a user runs it: a real process, its output and exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "validate"
GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))


def guestbook(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GUESTBOOK, "validate", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def test_clean_manifests_exit_0_with_a_summary() -> None:
    # Given no path: dist/ is validated
    run = guestbook()
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[-1].startswith("ok: 0 errors, ")
    assert run.stderr == ""


def test_errors_exit_1_and_are_printed_with_file_and_line() -> None:
    run = guestbook(str(FIXTURES / "unknown_field.yaml"))
    assert run.returncode == 1
    assert "unknown_field.yaml:10: error [schema] Service/frontend:" in run.stdout
    assert run.stdout.splitlines()[-1].startswith("FAILED: ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kubernetes-version", "1.20.0"], "error: Kubernetes 1.20.0 is not supported"),
        (["no-such-folder"], "error: no-such-folder: no such file or folder"),
        (["--format", "xml"], "Invalid value for '--format'"),
        (["--fail-on", "info"], "Invalid value for '--fail-on'"),
    ],
)
def test_usage_problems_exit_2_with_one_message(args: list[str], message: str) -> None:
    run = guestbook(*args)
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr


def test_missing_setup_exits_2_and_says_make_setup(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "GUESTBOOK_TOOLS_DIR": str(tmp_path)}
    run = guestbook("dist", env=env)
    assert run.returncode == 2
    assert "make setup" in run.stderr
    assert "Traceback" not in run.stderr


def test_fail_on_warning_is_accepted_and_errors_still_fail() -> None:
    run = guestbook("--fail-on", "warning", str(FIXTURES / "wrong_type.yaml"))
    assert run.returncode == 1


def test_each_supported_version_and_format_runs() -> None:
    run = guestbook("--kubernetes-version", "1.35.4", "--format", "json", "dist")
    assert run.returncode == 0
    report = json.loads(run.stdout)
    assert (report["kubernetesVersion"], report["failed"]) == ("1.35.4", False)


@pytest.mark.parametrize("output_format", ["junit", "github"])
def test_machine_formats_report_the_failure(output_format: str) -> None:
    run = guestbook("--format", output_format, str(FIXTURES / "removed_api_version.yaml"))
    assert run.returncode == 1
    assert "extensions/v1beta1" in run.stdout


def test_quiet_lists_only_failing_findings_but_counts_the_rest() -> None:
    # Given dist/ (warnings but no errors), When validated quietly
    run = guestbook("--quiet")
    # Then only the summary is printed, and it says what was left out
    assert run.returncode == 0
    [line] = run.stdout.splitlines()
    assert line.startswith("ok: 0 errors, ")
    assert "below --fail-on not listed" in line
