"""The scenario: Argo CD syncs every environment from git, then follows pushes and drift.

The tests run in this order on one test bed (``harness``); each leaves the cluster Synced
and Healthy for the next. Waits are bounded and fail with every Application's status.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest
import yaml

from e2e import fleet
from e2e.argocd import NAMESPACE
from e2e.assertions import (
    expected_replicas,
    intended_endpoints,
    load_folder,
    of_kind,
    ready_endpoint_pods,
    ready_pods,
)
from e2e.cluster import metrics_api_state
from e2e.harness import EDGE, SECOND_CLUSTER, Harness
from e2e.kube import wait_for
from e2e.rollouts import RolloutState, promote_argv, rollout_state
from guestbook.tutorial import FRONTEND_IMAGE

FIRST_SYNC = 480.0
"""Seconds for every Application to sync from scratch (staging waits for pod metrics)."""
CHANGE = 240.0
"""Seconds for a pushed change or a self-heal to land."""
FLEET_SYNC = 600.0
"""Seconds for a pushed fleet (or the switch of Argo CD mode) to be Synced and Healthy."""


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
    kubectl = harness.kube(env)

    def problems() -> list[str]:
        found = {
            d["metadata"]["name"]: int(d["status"].get("availableReplicas", 0))
            for d in kubectl.items("deployments", ns)
        }
        wrong = [] if found == replicas else [f"available replicas {found}, want {replicas}"]
        pods = kubectl.items("pods", ns)
        slices = kubectl.items("endpointslices.discovery.k8s.io", ns)
        services = {s["metadata"]["name"]: s for s in kubectl.items("services", ns)}
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
        [
            "guestbook-root",
            *(f"guestbook-{env}" for env in harness.environments),
            *(f"guestbook-{env}-logging" for env in harness.collectors),
        ]
    )


def test_log_collector_runs_on_every_node_in_its_own_project(harness: Harness) -> None:
    # Given prod's overlay with the cluster's log collector, synced (test above)
    assert harness.collectors == ["prod"]
    # Then its DaemonSet has a pod on every node, and its RBAC is in place
    daemon_set = harness.kubectl.get("daemonset", "fluent-bit", "logging")
    nodes = harness.kubectl.items("nodes")
    assert daemon_set["status"]["desiredNumberScheduled"] == len(nodes)
    assert harness.kubectl.get("clusterrole", "fluent-bit")["rules"][0]["verbs"] == [
        "get",
        "list",
        "watch",
    ]
    # And only its own project admits cluster-wide RBAC; the environments' does not
    project = harness.kubectl.get("appproject", "guestbook-prod", NAMESPACE)
    assert project["spec"]["clusterResourceWhitelist"] == [{"group": "", "kind": "Namespace"}]
    app = harness.kubectl.get("application", "guestbook-prod-logging", NAMESPACE)
    assert app["spec"]["project"] == "guestbook-prod-logging"


def test_deployments_and_endpoints_match_dist(harness: Harness) -> None:
    for env in harness.environments:
        assert_workloads_match_dist(harness, env)


def assert_each_environment_only_on_its_cluster(harness: Harness) -> None:
    """Every environment's Deployments are in the cluster its destination names, and no
    guestbook Deployment is anywhere else (waited for: a pruned one may still be going)."""
    destinations = harness.destinations()

    def problems() -> list[str]:
        wrong = []
        for kubectl, cluster in ((harness.kubectl, ""), (harness.second_kubectl, SECOND_CLUSTER)):
            found = {
                d["metadata"]["namespace"]
                for d in kubectl.items("deployments")
                if d["metadata"]["namespace"].startswith("guestbook-")
            }
            want = {namespace(env) for env, dest in destinations.items() if dest == cluster}
            if found != want:
                wrong.append(
                    f"cluster {cluster or 'in-cluster'}: unexpected {sorted(found - want)}, "
                    f"missing {sorted(want - found)}"
                )
        return wrong

    wait_for(
        "every environment on its own cluster only",
        lambda: True if not problems() else None,
        timeout=CHANGE,
        describe=lambda: "\n".join(problems()),
    )


def test_environment_on_the_second_cluster_syncs_there_only(harness: Harness) -> None:
    # Given the overlay of EDGE names the second cluster (argocd.destination.name)
    assert harness.destinations()[EDGE] == SECOND_CLUSTER
    app = harness.kubectl.get("application", f"guestbook-{EDGE}", NAMESPACE)
    assert app["spec"]["destination"] == {"name": SECOND_CLUSTER, "namespace": namespace(EDGE)}
    # Then its workloads run there as dist/ says, and nowhere else; nothing else runs there
    assert_workloads_match_dist(harness, EDGE)
    assert_each_environment_only_on_its_cluster(harness)
    assert not [
        n for n in harness.kubectl.items("namespaces") if n["metadata"]["name"] == namespace(EDGE)
    ]


def test_projects_admit_exactly_the_rendered_destinations(harness: Harness) -> None:
    # Given one AppProject per environment as rendered, each with its environment's
    # destination only
    rendered = {
        o["metadata"]["name"]: o["spec"]["destinations"]
        for o in load_folder(harness.repo.work / "dist" / "argocd")
        if o["kind"] == "AppProject" and o["metadata"]["name"] != "guestbook-root"
    }
    collectors = {f"guestbook-{env}-logging" for env in harness.environments}
    assert sorted(set(rendered) - collectors) == [
        f"guestbook-{env}" for env in harness.environments
    ]
    live = {
        p["metadata"]["name"]: p["spec"]["destinations"]
        for p in harness.kubectl.items("appprojects", NAMESPACE)
        if p["metadata"]["name"] not in ("default", "guestbook-root")
    }
    assert live == rendered
    assert live[f"guestbook-{EDGE}"] == [{"name": SECOND_CLUSTER, "namespace": namespace(EDGE)}]
    # When an Application of dev's project targets a cluster and namespace it does not admit
    # (dev's namespace, on the second cluster)
    probe = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "fence-probe", "namespace": NAMESPACE},
        "spec": {
            "project": "guestbook-dev",
            "source": {
                "repoURL": harness.repo.url,
                "targetRevision": "main",
                "path": "dist/dev",
                "directory": {"recurse": True},
            },
            "destination": {"name": SECOND_CLUSTER, "namespace": namespace("dev")},
            "syncPolicy": {"automated": {}},
        },
    }
    harness.kubectl.apply([probe])
    try:
        # Then Argo CD refuses it, and nothing of it reaches the cluster
        def refused() -> str | None:
            app = harness.kubectl.get("application", "fence-probe", NAMESPACE)
            conditions = (app.get("status") or {}).get("conditions") or []
            invalid = [c for c in conditions if c["type"] == "InvalidSpecError"]
            return str(invalid[0]["message"]) if invalid else None

        message = wait_for(
            "Argo CD to refuse a destination the project does not admit",
            refused,
            timeout=60,
            describe=harness.describe,
        )
        assert "destination" in message, message
        namespaces = {n["metadata"]["name"] for n in harness.second_kubectl.items("namespaces")}
        assert namespace("dev") not in namespaces
    finally:
        harness.kubectl("delete", "application", "fence-probe", "-n", NAMESPACE, "--wait")


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
    # And Argo CD, once its cache has seen the scale-up, reports staging Synced and Healthy:
    # the replica count the HPA set is not drift (the Deployment renders none), and the
    # Deployment still runs the maximum, so nothing was reverted
    wait_for(
        "guestbook-staging Synced and Healthy after the scale-up",
        lambda: harness.status("guestbook-staging").synced_and_healthy or None,
        timeout=CHANGE,
        interval=2.0,
        describe=lambda: str(harness.status("guestbook-staging")),
    )
    assert scaled() == maximum


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
    # Given staging synced with redis.highAvailability on (Synced and Healthy: the first test;
    # its frontend count belongs to the HPA, which an earlier test scaled)
    ns = namespace("staging")

    def redis_endpoints() -> dict[str, list[str]] | None:
        slices = harness.kubectl.items("endpointslices.discovery.k8s.io", ns)
        found = {
            s: ready_endpoint_pods(slices, s)
            for s in ("redis-leader", "redis-nodes", "redis-sentinel")
        }
        counts = {service: len(pods) for service, pods in found.items()}
        want = {"redis-leader": 2, "redis-nodes": 3, "redis-sentinel": 3}
        return found if counts == want else None

    found = wait_for(f"{ns}: the failover Services' endpoints", redis_endpoints, timeout=60)
    # Then redis-leader, which the frontend and followers use, is served by HAProxy only
    leader = found["redis-leader"]
    assert all(p.startswith("redis-leader-proxy-") for p in leader), leader
    # And HAProxy's server list (the headless redis-nodes) holds the leader and both followers
    nodes = found["redis-nodes"]
    assert sorted(p.rsplit("-", 2)[0] for p in nodes) == [
        "redis-follower", "redis-follower", "redis-leader",
    ], nodes  # fmt: skip
    # And Sentinel runs its three pods, reachable by its Service (found: three ready endpoints)


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


CANARY_IMAGE = "us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5@sha256:" + "5" * 64
"""The image the prod canary tries (kwok runs no image, so any reference will do)."""


def edit_overlay(harness: Harness, env: str, old: str, new: str, message: str) -> list[str]:
    """Replace ``old`` by ``new`` in an overlay, render, commit, push and refresh; return
    what changed in dist/ (``git diff HEAD --name-status``)."""
    overlay = harness.repo.work / "environments" / f"{env}.yaml"
    text = overlay.read_text()
    assert old in text, f"environments/{env}.yaml no longer holds {old!r}"
    overlay.write_text(text.replace(old, new, 1))
    harness.repo.synth()
    harness.repo.git("add", "--intent-to-add", "--", "dist")  # new files show as added
    changes = harness.repo.git("diff", "HEAD", "--name-status", "--", "dist").split()
    harness.head = harness.repo.commit_and_push(message)
    harness.refresh()
    return changes


def push_overlay_change(harness: Harness, env: str, old: str, new: str, message: str) -> list[str]:
    """:func:`edit_overlay`, then wait for every Application to be Synced and Healthy."""
    changes = edit_overlay(harness, env, old, new, message)
    harness.wait_all_synced(harness.head, timeout=CHANGE)
    return changes


def frontend_endpoints(harness: Harness, env: str) -> dict[str, tuple[str, str]]:
    """The pods behind the ready endpoints of Service frontend: name → (track, image)."""
    ns = namespace(env)
    kubectl = harness.kube(env)
    behind = ready_endpoint_pods(kubectl.items("endpointslices.discovery.k8s.io", ns), "frontend")
    pods = {p["metadata"]["name"]: p for p in kubectl.items("pods", ns, selector="tier=frontend")}
    return {
        name: (
            pods[name]["metadata"]["labels"].get("track", ""),
            pods[name]["spec"]["containers"][0]["image"],
        )
        for name in behind
        if name in pods
    }


def wait_for_frontend_endpoints(
    harness: Harness, env: str, want: dict[tuple[str, str], int]
) -> None:
    """Wait until the frontend's endpoints are exactly ``want``: (track, image) → pods."""

    def counts() -> dict[tuple[str, str], int]:
        found: dict[tuple[str, str], int] = {}
        for track_and_image in frontend_endpoints(harness, env).values():
            found[track_and_image] = found.get(track_and_image, 0) + 1
        return found

    wait_for(
        f"{namespace(env)}: frontend endpoints {want}",
        lambda: True if counts() == want else None,
        timeout=CHANGE,
        describe=lambda: f"found {counts()}\n{harness.describe()}",
    )


