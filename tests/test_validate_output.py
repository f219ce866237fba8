"""Report writers: the shape of each format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from guestbook.validate import Finding, ObjectRef, Report, Severity
from guestbook.validate.output import FORMATS

ERROR = Finding(
    rule="schema",
    severity=Severity.ERROR,
    message="unknown field 'spec.ports[0].protocl'",
    path=Path("dist/dev/service-frontend.yaml"),
    line=10,
    ref=ObjectRef("Service", "guestbook-dev", "frontend"),
    hint="did you mean 'protocol'?",
)
WARNING = Finding(
    rule="image-pinned",
    severity=Severity.WARNING,
    message="image has no tag, 100% unpinned",
    path=Path("dist/dev/deployment-frontend.yaml"),
    line=3,
    ref=ObjectRef("Deployment", "guestbook-dev", "frontend"),
)
REPORT = Report(
    findings=(WARNING, ERROR),
    files=3,
    documents=3,
    kubernetes_version="1.34.3",
    paths=(
        Path("dist/dev/deployment-frontend.yaml"),
        Path("dist/dev/service-frontend.yaml"),
        Path("dist/dev/service-redis.yaml"),
    ),
)
CLEAN = Report(findings=(), files=1, documents=1, kubernetes_version="1.34.3")


def test_text_is_one_line_per_finding_with_its_hint_and_a_summary() -> None:
    assert FORMATS["text"](REPORT, Severity.ERROR).splitlines() == [
        "dist/dev/deployment-frontend.yaml:3: warning [image-pinned] "
        "Deployment/guestbook-dev/frontend: image has no tag, 100% unpinned",
        "dist/dev/service-frontend.yaml:10: error [schema] "
        "Service/guestbook-dev/frontend: unknown field 'spec.ports[0].protocl'",
        "  hint: did you mean 'protocol'?",
        "FAILED: 1 error, 1 warning in 3 objects (3 files), Kubernetes 1.34.3",
    ]


def test_text_of_a_clean_run_is_just_the_summary() -> None:
    assert FORMATS["text"](CLEAN, Severity.ERROR) == (
        "ok: 0 errors, 0 warnings in 1 object (1 file), Kubernetes 1.34.3\n"
    )


def test_json_has_the_documented_stable_keys() -> None:
    data = json.loads(FORMATS["json"](REPORT, Severity.WARNING))
    assert set(data) == {"format", "kubernetesVersion", "failed", "failOn", "summary", "findings"}
    assert (data["format"], data["failed"], data["failOn"]) == (1, True, "warning")
    assert data["summary"] == {"files": 3, "objects": 3, "errors": 1, "warnings": 1}
    assert data["findings"][1] == {
        "file": "dist/dev/service-frontend.yaml",
        "line": 10,
        "severity": "error",
        "rule": "schema",
        "object": {"kind": "Service", "namespace": "guestbook-dev", "name": "frontend"},
        "message": "unknown field 'spec.ports[0].protocl'",
        "hint": "did you mean 'protocol'?",
    }


def test_junit_is_valid_xml_with_one_case_per_file() -> None:
    # Given warnings that do not fail the run
    root = ET.fromstring(FORMATS["junit"](REPORT, Severity.ERROR))
    suite = root.find("testsuite")
    assert suite is not None
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    # Then every file read is a case; only the one with an error fails
    assert list(cases) == [str(p) for p in REPORT.paths]
    assert (suite.get("tests"), suite.get("failures")) == ("3", "1")
    failure = cases["dist/dev/service-frontend.yaml"].find("failure")
    assert failure is not None and failure.get("type") == "schema"
    assert "did you mean 'protocol'?" in (failure.text or "")
    warning = cases["dist/dev/deployment-frontend.yaml"]
    assert warning.find("failure") is None
    assert "image has no tag" in (warning.findtext("system-out") or "")


def test_junit_fails_warnings_when_asked() -> None:
    root = ET.fromstring(FORMATS["junit"](REPORT, Severity.WARNING))
    assert root.get("failures") == "2"


def test_github_annotations_escape_their_data() -> None:
    lines = FORMATS["github"](REPORT, Severity.ERROR).splitlines()
    assert lines[0] == (
        "::warning file=dist/dev/deployment-frontend.yaml,line=3,"
        "title=image-pinned (Deployment/guestbook-dev/frontend)"
        "::image has no tag, 100%25 unpinned"
    )
    assert lines[1] == (
        "::error file=dist/dev/service-frontend.yaml,line=10,"
        "title=schema (Service/guestbook-dev/frontend)"
        "::unknown field 'spec.ports[0].protocl'%0Ahint: did you mean 'protocol'?"
    )
    assert lines[2].startswith("FAILED: 1 error, 1 warning")


def test_every_format_is_registered() -> None:
    assert list(FORMATS) == ["text", "json", "junit", "github", "sarif"]


def test_text_escapes_line_breaks_and_control_characters_in_names() -> None:
    # Given a finding whose file, object name, message and hint hold line breaks and escapes
    odd = Finding(
        rule="object-name",
        severity=Severity.ERROR,
        message="name 'a\nb' is bad\r",
        path=Path("dist/odd\nname.yaml"),
        line=4,
        ref=ObjectRef("ConfigMap", "shop", "a\nb\x1b[31m\u2028"),
        hint="rename\nit",
    )
    report = Report(findings=(odd,), files=1, documents=1, kubernetes_version="1.34.3")
    # When it is written as text
    lines = FORMATS["text"](report, Severity.ERROR).splitlines()
    # Then it stays one line plus its hint (and the summary), the characters shown escaped
    assert lines[:2] == [
        "dist/odd\\nname.yaml:4: error [object-name] ConfigMap/shop/a\\nb\\x1b[31m\\u2028: "
        "name 'a\\nb' is bad\\r",
        "  hint: rename\\nit",
    ]
    assert len(lines) == 3


HOSTILE = Finding(
    rule="object-name",
    severity=Severity.ERROR,
    message="name 'a\x1b[31mred\x00' is bad\x0b",
    path=Path("dist/odd\x07name.yaml"),
    line=4,
    ref=ObjectRef("ConfigMap", "shop", "a\x1b]0;title\x07\ufffe"),
    hint="rename\x08 it",
)
HOSTILE_REPORT = Report(
    findings=(HOSTILE,),
    files=1,
    documents=1,
    kubernetes_version="1.34.3",
    paths=(HOSTILE.path,),
)


def test_junit_stays_valid_xml_when_manifests_hold_control_characters() -> None:
    # Given a finding whose file, object name, message and hint hold characters XML 1.0 forbids
    # When it is written as JUnit
    document = FORMATS["junit"](HOSTILE_REPORT, Severity.ERROR)
    # Then a parser reads it, and each forbidden character is shown escaped
    root = ET.fromstring(document)
    [case] = root.iter("testcase")
    assert case.get("name") == "dist/odd\\x07name.yaml"
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "1 finding: name 'a\\x1b[31mred\\x00' is bad\\x0b"
    assert "ConfigMap/shop/a\\x1b]0;title\\x07\\ufffe" in (failure.text or "")
    assert "(hint: rename\\x08 it)" in (failure.text or "")


def test_github_annotations_pass_no_control_character_to_the_log() -> None:
    # Given the same finding, When it is written as workflow commands
    lines = FORMATS["github"](HOSTILE_REPORT, Severity.ERROR).splitlines()
    # Then escape sequences reach the log as text, never as bytes a terminal would obey
    assert lines[0] == (
        "::error file=dist/odd\\x07name.yaml,line=4,"
        "title=object-name (ConfigMap/shop/a\\x1b]0;title\\x07\ufffe)"
        "::name 'a\\x1b[31mred\\x00' is bad\\x0b%0Ahint: rename\\x08 it"
    )
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in "".join(lines))
