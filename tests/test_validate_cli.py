"""``guestbook validate`` as a user runs it: a real process, its output and exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "validate"
GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))


def guestbook(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GUESTBOOK, "validate", *args],
        cwd=cwd,
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


def test_missing_tools_exit_2_and_name_the_install_command(tmp_path: Path) -> None:
    # (PYTHONPATH kept: the code under test may come from it)
    env = {"PATH": "/usr/bin:/bin", "GUESTBOOK_TOOLS_DIR": str(tmp_path)}
    env |= {k: v for k, v in os.environ.items() if k == "PYTHONPATH"}
    run = guestbook("dist", env=env)
    assert run.returncode == 2
    assert "run `guestbook tools install`" in run.stderr
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


@pytest.mark.parametrize(
    ("version", "line"),
    [
        ("1.37.2", "warning [deprecated-api] ClusterTrustBundle/shop-roots: ClusterTrustBundle "
         "certificates.k8s.io/v1beta1 is deprecated in Kubernetes 1.37, removed in 1.40; "
         "use certificates.k8s.io/v1 ClusterTrustBundle"),
        ("1.36.3", None),
    ],
)  # fmt: skip
def test_an_api_the_target_deprecates_warns_without_failing(version: str, line: str | None) -> None:
    # Given a ClusterTrustBundle at certificates.k8s.io/v1beta1 (deprecated from 1.37)
    fixture = FIXTURES / "deprecated_api_version.yaml"
    # When validated against a target that deprecates it, and one that does not yet
    run = guestbook("--kubernetes-version", version, str(fixture))
    # Then both pass; only the first warns, at the apiVersion line, naming what replaces it
    assert run.returncode == 0, run.stdout + run.stderr
    warned = [text for text in run.stdout.splitlines() if "[deprecated-api]" in text]
    assert warned == ([f"{fixture}:2: {line}"] if line else [])


def test_quiet_lists_only_failing_findings_but_counts_the_rest() -> None:
    # Given dist/ (warnings but no errors), When validated quietly
    run = guestbook("--quiet")
    # Then only the summary is printed, and it says what was left out
    assert run.returncode == 0
    [line] = run.stdout.splitlines()
    assert line.startswith("ok: 0 errors, ")
    assert "below --fail-on not listed" in line


RULES_FIXTURES = Path(__file__).parent / "fixtures" / "rules"
SERVICE_WITHOUT_PODS = str(RULES_FIXTURES / "service_selecting_no_pod.yaml")


def test_a_reference_the_files_cannot_resolve_warns_unless_declared_complete() -> None:
    # Given a Service whose pods are not among the validated files
    # When it is validated alone, Then it cannot be verified: a warning, exit 0
    partial = guestbook(SERVICE_WITHOUT_PODS)
    assert partial.returncode == 0, partial.stdout
    assert "warning [service-selects-nothing]" in partial.stdout
    assert "cannot verify: not in the validated files" in partial.stdout
    # When the files are declared complete, Then it is an error, exit 1
    whole = guestbook("--complete", SERVICE_WITHOUT_PODS)
    assert whole.returncode == 1, whole.stdout
    assert "error [service-selects-nothing]" in whole.stdout


def test_explain_prints_what_why_and_how_to_fix() -> None:
    run = guestbook("--explain", "service-target-port-undeclared")
    assert run.returncode == 0
    lines = run.stdout.splitlines()
    assert lines[0] == "service-target-port-undeclared: layer 3, warning"
    assert [line.split(":")[0] for line in lines[1:4]] == ["checks", "severity", "fix"]


def test_explain_offers_a_skip_except_for_the_exception_rules() -> None:
    assert (
        "guestbook.validate/skip: 'image-tag: <reason>'"
        in guestbook("--explain", "image-tag").stdout
    )
    assert "skip it" not in guestbook("--explain", "exception-stale").stdout


def test_explain_of_an_unknown_rule_exits_2_with_the_closest() -> None:
    run = guestbook("--explain", "service-selects-nothin")
    assert run.returncode == 2
    assert "unknown rule 'service-selects-nothin'; did you mean 'service-selects-nothing'?" in (
        run.stderr
    )


def test_the_configuration_file_applies_and_flags_override_it(tmp_path: Path) -> None:
    # Given a folder declared complete in .guestbook-validate.yaml, failing on warnings
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "service.yaml").write_text(
        Path(SERVICE_WITHOUT_PODS).read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / ".guestbook-validate.yaml").write_text(
        "complete: [app]\nfail-on: warning\ndisable: [service-selects-nothing]\n",
        encoding="utf-8",
    )
    # When validated from that folder, Then the disabled rule says nothing, and the
    # configured fail-on fails on the remaining (layer 5) warnings
    configured = guestbook("app", cwd=tmp_path)
    assert configured.returncode == 1, configured.stdout + configured.stderr
    assert "service-selects-nothing" not in configured.stdout
    # When --fail-on is given, Then it overrides the file
    overridden = guestbook("--fail-on", "error", "app", cwd=tmp_path)
    assert overridden.returncode == 0, overridden.stdout


def test_complete_from_the_configuration_makes_the_reference_an_error(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "service.yaml").write_text(
        Path(SERVICE_WITHOUT_PODS).read_text(encoding="utf-8"), encoding="utf-8"
    )
    config = tmp_path / "validate.yaml"
    config.write_text("complete: [app]\n", encoding="utf-8")
    run = guestbook("--config", str(config), str(tmp_path / "app"))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "error [service-selects-nothing]" in run.stdout


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("complet: [app]\n", "complet: unknown key 'complet' (did you mean 'complete'?)"),
        (None, "no such configuration file"),
    ],
)
def test_configuration_mistakes_exit_2_with_one_message(
    tmp_path: Path, config: str | None, message: str
) -> None:
    path = tmp_path / ".guestbook-validate.yaml"
    if config is not None:
        path.write_text(config, encoding="utf-8")
    run = guestbook("--config", str(path), "dist")
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr
