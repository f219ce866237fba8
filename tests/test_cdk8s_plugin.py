"""The cdk8s validation plugin (lib/guestbook/cdk8s-plugin) through the real, pinned cdk8s CLI.

Each test is a scratch cdk8s project: a real cdk8s (Python) app and a cdk8s.yaml that
declares the plugin under ``validations:``; ``cdk8s synth`` runs the app, then the plugin.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parent.parent
PLUGIN = ROOT / "lib" / "guestbook" / "cdk8s-plugin"
CDK8S = ROOT / "node_modules" / ".bin" / "cdk8s"
GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))

APP = """\
import sys

from cdk8s import ApiObject, App, Chart, JsonPatch

app = App()
chart = Chart(app, "web") if sys.argv[1:] != ["empty"] else None
if chart is not None:
    ApiObject(chart, "settings", api_version="v1", kind="ConfigMap", metadata={"name": "settings"})
if sys.argv[1:] == ["broken"]:
    # A Service selecting no pod, with a misspelt port field
    service = ApiObject(chart, "frontend", api_version="v1", kind="Service",
                        metadata={"name": "frontend"})
    service.add_json_patch(JsonPatch.add("/spec", {
        "selector": {"app": "frontend"},
        "ports": [{"port": 80, "protocl": "TCP"}],
    }))
