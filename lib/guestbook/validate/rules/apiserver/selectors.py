"""Label selector syntax everywhere selectors appear, and workload selectors matching their pods."""

from __future__ import annotations

from collections.abc import Iterator

from guestbook.manifests.fields import dotted, get, is_kind, items
from guestbook.manifests.inventory import Check, Inventory, PodTemplate, pod_template
from guestbook.manifests.label_selectors import (
    label_selector_problems,
    map_selector_problems,
    parse_label_selector,
    parse_map_selector,
)
from guestbook.validate.model import Document, FieldPath, Finding
from guestbook.validate.rules.registry import Layer, error

LABEL_SELECTOR = error(
    "label-selector",
    Layer.API_SERVER,
    "selector syntax: label keys/values, matchExpressions operators and their values",
)
SELECTOR_MATCHES_TEMPLATE = error(
    "selector-matches-template",
    Layer.API_SERVER,
    "a workload's selector is empty or does not match its own pod template labels",
)
RULES = (LABEL_SELECTOR, SELECTOR_MATCHES_TEMPLATE)

_SELECTOR_WORKLOADS = {
    "Deployment": ("apps", "extensions"),
    "ReplicaSet": ("apps", "extensions"),
    "DaemonSet": ("apps", "extensions"),
    "StatefulSet": ("apps",),
    "Job": ("batch",),
    "Rollout": ("argoproj.io",),  # checked by Argo Rollouts, not the API server
}
"""Workloads whose ``spec.selector`` is a LabelSelector that must match the template."""


def _label_selector_paths(doc: Document) -> Iterator[FieldPath]:
    kind = doc.ref.kind
    if any(is_kind(doc, k, *g) for k, g in _SELECTOR_WORKLOADS.items()):
        yield ("spec", "selector")
    if is_kind(doc, "CronJob", "batch"):
        yield ("spec", "jobTemplate", "spec", "selector")
    if is_kind(doc, "PodDisruptionBudget", "policy"):
        yield ("spec", "selector")
    if kind == "NetworkPolicy" and is_kind(doc, kind, "networking.k8s.io", "extensions"):
        yield ("spec", "podSelector")
        for direction, peers in (("ingress", "from"), ("egress", "to")):
            for rule_path, _ in items(doc.obj, "spec", direction):
                for peer_path, _ in items(doc.obj, *rule_path, peers):
                    yield (*peer_path, "podSelector")
                    yield (*peer_path, "namespaceSelector")
    pod = pod_template(doc)
    if pod is not None:
        spec = pod.spec_path
        for affinity in ("podAffinity", "podAntiAffinity"):
            base = (*spec, "affinity", affinity)
            for term_path, _ in items(
                doc.obj, *base, "requiredDuringSchedulingIgnoredDuringExecution"
            ):
                yield (*term_path, "labelSelector")
                yield (*term_path, "namespaceSelector")
            for term_path, _ in items(
                doc.obj, *base, "preferredDuringSchedulingIgnoredDuringExecution"
            ):
                yield (*term_path, "podAffinityTerm", "labelSelector")
                yield (*term_path, "podAffinityTerm", "namespaceSelector")
        for constraint_path, _ in items(doc.obj, *spec, "topologySpreadConstraints"):
            yield (*constraint_path, "labelSelector")


def _map_selector_paths(doc: Document) -> Iterator[FieldPath]:
    if is_kind(doc, "Service", "") or is_kind(doc, "ReplicationController", ""):
        yield ("spec", "selector")
    pod = pod_template(doc)
    if pod is not None:
        yield (*pod.spec_path, "nodeSelector")


def check_selector_syntax(inventory: Inventory) -> Iterator[Finding]:
    """``label-selector``: every selector's keys, values and expressions."""
    for doc in inventory.documents:
        problems = [
            (root, problem)
            for root in _label_selector_paths(doc)
            for problem in label_selector_problems(get(doc.obj, *root), root)
        ]
        problems += [
            (root, problem)
            for root in _map_selector_paths(doc)
            for problem in map_selector_problems(get(doc.obj, *root), root)
        ]
        for root, (path, message) in problems:
            yield LABEL_SELECTOR.at(
                doc,
                f"{dotted(root)}: {message}",
                field_path=path,
                hint="label keys are [prefix/]name, values at most 63 characters; operators are "
                "In/NotIn (with values) or Exists/DoesNotExist (without)",
            )


def _selector_problem(doc: Document, pod: PodTemplate) -> tuple[str, str] | None:
    """What is wrong with a workload's selector, and the hint; None if nothing."""
    value = get(doc.obj, "spec", "selector")
    if value is None:
        return None  # generated (Job), defaulted (ReplicationController) or required (schema)
    if is_kind(doc, "ReplicationController", ""):
        selector = parse_map_selector(value)
    elif any(is_kind(doc, k, *g) for k, g in _SELECTOR_WORKLOADS.items()):
        if is_kind(doc, "Job", "batch") and get(doc.obj, "spec", "manualSelector") is not True:
            return (
                "Job sets spec.selector without spec.manualSelector: true; the API server "
                "generates the selector and rejects a given one",
                "remove spec.selector (recommended) or set spec.manualSelector: true",
            )
        selector = parse_label_selector(value)
        if selector is not None and selector.empty:
            return (
                f"{doc.ref.kind} has an empty selector, which would select every pod in the "
                "namespace",
                "select the pod template's identifying labels with matchLabels",
            )
    else:
        return None
    if selector is None or selector.matches(pod.labels):
        return None  # a malformed selector is label-selector's finding
    labels = ", ".join(f"{k}={v}" for k, v in sorted(pod.labels.items())) or "none"
    return (
        f"{doc.ref.kind} selector does not match its pod template labels ({labels})",
        "make every selector term true for the pod template's metadata.labels",
    )


def check_selector_matches_template(inventory: Inventory) -> Iterator[Finding]:
    """``selector-matches-template``: a workload must select the pods it creates."""
    for pod in inventory.pods:
        problem = _selector_problem(pod.doc, pod)
        if problem:
            message, hint = problem
            yield SELECTOR_MATCHES_TEMPLATE.at(
                pod.doc, message, field_path=("spec", "selector"), hint=hint
            )


CHECKS: tuple[Check, ...] = (check_selector_syntax, check_selector_matches_template)
