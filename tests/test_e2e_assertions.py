"""What the end-to-end test expects of the cluster, computed from dist/ (e2e/assertions.py)."""

from __future__ import annotations

from typing import Any

from e2e.assertions import (
    expected_replicas,
    intended_endpoints,
    load_folder,
    ready_endpoint_pods,
    ready_pods,
)
from tests.conftest import ROOT


def test_prod_as_rendered() -> None:
    # Given dist/prod as committed
    objects = load_folder(ROOT / "dist" / "prod")
    # Then the expectations follow environments/prod.yaml
    replicas = expected_replicas(objects)
    assert replicas == {"frontend": 5, "redis-follower": 3, "redis-leader": 1}
    assert intended_endpoints(objects, replicas) == {
        "frontend": 5,
        "redis-follower": 3,
        "redis-leader": 1,
        "redis-metrics": 4,  # the exporter sidecars on leader and followers
    }


def test_an_hpa_owned_deployment_expects_the_hpa_minimum() -> None:
    # Given staging, whose frontend Deployment leaves replicas to its HPA (min 2)
    replicas = expected_replicas(load_folder(ROOT / "dist" / "staging"))
    assert replicas["frontend"] == 2


def pod(name: str, labels: dict[str, str], ready: bool, deleting: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": labels}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    status = {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}
    return {"metadata": meta, "status": status}


def test_ready_pods_and_endpoints() -> None:
    pods = [
        pod("a", {"app": "redis", "role": "leader"}, ready=True),
        pod("b", {"app": "redis", "role": "follower"}, ready=True),
        pod("c", {"app": "redis", "role": "leader"}, ready=False),
        pod("d", {"app": "redis", "role": "leader"}, ready=True, deleting=True),
    ]
    assert ready_pods(pods, {"app": "redis", "role": "leader"}) == ["a"]
    assert ready_pods(pods, {}) == []  # an empty selector selects nothing
    slices = [
        {
            "metadata": {"labels": {"kubernetes.io/service-name": "redis-leader"}},
            "endpoints": [
                {"conditions": {"ready": True}, "targetRef": {"name": "a"}},
                {"conditions": {"ready": False}, "targetRef": {"name": "c"}},
            ],
        },
        {"metadata": {"labels": {"kubernetes.io/service-name": "other"}}, "endpoints": []},
    ]
    assert ready_endpoint_pods(slices, "redis-leader") == ["a"]
