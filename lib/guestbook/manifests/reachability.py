"""Which connections NetworkPolicies allow, with standard NetworkPolicy semantics.

- A pod is isolated for ingress (egress) when some policy in its namespace
  selects it with that policy type; an isolated pod accepts (sends) only what
  some rule of those policies allows. Policies add up; none denies.
- A connection needs both sides: egress from the source and ingress to the
  destination.
- Peers: ``podSelector`` alone means pods of the policy's namespace;
  ``namespaceSelector`` (with an optional ``podSelector``) pods of matching
  namespaces; ``ipBlock`` addresses. A rule without peers allows everyone; a
  rule without ports allows every port. Named ports resolve on the destination.

The manifests do not say everything, so some parties are stand-ins:
:data:`OUTSIDE` (any address outside the cluster), :data:`OTHER_NAMESPACE`
(a pod with unknown labels in some namespace other than the policy's), and the
cluster DNS (``k8s-app=kube-dns`` pods in ``kube-system``, address unknown).
Their own policies are unknown, so their side never blocks. An ``ipBlock`` is
assumed to possibly cover the outside and the DNS, never a rendered pod (pod
addresses are not known in advance).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from guestbook.manifests.fields import as_int, as_list, as_str, get, maps
from guestbook.manifests.inventory import Inventory, PodTemplate
from guestbook.manifests.label_selectors import Selector, parse_label_selector
from guestbook.manifests.podspec import ContainerPort, declared_ports
from guestbook.validate.model import Document, FieldPath

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
DNS_NAMESPACE = "kube-system"
DNS_POD_LABELS: Mapping[str, str] = {"k8s-app": "kube-dns"}
DNS_PORT = 53


@dataclass(frozen=True)
class Endpoint:
    """One side of a connection."""

    description: str
    namespace: str | None
    """None when unknown (another namespace) or outside the cluster."""
    namespace_labels: Mapping[str, str] | None
    """None when the namespace is unknown: any namespace selector not pinned to ours may match."""
    labels: Mapping[str, str] | None
    """Pod labels; None when unknown (any pod selector may match)."""
    ports: tuple[ContainerPort, ...] = ()
    in_cluster: bool = True
    addressable: bool = False
    """Whether an ipBlock peer may cover this endpoint's address."""
    pod: PodTemplate | None = None


OUTSIDE = Endpoint(
    "clients outside the cluster", None, None, None, in_cluster=False, addressable=True
)
OTHER_NAMESPACE = Endpoint("pods in other namespaces", None, None, None)


def pod_endpoint(inventory: Inventory, pod: PodTemplate) -> Endpoint:
    """A rendered pod template as an endpoint."""
    return Endpoint(
        description=pod.name,
        namespace=pod.namespace,
        namespace_labels=inventory.namespace_labels(pod.namespace),
        labels=pod.labels,
        ports=tuple(declared_ports(pod)),
        pod=pod,
    )


def dns_endpoint(inventory: Inventory) -> Endpoint:
    """The cluster DNS as the manifests can know it."""
    return Endpoint(
        description=f"the cluster DNS ({DNS_NAMESPACE})",
        namespace=DNS_NAMESPACE,
        namespace_labels=inventory.namespace_labels(DNS_NAMESPACE),
        labels=DNS_POD_LABELS,
        ports=(ContainerPort(DNS_PORT, "UDP", "dns"), ContainerPort(DNS_PORT, "TCP", "dns-tcp")),
        addressable=True,
    )


@dataclass(frozen=True)
class Policy:
    """A NetworkPolicy reduced to what decides connections."""

    doc: Document
    namespace: str
    """The policy's namespace (it selects pods there only)."""
    selector: Selector
    ingress: bool
    """Whether it isolates the pods it selects for ingress."""
    egress: bool

    def selects(self, endpoint: Endpoint) -> bool:
        """Whether this policy applies to ``endpoint``."""
        return (
            endpoint.labels is not None
            and endpoint.namespace == self.namespace
            and self.selector.matches(endpoint.labels)
        )

    def rules(self, direction: str) -> list[tuple[FieldPath, Mapping[str, Any]]]:
        """The ``ingress`` or ``egress`` rules with their paths."""
        return maps(self.doc.obj, "spec", direction)

    def anchor(self, direction: str) -> FieldPath:
        """The field to point at when this policy blocks ``direction``."""
        return ("spec", direction) if self.rules(direction) else ("spec", "policyTypes")


@dataclass(frozen=True)
class Policies:
    """The NetworkPolicies of a run, by namespace."""

    by_namespace: Mapping[str, tuple[Policy, ...]]

    def in_namespace(self, namespace: str | None) -> tuple[Policy, ...]:
        """The policies that may select pods of ``namespace``."""
        return self.by_namespace.get(namespace, ()) if namespace is not None else ()

    @property
    def namespaces(self) -> list[str]:
        """Namespaces where at least one NetworkPolicy is rendered, sorted."""
        return sorted(self.by_namespace)


def policies(inventory: Inventory) -> Policies:
    """Every NetworkPolicy whose podSelector parses."""
    found: dict[str, list[Policy]] = {}
    for doc in inventory.of_kind("NetworkPolicy", "networking.k8s.io", "extensions"):
        selector = parse_label_selector(get(doc.obj, "spec", "podSelector"))
        if selector is None:
            continue
        types = get(doc.obj, "spec", "policyTypes")
        if types is None:
            ingress, egress = True, get(doc.obj, "spec", "egress") is not None
        else:
            ingress, egress = "Ingress" in as_list(types), "Egress" in as_list(types)
        namespace = doc.ref.namespace
        found.setdefault(namespace, []).append(Policy(doc, namespace, selector, ingress, egress))
    return Policies({ns: tuple(items) for ns, items in found.items()})


