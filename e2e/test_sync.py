"""The scenario: Argo CD syncs every environment from git, then follows pushes and drift.

The tests run in this order on one test bed (``harness``); each leaves the cluster Synced
and Healthy for the next. Waits are bounded and fail with every Application's status.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from e2e.argocd import NAMESPACE
from e2e.assertions import (
    expected_replicas,
    intended_endpoints,
    load_folder,
    ready_endpoint_pods,
    ready_pods,
)
from e2e.cluster import metrics_api_state
from e2e.harness import Harness
from e2e.kube import wait_for

FIRST_SYNC = 480.0
"""Seconds for every Application to sync from scratch (staging waits for pod metrics)."""
CHANGE = 240.0
"""Seconds for a pushed change or a self-heal to land."""


def namespace(env: str) -> str:
    return f"guestbook-{env}"


def assert_workloads_match_dist(harness: Harness, env: str) -> None:
    """Deployments have their intended available replicas; Services exactly their pods.

    Waited for (briefly): the EndpointSlice controller may trail pod readiness.
    """
    objects = load_folder(harness.repo.work / "dist" / env)
    replicas = expected_replicas(objects)
    endpoints = intended_endpoints(objects, replicas)
    ns = namespace(env)

    def problems() -> list[str]:
        found = {
            d["metadata"]["name"]: int(d["status"].get("availableReplicas", 0))
            for d in harness.kubectl.items("deployments", ns)
        }
        wrong = [] if found == replicas else [f"available replicas {found}, want {replicas}"]
        pods = harness.kubectl.items("pods", ns)
        slices = harness.kubectl.items("endpointslices.discovery.k8s.io", ns)
        services = {s["metadata"]["name"]: s for s in harness.kubectl.items("services", ns)}
        for service, count in endpoints.items():
            behind = ready_endpoint_pods(slices, service)
            selected = ready_pods(pods, services[service]["spec"]["selector"])
            if behind != selected or len(behind) != count:
                wrong.append(f"{service}: endpoints {behind}, ready pods {selected}, want {count}")
        return wrong

    wait_for(
        f"{ns}: replicas {replicas} and endpoints {endpoints}",
        lambda: True if not problems() else None,
        timeout=60,
        describe=lambda: "\n".join(problems()),
    )


def test_every_application_syncs_and_becomes_healthy(harness: Harness) -> None:
    seconds = harness.wait_all_synced(harness.head, timeout=FIRST_SYNC)
    harness.numbers["bootstrap to all Applications Synced and Healthy"] = (
        time.monotonic() - harness.bootstrapped
    )
    assert seconds <= FIRST_SYNC
    assert harness.applications == sorted(
        ["guestbook-root", *(f"guestbook-{env}" for env in harness.environments)]
    )


def test_deployments_and_endpoints_match_dist(harness: Harness) -> None:
    for env in harness.environments:
        assert_workloads_match_dist(harness, env)


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_persistent_volume_claims_bind_to_the_static_volumes(harness: Harness, env: str) -> None:
    claim = harness.kubectl.get("pvc", "redis-leader-data", namespace(env))
    assert claim["status"]["phase"] == "Bound"
    assert claim["spec"]["volumeName"] == f"{namespace(env)}-redis-leader-data"


def test_load_balancer_service_is_healthy_only_by_the_documented_check(harness: Harness) -> None:
    service = harness.kubectl.get("service", "frontend", namespace("prod"))
    assert service["spec"]["type"] == "LoadBalancer"
    assert not (service["status"].get("loadBalancer") or {}).get("ingress")
    app = harness.kubectl.get("application", "guestbook-prod", NAMESPACE)
    [entry] = [
        r for r in app["status"]["resources"] if r["kind"] == "Service" and r["name"] == "frontend"
    ]
    assert entry["health"]["status"] == "Healthy"
    assert "no LoadBalancer controller" in entry["health"]["message"]


def test_monitoring_kinds_are_synced(harness: Harness) -> None:
    for env in ("staging", "prod"):
        assert harness.kubectl.items("servicemonitors.monitoring.coreos.com", namespace(env))
        assert harness.kubectl.items("prometheusrules.monitoring.coreos.com", namespace(env))


def test_hpa_scales_on_real_metrics_and_argo_cd_does_not_fight_it(harness: Harness) -> None:
    ns = namespace("staging")

    def reading_metrics() -> dict[str, Any] | None:
        hpa = harness.kubectl.get("hpa", "frontend", ns)
        active = [c for c in hpa["status"].get("conditions", ()) if c["type"] == "ScalingActive"]
        return hpa if active and active[0]["status"] == "True" else None

    def describe() -> str:
        hpa = harness.kubectl("describe", "hpa", "frontend", "-n", ns)
        return f"{hpa}\n{metrics_api_state(harness.kubectl, harness.cluster)}"

    # metrics-server needs two scrapes of kwok (15 s apart) before a pod has a CPU rate.
    hpa = wait_for(
        f"{ns}: the HPA reading CPU from the metrics API",
        reading_metrics,
        timeout=CHANGE,
        interval=2.0,
        describe=describe,
    )
    harness.numbers["bootstrap to HPA reading pod metrics"] = (
        time.monotonic() - harness.bootstrapped
    )
    [metric] = hpa["status"]["currentMetrics"]
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["current"]["averageUtilization"] < 70  # kwok's default 1m of 100m
    maximum = int(hpa["spec"]["maxReplicas"])

    # kwok reports the CPU usage a pod's annotation names: 200m against a 100m request.
    for pod in harness.kubectl.items("pods", ns, selector="tier=frontend"):
        harness.kubectl(
            "annotate", "pod", pod["metadata"]["name"], "-n", ns, "--overwrite",
            "kwok.x-k8s.io/usage-cpu=200m",
        )  # fmt: skip

    def scaled() -> int | None:
        status = harness.kubectl.get("deployment", "frontend", ns)["status"]
        return maximum if status.get("availableReplicas") == maximum else None

    wait_for(
        f"{ns}: the HPA scaling frontend to {maximum}",
        scaled,
        timeout=CHANGE,
        interval=2.0,
        describe=describe,
    )
    status = harness.status("guestbook-staging")
    assert status.synced_and_healthy, str(status)


def test_pushed_commit_is_synced(harness: Harness) -> None:
    overlay = harness.repo.work / "environments" / "prod.yaml"
    text = overlay.read_text()
    changed = re.sub(r"(?m)^(frontend:\n  replicas:) 5$", r"\1 3", text)
    assert changed != text, "environments/prod.yaml no longer sets frontend.replicas: 5"
    overlay.write_text(changed)
    harness.repo.synth()
    changes = harness.repo.git("diff", "--name-status", "--", "dist")
    assert changes.split() == ["M", "dist/prod/deployment-frontend.yaml"]
    harness.head = harness.repo.commit_and_push("prod: 3 frontend replicas")
    pushed = time.monotonic()

    harness.refresh()
    harness.wait_all_synced(harness.head, timeout=CHANGE)
    harness.numbers["push to all Applications Synced and Healthy"] = time.monotonic() - pushed
    assert_workloads_match_dist(harness, "prod")
    deployment = harness.kubectl.get("deployment", "frontend", namespace("prod"))
    assert deployment["spec"]["replicas"] == 3


def test_manual_drift_is_reverted_by_self_heal(harness: Harness) -> None:
    ns = namespace("dev")
    before = harness.kubectl.get("deployment", "frontend", ns)["spec"]["replicas"]
    harness.kubectl("scale", "deployment/frontend", "-n", ns, "--replicas=4")
    scaled = time.monotonic()

    def healed() -> bool | None:
        spec = harness.kubectl.get("deployment", "frontend", ns)["spec"]
        return True if spec["replicas"] == before else None

    wait_for(
        f"self-heal to set {ns}/frontend back to {before} replicas",
        healed,
        timeout=CHANGE,
        describe=harness.describe,
    )
    harness.numbers["manual scale to self-healed"] = time.monotonic() - scaled
    harness.wait_all_synced(harness.head, timeout=CHANGE)
    assert_workloads_match_dist(harness, "dev")


def test_staging_redis_leader_is_haproxy_in_front_of_every_redis_pod(harness: Harness) -> None:
    # Given staging synced with redis.highAvailability on (Synced and Healthy: the first test)
    ns = namespace("staging")
    assert_workloads_match_dist(harness, "staging")
    slices = harness.kubectl.items("endpointslices.discovery.k8s.io", ns)
    # Then redis-leader, which the frontend and followers use, is served by HAProxy only
    leader = ready_endpoint_pods(slices, "redis-leader")
    assert len(leader) == 2 and all(p.startswith("redis-leader-proxy-") for p in leader), leader
    # And HAProxy's server list (the headless redis-nodes) holds the leader and both followers
    nodes = ready_endpoint_pods(slices, "redis-nodes")
    assert sorted(p.rsplit("-", 2)[0] for p in nodes) == [
        "redis-follower", "redis-follower", "redis-leader",
    ], nodes  # fmt: skip
    # And Sentinel runs its three pods, reachable by its Service
    assert len(ready_endpoint_pods(slices, "redis-sentinel")) == 3


def test_resource_removed_from_dist_is_pruned(harness: Harness) -> None:
    ns = namespace("staging")
    assert harness.kubectl.items("poddisruptionbudgets", ns)
    overlay = harness.repo.work / "environments" / "staging.yaml"
    text = overlay.read_text()
    changed = text.replace("  disruptionBudgets: true\n", "  disruptionBudgets: false\n")
    assert changed != text
    overlay.write_text(changed)
    harness.repo.synth()
    removed = harness.repo.git("diff", "--name-status", "--", "dist").split()
    assert removed == [
        "D", "dist/staging/poddisruptionbudget-frontend.yaml",
        "D", "dist/staging/poddisruptionbudget-redis-follower.yaml",
        "D", "dist/staging/poddisruptionbudget-redis-leader-proxy.yaml",
        "D", "dist/staging/poddisruptionbudget-redis-sentinel.yaml",
    ]  # fmt: skip
    harness.head = harness.repo.commit_and_push("staging: no PodDisruptionBudgets")
    harness.refresh()

    wait_for(
        f"the PodDisruptionBudgets in {ns} to be pruned",
        lambda: True if not harness.kubectl.items("poddisruptionbudgets", ns) else None,
        timeout=CHANGE,
        describe=harness.describe,
    )
    harness.wait_all_synced(harness.head, timeout=CHANGE)
