"""Layer 2, Services (guestbook.validate.rules.apiserver.services)."""

from __future__ import annotations

import pytest

from guestbook.validate.rules import run
from guestbook.validate.rules.apiserver import services
from tests.rules_fixtures import document, fired, fixtures_for, only


def service(spec: dict[str, object]) -> list[str]:
    """The rules that fire on a selector-less Service with ``spec``."""
    doc = document(
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": spec}
    )
    return sorted(fired(run([doc])))


@pytest.mark.parametrize("fixture", fixtures_for(services.RULES))
def test_broken_manifest_triggers_only_its_rule(fixture: str) -> None:
    # Given a manifest broken in the one way its name says
    # When every rule runs
    got, want = only(fixture)
    # Then exactly the rules its header names fire
    assert got == want


def test_node_port_on_a_node_port_service_in_range_is_fine() -> None:
    assert service({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]}) == []


def test_node_port_outside_the_default_range_is_rejected() -> None:
    assert service({"type": "NodePort", "ports": [{"port": 80, "nodePort": 8080}]}) == ["node-port"]


def test_same_port_number_over_udp_and_tcp_is_fine() -> None:
    ports = [
        {"name": "dns", "port": 53, "protocol": "UDP"},
        {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
    ]
    assert service({"ports": ports}) == []


def test_headless_service_may_have_no_ports() -> None:
    assert service({"clusterIP": "None"}) == []


def test_cluster_ip_service_needs_a_port() -> None:
    assert service({"type": "ClusterIP"}) == ["service-type"]


def test_external_name_service_needs_a_dns_name() -> None:
    assert service({"type": "ExternalName", "externalName": "redis.example.com."}) == []
    assert service({"type": "ExternalName"}) == ["service-type"]


def test_external_traffic_policy_only_for_node_ports() -> None:
    spec = {"externalTrafficPolicy": "Local", "ports": [{"port": 80}]}
    assert service(spec) == ["service-type"]
    assert service({**spec, "type": "LoadBalancer"}) == []


def test_a_node_port_is_allocated_to_one_service_only() -> None:
    # Given two NodePort Services asking for the same node port
    documents = [
        document(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]},
            }
        )
        for name, namespace in (("web", "shop"), ("web", "staging"))
    ]
    # When the rules run
    findings = [f for f in run(documents) if f.rule == "node-port"]
    # Then the second is told the port is taken by the first
    assert [f.ref.namespace for f in findings] == ["staging"]
    assert "Service/shop/web" in findings[0].message
