"""Layer 5, securityContext hardening (guestbook.validate.rules.hardening)."""

from __future__ import annotations

import pytest

from guestbook.validate.rules import hardening, run
from tests.rules_fixtures import ALL_LAYERS, fired, fixtures_for, load_situation, only


@pytest.mark.parametrize("fixture", fixtures_for(hardening.RULES))
def test_unhardened_container_triggers_only_its_warning(fixture: str) -> None:
    # Given an otherwise hardened workload lacking the one setting its name says
    # When every rule runs
    got, want = only(fixture, ALL_LAYERS)
    # Then exactly that warning fires
    assert got == want


def test_container_settings_override_the_pods() -> None:
    # Given a hardened workload whose container opts out of the pod's runAsNonRoot
    documents = load_situation("hardened_workload")
    deployment = next(d for d in documents if d.ref.kind == "Deployment")
    container = deployment.obj["spec"]["template"]["spec"]["containers"][0]  # type: ignore[index]
    container["securityContext"]["runAsNonRoot"] = False
    # When the rules run, Then run-as-non-root fires
    assert fired(run(documents), ALL_LAYERS) == {"run-as-non-root"}
    # And a non-zero runAsUser satisfies it again
    container["securityContext"]["runAsUser"] = 101
    assert fired(run(documents), ALL_LAYERS) == frozenset()
