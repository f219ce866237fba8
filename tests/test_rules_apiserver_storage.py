"""Layer 2, claims (guestbook.validate.rules.apiserver.storage)."""

from __future__ import annotations

import pytest

from guestbook.validate.rules import run
from guestbook.validate.rules.apiserver import storage
from tests.rules_fixtures import deployment, fired, fixtures_for, only


@pytest.mark.parametrize("fixture", fixtures_for(storage.RULES))
def test_broken_manifest_triggers_only_its_rule(fixture: str) -> None:
    # Given a manifest broken in the one way its name says
    # When every rule runs
    got, want = only(fixture)
    # Then exactly the rules its header names fire
    assert got == want


def test_ephemeral_volume_claims_are_checked() -> None:
    # Given a pod with a generic ephemeral volume whose claim requests nothing
    doc = deployment(
        {
            "containers": [{"name": "web", "image": "nginx:1.27"}],
            "volumes": [
                {
                    "name": "scratch",
                    "ephemeral": {
                        "volumeClaimTemplate": {"spec": {"accessModes": ["ReadWriteOnce"]}}
                    },
                }
            ],
        }
    )
    # When the rules run, Then pvc-storage-request fires
    assert fired(run([doc])) == {"pvc-storage-request"}


def test_read_write_once_pod_stands_alone() -> None:
    # Given an ephemeral claim mixing ReadWriteOncePod with another mode
    doc = deployment(
        {
            "containers": [{"name": "web", "image": "nginx:1.27"}],
            "volumes": [
                {
                    "name": "scratch",
                    "ephemeral": {
                        "volumeClaimTemplate": {
                            "spec": {
                                "accessModes": ["ReadWriteOncePod", "ReadOnlyMany"],
                                "resources": {"requests": {"storage": "1Gi"}},
                            }
                        }
                    },
                }
            ],
        }
    )
    # When the rules run, Then pvc-access-modes fires
    assert fired(run([doc])) == {"pvc-access-modes"}