def test_canary_serves_beside_the_stable_frontend(harness: Harness) -> None:
    # Given prod synced with 3 frontend pods on the tutorial's image (an earlier test)
    stable_image = FRONTEND_IMAGE
    # When a commit adds a canary of 1 pod on another image
    changes = push_overlay_change(
        harness,
        "prod",
        "frontend:\n",
        f"frontend:\n  canary:\n    image: '{CANARY_IMAGE}'\n    replicas: 1\n",
        "prod: a frontend canary",
    )
    assert changes == [
        "A", "dist/prod/deployment-frontend-canary.yaml",
        "M", "dist/prod/deployment-frontend.yaml",
        "A", "dist/prod/serviceaccount-frontend-canary.yaml",
    ]  # fmt: skip
    # Then the frontend Service's endpoints are the 3 stable pods and the canary's 1
    wait_for_frontend_endpoints(
        harness, "prod", {("stable", stable_image): 3, ("canary", CANARY_IMAGE): 1}
    )
    assert_workloads_match_dist(harness, "prod")


def test_promoting_the_canary_leaves_only_stable_pods_on_its_image(harness: Harness) -> None:
    # Given the canary of the previous test
    ns = namespace("prod")
    assert harness.kube("prod").get("deployment", "frontend-canary", ns)
    # When a commit sets the stable image to the canary's and removes the canary
    changes = push_overlay_change(
        harness,
        "prod",
        f"frontend:\n  canary:\n    image: '{CANARY_IMAGE}'\n    replicas: 1\n",
        f"frontend:\n  image: '{CANARY_IMAGE}'\n",
        "prod: promote the frontend canary",
    )
    assert changes == [
        "D", "dist/prod/deployment-frontend-canary.yaml",
        "M", "dist/prod/deployment-frontend.yaml",
        "D", "dist/prod/serviceaccount-frontend-canary.yaml",
    ]  # fmt: skip
    # Then Argo CD prunes the canary, and the endpoints are the 3 stable pods on its image
    kubectl = harness.kube("prod")

    def canary_left() -> list[str]:
        return [
            f"{kind}/{o['metadata']['name']}"
            for kind in ("deployments", "serviceaccounts", "pods")
            for o in kubectl.items(kind, ns)
            if o["metadata"]["name"].startswith("frontend-canary")
        ]

    wait_for(
        f"the canary in {ns} to be pruned",
        lambda: True if not canary_left() else None,
        timeout=CHANGE,
        describe=lambda: f"left: {canary_left()}\n{harness.describe()}",
    )
    wait_for_frontend_endpoints(harness, "prod", {("", CANARY_IMAGE): 3})
    assert_workloads_match_dist(harness, "prod")