def _may_be_other_namespace(selector: Selector, own: str) -> bool:
    pinned = selector.pinned_values(NAMESPACE_NAME_LABEL)
    return pinned is None or any(name != own for name in pinned)


def _namespace_matches(peer: Mapping[str, Any], endpoint: Endpoint, policy_namespace: str) -> bool:
    """Whether the peer's namespace part (its own namespace when absent) covers ``endpoint``."""
    if "namespaceSelector" not in peer:
        return endpoint.namespace == policy_namespace
    namespaces = parse_label_selector(peer.get("namespaceSelector"))
    if namespaces is None:
        return False
    if endpoint.namespace_labels is None:
        return _may_be_other_namespace(namespaces, policy_namespace)
    return namespaces.matches(endpoint.namespace_labels)


def peer_matches(peer: Mapping[str, Any], endpoint: Endpoint, policy_namespace: str) -> bool:
    """Whether a ``from``/``to`` peer of a policy in ``policy_namespace`` covers ``endpoint``."""
    if "ipBlock" in peer:
        return endpoint.addressable
    if not endpoint.in_cluster or not ("podSelector" in peer or "namespaceSelector" in peer):
        return False
    if not _namespace_matches(peer, endpoint, policy_namespace):
        return False
    if "podSelector" not in peer:
        return True
    pods = parse_label_selector(peer.get("podSelector"))
    return pods is not None and (endpoint.labels is None or pods.matches(endpoint.labels))


def port_matches(rule: Mapping[str, Any], destination: Endpoint, port: int, protocol: str) -> bool:
    """Whether a rule's ``ports`` cover ``port``/``protocol`` on ``destination``."""
    entries = maps(rule, "ports")
    if not entries:
        return not as_list(rule.get("ports"))  # absent or empty: every port
    for _, entry in entries:
        if entry.get("protocol", "TCP") != protocol:
            continue
        value = entry.get("port")
        if value is None:
            return True
        name = as_str(value)
        if name is not None:
            if any(
                p.name == name and p.number == port and p.protocol == protocol
                for p in destination.ports
            ):
                return True
            continue
        start = as_int(value)
        end = as_int(entry.get("endPort")) or start
        if start is not None and end is not None and start <= port <= end:
            return True
    return False


def _allowing_rule(
    policy: Policy,
    direction: str,
    *,
    peer: Endpoint,
    destination: Endpoint,
    port: int,
    protocol: str,
) -> FieldPath | None:
    peers_field = "from" if direction == "ingress" else "to"
    for path, rule in policy.rules(direction):
        peers = [p for p in as_list(rule.get(peers_field)) if isinstance(p, Mapping)]
        peer_ok = not peers or any(peer_matches(p, peer, policy.namespace) for p in peers)
        if peer_ok and port_matches(rule, destination, port, protocol):
            return path
    return None


@dataclass(frozen=True)
class Side:
    """One side's say on a connection."""

    isolating: tuple[Policy, ...]
    """Policies that isolate this side (none: everything is allowed)."""
    allowed_by: tuple[Policy, FieldPath] | None
    """The first rule that allows the connection, when isolated."""

    @property
    def allowed(self) -> bool:
        """Whether this side lets the connection through."""
        return not self.isolating or self.allowed_by is not None


@dataclass(frozen=True)
class Verdict:
    """Whether a connection is allowed, and by or against which policies."""

    egress: Side
    ingress: Side

    @property
    def allowed(self) -> bool:
        """Both sides allow it."""
        return self.egress.allowed and self.ingress.allowed


def _side(
    all_policies: Policies,
    direction: str,
    *,
    subject: Endpoint,
    peer: Endpoint,
    destination: Endpoint,
    port: int,
    protocol: str,
) -> Side:
    isolating = tuple(
        p
        for p in all_policies.in_namespace(subject.namespace)
        if (p.ingress if direction == "ingress" else p.egress) and p.selects(subject)
    )
    for policy in isolating:
        path = _allowing_rule(
            policy, direction, peer=peer, destination=destination, port=port, protocol=protocol
        )
        if path is not None:
            return Side(isolating, (policy, path))
    return Side(isolating, None)


def connection(
    all_policies: Policies,
    source: Endpoint,
    destination: Endpoint,
    port: int,
    protocol: str = "TCP",
) -> Verdict:
    """What the policies say about ``source`` connecting to ``destination`` on ``port``."""
    return Verdict(
        egress=_side(
            all_policies,
            "egress",
            subject=source,
            peer=destination,
            destination=destination,
            port=port,
            protocol=protocol,
        ),
        ingress=_side(
            all_policies,
            "ingress",
            subject=destination,
            peer=source,
            destination=destination,
            port=port,
            protocol=protocol,
        ),
    )


def blocking(verdict: Verdict) -> Iterator[tuple[str, Side]]:
    """Each side that blocks the connection, with its direction."""
    for direction, side in (("egress", verdict.egress), ("ingress", verdict.ingress)):
        if not side.allowed:
            yield direction, side


def policy_to_extend(side: Side, direction: str) -> Policy:
    """The isolating policy a fix most likely belongs in: one aimed at these pods, with rules."""
    return min(
        side.isolating,
        key=lambda p: (p.selector.empty, not p.rules(direction), p.doc.ref.name),
    )
