"""Layer 3, named references from pods (guestbook.validate.rules.references)."""

from __future__ import annotations

import pytest

from guestbook.validate.rules import references, run
from tests.rules_fixtures import deployment, fixtures_for, load, only


@pytest.mark.parametrize("fixture", fixtures_for(references.RULES))
def test_broken_manifest_triggers_only_its_rule(fixture: str) -> None:
    # Given a manifest broken in the one way its name says
    # When every rule runs
    got, want = only(fixture)
    # Then exactly the rules its header names fire
    assert got == want


def test_optional_references_and_produced_secrets_are_fine() -> None:
    got, want = only("optional_references_not_rendered")
    assert got == want == frozenset()


def test_missing_key_names_the_key_and_points_at_the_reference() -> None:
    # Given an env var reading key colour of a ConfigMap that only has color
    [finding] = [
        f for f in run(load("env_key_missing_in_configmap")) if f.rule == "env-source-missing"
    ]
    # Then the finding names the key and points at the configMapKeyRef (line 24)
    assert "'colour'" in finding.message
    assert finding.line == 24


def test_missing_object_is_reported_once_even_with_items() -> None:
    # Given a volume projecting two keys of a ConfigMap that is not rendered
    doc = deployment(
        {
            "containers": [{"name": "web", "image": "nginx:1.27"}],
            "volumes": [
                {
                    "name": "conf",
                    "configMap": {
                        "name": "nginx-conf",
                        "items": [{"key": "a", "path": "a"}, {"key": "b", "path": "b"}],
                    },
                }
            ],
        }
    )
    # When the rules run
    findings = [f for f in run([doc]) if f.rule == "volume-source-missing"]
    # Then the missing ConfigMap is one finding
    assert len(findings) == 1
    assert "'nginx-conf'" in findings[0].message