ROLLOUT_ENV = "rollout"
"""The environment whose frontend is an Argo Rollouts canary (added by the test)."""
ROLLOUT_OVERLAY = (
    "frontend:\n  replicas: 4\n  autoscaling:\n    enabled: false\n"
    "  canary:\n    steps:\n      - setWeight: 25\n      - pause: {}\n"
    "redis:\n  followers:\n    replicas: 1\n"
)
ROLLOUT_IMAGE = "us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v6@sha256:" + "6" * 64
"""The image the Rollout moves to (kwok runs no image, so any reference will do)."""


def frontend_images(harness: Harness, env: str) -> dict[str, int]:
    """How many pods behind the frontend Service's ready endpoints run each image."""
    found: dict[str, int] = {}
    for _, image in frontend_endpoints(harness, env).values():
        found[image] = found.get(image, 0) + 1
    return found


def wait_for_rollout(
    harness: Harness, what: str, done: Callable[[RolloutState, dict[str, int]], bool]
) -> None:
    """Wait until ``done(state of Rollout frontend, frontend_images())`` holds."""
    ns = namespace(ROLLOUT_ENV)

    def observe() -> tuple[RolloutState, dict[str, int]]:
        rollout = harness.kubectl.get("rollouts.argoproj.io", "frontend", ns)
        state = rollout_state(rollout, harness.kubectl.items("replicasets", ns))
        return state, frontend_images(harness, ROLLOUT_ENV)

    def describe() -> str:
        state, images = observe()
        return f"{state}\nendpoints by image {images}\n{harness.describe()}"

    wait_for(
        f"{ns}: {what}",
        lambda: True if done(*observe()) else None,
        timeout=CHANGE,
        describe=describe,
    )


