"""NetworkPolicies: deny everything in the namespace, then allow exactly the guestbook's flows.

Allowed flows:
- clients → frontend on its container port (from ``clientCidrs``, or anyone);
- frontend → redis-leader and redis-follower on 6379;
- redis-follower → redis-leader on 6379;
- frontend and followers → the cluster DNS on 53 (UDP and TCP);
- with monitoring, the Prometheus namespace → the Redis exporters on 9121.
The leader needs no egress at all, except with automatic failover, which adds:
- frontend and Redis pods → HAProxy (``redis-leader``) on 6379, and HAProxy → the Redis pods;
- Redis pods → each other on 6379 (a replica of a promoted follower), and → DNS;
- Sentinel → the Redis pods on 6379 and → the other Sentinels on 26379, and → DNS.
"""

from __future__ import annotations

from collections.abc import Mapping

from constructs import Construct

from guestbook.constructs.failover import PROXY_NAME, SENTINEL_SERVICE
from guestbook.constructs.frontend import Frontend
from guestbook.constructs.labels import Identity
from guestbook.constructs.redis import RedisFollowers, RedisLeader
from guestbook.constructs.sentinel import RedisFailover
from guestbook.constructs.values import int_or_string
from guestbook.constructs.workload import metadata
from guestbook.kubernetes import k8s
from guestbook.props.network import NetworkPolicyProps
from guestbook.tutorial import SENTINEL_PORT

DNS_PORT = 53


def _pods(labels: Mapping[str, str]) -> k8s.NetworkPolicyPeer:
    return k8s.NetworkPolicyPeer(pod_selector=k8s.LabelSelector(match_labels=dict(labels)))


def _namespace(name: str) -> k8s.NetworkPolicyPeer:
    return k8s.NetworkPolicyPeer(
        namespace_selector=k8s.LabelSelector(match_labels={"kubernetes.io/metadata.name": name})
    )


def _tcp(port: int) -> k8s.NetworkPolicyPort:
    return k8s.NetworkPolicyPort(protocol="TCP", port=int_or_string(port))


def dns_egress(namespace: str) -> k8s.NetworkPolicyEgressRule:
    """Egress to the cluster DNS in ``namespace`` on 53, UDP and TCP."""
    return k8s.NetworkPolicyEgressRule(
        to=[_namespace(namespace)],
        ports=[k8s.NetworkPolicyPort(protocol="UDP", port=int_or_string(DNS_PORT)), _tcp(DNS_PORT)],
    )