if sys.argv[1:] == ["warned"]:
    # A Deployment without probes, requests or limits: warnings only
    labels = {"app": "web"}
    web = ApiObject(chart, "web", api_version="apps/v1", kind="Deployment",
                    metadata={"name": "web"})
    web.add_json_patch(JsonPatch.add("/spec", {
        "selector": {"matchLabels": labels},
        "template": {"metadata": {"labels": labels},
                     "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}},
    }))
app.synth()
"""


def _synth(tmp_path: Path, chart: str, **properties: Any) -> tuple[int, str, dict[str, Any]]:
    """``cdk8s synth`` of the ``chart`` app with the plugin; exit code, output and report."""
    project = tmp_path / "project"
    project.mkdir(parents=True, exist_ok=True)
    (project / "app.py").write_text(APP)
    config = {
        "language": "python",
        "app": f"{sys.executable} app.py {chart}",
        "output": "dist",
        "validations": [
            {
                "package": str(PLUGIN),
                "version": "0.1.0",
                "class": "GuestbookValidation",
                "properties": {"command": GUESTBOOK} | properties,
            }
        ],
    }
    (project / "cdk8s.yaml").write_text(json.dumps(config))  # JSON is YAML
    run = subprocess.run(
        [str(CDK8S), "synth", "--no-check-upgrade", "--validation-reports-output-file", "r.json"],
        cwd=project,
        # `guestbook` from this Python's environment first, for a plugin told to find it on PATH
        env={**os.environ, "PATH": f"{Path(GUESTBOOK).parent}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    reports = project / "r.json"
    report = json.loads(reports.read_text())["reports"][0] if reports.exists() else {}
    return run.returncode, run.stdout + run.stderr, report


def test_a_violating_chart_fails_synth_with_guestbook_rule_ids(tmp_path: Path) -> None:
    # Given a chart whose Service selects nothing and misspells a port field
    # When cdk8s synth runs with the plugin
    code, output, report = _synth(tmp_path, "broken")
    # Then synth fails (cdk8s exits 2 on a failed validation) and says why
    assert code == 2, output
    assert "Validation failed" in output
    assert report["summary"]["status"] == "failure"
    # And each finding is a violation named by its rule id, at its construct, file and line
    violations = {v["ruleName"]: v for v in report["violations"]}
    assert set(violations) == {"schema", "service-selects-nothing"}
    [where] = violations["schema"]["violatingConstructs"]
    assert where == {
        "resourceName": "frontend",
        "manifestPath": "dist/web.k8s.yaml",
        "locations": [where["locations"][0]],
        "constructPath": "web/frontend",
    }
    assert where["locations"][0].startswith("line ")
    assert "unknown field 'spec.ports[0].protocl'" in violations["schema"]["recommendation"]
    assert violations["schema"]["fix"] == "did you mean 'protocol'?"
    assert report["summary"]["metadata"]["errors"] == "2"


def test_an_app_declared_incomplete_only_warns_about_what_lives_elsewhere(tmp_path: Path) -> None:
    # Given the same chart, with the plugin told the app is not the whole application
    # When cdk8s synth runs
    code, output, report = _synth(tmp_path, "broken", complete=False)
    # Then the Service that selects nothing is a warning (counted), the schema error still fails
    assert code == 2, output
    assert {v["ruleName"] for v in report["violations"]} == {"schema"}
    assert report["summary"]["metadata"]["errors"] == "1"


def test_a_clean_chart_passes(tmp_path: Path) -> None:
    # Given a chart of one ConfigMap, When cdk8s synth runs with the plugin for 1.35.4
    code, output, report = _synth(tmp_path, "clean", kubernetesVersion="1.35.4")
    # Then synth succeeds with a successful report and no violation
    assert code == 0, output
    assert "Validations ended succesfully" in output  # sic, cdk8s-cli's spelling
    assert report["summary"]["status"] == "success"
    assert report["summary"]["metadata"]["kubernetesVersion"] == "1.35.4"
    assert report["violations"] == []


def test_an_app_without_manifests_validates_nothing(tmp_path: Path) -> None:
    # Given an app that synthesizes no manifest, and a dist/ folder of a broken one beside it
    (tmp_path / "project" / "dist").mkdir(parents=True)
    (tmp_path / "project" / "dist" / "stale.yaml").write_text("kind: Nonsense\n")
    # When cdk8s synth runs with the plugin
    code, output, report = _synth(tmp_path, "empty")
    # Then the plugin validates nothing (not guestbook's default folder) and passes
    assert code == 0, output
    assert report["summary"] == {
        "status": "success",
        "plugin": str(PLUGIN),
        "version": "0.1.0",
        "metadata": {"objects": "0"},
    }


def test_when_guestbook_cannot_run_synth_fails_with_its_message(tmp_path: Path) -> None:
    # Given an unsupported Kubernetes version, When cdk8s synth runs with the plugin
    code, output, report = _synth(tmp_path, "clean", kubernetesVersion="1.20.0")
    # Then synth fails with guestbook's own message in the report
    assert code == 2, output
    assert report["summary"]["status"] == "failure"
    assert "Kubernetes 1.20.0 is not supported" in report["summary"]["metadata"]["error"]


def test_warnings_are_counted_and_listed_only_when_they_fail(tmp_path: Path) -> None:
    # Given a chart with warnings only
    # When cdk8s synth runs with the plugin failing on errors
    code, output, report = _synth(tmp_path / "errors", "warned")
    # Then synth succeeds, the warnings counted but not listed
    assert code == 0, output
    metadata = report["summary"]["metadata"]
    warnings = int(metadata["warnings"])
    assert warnings > 0
    assert (metadata["errors"], metadata["notListed"]) == ("0", f"{warnings} below failOn")
    assert report["violations"] == []
    # When it fails on warnings, Then synth fails and lists each of them
    code, output, report = _synth(tmp_path / "warnings", "warned", failOn="warning")
    assert code == 2, output
    assert len(report["violations"]) == warnings
    assert "readiness-probe-missing" in {v["ruleName"] for v in report["violations"]}
    assert report["violations"][0]["recommendation"].startswith("warning: Deployment/web: ")


@pytest.mark.parametrize(
    "properties, message",
    [
        ({"failOn": "info"}, 'failOn is "info"; expected error or warning'),
        ({"kubernetes_version": "1.34.3"}, "unknown properties kubernetes_version"),
    ],
)
def test_bad_properties_stop_synth_with_a_message(
    tmp_path: Path, properties: dict[str, str], message: str
) -> None:
    # When cdk8s synth runs with a misconfigured plugin
    code, output, _ = _synth(tmp_path, "clean", **properties)
    # Then it stops, naming the property
    assert code != 0
    assert message in output


def test_the_documented_cdk8s_yaml_configures_the_plugin(tmp_path: Path) -> None:
    # Given the example cdk8s.yaml of the README, its plugin path pointed at this checkout
    example = yaml.safe_load((ROOT / "docs" / "examples" / "cdk8s.yaml").read_text())
    [validation] = example["validations"]
    assert validation["package"].endswith("/lib/guestbook/cdk8s-plugin")
    package = json.loads((PLUGIN / "package.json").read_text())
    assert validation["version"] == package["version"]
    # When the pinned cdk8s CLI synthesizes a clean chart with those properties
    code, output, report = _synth(tmp_path, "clean", **validation["properties"])
    # Then the plugin is constructed with them and passes
    assert code == 0, output
    assert report["summary"]["metadata"]["failOn"] == validation["properties"]["failOn"]
