"""Layer 3, part one: objects that select pods or target workloads must find them.

Pods are the pod templates of the workloads rendered in the same namespace.
"""

from __future__ import annotations

from collections.abc import Iterator

from guestbook.manifests.api_groups import group_of
from guestbook.manifests.fields import as_map, as_str, get, maps
from guestbook.manifests.inventory import Check, Inventory, PodTemplate
from guestbook.manifests.label_selectors import Selector, parse_label_selector, parse_map_selector
from guestbook.manifests.podspec import declared_ports, exposes
from guestbook.validate.model import Document, Finding
from guestbook.validate.rules.registry import Layer, error, unresolved, warning

SERVICE_SELECTS_NOTHING = unresolved(
    "service-selects-nothing",
    Layer.REFERENCES,
    "a Service's selector matches no pod template in its namespace",
    reason="a Service without endpoints cannot serve; its pods may be in files not validated",
    fix="select the pod labels of a workload in the Service's namespace, "
    "or validate the files that define it together",
)
SERVICE_TARGET_PORT_UNEXPOSED = error(
    "service-target-port-unexposed",
    Layer.REFERENCES,
    "a Service targetPort name that a selected pod template does not declare",
    reason="a port name no container declares gives the Service no endpoints",
    fix="set targetPort to a port name the selected containers declare, or to a number",
)
SERVICE_TARGET_PORT_UNDECLARED = warning(
    "service-target-port-undeclared",
    Layer.REFERENCES,
    "a numeric Service targetPort that a selected pod template does not declare",
    reason="containerPort is informational: traffic reaches any port the process listens on",
    fix="declare the port in the container (ports[].containerPort), or target the port it declares",
)
HPA_TARGET_MISSING = unresolved(
    "hpa-target-missing",
    Layer.REFERENCES,
    "a HorizontalPodAutoscaler's scaleTargetRef names no rendered object",
    reason="the autoscaler cannot scale anything; its target may be in files not validated",
    fix="point scaleTargetRef at a Deployment, StatefulSet or Rollout of the set, "
    "or validate its file together",
)
PDB_SELECTS_NOTHING = unresolved(
    "pdb-selects-nothing",
    Layer.REFERENCES,
    "a PodDisruptionBudget's selector matches no pod template in its namespace",
    reason="the budget protects nothing; its pods may be in files not validated",
    fix="select the pod labels of the workload the budget protects",
)
NETWORK_POLICY_SELECTS_NOTHING = unresolved(
    "network-policy-selects-nothing",
    Layer.REFERENCES,
    "a NetworkPolicy's non-empty podSelector matches no pod template in its namespace",
    reason="the policy isolates nothing; its pods may be in files not validated",
    fix="select the pod labels of the pods the policy should isolate",
)
DEPLOYMENT_SELECTOR_OVERLAP = warning(
    "deployment-selector-overlap",
    Layer.REFERENCES,
    "two Deployments (or Rollouts) in one namespace whose selectors match each other's pods",
    reason="it is accepted, but the Deployments fight over each other's pods (best practice)",
    fix="add a distinguishing label to both selectors (selectors are immutable: recreate them)",
)
RULES = (
    SERVICE_SELECTS_NOTHING,
    SERVICE_TARGET_PORT_UNEXPOSED,
    SERVICE_TARGET_PORT_UNDECLARED,
    HPA_TARGET_MISSING,
    PDB_SELECTS_NOTHING,
    NETWORK_POLICY_SELECTS_NOTHING,
    DEPLOYMENT_SELECTOR_OVERLAP,
)


def service_selector(doc: Document) -> Selector | None:
    """The pods a Service routes to, or None if it has no (valid) selector or none applies."""
    spec = as_map(doc.obj.get("spec"))
    if spec.get("type") == "ExternalName" or not spec.get("selector"):
        return None
    return parse_map_selector(spec.get("selector"))


def selected(inventory: Inventory, namespace: str, selector: Selector) -> list[PodTemplate]:
    """The pod templates of ``namespace`` that ``selector`` matches."""
    return [
        p
        for p in inventory.pods_in(namespace)
        if any(selector.matches(labels) for labels in p.label_sets)
    ]


def _describe(selector_value: object) -> str:
    pairs = as_map(selector_value)
    labels = as_map(pairs.get("matchLabels")) if "matchLabels" in pairs else pairs
    shown = ", ".join(f"{k}={v}" for k, v in labels.items())
    return shown or "its expressions"


def check_services(inventory: Inventory) -> Iterator[Finding]:
    """``service-selects-nothing``, ``service-target-port-unexposed`` and ``-undeclared``."""
    for doc in inventory.of_kind("Service", ""):
        selector = service_selector(doc)
        if selector is None:
            continue
        pods = selected(inventory, doc.ref.namespace, selector)
        if not pods:
            yield SERVICE_SELECTS_NOTHING.at(
                doc,
                f"Service selector ({_describe(get(doc.obj, 'spec', 'selector'))}) matches no "
                f"pod template in namespace {doc.ref.namespace or '(unset)'}",
                field_path=("spec", "selector"),
                hint="select the labels of the pods this Service should reach",
                complete=inventory.is_complete(doc),
            )
        for path, port in maps(doc.obj, "spec", "ports"):
            target = port.get("targetPort", port.get("port"))
            protocol = str(port.get("protocol", "TCP"))
            if target is None:
                continue
            for pod in pods:
                if exposes(pod, target, protocol):
                    continue
                declared = ", ".join(
                    f"{d.name + '=' if d.name else ''}{d.number}/{d.protocol}"
                    for d in declared_ports(pod)
                )
                rule = (
                    SERVICE_TARGET_PORT_UNEXPOSED
                    if isinstance(target, str) and not target.isdigit()
                    else SERVICE_TARGET_PORT_UNDECLARED
                )
                yield rule.at(
                    doc,
                    f"Service port {port.get('port')} targets {target}/{protocol}, which "
                    f"{pod.name} does not declare (it declares {declared or 'no ports'})",
                    field_path=(*path, "targetPort" if "targetPort" in port else "port"),
                    hint="set targetPort to a containerPort (or its name) of the selected pods",
                )


