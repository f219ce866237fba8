"""Layer 2, NetworkPolicy syntax (guestbook.validate.rules.apiserver.network)."""

from __future__ import annotations

import pytest

from guestbook.validate.rules import run
from guestbook.validate.rules.apiserver import network
from tests.rules_fixtures import document, fired, fixtures_for, only


@pytest.mark.parametrize("fixture", fixtures_for(network.RULES))
def test_broken_manifest_triggers_only_its_rule(fixture: str) -> None:
    # Given a manifest broken in the one way its name says
    # When every rule runs
    got, want = only(fixture)
    # Then exactly the rules its header names fire
    assert got == want


@pytest.mark.parametrize(
    ("block", "valid"),
    [
        ({"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}, True),
        ({"cidr": "10.0.0.1/8"}, True),  # host bits are accepted, as by the API server
        ({"cidr": "2001:db8::/32", "except": ["2001:db8:1::/48"]}, True),
        ({"cidr": "10.0.0.0"}, False),
        ({"cidr": "10.0.0.0/8", "except": ["10.0.0.0/8"]}, False),  # not strictly inside
        ({"cidr": "10.0.0.0/8", "except": ["192.168.0.0/16"]}, False),
        ({"cidr": "10.0.0.0/8", "except": ["2001:db8::/32"]}, False),
    ],
)
def test_ip_blocks(block: dict[str, object], valid: bool) -> None:
    # Given a policy admitting this ipBlock
    doc = document(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "p", "namespace": "shop"},
            "spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": block}]}]},
        }
    )
    # When the rules run, Then network-policy-cidr fires exactly for invalid blocks
    assert ("network-policy-cidr" in fired(run([doc]))) is not valid


def test_named_ports_and_ranges_are_fine() -> None:
    # Given a policy with a named port and a numeric range
    doc = document(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "p", "namespace": "shop"},
            "spec": {
                "podSelector": {},
                "egress": [
                    {
                        "ports": [
                            {"port": "dns", "protocol": "UDP"},
                            {"port": 30000, "endPort": 32767},
                        ]
                    }
                ],
            },
        }
    )
    # When the rules run, Then nothing fires
    assert fired(run([doc])) == frozenset()
