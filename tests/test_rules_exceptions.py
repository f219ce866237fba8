"""Per-object exceptions: the skip annotation (guestbook.validate.rules.exceptions)."""

from __future__ import annotations

import pytest

from guestbook.validate.model import Severity
from guestbook.validate.rules import Layer, exceptions, run
from tests.rules_fixtures import document, expected, fired, fixtures_for, load, load_situation

LAYERS = (Layer.API_SERVER, Layer.REFERENCES, Layer.GUESTBOOK, Layer.EXCEPTIONS)
"""Layer 5 is left out: the fixtures are not hardened."""


@pytest.mark.parametrize("fixture", [*fixtures_for(exceptions.RULES), "exception_with_its_reason"])
def test_each_situation_reports_exactly_its_rules(fixture: str) -> None:
    # Given an object with a skip annotation, in the situation the fixture names
    # When every rule runs, Then exactly the rules its header names fire
    assert fired(run(load_situation(fixture)), LAYERS) == expected(fixture)


def test_a_skip_removes_only_its_rule_on_its_object() -> None:
    # Given two Services selecting nothing, one of them skipping the rule with a reason
    skipped = load("exception_with_its_reason")
    other = load("service_selecting_no_pod")
    # When the rules run over both
    findings = [f for f in run(skipped + other) if f.rule == "service-selects-nothing"]
    # Then only the other Service's finding remains
    assert [f.path.name for f in findings] == ["service_selecting_no_pod.yaml"]


def test_a_skip_of_an_unknown_rule_suggests_the_closest() -> None:
    doc = document(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": "c",
                "annotations": {exceptions.ANNOTATION: "image-tags: we build them ourselves"},
            },
        }
    )
    [finding] = [f for f in run([doc]) if f.rule == "exception-invalid"]
    assert "unknown rule 'image-tags'; did you mean 'image-tag'?" in finding.message
    assert finding.severity is Severity.ERROR


def test_a_skip_that_is_not_text_is_reported() -> None:
    doc = document(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "c", "annotations": {exceptions.ANNOTATION: ["image-tag"]}},
        }
    )
    assert "exception-invalid" in {f.rule for f in run([doc])}


def test_a_stale_skip_names_the_rule_and_its_reason() -> None:
    [finding] = [
        f for f in run(load("exception_that_matches_nothing")) if f.rule == "exception-stale"
    ]
    assert "service-selects-nothing (the pods used to live elsewhere)" in finding.message
    assert finding.line == 9
