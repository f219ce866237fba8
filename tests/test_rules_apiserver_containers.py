"""Layer 2, containers (guestbook.validate.rules.apiserver.containers)."""

from __future__ import annotations

import pytest

from guestbook.validate.rules import run
from guestbook.validate.rules.apiserver import containers
from tests.rules_fixtures import deployment, fired, fixtures_for, load, only


@pytest.mark.parametrize("fixture", fixtures_for(containers.RULES))
def test_broken_manifest_triggers_only_its_rule(fixture: str) -> None:
    # Given a manifest broken in the one way its name says
    # When every rule runs
    got, want = only(fixture)
    # Then exactly the rules its header names fire
    assert got == want


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("http", True),
        ("redis-6379", True),
        ("a" * 15, True),
        ("a" * 16, False),
        ("8080", False),  # needs a letter
        ("-http", False),
        ("web--ui", False),
        ("HTTP", False),
    ],
)
def test_port_names_are_iana_service_names(name: str, valid: bool) -> None:
    # Given a container port with this name
    doc = deployment(
        {
            "containers": [
                {
                    "name": "web",
                    "image": "nginx:1.27",
                    "ports": [{"name": name, "containerPort": 80}],
                }
            ]
        }
    )
    # When the rules run, Then port-name fires exactly for invalid names
    assert ("port-name" in fired(run([doc]))) is not valid


def test_same_port_with_another_protocol_is_not_a_duplicate() -> None:
    # Given a DNS server listening on 53 over UDP and TCP
    doc = deployment(
        {
            "containers": [
                {
                    "name": "dns",
                    "image": "coredns/coredns:1.11.1",
                    "ports": [
                        {"containerPort": 53, "protocol": "UDP", "name": "dns"},
                        {"containerPort": 53, "protocol": "TCP", "name": "dns-tcp"},
                    ],
                }
            ]
        }
    )
    # When the rules run, Then nothing fires
    assert fired(run([doc])) == frozenset()


def test_env_var_names_follow_kubernetes_1_34() -> None:
    # Given names the relaxed 1.34 validation accepts (dots, dashes, leading digits)
    doc = deployment(
        {
            "containers": [
                {
                    "name": "web",
                    "image": "nginx:1.27",
                    "env": [{"name": "1st.setting-x", "value": "a"}, {"name": "B", "value": ""}],
                }
            ]
        }
    )
    # When the rules run, Then nothing fires
    assert fired(run([doc])) == frozenset()


def test_env_var_with_value_and_value_from_is_rejected() -> None:
    # Given an env var with both a value and a valueFrom
    doc = deployment(
        {
            "containers": [
                {
                    "name": "web",
                    "image": "nginx:1.27",
                    "env": [
                        {
                            "name": "NODE",
                            "value": "x",
                            "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}},
                        }
                    ],
                }
            ]
        }
    )
    # When the rules run, Then env-var fires
    assert fired(run([doc])) == {"env-var"}


def test_liveness_probe_needs_success_threshold_one() -> None:
    # Given a liveness probe that wants two successes
    doc = deployment(
        {
            "containers": [
                {
                    "name": "web",
                    "image": "nginx:1.27",
                    "livenessProbe": {"tcpSocket": {"port": 80}, "successThreshold": 2},
                }
            ]
        }
    )
    # When the rules run, Then probe fires
    assert fired(run([doc])) == {"probe"}


def test_finding_points_at_the_port() -> None:
    # Given a containerPort of 70000 on line 21 of its fixture
    documents = load("container_port_out_of_range")
    # When the rules run
    [finding] = [f for f in run(documents) if f.rule == "container-port-range"]
    # Then the finding points at that port and says why
    assert finding.line == 21
    assert "70000" in finding.message
