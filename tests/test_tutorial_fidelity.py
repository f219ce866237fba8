"""The `tutorial` environment renders exactly the upstream guestbook, bar documented deviations.

Allowed deviations (docs/tutorial.md "Faithful to the tutorial"):
- extra metadata labels: the recommended app.kubernetes.io/* set, and the pod labels on the
  frontend Deployment (upstream gives it none);
- a namespace on every object;
- the Redis Deployment selectors also select `role` (upstream's two overlap);
- Service fields spelled out that upstream leaves to their defaults (type ClusterIP,
  targetPort equal to port).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from tests.conftest import FIXTURES, ROOT, by_kind_name, load_folder

UPSTREAM = by_kind_name(
    [
        d
        for d in yaml.safe_load_all((FIXTURES / "upstream/guestbook_tutorial.yaml").read_text())
        if d
    ]
)


def _normalize(obj: dict[str, Any]) -> dict[str, Any]:
    """Strip the documented deviations and spell out API defaults, for an exact comparison."""
    obj = copy.deepcopy(obj)
    meta = obj["metadata"]
    meta.pop("namespace", None)
    labels = {
        k: v for k, v in meta.get("labels", {}).items() if not k.startswith("app.kubernetes.io/")
    }
    if obj["kind"] == "Deployment":
        pod_labels = obj["spec"]["template"]["metadata"]["labels"]
        # Pod labels repeated on the Deployment itself are an allowed extra.
        labels = {k: v for k, v in labels.items() if pod_labels.get(k) != v}
        selector = obj["spec"]["selector"]["matchLabels"]
        if selector.get("app") == "redis":
            selector.pop("role", None)
    if labels:
        meta["labels"] = labels
    else:
        meta.pop("labels", None)
    if obj["kind"] == "Service":
        obj["spec"].setdefault("type", "ClusterIP")
        for port in obj["spec"]["ports"]:
            port.setdefault("targetPort", port["port"])
    return obj


@pytest.fixture(scope="module")
def tutorial() -> dict[tuple[str, str], dict[str, Any]]:
    return by_kind_name(load_folder(ROOT / "dist" / "tutorial"))


def test_tutorial_has_exactly_the_upstream_objects(tutorial: dict[Any, Any]) -> None:
    # Given the committed tutorial render, Then it holds the six upstream objects and nothing else
    assert sorted(tutorial) == sorted(UPSTREAM)


@pytest.mark.parametrize("key", sorted(UPSTREAM), ids=lambda k: f"{k[0]}-{k[1]}")
def test_object_matches_upstream(tutorial: dict[Any, Any], key: tuple[str, str]) -> None:
    # Given an upstream object, When ours is normalized for the documented deviations,
    # Then both are identical
    upstream = UPSTREAM[key]
    ours = tutorial[key]
    if upstream["kind"] == "Deployment":
        # Upstream's metadata labels are kept, not just covered by the pod labels.
        assert upstream["metadata"].get("labels", {}).items() <= ours["metadata"]["labels"].items()
    assert _normalize(ours) == _normalize(upstream)


def test_redis_selectors_add_only_role(tutorial: dict[Any, Any]) -> None:
    # Given the two Redis Deployments, Then each selector is upstream's plus its own role
    for name, role in (("redis-leader", "leader"), ("redis-follower", "follower")):
        selector = tutorial[("Deployment", name)]["spec"]["selector"]["matchLabels"]
        assert selector == {"app": "redis", "role": role}


def test_every_object_is_namespaced_in_guestbook_tutorial(tutorial: dict[Any, Any]) -> None:
    assert {o["metadata"]["namespace"] for o in tutorial.values()} == {"guestbook-tutorial"}