def test_rollout_canary_environment_syncs_with_every_frontend_pod(harness: Harness) -> None:
    # Given an environment whose frontend is a canary Rollout (25 %, then a pause), 4 pods
    harness.head = push_environments(
        harness, {ROLLOUT_ENV: ROLLOUT_OVERLAY}, f"{ROLLOUT_ENV}: a Rollout canary"
    )
    objects = load_folder(harness.repo.work / "dist" / ROLLOUT_ENV)
    assert [o["metadata"]["name"] for o in of_kind(objects, "Rollout")] == ["frontend"]
    assert "frontend" not in expected_replicas(objects)  # no frontend Deployment
    # When Argo CD syncs it
    harness.refresh()
    harness.wait_all_synced(harness.head, timeout=FIRST_SYNC)
    # Then the Rollout is Healthy with 4 pods of one ReplicaSet behind the frontend Service
    wait_for_rollout(
        harness,
        "Rollout frontend Healthy with 4 pods",
        lambda state, images: (
            state.phase == "Healthy"
            and state.stable == state.canary == (FRONTEND_IMAGE, 4, 4)
            and images == {FRONTEND_IMAGE: 4}
        ),
    )


def test_rollout_pauses_at_its_first_step_after_an_image_change(harness: Harness) -> None:
    # Given the Rollout of the previous test, Healthy on the tutorial's image
    app = f"guestbook-{ROLLOUT_ENV}"
    # When a commit changes frontend.image
    changes = edit_overlay(
        harness,
        ROLLOUT_ENV,
        "frontend:\n",
        f"frontend:\n  image: '{ROLLOUT_IMAGE}'\n",
        f"{ROLLOUT_ENV}: a new frontend image",
    )
    pushed = time.monotonic()
    assert changes == ["M", f"dist/{ROLLOUT_ENV}/rollout-frontend.yaml"]
    # Then the Rollout stops at its pause step: 25 % of 4 is 1 pod on the new image, 3 stable
    wait_for_rollout(
        harness,
        "Rollout frontend paused at step 1 with 1 new pod and 3 stable",
        lambda state, images: (
            state.step == 1
            and state.paused
            and state.canary == (ROLLOUT_IMAGE, 1, 1)
            and state.stable == (FRONTEND_IMAGE, 3, 3)
            and images == {ROLLOUT_IMAGE: 1, FRONTEND_IMAGE: 3}
        ),
    )
    # And Argo CD reports the Application Synced at the commit and Suspended (Rollout paused)
    wait_for(
        f"{app} Synced and Suspended",
        lambda: (
            True
            if (s := harness.status(app)).sync == "Synced"
            and s.revision == harness.head
            and s.health == "Suspended"
            else None
        ),
        timeout=CHANGE,
        describe=harness.describe,
    )
    harness.numbers["push of a new image to the Rollout paused at its first step"] = (
        time.monotonic() - pushed
    )


