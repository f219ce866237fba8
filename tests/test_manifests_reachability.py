"""NetworkPolicy semantics (guestbook.manifests.reachability)."""

from __future__ import annotations

from typing import Any

from guestbook.manifests.inventory import Inventory
from guestbook.manifests.reachability import (
    OTHER_NAMESPACE,
    OUTSIDE,
    connection,
    dns_endpoint,
    pod_endpoint,
    policies,
)
from tests.rules_fixtures import deployment, document


def policy(name: str, spec: dict[str, Any], namespace: str = "shop") -> Any:
    return document(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace},
            "spec": spec,
        }
    )


WEB = deployment(
    {
        "containers": [
            {"name": "w", "image": "nginx:1.27", "ports": [{"name": "http", "containerPort": 8080}]}
        ]
    },
    name="web",
)
DB = deployment(
    {"containers": [{"name": "d", "image": "redis:7.2", "ports": [{"containerPort": 6379}]}]},
    name="db",
)


def setup(*extra: Any) -> tuple[Inventory, Any, Any]:
    inventory = Inventory((WEB, DB, *extra))
    web, db = (pod_endpoint(inventory, p) for p in inventory.pods)
    return inventory, web, db


def test_without_policies_everything_is_allowed() -> None:
    inventory, web, db = setup()
    assert connection(policies(inventory), web, db, 6379).allowed
    assert connection(policies(inventory), OUTSIDE, db, 6379).allowed


def test_a_connection_needs_egress_and_ingress() -> None:
    # Given db accepting web on 6379, but web isolated for egress with no rule
    allow_in = policy(
        "db",
        {
            "podSelector": {"matchLabels": {"app": "db"}},
            "ingress": [
                {
                    "from": [{"podSelector": {"matchLabels": {"app": "web"}}}],
                    "ports": [{"port": 6379}],
                }
            ],
        },
    )
    deny_out = policy(
        "web", {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Egress"]}
    )
    inventory, web, db = setup(allow_in)
    # Then ingress alone allows it
    assert connection(policies(inventory), web, db, 6379).allowed
    # And adding the egress isolation blocks it on the egress side only
    inventory, web, db = setup(allow_in, deny_out)
    verdict = connection(policies(inventory), web, db, 6379)
    assert not verdict.allowed
    assert verdict.ingress.allowed and not verdict.egress.allowed


def test_policy_types_default_to_ingress_plus_egress_when_egress_rules_exist() -> None:
    # Given a policy with only ingress rules and no policyTypes
    only_ingress = policy("db", {"podSelector": {}, "ingress": []})
    inventory, web, db = setup(only_ingress)
    verdict = connection(policies(inventory), web, db, 6379)
    # Then it isolates ingress only
    assert not verdict.ingress.allowed and verdict.egress.allowed


def test_ports_ranges_protocols_and_named_ports() -> None:
    rule = {
        "ports": [
            {"port": "http"},
            {"port": 9000, "endPort": 9100},
            {"protocol": "UDP", "port": 53},
        ]
    }
    inventory, web, db = setup(
        policy("web", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [rule]})
    )
    found = policies(inventory)
    assert connection(found, db, web, 8080).allowed  # the named port http
    assert connection(found, db, web, 9050).allowed
    assert not connection(found, db, web, 9101).allowed
    assert not connection(found, db, web, 53, "TCP").allowed
    assert connection(found, db, web, 53, "UDP").allowed


def test_pod_selector_peers_stay_in_the_policys_namespace() -> None:
    # Given db admitting app=web pods, by podSelector alone
    admit = policy(
        "db",
        {
            "podSelector": {"matchLabels": {"app": "db"}},
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}],
        },
    )
    inventory, _, db = setup(admit)
    # Then pods of other namespaces and outside clients stay out
    assert not connection(policies(inventory), OTHER_NAMESPACE, db, 6379).allowed
    assert not connection(policies(inventory), OUTSIDE, db, 6379).allowed


def test_namespace_selector_pinned_to_own_namespace_keeps_others_out() -> None:
    admit_own = policy(
        "db",
        {
            "podSelector": {"matchLabels": {"app": "db"}},
            "ingress": [
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": "shop"}
                            }
                        }
                    ]
                }
            ],
        },
    )
    inventory, web, db = setup(admit_own)
    assert connection(policies(inventory), web, db, 6379).allowed
    assert not connection(policies(inventory), OTHER_NAMESPACE, db, 6379).allowed


def test_ip_blocks_cover_outside_clients_and_dns_but_not_pods() -> None:
    admit = policy(
        "db", {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}
    )
    inventory, web, db = setup(admit)
    assert connection(policies(inventory), OUTSIDE, db, 6379).allowed
    assert not connection(policies(inventory), web, db, 6379).allowed


def test_dns_is_reached_through_its_namespace_label() -> None:
    out = policy(
        "web",
        {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                            }
                        }
                    ],
                    "ports": [{"port": "dns", "protocol": "UDP"}],
                }
            ],
        },
    )
    inventory, web, _ = setup(out)
    dns = dns_endpoint(inventory)
    assert connection(policies(inventory), web, dns, 53, "UDP").allowed
    assert not connection(policies(inventory), web, dns, 53, "TCP").allowed
