"""What the cluster should look like, computed from dist/ as rendered (pure functions).

The expectations come from the manifests Argo CD syncs, not from numbers written into the
test: change an overlay and the test expects the new replicas and endpoints.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

Obj = Mapping[str, Any]


def load_folder(folder: Path) -> list[dict[str, Any]]:
    """Every object in a folder of manifests (dist/<env>/)."""
    objects: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.yaml")):
        objects.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return objects


def of_kind(objects: Iterable[Obj], kind: str) -> list[Obj]:
    """The objects of one kind."""
    return [o for o in objects if o.get("kind") == kind]


def selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """Whether an equality selector (a Service's) matches ``labels``; empty selects nothing."""
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def expected_replicas(objects: Sequence[Obj]) -> dict[str, int]:
    """Each Deployment's intended replicas, by name.

    ``spec.replicas`` when the Deployment sets it; when an HPA owns it (the Deployment
    leaves replicas out) the HPA's ``minReplicas``, which it holds at low load; else 1.
    """
    hpa_min = {
        h["spec"]["scaleTargetRef"]["name"]: int(h["spec"].get("minReplicas", 1))
        for h in of_kind(objects, "HorizontalPodAutoscaler")
        if h["spec"]["scaleTargetRef"].get("kind") == "Deployment"
    }
    replicas = {}
    for deployment in of_kind(objects, "Deployment"):
        name = deployment["metadata"]["name"]
        spec = deployment["spec"]
        replicas[name] = int(spec["replicas"]) if "replicas" in spec else hpa_min.get(name, 1)
    return replicas


def intended_endpoints(objects: Sequence[Obj], replicas: Mapping[str, int]) -> dict[str, int]:
    """How many ready endpoints each Service with a selector should have, by name.

    The sum of the replicas of the Deployments whose pod template the selector matches.
    """
    deployments = of_kind(objects, "Deployment")
    expected = {}
    for service in of_kind(objects, "Service"):
        selector = service["spec"].get("selector") or {}
        if not selector:
            continue
        expected[service["metadata"]["name"]] = sum(
            replicas[d["metadata"]["name"]]
            for d in deployments
            if selects(selector, d["spec"]["template"]["metadata"].get("labels") or {})
        )
    return expected


def ready_endpoint_pods(slices: Iterable[Obj], service: str) -> list[str]:
    """The pods behind the ready endpoints of ``service``'s EndpointSlices (sorted)."""
    pods = []
    for endpoint_slice in slices:
        labels = endpoint_slice["metadata"].get("labels") or {}
        if labels.get("kubernetes.io/service-name") != service:
            continue
        for endpoint in endpoint_slice.get("endpoints") or ():
            if (endpoint.get("conditions") or {}).get("ready"):
                pods.append(str((endpoint.get("targetRef") or {}).get("name", "?")))
    return sorted(pods)


def ready_pods(pods: Iterable[Obj], selector: Mapping[str, str]) -> list[str]:
    """Names of the running, Ready pods ``selector`` matches (sorted)."""
    names = []
    for pod in pods:
        if not selects(selector, pod["metadata"].get("labels") or {}):
            continue
        if pod["metadata"].get("deletionTimestamp"):
            continue
        conditions = (pod.get("status") or {}).get("conditions") or ()
        if any(c["type"] == "Ready" and c["status"] == "True" for c in conditions):
            names.append(pod["metadata"]["name"])
    return sorted(names)