def test_promoted_rollout_completes_on_the_new_image(harness: Harness) -> None:
    # Given the Rollout paused at its first step (previous test)
    ns = namespace(ROLLOUT_ENV)
    # When it is promoted with the plugin (kubectl argo rollouts promote frontend)
    promoted = time.monotonic()
    plugin = harness.tools.binary("argo-rollouts", "kubectl-argo-rollouts")
    harness.supervisor.run(promote_argv(plugin, harness.cluster.kubeconfig, ns, "frontend"))
    # Then it completes: 4 pods on the new image, the old ReplicaSet at 0, and Healthy
    wait_for_rollout(
        harness,
        "Rollout frontend complete on the new image",
        lambda state, images: (
            not state.paused
            and state.phase == "Healthy"
            and state.stable == state.canary == (ROLLOUT_IMAGE, 4, 4)
            and state.others == ((FRONTEND_IMAGE, 0, 0),)
            and images == {ROLLOUT_IMAGE: 4}
        ),
    )
    harness.wait_all_synced(harness.head, timeout=CHANGE)
    harness.numbers["promote to the Rollout complete and every Application Healthy"] = (
        time.monotonic() - promoted
    )


def push_environments(harness: Harness, overlays: dict[str, str | None], message: str) -> str:
    """Write (text) or remove (None) overlays, render, commit and push; return the commit."""
    for env, text in overlays.items():
        path = harness.repo.work / "environments" / f"{env}.yaml"
        if text is None:
            path.unlink()
        else:
            path.write_text(text)
    harness.repo.synth()
    return harness.repo.commit_and_push(message)