def check_hpa_targets(inventory: Inventory) -> Iterator[Finding]:
    """``hpa-target-missing``."""
    for doc in inventory.of_kind("HorizontalPodAutoscaler", "autoscaling"):
        ref = as_map(get(doc.obj, "spec", "scaleTargetRef"))
        kind, name = as_str(ref.get("kind")), as_str(ref.get("name"))
        if not kind or not name:
            continue  # required fields: the schema layer reports them
        api_version = as_str(ref.get("apiVersion"))
        namespace = doc.ref.namespace
        target = (
            inventory.find(group_of(api_version), kind, namespace, name)
            if api_version
            else inventory.find_any_group(kind, namespace, name)
        )
        if target is None:
            yield HPA_TARGET_MISSING.at(
                doc,
                f"scaleTargetRef {kind}/{name}"
                + (f" ({api_version})" if api_version else "")
                + f" is not rendered in namespace {namespace or '(unset)'}",
                field_path=("spec", "scaleTargetRef", "name"),
                hint="point scaleTargetRef at a rendered Deployment, StatefulSet or Rollout",
                complete=inventory.is_complete(doc),
            )


def check_pdbs(inventory: Inventory) -> Iterator[Finding]:
    """``pdb-selects-nothing``."""
    for doc in inventory.of_kind("PodDisruptionBudget", "policy"):
        value = get(doc.obj, "spec", "selector")
        complete = True
        if value is None:
            message = "PodDisruptionBudget has no selector, so it protects no pod"
        else:
            complete = inventory.is_complete(doc)
            selector = parse_label_selector(value)
            if selector is None or selected(inventory, doc.ref.namespace, selector):
                continue
            message = (
                f"PodDisruptionBudget selector ({_describe(value)}) matches no pod template "
                f"in namespace {doc.ref.namespace or '(unset)'}"
            )
        yield PDB_SELECTS_NOTHING.at(
            doc,
            message,
            field_path=("spec", "selector"),
            hint="select the pod labels of the workload this budget protects",
            complete=complete,
        )


def check_network_policies(inventory: Inventory) -> Iterator[Finding]:
    """``network-policy-selects-nothing``."""
    for doc in inventory.of_kind("NetworkPolicy", "networking.k8s.io", "extensions"):
        value = get(doc.obj, "spec", "podSelector")
        selector = parse_label_selector(value)
        if selector is None or selector.empty:
            continue  # empty: the whole namespace, by intent
        if not selected(inventory, doc.ref.namespace, selector):
            yield NETWORK_POLICY_SELECTS_NOTHING.at(
                doc,
                f"NetworkPolicy podSelector ({_describe(value)}) matches no pod template in "
                f"namespace {doc.ref.namespace or '(unset)'}",
                field_path=("spec", "podSelector"),
                hint="select the labels of the pods this policy should isolate",
                complete=inventory.is_complete(doc),
            )


_OWNING_KINDS = ("Deployment", "Rollout")
"""Workloads that adopt any ReplicaSet their selector matches (and so each other's pods)."""


def check_deployment_overlap(inventory: Inventory) -> Iterator[Finding]:
    """``deployment-selector-overlap``: one warning per pair of Deployments or Rollouts."""
    by_namespace: dict[str, list[tuple[PodTemplate, Selector]]] = {}
    for pod in inventory.pods:
        selector = parse_label_selector(get(pod.doc.obj, "spec", "selector"))
        if pod.kind in _OWNING_KINDS and selector is not None and not selector.empty:
            by_namespace.setdefault(pod.namespace, []).append((pod, selector))
    for deployments in by_namespace.values():
        for i, (first, first_selector) in enumerate(deployments):
            for second, second_selector in deployments[i + 1 :]:
                first_claims = first_selector.matches(second.labels)
                second_claims = second_selector.matches(first.labels)
                if not (first_claims or second_claims):
                    continue
                owner, other = (first, second) if first_claims else (second, first)
                shown = _describe(get(owner.doc.obj, "spec", "selector"))
                if first_claims and second_claims:
                    message = "each may adopt or delete the other's pods"
                    hint = (
                        "add a distinguishing label (e.g. role) to both selectors; "
                        "selectors are immutable, so this means recreating the Deployments"
                    )
                else:
                    # The canary shape: the narrower one never claims the wider one's pods.
                    message = (
                        f"{other.name}'s selector does not match the pods of {owner.name}, "
                        f"but {owner.name} adopts {other.name}'s pods when they lose their owner"
                    )
                    hint = (
                        f"add a label to {owner.name}'s selector that {other.name}'s pods do not "
                        "carry (immutable: recreate it); for a canary beside its stable "
                        "Deployment, skip this rule on the stable one with the reason"
                    )
                yield DEPLOYMENT_SELECTOR_OVERLAP.at(
                    owner.doc,
                    f"{owner.name} selector ({shown}) also matches the pods of {other.name}; "
                    + message,
                    field_path=("spec", "selector"),
                    hint=hint,
                )


CHECKS: tuple[Check, ...] = (
    check_services,
    check_hpa_targets,
    check_pdbs,
    check_network_policies,
    check_deployment_overlap,
)
