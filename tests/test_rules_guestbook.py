"""Layer 4, the guestbook images' contracts (guestbook.validate.rules.guestbook)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from guestbook.manifests.inventory import Inventory
from guestbook.validate import documents as reader
from guestbook.validate.model import Document
from guestbook.validate.rules import guestbook, run
from tests.rules_fixtures import fixtures_for, load_situation, only


@pytest.mark.parametrize("fixture", fixtures_for(guestbook.RULES))
def test_broken_manifest_triggers_only_its_rule(fixture: str) -> None:
    # Given a guestbook broken in the one way the fixture's name says
    # When every rule runs
    got, want = only(fixture)
    # Then exactly the rules its header names fire
    assert got == want


def test_hand_written_guestbook_from_other_registries_is_clean() -> None:
    # Given a complete guestbook with mirrored images, a digest, named ports and policies
    got, want = only("guestbook_hand_written")
    # Then no rule of layers 2-4 fires
    assert got == want == frozenset()


def test_blocked_dns_names_the_flow_and_points_at_the_policy_to_extend() -> None:
    # Given a frontend policy without DNS egress
    findings = run(load_situation("frontend_policy_without_dns"))
    # When the blocked flows are reported
    [finding] = [f for f in findings if f.rule == "guestbook-flow-blocked"]
    # Then the one blocked flow is frontend → DNS, reported on the frontend policy's egress
    assert "Deployment/frontend → DNS:53/UDP" in finding.message
    assert finding.path.name == "frontend_policy_without_dns.yaml"
    assert str(finding.ref) == "NetworkPolicy/gb/frontend"


def test_redis_open_to_everyone_lists_who_gets_in() -> None:
    findings = run(load_situation("leader_policy_open_to_everyone"))
    [finding] = [f for f in findings if f.rule == "guestbook-redis-exposed"]
    assert "pods in other namespaces" in finding.message
    assert "clients outside the cluster" in finding.message


def test_every_blocked_flow_of_a_deny_all_namespace_is_reported() -> None:
    # Given the guestbook with nothing but a default-deny policy
    documents = run(
        load_situation("guestbook_workloads")
        + load_situation("guestbook_services")
        + load_situation("guestbook_policy_default_deny")
    )
    blocked = {
        f.message.split(" is blocked")[0] for f in documents if f.rule == "guestbook-flow-blocked"
    }
    # Then each needed flow is reported once
    assert blocked == {
        "clients → Deployment/frontend:80",
        "Deployment/frontend → redis-leader (Deployment/redis-leader):6379",
        "Deployment/frontend → redis-follower (Deployment/redis-follower):6379",
        "Deployment/frontend → DNS:53/UDP",
        "Deployment/redis-follower → redis-leader (Deployment/redis-leader):6379",
        "Deployment/redis-follower → DNS:53/UDP",
    }


def test_project_dist_keeps_its_guestbook_contracts() -> None:
    # Given the rendered environments (the policy-carrying ones included)
    documents = [
        d for _, docs, _ in reader.load([Path(__file__).parents[1] / "dist"]) for d in docs
    ]
    # When the rules run, Then no guestbook contract is broken
    assert not [f for f in run(documents) if f.rule.startswith("guestbook-")]


@pytest.mark.parametrize(
    "fixture", ["frontend_of_another_guestbook", "tutorial_frontend_image_in_another_application"]
)
def test_contracts_apply_only_to_this_guestbook(fixture: str) -> None:
    # Given a gb-frontend that is not this guestbook's (another build, or other labels)
    # When every rule runs, Then none of the guestbook's contracts is asked of it
    got, want = only(fixture)
    assert got == want == frozenset()


def test_a_documented_image_pinned_by_digest_is_still_recognised() -> None:
    # Given the tutorial's frontend as `guestbook pin` writes it: tag and digest
    [frontend] = [d for d in load_situation("guestbook_workloads") if d.ref.name == "frontend"]
    obj = copy.deepcopy(dict(frontend.obj))
    container = obj["spec"]["template"]["spec"]["containers"][0]
    container["image"] += "@sha256:" + "ab" * 32
    pinned = Document(path=frontend.path, line=frontend.line, obj=obj)
    # When its needs are listed, Then it still needs both Redis Services
    assert sorted(service for _, service in guestbook.needs(Inventory((pinned,)))) == [
        "redis-follower",
        "redis-leader",
    ]


def test_every_rendered_environment_is_recognised_as_the_guestbook() -> None:
    # Given each rendered environment of this project
    for folder in sorted(p for p in (Path(__file__).parents[1] / "dist").iterdir()):
        if folder.name == "argocd" or folder.name.endswith(".logging") or not folder.is_dir():
            continue  # Argo CD's objects and a cluster's log collector are not the guestbook
        documents = [d for _, docs, _ in reader.load([folder]) for d in docs]
        # Then its frontend and followers are known by their contracts (the checks apply)
        needed = {service for _, service in guestbook.needs(Inventory(tuple(documents)))}
        assert needed == {"redis-leader", "redis-follower"}, folder.name


def test_redis_leader_served_by_haproxy_is_the_failover_shape() -> None:
    # Given redis-leader selecting HAProxy pods (automatic failover) instead of the leader
    # When the rules run
    got, want = only("guestbook_leader_behind_haproxy")
    # Then HAProxy counts as a backend of redis-leader and nothing fires
    assert got == want == frozenset()


def _staging() -> list[Document]:
    """dist/staging: the environment with automatic failover and NetworkPolicies on."""
    folder = Path(__file__).parents[1] / "dist" / "staging"
    return [d for _, docs, _ in reader.load([folder]) for d in docs]


def test_failover_pods_may_reach_redis_and_their_flows_are_checked() -> None:
    # Given staging (Sentinel and HAProxy beside Redis, behind NetworkPolicies)
    documents = _staging()
    # When the Sentinels' egress to each other is taken away
    for doc in documents:
        if doc.obj["kind"] == "NetworkPolicy" and doc.obj["metadata"]["name"] == "redis-sentinel":
            doc.obj["spec"]["egress"] = [
                rule for rule in doc.obj["spec"]["egress"] if rule["ports"][0]["port"] != 26379
            ]
    findings = [f for f in run(documents) if f.rule.startswith("guestbook-")]
    # Then exactly that flow is reported blocked, and HAProxy and Sentinel reaching Redis
    # is not an exposure
    assert [f.rule for f in findings] == ["guestbook-flow-blocked"]
    assert "Deployment/redis-sentinel → Deployment/redis-sentinel:26379" in findings[0].message
