"""Layer 4: the guestbook images' own contracts, wherever those images run.

Workloads are recognised by image repository name, from any registry, with any
tag or digest: ``gb-frontend`` (the PHP frontend), ``gb-redis-follower`` (a
Redis follower) and ``redis`` (the leader). The frontend resolves
``redis-leader`` and ``redis-follower`` through DNS in its own namespace and
talks to them on 6379; the follower replicates from ``redis-leader:6379``.

Services without a selector (ExternalName, hand-made endpoints) point at
backends the manifests do not show; their backends are not checked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from guestbook.validate.model import Document, FieldPath, Finding
from guestbook.validate.rules.images import parse_image
from guestbook.validate.rules.inventory import Check, Inventory, PodTemplate
from guestbook.validate.rules.kube import as_int, maps
from guestbook.validate.rules.podspec import Container, app_containers, resolve_port
from guestbook.validate.rules.reachability import (
    DNS_PORT,
    OTHER_NAMESPACE,
    OUTSIDE,
    Endpoint,
    Policies,
    Policy,
    Verdict,
    blocking,
    connection,
    dns_endpoint,
    pod_endpoint,
    policies,
    policy_to_extend,
)
from guestbook.validate.rules.registry import Layer, error
from guestbook.validate.rules.selection import selected, service_selector

REDIS_SERVICE_MISSING = error(
    "guestbook-redis-service-missing",
    Layer.GUESTBOOK,
    "the frontend needs Services redis-leader and redis-follower, the follower needs "
    "redis-leader, in its own namespace",
)
REDIS_SERVICE_PORT = error(
    "guestbook-redis-service-port",
    Layer.GUESTBOOK,
    "a Redis Service the guestbook needs does not offer port 6379",
)
REDIS_SERVICE_BACKEND = error(
    "guestbook-redis-service-backend",
    Layer.GUESTBOOK,
    "a Redis Service selects no ready pod (replicas >= 1) running the right Redis image on 6379",
)
FLOW_BLOCKED = error(
    "guestbook-flow-blocked",
    Layer.GUESTBOOK,
    "NetworkPolicies block a flow the guestbook needs (clients to frontend:80, frontend to "
    "both Redis Services, follower to leader, DNS)",
)
REDIS_EXPOSED = error(
    "guestbook-redis-exposed",
    Layer.GUESTBOOK,
    "NetworkPolicies let something other than the frontend and followers reach Redis on 6379",
)
RULES = (
    REDIS_SERVICE_MISSING,
    REDIS_SERVICE_PORT,
    REDIS_SERVICE_BACKEND,
    FLOW_BLOCKED,
    REDIS_EXPOSED,
)

FRONTEND, FOLLOWER, LEADER = "gb-frontend", "gb-redis-follower", "redis"
REDIS_PORT = 6379
FRONTEND_PORT = 80
LEADER_SERVICE, FOLLOWER_SERVICE = "redis-leader", "redis-follower"

NEEDS: dict[str, tuple[str, ...]] = {
    FRONTEND: (LEADER_SERVICE, FOLLOWER_SERVICE),
    FOLLOWER: (LEADER_SERVICE,),
}
"""Which Services each image looks up."""
BACKENDS: dict[str, tuple[str, ...]] = {
    LEADER_SERVICE: (LEADER,),
    FOLLOWER_SERVICE: (FOLLOWER, LEADER),
}
"""Which images may serve each Service (followers are read-only, so never the leader's)."""


def role_container(pod: PodTemplate, repository: str) -> Container | None:
    """The first app container of ``pod`` running ``repository``, if any."""
    for container in app_containers(pod):
        if container.image and parse_image(container.image).repository == repository:
            return container
    return None


def runs(pod: PodTemplate, *repositories: str) -> bool:
    """Whether ``pod`` runs one of ``repositories`` in an app container."""
    return any(role_container(pod, r) is not None for r in repositories)


@dataclass(frozen=True)
class Need:
    """A workload that needs a Service."""

    pod: PodTemplate
    image: str
    container: Container


def needs(inventory: Inventory) -> dict[tuple[str, str], list[Need]]:
    """(namespace, Service name) → the workloads that need that Service."""
    found: dict[tuple[str, str], list[Need]] = defaultdict(list)
    for pod in inventory.pods:
        for image, services in NEEDS.items():
            container = role_container(pod, image)
            if container is not None:
                for service in services:
                    found[(pod.namespace, service)].append(Need(pod, image, container))
    return found


def _port_6379(doc: Document) -> tuple[FieldPath, object] | None:
    """The Service port 6379 and its targetPort, if offered."""
    for path, port in maps(doc.obj, "spec", "ports"):
        if as_int(port.get("port")) == REDIS_PORT and port.get("protocol", "TCP") == "TCP":
            return path, port.get("targetPort", REDIS_PORT)
    return None


def backends(inventory: Inventory, doc: Document) -> list[PodTemplate]:
    """The ready pods a Service selects that run an image allowed to serve it."""
    selector = service_selector(doc)
    if selector is None:
        return []
    return [
        pod
        for pod in selected(inventory, doc.ref.namespace, selector)
        if pod.serving and runs(pod, *BACKENDS[doc.ref.name])
    ]


def _backend_problem(inventory: Inventory, doc: Document, target: object) -> str | None:
    selector = service_selector(doc)
    if selector is None:
        return None  # backends outside what the manifests show
    pods = selected(inventory, doc.ref.namespace, selector)
    images = " or ".join(BACKENDS[doc.ref.name])
    wrong = [p.name for p in pods if not runs(p, *BACKENDS[doc.ref.name])]
    if wrong:
        return f"also selects {' and '.join(wrong)}, not running {images}"
    ready = [p for p in pods if p.serving]
    if not ready:
        return f"selects no ready pod running {images} (replicas >= 1)"
    for pod in ready:
        port = resolve_port(pod, target)
        if port != REDIS_PORT:
            return f"sends port 6379 to {target} on {pod.name}, but Redis listens on {REDIS_PORT}"
    return None


def check_services(inventory: Inventory) -> Iterator[Finding]:
    """``guestbook-redis-service-missing``, ``-port`` and ``-backend``."""
    for (namespace, service), needers in sorted(needs(inventory).items()):
        doc = inventory.find("", "Service", namespace, service)
        who = ", ".join(sorted({f"{n.pod.name} ({n.image})" for n in needers}))
        if doc is None:
            for need in needers:
                yield REDIS_SERVICE_MISSING.at(
                    need.pod.doc,
                    f"{need.pod.name} runs {need.image}, which connects to Service {service} "
                    f"on {REDIS_PORT}, but namespace {namespace or '(unset)'} has no such Service",
                    field_path=(*need.container.path, "image"),
                    hint=f"render a Service named {service} in the same namespace, "
                    "selecting the Redis pods",
                )
            continue
        port = _port_6379(doc)
        if port is None:
            yield REDIS_SERVICE_PORT.at(
                doc,
                f"Service {service} has no TCP port {REDIS_PORT}, which {who} connect to",
                field_path=("spec", "ports"),
                hint=f"expose port {REDIS_PORT} (the images' fixed Redis port)",
            )
            continue
        problem = _backend_problem(inventory, doc, port[1])
        if problem:
            yield REDIS_SERVICE_BACKEND.at(
                doc,
                f"Service {service}, needed by {who}, {problem}",
                field_path=("spec", "selector"),
                hint=f"select the pods running {' or '.join(BACKENDS[service])}, with "
                f"replicas >= 1, and target port {REDIS_PORT}",
            )


@dataclass(frozen=True)
class Flow:
    """A connection the guestbook needs."""

    source: Endpoint
    destination: Endpoint
    port: int
    protocol: str
    label: str


def _needed_flows(inventory: Inventory, namespace: str) -> Iterator[Flow]:
    dns = dns_endpoint(inventory)
    for pod in inventory.pods_in(namespace):
        me = pod_endpoint(inventory, pod)
        if runs(pod, FRONTEND):
            yield Flow(OUTSIDE, me, FRONTEND_PORT, "TCP", f"clients → {pod.name}:{FRONTEND_PORT}")
        for image, services in NEEDS.items():
            if not runs(pod, image):
                continue
            for service in services:
                doc = inventory.find("", "Service", namespace, service)
                for backend in backends(inventory, doc) if doc else []:
                    yield Flow(
                        me,
                        pod_endpoint(inventory, backend),
                        REDIS_PORT,
                        "TCP",
                        f"{pod.name} → {service} ({backend.name}):{REDIS_PORT}",
                    )
            yield Flow(me, dns, DNS_PORT, "UDP", f"{pod.name} → DNS:{DNS_PORT}/UDP")


def _client_verdict(all_policies: Policies, flow: Flow) -> Verdict:
    """Clients may come from outside or from another namespace (an ingress controller)."""
    outside = connection(all_policies, OUTSIDE, flow.destination, flow.port, flow.protocol)
    if outside.allowed:
        return outside
    return connection(all_policies, OTHER_NAMESPACE, flow.destination, flow.port, flow.protocol)


def check_flows(inventory: Inventory) -> Iterator[Finding]:
    """``guestbook-flow-blocked``."""
    all_policies = policies(inventory)
    for namespace in all_policies.namespaces:
        seen: set[str] = set()
        for flow in _needed_flows(inventory, namespace):
            if flow.label in seen:
                continue
            seen.add(flow.label)
            verdict = (
                _client_verdict(all_policies, flow)
                if flow.source is OUTSIDE
                else connection(
                    all_policies, flow.source, flow.destination, flow.port, flow.protocol
                )
            )
            for direction, side in blocking(verdict):
                subject = flow.source if direction == "egress" else flow.destination
                policy = policy_to_extend(side, direction)
                names = " and ".join(sorted(p.doc.ref.name for p in side.isolating))
                several = len(side.isolating) > 1
                which = "NetworkPolicies" if several else "NetworkPolicy"
                yield FLOW_BLOCKED.at(
                    policy.doc,
                    f"{flow.label} is blocked: {which} {names} "
                    f"limit{'' if several else 's'} {direction} of "
                    f"{subject.description} and no rule of theirs allows this flow",
                    field_path=policy.anchor(direction),
                    hint=f"add an {direction} rule allowing this flow, e.g. to NetworkPolicy "
                    f"{policy.doc.ref.name}",
                )
                break


def _redis_pods(inventory: Inventory, namespace: str) -> list[PodTemplate]:
    return [p for p in inventory.pods_in(namespace) if runs(p, LEADER, FOLLOWER)]


def check_redis_exposure(inventory: Inventory) -> Iterator[Finding]:
    """``guestbook-redis-exposed``: only the frontend and followers may reach Redis."""
    all_policies = policies(inventory)
    for namespace in all_policies.namespaces:
        for redis in _redis_pods(inventory, namespace):
            target = pod_endpoint(inventory, redis)
            others = [
                pod_endpoint(inventory, p)
                for p in inventory.pods_in(namespace)
                if p is not redis and not runs(p, FRONTEND, FOLLOWER)
            ]
            by_rule: dict[tuple[int, FieldPath], tuple[Policy, FieldPath, list[str]]] = {}
            for source in (*others, OTHER_NAMESPACE, OUTSIDE):
                verdict = connection(all_policies, source, target, REDIS_PORT)
                if not verdict.allowed:
                    continue
                if verdict.ingress.allowed_by is None:
                    yield REDIS_EXPOSED.at(
                        redis.doc,
                        f"no NetworkPolicy limits ingress to {redis.name}, so any pod or "
                        f"address can reach Redis on {REDIS_PORT}",
                        field_path=redis.labels_path,
                        hint="select these pods with a NetworkPolicy that allows only the "
                        "frontend and followers in",
                    )
                    break
                policy, path = verdict.ingress.allowed_by
                key = (id(policy.doc), path)
                by_rule.setdefault(key, (policy, path, []))[2].append(source.description)
            for policy, path, sources in by_rule.values():
                yield REDIS_EXPOSED.at(
                    policy.doc,
                    f"NetworkPolicy {policy.doc.ref.name} lets {' and '.join(sources)} reach "
                    f"{redis.name} on {REDIS_PORT}; only the frontend and followers should",
                    field_path=path,
                    hint="allow ingress to Redis only from the frontend and follower pods "
                    "(podSelector peers in this namespace)",
                )


CHECKS: tuple[Check, ...] = (check_services, check_flows, check_redis_exposure)
