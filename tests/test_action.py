"""action.yml, the composite GitHub Action: its structure, actionlint, and its validate step.

GitHub runs the action; here actionlint checks the example workflow against
action.yml (inputs passed must be declared), the metadata is checked for what
actionlint does not look at, and the validate step's own script runs under
bash with the inputs GitHub would give it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from guestbook.kubernetes import KUBERNETES_VERSION

ROOT = Path(__file__).parent.parent
ACTION = ROOT / "action.yml"
EXAMPLE = ROOT / "docs" / "examples" / "validate-workflow.yml"
ACTIONLINT = ROOT / ".tools" / "bin" / "actionlint-v1.7.12"
FIXTURES = Path(__file__).parent / "fixtures" / "validate"


def _action() -> dict[str, Any]:
    action: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return action


def _actionlint(workflow: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """actionlint on ``workflow`` in a scratch repository whose root holds action.yml."""
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    shutil.copy(ACTION, repo / "action.yml")
    (repo / ".github" / "workflows" / "validate.yml").write_text(workflow)
    return subprocess.run(
        [str(ACTIONLINT), "-shellcheck=", "-pyflakes=", ".github/workflows/validate.yml"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def _local(workflow: str) -> str:
    """The example workflow, using the action from the repository root."""
    assert "uses: OWNER/guestbook-gitops@REF" in workflow
    return workflow.replace("OWNER/guestbook-gitops@REF", "./")


def test_the_example_workflow_is_actionlint_clean(tmp_path: Path) -> None:
    # Given the documented workflow, When actionlint checks it with the action beside it
    run = _actionlint(_local(EXAMPLE.read_text(encoding="utf-8")), tmp_path)
    # Then it finds nothing
    assert (run.returncode, run.stdout) == (0, "")


def test_actionlint_reads_the_action_inputs(tmp_path: Path) -> None:
    # Given the example passing an input the action does not declare
    workflow = _local(EXAMPLE.read_text(encoding="utf-8")).replace(
        "fail-on: error", "fail-on: error\n          failOn: error"
    )
    # When actionlint checks it, Then it names the input and the ones that exist
    run = _actionlint(workflow, tmp_path)
    assert run.returncode == 1
    assert 'input "failOn" is not defined in action "guestbook validate"' in run.stdout


def test_the_action_is_composite_and_every_input_is_declared_documented_and_used() -> None:
    # Given the action's metadata
    action = _action()
    inputs = action["inputs"]
    steps = action["runs"]["steps"]
    # Then it is a composite action whose run steps say their shell
    assert action["runs"]["using"] == "composite"
    assert all(step["shell"] == "bash" for step in steps if "run" in step)
    # And every action it uses is pinned to a version
    for step in steps:
        if "uses" in step:
            assert re.fullmatch(r"[\w-]+/[\w/-]+@v\d+\.\d+\.\d+", step["uses"]), step["uses"]
    # And every input has a description and a default, and is used by a step
    text = ACTION.read_text(encoding="utf-8")
    for name, spec in inputs.items():
        assert spec["description"] and "default" in spec, name
        assert f"${{{{ inputs.{name} }}}}" in text, name
    # And nothing refers to an input that does not exist
    assert set(re.findall(r"\binputs\.([\w-]+)", text)) == set(inputs)


def test_the_format_input_lists_the_registered_formats() -> None:
    # Given the formats guestbook validate offers
    from guestbook.validate.output import FORMATS

    # Then the action's format input documents each of them
    description = _action()["inputs"]["format"]["description"]
    assert all(re.search(rf"\b{name}\b", description) for name in FORMATS)


def _validate_step(tmp_path: Path, **inputs: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run the action's validate step like GitHub would, with ``inputs`` over the defaults."""
    action = _action()
    [step] = [s for s in action["runs"]["steps"] if s.get("id") == "validate"]
    values = {name: spec["default"] for name, spec in action["inputs"].items()} | inputs
    env = {
        key: re.sub(r"\$\{\{ inputs\.([\w-]+) \}\}", lambda m: values[m.group(1)], value)
        for key, value in step["env"].items()
    }
    github_output = tmp_path / "github_output"
    github_output.touch()
    run = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=ROOT,
        env={
            **os.environ,
            **env,
            "GITHUB_OUTPUT": str(github_output),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return run, github_output


def test_the_validate_step_annotates_findings_by_default(tmp_path: Path) -> None:
    # Given two manifest files given as the paths input, one per line
    folder = FIXTURES.relative_to(ROOT)
    paths = f"{folder}/unknown_field.yaml\n{folder}/valid_extras.yaml\n"
    # When the validate step runs with the defaults otherwise
    run, _ = _validate_step(tmp_path, paths=paths)
    # Then it fails with a workflow annotation at the unknown field, and both files were read
    assert run.returncode == 1, run.stderr
    assert "::error file=tests/fixtures/validate/unknown_field.yaml,line=10," in run.stdout
    assert f"(2 files), Kubernetes {KUBERNETES_VERSION}" in run.stdout


@pytest.mark.parametrize("fail_on", ["error", "warning"])
def test_the_validate_step_writes_sarif_to_the_output_file(tmp_path: Path, fail_on: str) -> None:
    # Given a manifest with an error, sarif format and an output file
    report = tmp_path / "guestbook.sarif"
    # When the validate step runs
    run, github_output = _validate_step(
        tmp_path,
        paths=str(FIXTURES.relative_to(ROOT) / "unknown_field.yaml"),
        format="sarif",
        output=str(report),
        **{"fail-on": fail_on, "kubernetes-version": "1.35.4"},
    )
    # Then the step fails, the report is SARIF for that version, and the step names it
    assert run.returncode == 1, run.stderr
    log = json.loads(report.read_text(encoding="utf-8"))
    assert log["runs"][0]["properties"]["kubernetesVersion"] == "1.35.4"
    assert log["runs"][0]["properties"]["failOn"] == fail_on
    assert github_output.read_text() == f"report={report}\n"


def test_the_validate_step_names_no_report_when_validate_cannot_run(tmp_path: Path) -> None:
    # Given a path that does not exist
    # When the validate step runs with an output file
    run, github_output = _validate_step(
        tmp_path, paths="no/such/folder", format="sarif", output=str(tmp_path / "r.sarif")
    )
    # Then it exits 2 with guestbook's message and names no report to upload
    assert run.returncode == 2
    assert "no/such/folder: no such file or folder" in run.stderr
    assert github_output.read_text() == ""


def test_globs_in_paths_are_taken_literally(tmp_path: Path) -> None:
    # Given a paths input with a glob character
    run, _ = _validate_step(tmp_path, paths="tests/fixtures/validate/*.yaml", format="text")
    # Then it is one literal path, which does not exist
    assert run.returncode == 2
    assert "tests/fixtures/validate/*.yaml: no such file or folder" in run.stderr
