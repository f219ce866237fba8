"""Layer 4: the guestbook images' own contracts, on objects that are this guestbook.

A pod is a part of the guestbook when it carries the labels the upstream tutorial
and our constructs write (``app: guestbook, tier: frontend``; ``app: redis,
role: leader|follower``) *and* runs an image whose contract is documented in
:data:`CONTRACTS`: registry, repository and tag, because other builds of a
``gb-frontend`` (other tags, other registries, other example repositories) look
up other Service names. The Redis leader is any ``redis`` image: it only serves.
With automatic failover ``redis-leader`` may select HAProxy instead (any ``haproxy``
image, pods ``app: redis-proxy``), which forwards to whichever Redis is master; Sentinel
(any ``redis`` image, pods ``app: redis-sentinel``) watches the Redis pods. Then HAProxy
and Sentinel must reach every Redis pod, the Redis pods each other and HAProxy, and the
Sentinels each other on 26379.

The documented frontend resolves ``redis-leader`` and ``redis-follower`` through
DNS in its own namespace and talks to them on 6379; the documented follower
replicates from ``redis-leader:6379``.

Services without a selector (ExternalName, hand-made endpoints) point at
backends the manifests do not show; their backends are not checked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from guestbook.images import image_ref, split_image
from guestbook.manifests.fields import as_int, maps
from guestbook.manifests.inventory import Check, Inventory, PodTemplate
from guestbook.manifests.podspec import Container, app_containers, resolve_port
from guestbook.manifests.reachability import (
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
from guestbook.tutorial import (
    FOLLOWER_IMAGE,
    FOLLOWER_SERVICE,
    FRONTEND_IMAGE,
    FRONTEND_PORT,
    LEADER_SERVICE,
    REDIS_PORT,
    SENTINEL_PORT,
)
from guestbook.validate.model import Document, FieldPath, Finding
from guestbook.validate.rules.registry import Layer, error, unresolved, warning
from guestbook.validate.rules.selection import selected, service_selector

REDIS_SERVICE_MISSING = unresolved(
    "guestbook-redis-service-missing",
    Layer.GUESTBOOK,
    "the frontend needs Services redis-leader and redis-follower, the follower needs "
    "redis-leader, in its own namespace",
    reason="the guestbook cannot reach Redis; the Service may be in files not validated",
    fix="render Services redis-leader and redis-follower on 6379 in the guestbook's namespace",
)
REDIS_SERVICE_PORT = error(
    "guestbook-redis-service-port",
    Layer.GUESTBOOK,
    "a Redis Service the guestbook needs does not offer port 6379",
    reason="the guestbook cannot reach Redis: the images connect to 6379 only",
    fix="offer port 6379 (TCP) on the Service",
)
REDIS_SERVICE_BACKEND = unresolved(
    "guestbook-redis-service-backend",
    Layer.GUESTBOOK,
    "a Redis Service selects no ready pod (replicas >= 1) running the right Redis image on 6379",
    reason="the guestbook cannot reach Redis; its pods may be in files not validated",
    fix="select the Redis pods (replicas >= 1) and send 6379 to their Redis port",
)
FLOW_BLOCKED = unresolved(
    "guestbook-flow-blocked",
    Layer.GUESTBOOK,
    "NetworkPolicies block a flow the guestbook needs (clients to frontend:80, frontend to "
    "both Redis Services, follower to leader, DNS; with failover also HAProxy and Sentinel "
    "to the Redis pods, the Redis pods to each other and HAProxy, Sentinels to each other)",
    reason="the guestbook cannot work; a policy allowing the flow may be in files not validated",
    fix="add a NetworkPolicy rule allowing the flow the finding names",
)
REDIS_EXPOSED = warning(
    "guestbook-redis-exposed",
    Layer.GUESTBOOK,
    "NetworkPolicies let something other than the frontend and followers (with failover also "
    "HAProxy, Sentinel and the leader) reach Redis on 6379",
    reason="it works, but exceeds least privilege",
    fix="allow ingress to Redis only from the frontend and follower pods",
)
RULES = (
    REDIS_SERVICE_MISSING,
    REDIS_SERVICE_PORT,
    REDIS_SERVICE_BACKEND,
    FLOW_BLOCKED,
    REDIS_EXPOSED,
)

FRONTEND, FOLLOWER, LEADER, PROXY, SENTINEL = "frontend", "follower", "leader", "proxy", "sentinel"
"""The guestbook's roles."""