def sync_fleet(harness: Harness, overlays: dict[str, str | None], message: str) -> float:
    """Push a change of environments and wait for every Application; return the seconds
    from the push to all Synced and Healthy."""
    harness.head = push_environments(harness, overlays, message)
    pushed = time.monotonic()
    harness.refresh()
    harness.wait_all_synced(harness.head, timeout=FLEET_SYNC)
    return time.monotonic() - pushed


def remove_environments(harness: Harness, envs: Sequence[str]) -> float:
    """Delete the overlays of ``envs`` (one on each cluster), render, push; wait until each
    one's Application and every object it rendered are gone from its cluster, and the rest
    is Synced and Healthy; return the seconds from the push to all deleted."""
    # Given environments on both clusters, what each rendered, and where, before the commit
    assert [harness.destinations()[env] for env in envs] == ["", SECOND_CLUSTER]
    leaving = {
        env: (harness.kube(env), load_folder(harness.repo.work / "dist" / env)) for env in envs
    }
    parameters = {f"guestbook-environment-{env}" for env in envs}
    harness.head = push_environments(harness, dict.fromkeys(envs), f"remove {', '.join(envs)}")
    pushed = time.monotonic()
    if harness.kubectl.items("applicationsets", NAMESPACE):
        # The usual order: the root syncs the commit (a webhook), the ApplicationSet reads
        # git later (its poll, 3 minutes by default); so the ApplicationSet is refreshed
        # only once the root has pruned the environments' parameter ConfigMaps.
        harness.refresh(applicationsets=False)
        wait_for(
            "the root to prune the parameter ConfigMaps",
            lambda: (
                None
                if {c["metadata"]["name"] for c in harness.kubectl.items("configmaps", NAMESPACE)}
                & parameters
                else True
            ),
            timeout=CHANGE,
            describe=harness.describe,
        )
    harness.refresh()

    def left_behind() -> list[str]:
        apps = {a["metadata"]["name"] for a in harness.kubectl.items("applications", NAMESPACE)}
        found = [f"Application guestbook-{env}" for env in envs if f"guestbook-{env}" in apps]
        for env, (kubectl, objects) in leaving.items():
            text = yaml.safe_dump_all(objects)
            names = kubectl("get", "-f", "-", "--ignore-not-found", "-o", "name", input=text)
            found += [f"{namespace(env)}: {name}" for name in names.split()]
        return found

    wait_for(
        f"{', '.join(envs)}: their Applications and everything they deployed to be deleted",
        lambda: True if not left_behind() else None,
        timeout=CHANGE,
        describe=lambda: "left behind:\n" + "\n".join(left_behind()) + "\n" + harness.describe(),
    )
    seconds = time.monotonic() - pushed
    harness.wait_all_synced(harness.head, timeout=CHANGE)
    assert_each_environment_only_on_its_cluster(harness)
    return seconds