class GuestbookNetworkPolicies(Construct):
    """Default-deny plus one policy per component, derived from the components' pod labels."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        frontend: Frontend,
        leader: RedisLeader,
        followers: RedisFollowers,
        props: NetworkPolicyProps | None = None,
        identity: Identity | None = None,
        metrics: tuple[str, int] | None = None,
        failover: RedisFailover | None = None,
    ) -> None:
        super().__init__(scope, id)
        props = props or NetworkPolicyProps()
        identity = identity or Identity()
        dns = dns_egress(props.dns_namespace)
        # Prometheus (namespace, port) may scrape the Redis exporters, and nothing else.
        scrape = (
            [
                k8s.NetworkPolicyIngressRule(
                    from_=[_namespace(metrics[0])],
                    ports=[_tcp(metrics[1])],
                )
            ]
            if metrics
            else []
        )
        # With failover: HAProxy and Sentinel, and Redis pods that replicate from each other.
        proxy = [_pods(failover.proxy_pods)] if failover else []
        sentinel = [_pods(failover.sentinel_pods)] if failover else []
        redis_pods = [_pods(leader.pod_labels), _pods(followers.pod_labels)] if failover else []
        redis_egress = (
            [k8s.NetworkPolicyEgressRule(to=[*redis_pods, *proxy], ports=[_tcp(leader.port)]), dns]
            if failover
            else []
        )
        clients = [
            k8s.NetworkPolicyPeer(ip_block=k8s.IpBlock(cidr=cidr)) for cidr in props.client_cidrs
        ]

        def policy(
            construct_id: str,
            name: str,
            component: str,
            pods: Mapping[str, str],
            ingress: list[k8s.NetworkPolicyIngressRule],
            egress: list[k8s.NetworkPolicyEgressRule],
        ) -> k8s.KubeNetworkPolicy:
            labels = identity.labels(name="guestbook", component=component, selector={})
            return k8s.KubeNetworkPolicy(
                self,
                construct_id,
                metadata=metadata(identity, name=name, labels=labels),
                spec=k8s.NetworkPolicySpec(
                    pod_selector=k8s.LabelSelector(match_labels=dict(pods) or None),
                    policy_types=["Ingress", "Egress"],
                    ingress=ingress or None,
                    egress=egress or None,
                ),
            )

        self.default_deny = policy("DefaultDeny", "default-deny", "network-policy", {}, [], [])
        """Denies all ingress and egress for every pod in the namespace."""
        self.frontend = policy(
            "Frontend",
            frontend.service_name,
            "frontend",
            frontend.pod_labels,
            [
                k8s.NetworkPolicyIngressRule(
                    from_=clients or None, ports=[_tcp(frontend.container_port)]
                )
            ],
            [
                k8s.NetworkPolicyEgressRule(
                    to=[_pods(leader.pod_labels), _pods(followers.pod_labels), *proxy],
                    ports=[_tcp(leader.port)],
                ),
                dns,
            ],
        )
        """Clients in, Redis and DNS out."""
        self.leader = policy(
            "Leader",
            leader.service_name,
            "leader",
            leader.pod_labels,
            [
                k8s.NetworkPolicyIngressRule(
                    from_=[
                        _pods(frontend.pod_labels),
                        _pods(followers.pod_labels),
                        *proxy,
                        *sentinel,
                    ],
                    ports=[_tcp(leader.port)],
                ),
                *scrape,
            ],
            redis_egress,
        )
        """Frontend and followers in; nothing out (with failover: see the module)."""
        self.followers = policy(
            "Followers",
            followers.service_name,
            "follower",
            followers.pod_labels,
            [
                k8s.NetworkPolicyIngressRule(
                    from_=[_pods(frontend.pod_labels), *redis_pods, *proxy, *sentinel],
                    ports=[_tcp(followers.port)],
                ),
                *scrape,
            ],
            redis_egress
            or [
                k8s.NetworkPolicyEgressRule(
                    to=[_pods(leader.pod_labels)], ports=[_tcp(leader.port)]
                ),
                dns,
            ],
        )
        """Frontend in; leader and DNS out."""
        self.proxy: k8s.KubeNetworkPolicy | None = None
        """With failover: frontend and Redis pods in; Redis pods and DNS out."""
        self.sentinel: k8s.KubeNetworkPolicy | None = None
        """With failover: the other Sentinels in; Redis pods, Sentinels and DNS out."""
        if failover:
            self.proxy = policy(
                "Proxy",
                PROXY_NAME,
                "proxy",
                failover.proxy_pods,
                [
                    k8s.NetworkPolicyIngressRule(
                        from_=[_pods(frontend.pod_labels), *redis_pods],
                        ports=[_tcp(leader.port)],
                    )
                ],
                [k8s.NetworkPolicyEgressRule(to=redis_pods, ports=[_tcp(leader.port)]), dns],
            )
            self.sentinel = policy(
                "Sentinel",
                SENTINEL_SERVICE,
                "sentinel",
                failover.sentinel_pods,
                [k8s.NetworkPolicyIngressRule(from_=sentinel, ports=[_tcp(SENTINEL_PORT)])],
                [
                    k8s.NetworkPolicyEgressRule(to=redis_pods, ports=[_tcp(leader.port)]),
                    k8s.NetworkPolicyEgressRule(to=sentinel, ports=[_tcp(SENTINEL_PORT)]),
                    dns,
                ],
            )
