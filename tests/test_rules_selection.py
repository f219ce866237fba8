"""Layer 3, objects selecting pods (guestbook.validate.rules.selection)."""

from __future__ import annotations

import pytest

from guestbook.validate.rules import run, selection
from tests.rules_fixtures import fixtures_for, load, only


@pytest.mark.parametrize("fixture", fixtures_for(selection.RULES))
def test_broken_manifest_triggers_only_its_rule(fixture: str) -> None:
    # Given a manifest broken in the one way its name says
    # When every rule runs
    got, want = only(fixture)
    # Then exactly the rules its header names fire
    assert got == want


def test_overlap_is_a_warning_reported_once_per_pair() -> None:
    # Given upstream's two Redis Deployments, both selecting app=redis
    findings = [
        f for f in run(load("upstream_tutorial")) if f.rule == "deployment-selector-overlap"
    ]
    # Then one warning names the pair
    [finding] = findings
    assert finding.severity.value == "warning"
    assert "redis-leader" in finding.message and "redis-follower" in finding.message


def test_overlap_one_way_says_which_deployment_matches_the_others_pods() -> None:
    # Given web selecting tier=front and web-canary also selecting track=canary, which the
    # pods of web do not carry
    findings = run(load("deployments_with_overlapping_selectors"))
    [finding] = [f for f in findings if f.rule == "deployment-selector-overlap"]
    # Then the warning is on web, says its selector matches web-canary's pods and not the
    # reverse, and points at the canary exception rather than only at recreating both
    assert finding.ref.name == "web"
    assert "also matches the pods of Deployment/web-canary" in finding.message
    assert "does not match the pods of Deployment/web" in finding.message
    assert "each may" not in finding.message
    assert "canary" in finding.hint


def test_target_port_message_lists_what_the_pods_declare() -> None:
    # Given a Service targeting port 80 on pods that declare http=8080
    [finding] = [
        f for f in run(load("service_target_port_not_declared")) if f.rule.startswith("service")
    ]
    # Then the message says what was targeted and what exists
    assert "80/TCP" in finding.message and "http=8080/TCP" in finding.message