@dataclass(frozen=True)
class Contract:
    """What one documented guestbook image expects of the objects around it."""

    image: str
    """Registry, repository and tag it was built for (digests of it match too)."""
    role: str
    services: tuple[str, ...]
    """The Services it looks up by DNS in its own namespace, on :data:`REDIS_PORT`."""


CONTRACTS: tuple[Contract, ...] = (
    Contract(
        FRONTEND_IMAGE,
        FRONTEND,
        (LEADER_SERVICE, FOLLOWER_SERVICE),
    ),
    Contract(
        FOLLOWER_IMAGE,
        FOLLOWER,
        (LEADER_SERVICE,),
    ),
)
"""The images of the kubernetes.io guestbook tutorial that this project renders. Other
``gb-frontend`` builds have other contracts and are not checked (kubernetes/examples runs
``gcr.io/google-samples/gb-frontend:v5`` behind Services ``redis-master`` and
``redis-replica``)."""

ROLE_LABELS: Mapping[str, Mapping[str, str]] = {
    FRONTEND: {"app": "guestbook", "tier": "frontend"},
    FOLLOWER: {"app": "redis", "role": "follower"},
    LEADER: {"app": "redis", "role": "leader"},
    PROXY: {"app": "redis-proxy"},
    SENTINEL: {"app": "redis-sentinel"},
}
"""The pod labels of each role, as the tutorial and our constructs write them."""
REDIS_REPOSITORY = "redis"
"""The leader runs Redis itself: any registry and tag (it only serves, on 6379)."""
PROXY_REPOSITORY = "haproxy"
"""The failover proxy in front of the leader: any registry and tag of HAProxy."""

BACKENDS: dict[str, tuple[str, ...]] = {
    LEADER_SERVICE: (LEADER, PROXY),
    FOLLOWER_SERVICE: (FOLLOWER, LEADER),
}
"""Which roles may serve each Service (followers are read-only, so never the leader's)."""
ROLE_NAMES: Mapping[str, str] = {
    FRONTEND: "the guestbook frontend",
    FOLLOWER: "a guestbook Redis follower",
    LEADER: "the guestbook Redis leader",
    PROXY: "the guestbook's HAProxy in front of the Redis master",
    SENTINEL: "a guestbook Redis Sentinel",
}


def _roles(service: str) -> str:
    return " or ".join(ROLE_NAMES[role] for role in BACKENDS[service])


def _plays(image: str, role: str) -> bool:
    if role in (LEADER, SENTINEL):
        return image_ref(image).repository == REDIS_REPOSITORY
    if role == PROXY:
        return image_ref(image).repository == PROXY_REPOSITORY
    name, tag, _ = split_image(image)
    return any(c.role == role and split_image(c.image)[:2] == (name, tag) for c in CONTRACTS)


def labelled(pod: PodTemplate, *roles: str) -> bool:
    """Whether ``pod`` carries the labels of one of ``roles``, whatever its image."""
    return any(
        all(pod.labels.get(key) == value for key, value in ROLE_LABELS[role].items())
        for role in roles
    )


def role_container(pod: PodTemplate, role: str) -> Container | None:
    """The first app container of ``pod`` playing ``role``: labels and documented image."""
    if not labelled(pod, role):
        return None
    for container in app_containers(pod):
        if container.image and _plays(container.image, role):
            return container
    return None


def runs(pod: PodTemplate, *roles: str) -> bool:
    """Whether ``pod`` plays one of ``roles``."""
    return any(role_container(pod, r) is not None for r in roles)


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
        for need in CONTRACTS:
            container = role_container(pod, need.role)
            if container is not None:
                for service in need.services:
                    found[(pod.namespace, service)].append(Need(pod, need.image, container))
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


