"""Layer 5, part two: probes, resources, pinned images, budgets, policy coverage, storage."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from guestbook.images import image_ref
from guestbook.manifests.fields import as_list, as_map, as_str, get, maps
from guestbook.manifests.inventory import (
    REPLICATED_KINDS,
    SERVING_KINDS,
    Check,
    Inventory,
    PodTemplate,
)
from guestbook.manifests.label_selectors import Selector, parse_label_selector
from guestbook.manifests.podspec import app_containers, containers
from guestbook.validate.model import Finding
from guestbook.validate.rules.registry import Layer, warning

READINESS_PROBE_MISSING = warning(
    "readiness-probe-missing",
    Layer.POLICY,
    "long-running container without a readinessProbe",
    reason="it runs, but traffic may reach a pod before it is ready (best practice)",
    fix="add a readinessProbe that succeeds only when the container can serve",
)
LIVENESS_PROBE_MISSING = warning(
    "liveness-probe-missing",
    Layer.POLICY,
    "long-running container without a livenessProbe",
    reason="it runs, but a hung process is never restarted (best practice)",
    fix="add a livenessProbe that fails only when the process is stuck",
)
REQUESTS_MISSING = warning(
    "requests-missing",
    Layer.POLICY,
    "container without cpu and memory requests",
    reason="it runs, but the scheduler cannot place it reliably (best practice)",
    fix="set resources.requests.cpu and .memory to what the container needs",
)
LIMITS_MISSING = warning(
    "limits-missing",
    Layer.POLICY,
    "container without a memory limit (a CPU limit is deliberately not required)",
    reason="it runs, but one container can exhaust its node's memory (best practice)",
    fix="set resources.limits.memory (a CPU limit is not needed)",
)
IMAGE_TAG = warning(
    "image-tag",
    Layer.POLICY,
    "image without a tag or digest, or tagged latest",
    reason="it runs, but what runs can change without a change here (best practice)",
    fix="use a fixed version tag, or a digest",
)
IMAGE_DIGEST = warning(
    "image-digest",
    Layer.POLICY,
    "image pinned by tag only: the registry can move the tag (run `guestbook pin ENV`)",
    reason="it runs, but the registry can move the tag (best practice)",
    fix="add the digest (image:tag@sha256:...), e.g. with guestbook pin ENV",
)
PDB_MISSING = warning(
    "pdb-missing",
    Layer.POLICY,
    "workload with more than one replica and no PodDisruptionBudget selecting its pods",
    reason="it runs, but a drain may evict every replica at once (best practice)",
    fix="add a PodDisruptionBudget selecting the workload's pods",
)
NETWORK_POLICY_MISSING = warning(
    "network-policy-missing",
    Layer.POLICY,
    "namespace with workloads but no NetworkPolicy",
    reason="it works, but every pod can reach every other (exceeds least privilege)",
    fix="add NetworkPolicies that allow only the flows the namespace needs",
)
RWO_PVC_ROLLING_UPDATE = warning(
    "rwo-pvc-rolling-update",
    Layer.POLICY,
    "ReadWriteOnce PVC mounted by a Deployment with the RollingUpdate strategy",
    reason="it works on one node, but a rollout can hang on the claim (best practice)",
    fix="use the Recreate strategy, or a StatefulSet, or a ReadWriteMany claim",
)
RULES = (
    READINESS_PROBE_MISSING,
    LIVENESS_PROBE_MISSING,
    REQUESTS_MISSING,
    LIMITS_MISSING,
    IMAGE_TAG,
    IMAGE_DIGEST,
    PDB_MISSING,
    NETWORK_POLICY_MISSING,
    RWO_PVC_ROLLING_UPDATE,
)


def _long_running(pod: PodTemplate) -> bool:
    return pod.kind in SERVING_KINDS


def check_probes(inventory: Inventory) -> Iterator[Finding]:
    """``readiness-probe-missing`` and ``liveness-probe-missing``."""
    for pod in filter(_long_running, inventory.pods):
        for container in app_containers(pod):
            for field, rule in (
                ("readinessProbe", READINESS_PROBE_MISSING),
                ("livenessProbe", LIVENESS_PROBE_MISSING),
            ):
                if container.obj.get(field) is None:
                    yield rule.at(
                        pod.doc,
                        f"{container.label} of {pod.name} has no {field}",
                        field_path=container.path,
                        hint=f"add a {field} (e.g. tcpSocket or httpGet on the container port)",
                    )


def check_resources(inventory: Inventory) -> Iterator[Finding]:
    """``requests-missing`` and ``limits-missing``."""
    for pod in inventory.pods:
        for container in containers(pod, ("initContainers", "containers")):
            resources = as_map(container.obj.get("resources"))
            requests, limits = as_map(resources.get("requests")), as_map(resources.get("limits"))
            missing = [r for r in ("cpu", "memory") if r not in requests and r not in limits]
            where = (*container.path, "resources") if resources else container.path
            if missing:
                yield REQUESTS_MISSING.at(
                    pod.doc,
                    f"{container.label} of {pod.name} requests no {' or '.join(missing)}",
                    field_path=where,
                    hint="set resources.requests for cpu and memory so the scheduler can place it",
                )
            if "memory" not in limits:
                yield LIMITS_MISSING.at(
                    pod.doc,
                    f"{container.label} of {pod.name} has no memory limit",
                    field_path=where,
                    hint="set resources.limits.memory so one pod cannot exhaust its node",
                )


def check_image_tags(inventory: Inventory) -> Iterator[Finding]:
    """``image-tag`` and ``image-digest``: one finding per image, the worse one."""
    for pod in inventory.pods:
        for container in containers(pod):
            if container.image is None:
                continue
            ref = image_ref(container.image)
            if ref.digest is not None:
                continue
            where = (*container.path, "image")
            if ref.tag in (None, "latest"):
                what = "is tagged latest" if ref.tag else "has no tag"
                yield IMAGE_TAG.at(
                    pod.doc,
                    f"image {container.image!r} of {container.label} {what}",
                    field_path=where,
                    hint="pin a version tag or a digest so every rollout runs the same image",
                )
            else:
                yield IMAGE_DIGEST.at(
                    pod.doc,
                    f"image {container.image!r} of {container.label} is pinned by tag only",
                    field_path=where,
                    hint="pin it by digest: `guestbook pin ENV` writes repo:tag@sha256:...",
                )


def check_pdbs(inventory: Inventory) -> Iterator[Finding]:
    """``pdb-missing``."""
    budgets: dict[str, list[Selector]] = defaultdict(list)  # by namespace: linear in a fleet
    for doc in inventory.of_kind("PodDisruptionBudget", "policy"):
        selector = parse_label_selector(get(doc.obj, "spec", "selector"))
        if selector is not None:
            budgets[doc.ref.namespace].append(selector)
    for pod in inventory.pods:
        if pod.kind not in REPLICATED_KINDS or pod.replicas <= 1:
            continue
        if not any(s.matches(pod.labels) for s in budgets.get(pod.namespace, ())):
            yield PDB_MISSING.at(
                pod.doc,
                f"{pod.name} runs {pod.replicas} replicas but no PodDisruptionBudget protects them",
                field_path=("spec", "replicas"),
                hint="add a PodDisruptionBudget (e.g. maxUnavailable: 1) selecting its pods",
            )


def check_network_policy_coverage(inventory: Inventory) -> Iterator[Finding]:
    """``network-policy-missing``: one warning per namespace, on its first workload."""
    covered = {
        d.ref.namespace
        for d in inventory.of_kind("NetworkPolicy", "networking.k8s.io", "extensions")
    }
    reported: set[str] = set()
    for pod in inventory.pods:
        if pod.namespace in covered or pod.namespace in reported:
            continue
        reported.add(pod.namespace)
        yield NETWORK_POLICY_MISSING.at(
            pod.doc,
            f"namespace {pod.namespace or '(unset)'} runs workloads but has no NetworkPolicy, "
            "so every pod accepts traffic from anywhere",
            field_path=("metadata", "namespace"),
            hint="add a default-deny NetworkPolicy and allow the needed flows",
        )


def check_rwo_rolling_update(inventory: Inventory) -> Iterator[Finding]:
    """``rwo-pvc-rolling-update``."""
    for pod in inventory.pods:
        # A Rollout has no Recreate: its canary and blue-green both start new pods first.
        if pod.kind not in ("Deployment", "Rollout"):
            continue
        strategy = get(pod.doc.obj, "spec", "strategy", "type")
        if pod.kind == "Deployment" and strategy not in (None, "RollingUpdate"):
            continue
        for path, volume in maps(pod.doc.obj, *pod.spec_path, "volumes"):
            claim = as_str(get(volume, "persistentVolumeClaim", "claimName"))
            doc = inventory.find("", "PersistentVolumeClaim", pod.namespace, claim or "")
            modes = as_list(get(doc.obj, "spec", "accessModes")) if doc else []
            if claim and any(m in ("ReadWriteOnce", "ReadWriteOncePod") for m in modes):
                yield RWO_PVC_ROLLING_UPDATE.at(
                    pod.doc,
                    f"{pod.name} rolls out new pods before removing old ones, but its volume "
                    f"uses ReadWriteOnce claim {claim!r}: the new pod can hang on attach and two "
                    "pods may write the same data",
                    field_path=(*path, "persistentVolumeClaim", "claimName"),
                    hint="use strategy type Recreate (or a StatefulSet)"
                    if pod.kind == "Deployment"
                    else "use a Deployment with strategy type Recreate, or a StatefulSet",
                )


CHECKS: tuple[Check, ...] = (
    check_probes,
    check_resources,
    check_image_tags,
    check_pdbs,
    check_network_policy_coverage,
    check_rwo_rolling_update,
)
