"""Layer 5, good practice (guestbook.validate.rules.policy)."""

from __future__ import annotations

import pytest

from guestbook.validate.model import Severity
from guestbook.validate.rules import policy, run
from tests.rules_fixtures import ALL_LAYERS, fixtures_for, load_situation, only


@pytest.mark.parametrize("fixture", fixtures_for(policy.RULES))
def test_lacking_manifest_triggers_only_its_warning(fixture: str) -> None:
    # Given an otherwise hardened workload lacking the one thing its name says
    # When every rule runs
    got, want = only(fixture, ALL_LAYERS)
    # Then exactly that warning fires, and no other rule of any layer
    assert got == want


@pytest.mark.parametrize("fixture", ["hardened_workload", "replicated_deployment_with_pdb"])
def test_hardened_workloads_are_clean_of_every_layer(fixture: str) -> None:
    got, want = only(fixture, ALL_LAYERS)
    assert got == want == frozenset()


def test_policy_findings_are_warnings() -> None:
    findings = run(load_situation("rwo_claim_with_rolling_update"))
    assert findings and all(f.severity is Severity.WARNING for f in findings)


def test_recreate_strategy_makes_a_read_write_once_claim_fine() -> None:
    # Given the RWO fixture, switched to the Recreate strategy
    documents = load_situation("rwo_claim_with_rolling_update")
    deployment = next(d for d in documents if d.ref.kind == "Deployment")
    deployment.obj["spec"]["strategy"] = {"type": "Recreate"}  # type: ignore[index]
    # When the rules run, Then nothing fires
    assert run(documents) == []
