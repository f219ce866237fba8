"""Layer 2, selectors (guestbook.validate.rules.apiserver.selectors)."""

from __future__ import annotations

import pytest

from guestbook.validate.rules import run
from guestbook.validate.rules.apiserver import selectors
from tests.rules_fixtures import deployment, document, fired, fixtures_for, only


@pytest.mark.parametrize("fixture", fixtures_for(selectors.RULES))
def test_broken_manifest_triggers_only_its_rule(fixture: str) -> None:
    # Given a manifest broken in the one way its name says
    # When every rule runs
    got, want = only(fixture)
    # Then exactly the rules its header names fire
    assert got == want


@pytest.mark.parametrize(
    ("expression", "valid"),
    [
        ({"key": "tier", "operator": "In", "values": ["frontend"]}, True),
        ({"key": "tier", "operator": "In", "values": []}, False),
        ({"key": "tier", "operator": "Exists"}, True),
        ({"key": "tier", "operator": "DoesNotExist", "values": ["x"]}, False),
        ({"key": "tier", "operator": "NotIn", "values": ["not a value"]}, False),
        ({"key": "bad key", "operator": "Exists"}, False),
    ],
)
def test_match_expressions_follow_the_api_rules(expression: dict[str, object], valid: bool) -> None:
    # Given a PodDisruptionBudget with one match expression
    pdb = document(
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"maxUnavailable": 1, "selector": {"matchExpressions": [expression]}},
        }
    )
    # When the rules run, Then label-selector fires exactly for invalid expressions
    assert ("label-selector" in fired(run([pdb]))) is not valid


def test_selectors_inside_pod_specs_are_checked() -> None:
    # Given a pod whose topology spread selector has an invalid key
    doc = deployment(
        {
            "containers": [{"name": "web", "image": "nginx:1.27"}],
            "topologySpreadConstraints": [
                {
                    "maxSkew": 1,
                    "topologyKey": "kubernetes.io/hostname",
                    "whenUnsatisfiable": "DoNotSchedule",
                    "labelSelector": {"matchLabels": {"app/web/x": "web"}},
                }
            ],
        }
    )
    # When the rules run, Then the selector is reported
    assert fired(run([doc])) == {"label-selector"}


def test_empty_workload_selector_is_rejected() -> None:
    # Given a Deployment whose selector is {}
    doc = deployment({"containers": [{"name": "web", "image": "nginx:1.27"}]})
    doc.obj["spec"]["selector"] = {}  # type: ignore[index]
    # When the rules run, Then selector-matches-template fires
    assert fired(run([doc])) == {"selector-matches-template"}


def test_job_with_manual_selector_matching_its_template_is_fine() -> None:
    # Given a Job that opts into a manual selector matching its pods
    job = document(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "migrate", "namespace": "shop"},
            "spec": {
                "manualSelector": True,
                "selector": {"matchLabels": {"job": "migrate"}},
                "template": {
                    "metadata": {"labels": {"job": "migrate"}},
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "m", "image": "busybox:1.36"}],
                    },
                },
            },
        }
    )
    # When the rules run, Then nothing fires
    assert fired(run([job])) == frozenset()
