"""NetworkPolicies: default-deny plus exactly the guestbook's flows."""

from __future__ import annotations

from typing import Any

import pytest

FRONTEND = {"app": "guestbook", "tier": "frontend"}
LEADER = {"app": "redis", "role": "leader", "tier": "backend"}
FOLLOWER = {"app": "redis", "role": "follower", "tier": "backend"}
DNS_PORTS = [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]
DNS_PEER = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}]
REDIS_PORT = [{"port": 6379, "protocol": "TCP"}]


@pytest.fixture
def policies(render_overlay: Any) -> dict[str, dict[str, Any]]:
    objects = render_overlay("networkPolicy:\n  enabled: true\n")
    return {name: obj["spec"] for (kind, name), obj in objects.items() if kind == "NetworkPolicy"}


def _pods(labels: dict[str, str]) -> dict[str, Any]:
    return {"podSelector": {"matchLabels": labels}}


def test_default_deny_isolates_every_pod_both_ways(policies: dict[str, Any]) -> None:
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_frontend_takes_clients_on_80_and_talks_only_to_redis_and_dns(
    policies: dict[str, Any],
) -> None:
    frontend = policies["frontend"]
    assert frontend["podSelector"] == {"matchLabels": FRONTEND}
    assert frontend["ingress"] == [{"ports": [{"port": 80, "protocol": "TCP"}]}]
    assert frontend["egress"] == [
        {"to": [_pods(LEADER), _pods(FOLLOWER)], "ports": REDIS_PORT},
        {"to": DNS_PEER, "ports": DNS_PORTS},
    ]


def test_leader_takes_frontend_and_followers_and_sends_nothing(policies: dict[str, Any]) -> None:
    leader = policies["redis-leader"]
    assert leader["ingress"] == [{"from": [_pods(FRONTEND), _pods(FOLLOWER)], "ports": REDIS_PORT}]
    assert "egress" not in leader
    assert leader["policyTypes"] == ["Ingress", "Egress"]


def test_followers_take_frontend_and_reach_leader_and_dns(policies: dict[str, Any]) -> None:
    follower = policies["redis-follower"]
    assert follower["ingress"] == [{"from": [_pods(FRONTEND)], "ports": REDIS_PORT}]
    assert follower["egress"] == [
        {"to": [_pods(LEADER)], "ports": REDIS_PORT},
        {"to": DNS_PEER, "ports": DNS_PORTS},
    ]


def test_client_cidrs_restrict_who_reaches_the_frontend(render_overlay: Any) -> None:
    objects = render_overlay(
        "networkPolicy:\n  enabled: true\n  clientCidrs: [10.0.0.0/8]\n  dnsNamespace: dns\n"
    )
    frontend = objects[("NetworkPolicy", "frontend")]["spec"]
    assert frontend["ingress"][0]["from"] == [{"ipBlock": {"cidr": "10.0.0.0/8"}}]
    assert frontend["egress"][1]["to"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "dns"}}}
    ]


def test_disabled_renders_no_policies(render_overlay: Any) -> None:
    objects = render_overlay("{}\n")
    assert not [key for key in objects if key[0] == "NetworkPolicy"]
