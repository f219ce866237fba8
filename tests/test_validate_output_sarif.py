"""SARIF 2.1.0: valid against the official schema, stable ids, locations and fingerprints."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from guestbook.validate import Finding, ObjectRef, Report, Severity
from guestbook.validate.output import FORMATS
from guestbook.validate.rules import RULES

ROOT = Path(__file__).parent.parent
SCHEMA = Path(__file__).parent / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"
FIXTURES = Path(__file__).parent / "fixtures" / "validate"
GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))

ERROR = Finding(
    rule="service-selects-nothing",
    severity=Severity.ERROR,
    message="selector app=frontnd matches no pod template in guestbook-dev",
    path=Path("dist/dev/service-frontend.yaml"),
    line=9,
    ref=ObjectRef("Service", "guestbook-dev", "frontend"),
    hint="did you mean app=frontend?",
)
WARNING = Finding(
    rule="readiness-probe-missing",
    severity=Severity.WARNING,
    message="container php-redis has no readinessProbe",
    path=Path("dist/dev/deployment-frontend.yaml"),
    line=21,
    ref=ObjectRef("Deployment", "guestbook-dev", "frontend"),
)
REPORT = Report(findings=(WARNING, ERROR), files=2, documents=2, kubernetes_version="1.34.3")
CLEAN = Report(findings=(), files=1, documents=1, kubernetes_version="1.34.3")


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _sarif(report: Report, fail_on: Severity = Severity.ERROR) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(FORMATS["sarif"](report, fail_on))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(log)]
    assert errors == []
    return log


def _results(report: Report) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = _sarif(report)["runs"][0]["results"]
    return results


def test_the_schema_fixture_rejects_what_sarif_forbids() -> None:
    # Given a log without the required version and a result with an unknown level
    broken = {"runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"level": "fatal"}]}]}
    # Then the schema the other tests rely on finds both
    messages = [e.message for e in _validator().iter_errors(broken)]
    assert any("'version' is a required property" in m for m in messages)
    assert any("'fatal' is not one of" in m for m in messages)


def test_a_clean_report_is_valid_sarif_with_an_empty_results_array() -> None:
    # Given a report without findings, When written as SARIF
    log = _sarif(CLEAN)
    # Then it is one run of guestbook validate whose results are present and empty
    assert log["version"] == "2.1.0"
    [run] = log["runs"]
    assert run["tool"]["driver"]["name"] == "guestbook validate"
    assert run["results"] == []
    assert run["properties"] == {"kubernetesVersion": "1.34.3", "failOn": "error", "failed": False}


def test_every_registered_rule_is_described_with_its_default_level() -> None:
    # Given a clean report, When written as SARIF
    rules = _sarif(CLEAN)["runs"][0]["tool"]["driver"]["rules"]
    by_id = {rule["id"]: rule for rule in rules}
    # Then every rule of the registry is there, described from the registry
    for rule in RULES:
        described = by_id[rule.id]
        assert (
            described["shortDescription"]["text"].lower().startswith(rule.description[:20].lower())
        )
        assert rule.description in described["help"]["text"]
        assert described["defaultConfiguration"]["level"] == rule.severity.value
        assert described["properties"]["layer"] == int(rule.layer)
    # And so are the layers outside it (YAML, schema, API server)
    assert {"yaml", "schema", "api-version", "schema-missing", "server"} <= set(by_id)
    assert len(by_id) == len(rules)


def test_results_point_at_their_rule_file_line_and_object() -> None:
    # Given a report with a warning and an error, When written as SARIF
    log = _sarif(REPORT)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    warning, error = log["runs"][0]["results"]
    # Then each result names its rule by id and by index into the rules
    assert error["ruleId"] == "service-selects-nothing"
    assert rules[error["ruleIndex"]]["id"] == "service-selects-nothing"
    assert rules[warning["ruleIndex"]]["id"] == "readiness-probe-missing"
    # And levels follow severities
    assert (error["level"], warning["level"]) == ("error", "warning")
    # And the message carries the hint when there is one
    assert error["message"]["text"] == (
        "selector app=frontnd matches no pod template in guestbook-dev\n"
        "hint: did you mean app=frontend?"
    )
    assert warning["message"]["text"] == "container php-redis has no readinessProbe"
    # And the location is the file relative to %SRCROOT%, the line, and the object
    [location] = error["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "dist/dev/service-frontend.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 9},
    }
    assert location["logicalLocations"] == [
        {
            "name": "frontend",
            "fullyQualifiedName": "Service/guestbook-dev/frontend",
            "kind": "resource",
        }
    ]


def test_paths_become_uris() -> None:
    # Given findings in a file whose name has URI delimiters, and in an absolute path
    spaced = replace(ERROR, path=Path("manifests/my app#1?%.yaml"))
    absolute = replace(ERROR, path=Path("/srv/manifests/app.yaml"))
    # When written as SARIF
    spaced_result, absolute_result = _results(replace(REPORT, findings=(spaced, absolute)))
    # Then the relative one is percent-encoded under %SRCROOT%, the absolute one a file URI
    assert spaced_result["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "manifests/my%20app%231%3F%25.yaml",
        "uriBaseId": "%SRCROOT%",
    }
    assert absolute_result["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "file:///srv/manifests/app.yaml"
    }


def test_fingerprints_survive_moved_lines_and_tell_findings_apart() -> None:
    # Given the same finding on another line, a different finding, and a repeated finding
    moved = replace(ERROR, line=40)
    other = replace(ERROR, message="selector app=redis matches no pod template")

    def fingerprint(*findings: Finding) -> list[str]:
        results = _results(replace(REPORT, findings=findings))
        return [r["partialFingerprints"]["guestbookFinding/v1"] for r in results]

    [original] = fingerprint(ERROR)
    # Then a moved finding keeps its fingerprint, a different one gets another
    assert fingerprint(moved) == [original]
    assert fingerprint(other) != [original]
    # And the same finding twice in one file gets two fingerprints
    first, second = fingerprint(ERROR, moved)
    assert first == original
    assert second != original


def test_a_rule_id_no_table_knows_still_gets_a_rule_entry() -> None:
    # Given a finding of a rule that is in no registry
    stray = replace(ERROR, rule="made-up-rule")
    # When written as SARIF (the schema check runs inside _sarif)
    log = _sarif(replace(REPORT, findings=(stray,)))
    # Then its ruleIndex points at an entry with its id
    [result] = log["runs"][0]["results"]
    assert log["runs"][0]["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "made-up-rule"


def test_guestbook_validate_format_sarif_on_a_broken_manifest() -> None:
    # Given a manifest with an unknown field
    fixture = (FIXTURES / "unknown_field.yaml").relative_to(ROOT)
    # When `guestbook validate --format sarif` runs from the repository root, twice
    runs = [
        subprocess.run(
            [GUESTBOOK, "validate", "--format", "sarif", str(fixture)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        for _ in range(2)
    ]
    # Then it exits 1 with the same valid SARIF log each time
    assert [run.returncode for run in runs] == [1, 1], runs[0].stderr
    assert runs[0].stdout == runs[1].stdout
    log = json.loads(runs[0].stdout)
    assert [e.message for e in _validator().iter_errors(log)] == []
    # And the unknown field is a result of rule schema at its file and line
    [schema] = [r for r in log["runs"][0]["results"] if r["ruleId"] == "schema"]
    assert schema["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": fixture.as_posix(), "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 10},
    }
