"""The committed environments render the values their overlays promise."""

from __future__ import annotations

from typing import Any

import pytest

from guestbook.environments import (
    LOGGING_SUFFIX,
    discover_overlays,
    load_environments,
    logging_folder,
)
from tests.conftest import ROOT, by_kind_name, load_file, load_folder

EXPECTED = {
    # env: (frontend replicas, follower replicas, service type, PVC size, NetworkPolicies)
    "tutorial": (3, 2, "ClusterIP", None, False),
    "dev": (1, 1, "ClusterIP", None, False),
    "staging": (None, 2, "NodePort", "1Gi", True),  # the frontend autoscales (2 to 4)
    "prod": (5, 3, "LoadBalancer", "10Gi", True),
}


def _objects(env: str) -> dict[tuple[str, str], dict[str, Any]]:
    return by_kind_name(load_folder(ROOT / "dist" / env))


def test_dist_holds_exactly_the_environments_in_environments() -> None:
    # Overlays as synth finds them (.yml too), not a glob that could miss one
    overlays = set(discover_overlays(ROOT / "environments"))
    folders = {p.name for p in (ROOT / "dist").iterdir() if p.is_dir()} - {"argocd"}
    rendered = {name for name in folders if not name.endswith(LOGGING_SUFFIX)}
    assert rendered == overlays == set(EXPECTED)
    # And each other folder is the log collector of an environment whose overlay has one
    collectors = {
        env.name
        for env in load_environments(ROOT / "environments")
        if env.props.logging.collector.enabled
    }
    assert folders - rendered == {logging_folder(name) for name in collectors} == {"prod.logging"}


@pytest.mark.parametrize("env", sorted(EXPECTED))
def test_environment_renders_its_overlay(env: str) -> None:
    frontends, followers, service_type, pvc_size, policies = EXPECTED[env]
    objects = _objects(env)
    assert objects[("Deployment", "frontend")]["spec"].get("replicas") == frontends
    assert objects[("Deployment", "redis-follower")]["spec"]["replicas"] == followers
    assert objects[("Deployment", "redis-leader")]["spec"]["replicas"] == 1
    assert objects[("Service", "frontend")]["spec"]["type"] == service_type
    claim = objects.get(("PersistentVolumeClaim", "redis-leader-data"))
    size = claim["spec"]["resources"]["requests"]["storage"] if claim else None
    assert size == pvc_size
    has_policies = any(kind == "NetworkPolicy" for kind, _ in objects)
    assert has_policies is policies
    assert {o["metadata"]["namespace"] for o in objects.values()} == {f"guestbook-{env}"}
    assert {o["metadata"]["labels"]["app.kubernetes.io/instance"] for o in objects.values()} == {
        env
    }


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_persistent_leader_recreates_instead_of_rolling(env: str) -> None:
    leader = _objects(env)[("Deployment", "redis-leader")]
    assert leader["spec"]["strategy"] == {"type": "Recreate"}


def test_every_file_holds_one_object_named_by_kind_and_name() -> None:
    for path in sorted((ROOT / "dist").rglob("*.yaml")):
        [obj] = load_file(path)
        assert path.name == f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"
