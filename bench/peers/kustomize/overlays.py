"""Kustomize overlays from guestbook overlay data: one folder per environment.

An overlay is ``base`` plus the components its options switch on, the
environment's namespace and instance label, replica counts, and JSON patches
for the values that vary (PVC size, HPA bounds, limits, spread, Service type).
Only the options the benchmark fleet uses are supported; any other key is an
error rather than a silent difference.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml

PEER = Path(__file__).resolve().parent

SUPPORTED = {
    "frontend.replicas",
    "frontend.resources.limits.cpu",
    "frontend.resources.limits.memory",
    "frontend.service.type",
    "frontend.autoscaling.enabled",
    "frontend.autoscaling.minReplicas",
    "frontend.autoscaling.maxReplicas",
    "frontend.autoscaling.cpuUtilization",
    "redis.leader.persistence.enabled",
    "redis.leader.persistence.size",
    "redis.leader.resources.limits.cpu",
    "redis.leader.resources.limits.memory",
    "redis.followers.replicas",
    "redis.followers.resources.limits.cpu",
    "redis.followers.resources.limits.memory",
    "networkPolicy.enabled",
    "availability.disruptionBudgets",
    "availability.spreadAcrossNodes",
    "availability.zoneKey",
}
DEPLOYMENTS = {"frontend": "frontend", "leader": "redis-leader", "followers": "redis-follower"}
SELECTORS = {
    "frontend": {"app": "guestbook", "tier": "frontend"},
    "leader": {"app": "redis", "role": "leader"},
    "followers": {"app": "redis", "role": "follower"},
}


def _paths(data: dict[str, Any], prefix: str = "") -> list[str]:
    found: list[str] = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        found += _paths(value, path + ".") if isinstance(value, dict) else [path]
    return found


def _get(data: dict[str, Any], path: str, default: Any) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return default
        data = data[part]
    return data


def _json_patch(kind: str, name: str, operations: list[dict[str, Any]]) -> dict[str, Any]:
    return {"target": {"kind": kind, "name": name}, "patch": json.dumps(operations)}


def _components(data: dict[str, Any]) -> list[str]:
    """The components an environment's options switch on."""
    scaling = bool(_get(data, "frontend.autoscaling.enabled", False))
    followers = int(_get(data, "redis.followers.replicas", 2))
    components: list[str] = []
    if _get(data, "redis.leader.persistence.enabled", False):
        components.append("persistence")
    if _get(data, "networkPolicy.enabled", False):
        components.append("network-policy")
    if scaling:
        components.append("autoscaling")
    if _get(data, "availability.disruptionBudgets", False):
        if scaling:
            most = _get(data, "frontend.autoscaling.maxReplicas", 10)
        else:
            most = _get(data, "frontend.replicas", 3)
        if most > 1:
            components.append("disruption-budget-frontend")
        if followers > 1:
            components.append("disruption-budget-follower")
    return components


def _deployment_operations(data: dict[str, Any], part: str) -> list[dict[str, Any]]:
    """JSON patch operations on one Deployment: limits and topology spread."""
    operations: list[dict[str, Any]] = []
    prefix = "frontend" if part == "frontend" else f"redis.{part}"
    limits = _get(data, f"{prefix}.resources.limits", {})
    if limits:
        path = "/spec/template/spec/containers/0/resources/limits"
        operations.append({"op": "add", "path": path, "value": dict(limits)})
    if _get(data, "availability.spreadAcrossNodes", False):
        keys = ["kubernetes.io/hostname"]
        if _get(data, "availability.zoneKey", None):
            keys.append(_get(data, "availability.zoneKey", None))
        constraints = [
            {
                "labelSelector": {"matchLabels": SELECTORS[part]},
                "maxSkew": 1,
                "topologyKey": key,
                "whenUnsatisfiable": "ScheduleAnyway",
            }
            for key in keys
        ]
        path = "/spec/template/spec/topologySpreadConstraints"
        operations.append({"op": "add", "path": path, "value": constraints})
    return operations


def _patches(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Patches for the values that vary: PVC size, HPA bounds, limits, spread, Service type."""
    patches: list[dict[str, Any]] = []
    if _get(data, "redis.leader.persistence.enabled", False):
        size = _get(data, "redis.leader.persistence.size", "1Gi")
        op = {"op": "replace", "path": "/spec/resources/requests/storage", "value": size}
        patches.append(_json_patch("PersistentVolumeClaim", "redis-leader-data", [op]))
    if _get(data, "frontend.autoscaling.enabled", False):
        bounds = [
            ("/spec/minReplicas", _get(data, "frontend.autoscaling.minReplicas", 2)),
            ("/spec/maxReplicas", _get(data, "frontend.autoscaling.maxReplicas", 10)),
            (
                "/spec/metrics/0/resource/target/averageUtilization",
                _get(data, "frontend.autoscaling.cpuUtilization", 70),
            ),
        ]
        operations = [{"op": "replace", "path": p, "value": v} for p, v in bounds]
        patches.append(_json_patch("HorizontalPodAutoscaler", "frontend", operations))
    for part, deployment in DEPLOYMENTS.items():
        operations = _deployment_operations(data, part)
        if operations:
            patches.append(_json_patch("Deployment", deployment, operations))
    service_type = _get(data, "frontend.service.type", None)
    if service_type:
        op = {"op": "replace", "path": "/spec/type", "value": service_type}
        patches.append(_json_patch("Service", "frontend", [op]))
    return patches


def kustomization(environment: str, data: dict[str, Any], overlay_dir: Path) -> dict[str, Any]:
    """The ``kustomization.yaml`` of ``environment`` for an overlay written in ``overlay_dir``."""
    unsupported = sorted(set(_paths(data)) - SUPPORTED)
    if unsupported:
        raise ValueError(f"{environment}: the Kustomize peer cannot express {unsupported}")

    def relative(folder: str) -> str:
        return os.path.relpath(PEER / folder, overlay_dir)

    replicas = [{"name": "redis-follower", "count": _get(data, "redis.followers.replicas", 2)}]
    if not _get(data, "frontend.autoscaling.enabled", False):
        replicas.insert(0, {"name": "frontend", "count": _get(data, "frontend.replicas", 3)})
    result: dict[str, Any] = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [relative("base")],
        "namespace": f"guestbook-{environment}",
        "labels": [{"pairs": {"app.kubernetes.io/instance": environment}}],
        "replicas": replicas,
    }
    components = _components(data)
    if components:
        result["components"] = [relative(f"components/{c}") for c in components]
    patches = _patches(data)
    if patches:
        result["patches"] = patches
    return result


def write_overlays(directory: Path, fleet: dict[str, dict[str, Any]]) -> dict[str, Path]:
    """One overlay folder per environment under ``directory``; returns them by environment."""
    folders: dict[str, Path] = {}
    for environment, data in fleet.items():
        folder = directory / environment
        folder.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump(kustomization(environment, data, folder), sort_keys=False)
        (folder / "kustomization.yaml").write_text(text, encoding="utf-8")
        folders[environment] = folder
    return folders
