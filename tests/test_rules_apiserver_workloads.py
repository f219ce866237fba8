"""Layer 2, workloads (guestbook.validate.rules.apiserver.workloads)."""

from __future__ import annotations

import pytest

from guestbook.validate.rules import run
from guestbook.validate.rules.apiserver import workloads
from guestbook.validate.rules.apiserver.workloads import int_or_percent
from tests.rules_fixtures import deployment, fired, fixtures_for, only


@pytest.mark.parametrize("fixture", fixtures_for(workloads.RULES))
def test_broken_manifest_triggers_only_its_rule(fixture: str) -> None:
    # Given a manifest broken in the one way its name says
    # When every rule runs
    got, want = only(fixture)
    # Then exactly the rules its header names fire
    assert got == want


@pytest.mark.parametrize(
    ("strategy", "fires"),
    [
        ({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}, False),
        ({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "0%"}}, False),  # 25% unavailable
        ({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "150%"}}, True),
        ({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "one"}}, True),
        ({"type": "Recreate"}, False),
        ({"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}, True),
    ],
)
def test_rolling_update_parameters(strategy: dict[str, object], fires: bool) -> None:
    # Given a Deployment with this strategy
    doc = deployment({"containers": [{"name": "web", "image": "nginx:1.27"}]})
    doc.obj["spec"]["strategy"] = strategy  # type: ignore[index]
    # When the rules run, Then rolling-update fires exactly when the API server would reject it
    assert ("rolling-update" in fired(run([doc]))) is fires


def test_int_or_percent() -> None:
    assert int_or_percent(3) == (3, False)
    assert int_or_percent("25%") == (25, True)
    assert int_or_percent("25") is None
    assert int_or_percent(-1) is None
    assert int_or_percent(True) is None