def fleet_overlays(prefix: str) -> dict[str, str | None]:
    return dict(fleet.fleet(prefix, fleet.SIZE, [None, SECOND_CLUSTER]))


def test_fleet_of_applications_syncs_across_both_clusters(harness: Harness) -> None:
    # Given Applications mode (this repository's), When 20 new environments over both
    # clusters are pushed in one commit
    seconds = sync_fleet(harness, fleet_overlays("apps"), f"{fleet.SIZE} environments")
    harness.numbers[f"push to {fleet.SIZE}-environment fleet Synced and Healthy (Applications)"] = (
        seconds
    )
    # Then each runs on its own cluster only, as dist/ says
    assert_each_environment_only_on_its_cluster(harness)
    for env in ("apps-00", "apps-01"):
        assert_workloads_match_dist(harness, env)


def test_removed_environments_leave_nothing_behind_applications(harness: Harness) -> None:
    # Given the fleet of Applications, When one commit removes two environments' overlays,
    # Then their Applications and everything they deployed are deleted
    seconds = remove_environments(harness, ["apps-00", "apps-01"])
    harness.numbers["push removing 2 environments to all deleted (Applications)"] = seconds


def test_switch_to_applicationset_mode(harness: Harness) -> None:
    # Given the fleet of Applications, When one commit switches [tool.guestbook.argocd] to
    # mode = "applicationset" (and changes nothing else)
    pyproject = harness.repo.work / "pyproject.toml"
    pyproject.write_text(fleet.with_mode(pyproject.read_text(), "applicationset"))
    harness.head = push_environments(harness, {}, "ApplicationSet mode")
    pushed = time.monotonic()
    harness.refresh()
    # (the root creates the ApplicationSet; a webhook would make it read git at once)
    wait_for(
        "the root to create the ApplicationSet",
        lambda: harness.kubectl.items("applicationsets", NAMESPACE) or None,
        timeout=CHANGE,
        describe=harness.describe,
    )
    harness.refresh()
    harness.wait_all_synced(harness.head, timeout=FLEET_SYNC)
    harness.numbers["push of the switch to ApplicationSet mode to all Synced and Healthy"] = (
        time.monotonic() - pushed
    )
    # Then every environment's Application is the ApplicationSet's, on its cluster only
    for app in harness.kubectl.items("applications", NAMESPACE):
        # (the root and the log collector's Application are not environments)
        if app["metadata"]["name"] != "guestbook-root" and app["spec"]["project"] == "guestbook":
            owners = app["metadata"].get("ownerReferences") or []
            assert [o["kind"] for o in owners] == ["ApplicationSet"], app["metadata"]["name"]
    assert_each_environment_only_on_its_cluster(harness)


def test_fleet_of_an_applicationset_syncs_across_both_clusters(harness: Harness) -> None:
    # Given ApplicationSet mode, When 20 new environments are pushed in one commit
    seconds = sync_fleet(harness, fleet_overlays("set"), f"{fleet.SIZE} environments")
    harness.numbers[
        f"push to {fleet.SIZE}-environment fleet Synced and Healthy (ApplicationSet)"
    ] = seconds
    # Then each runs on its own cluster only, as dist/ says
    assert_each_environment_only_on_its_cluster(harness)
    for env in ("set-00", "set-01"):
        assert_workloads_match_dist(harness, env)


def test_removed_environments_leave_nothing_behind_applicationset(harness: Harness) -> None:
    # Given the ApplicationSet's fleet, When one commit removes two environments' overlays
    # (their parameter ConfigMaps go; the ApplicationSet deletes their Applications),
    # Then their Applications and everything they deployed are deleted
    seconds = remove_environments(harness, ["set-00", "set-01"])
    harness.numbers["push removing 2 environments to all deleted (ApplicationSet)"] = seconds