def _backend_problem(
    inventory: Inventory, doc: Document, target: object
) -> tuple[str, bool] | None:
    """What is wrong with the pods behind a Redis Service, and whether it is certain
    (False: no pod is selected at all, and they may be in files not validated)."""
    selector = service_selector(doc)
    if selector is None:
        return None  # backends outside what the manifests show
    pods = selected(inventory, doc.ref.namespace, selector)
    roles = _roles(doc.ref.name)
    wrong = [p.name for p in pods if not runs(p, *BACKENDS[doc.ref.name])]
    if wrong:
        return f"also selects {' and '.join(wrong)}, not {roles}", True
    ready = [p for p in pods if p.serving]
    if not ready:
        return f"selects no ready pod of {roles} (replicas >= 1)", bool(pods)
    for pod in ready:
        port = resolve_port(pod, target)
        if port != REDIS_PORT:
            return (
                f"sends port 6379 to {target} on {pod.name}, but Redis listens on {REDIS_PORT}",
                True,
            )
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
                    complete=inventory.is_complete(need.pod.doc),
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
            message, certain = problem
            yield REDIS_SERVICE_BACKEND.at(
                doc,
                f"Service {service}, needed by {who}, {message}",
                field_path=("spec", "selector"),
                hint=f"select the pods of {_roles(service)}, with "
                f"replicas >= 1, and target port {REDIS_PORT}",
                complete=certain or inventory.is_complete(doc),
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
        for need in CONTRACTS:
            if not runs(pod, need.role):
                continue
            for service in need.services:
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
    yield from _failover_flows(inventory, namespace)


def _failover_flows(inventory: Inventory, namespace: str) -> Iterator[Flow]:
    """With HAProxy or Sentinel in the namespace: the connections failover needs."""
    pods = inventory.pods_in(namespace)
    proxies = [p for p in pods if runs(p, PROXY)]
    sentinels = [p for p in pods if runs(p, SENTINEL)]
    if not (proxies or sentinels):
        return
    redis = [p for p in pods if runs(p, LEADER, FOLLOWER)]
    needed = [(s, r, REDIS_PORT) for s in (*proxies, *sentinels) for r in redis]
    needed += [(a, b, REDIS_PORT) for a in redis for b in (*redis, *proxies) if a is not b]
    needed += [(a, b, SENTINEL_PORT) for a in sentinels for b in sentinels]
    for source, destination, port in needed:
        yield Flow(
            pod_endpoint(inventory, source),
            pod_endpoint(inventory, destination),
            port,
            "TCP",
            f"{source.name} → {destination.name}:{port}",
        )
    dns = dns_endpoint(inventory)
    for pod in (*proxies, *sentinels, *redis):
        yield Flow(
            pod_endpoint(inventory, pod), dns, DNS_PORT, "UDP", f"{pod.name} → DNS:{DNS_PORT}/UDP"
        )


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
                    complete=inventory.is_complete(policy.doc),
                )
                break


def _redis_pods(inventory: Inventory, namespace: str) -> list[PodTemplate]:
    return [p for p in inventory.pods_in(namespace) if runs(p, LEADER, FOLLOWER)]


def check_redis_exposure(inventory: Inventory) -> Iterator[Finding]:
    """``guestbook-redis-exposed``: only the frontend and followers may reach Redis."""
    all_policies = policies(inventory)
    for namespace in all_policies.namespaces:
        pods = inventory.pods_in(namespace)
        # With failover, HAProxy, Sentinel and a demoted leader reach Redis too.
        failover = any(runs(p, PROXY, SENTINEL) for p in pods)
        allowed = (
            (FRONTEND, FOLLOWER, LEADER, PROXY, SENTINEL) if failover else (FRONTEND, FOLLOWER)
        )
        for redis in _redis_pods(inventory, namespace):
            target = pod_endpoint(inventory, redis)
            # By labels, as NetworkPolicies see pods: a pod labelled as the frontend on an image
            # whose contract is not documented (a canary of a new build) is the frontend here.
            others = [
                pod_endpoint(inventory, p)
                for p in pods
                if p is not redis and not labelled(p, *allowed)
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
