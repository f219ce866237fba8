"""The whole guestbook, composed from its parts."""

from __future__ import annotations

from dataclasses import replace

from constructs import Construct

from guestbook.constructs.frontend import Frontend
from guestbook.constructs.labels import Identity
from guestbook.constructs.monitoring import METRICS_PORT, RedisMonitoring, redis_exporter
from guestbook.constructs.network import GuestbookNetworkPolicies
from guestbook.constructs.redis import RedisFollowers, RedisLeader
from guestbook.constructs.sentinel import RedisFailover
from guestbook.constructs.workload import WorkloadPolicy
from guestbook.props.guestbook import GuestbookProps


class Guestbook(Construct):
    """Redis leader, Redis followers and the PHP frontend, wired as in the upstream tutorial.

    Objects carry no namespace of their own, so they land in the enclosing
    chart's namespace (an environment's is set in its overlay, not in these
    props). With ``sync_waves`` the leader's, the followers'
    and the frontend's objects carry Argo CD sync waves 0, 1 and 2, so Argo CD
    applies them in that order.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        props: GuestbookProps | None = None,
        instance: str = "guestbook",
        sync_waves: bool = False,
    ) -> None:
        super().__init__(scope, id)
        props = props or GuestbookProps()
        identity = Identity(
            instance=instance, extra_labels=props.labels, annotations=props.annotations
        )
        # Set at creation: annotating afterwards costs two jsii calls per object.
        waves = [replace(identity, sync_wave=w) if sync_waves else identity for w in range(3)]
        leader_identity, followers_identity, frontend_identity = waves
        policy = WorkloadPolicy(
            security=props.security,
            probes=props.probes,
            availability=props.availability,
            log_parsers=props.logging.enabled,
        )
        monitoring = props.monitoring
        sidecars = (
            [redis_exporter(monitoring, hardened=props.security.hardened)]
            if monitoring.enabled
            else []
        )
        self.leader = RedisLeader(
            self,
            "RedisLeader",
            props=props.redis.leader,
            identity=leader_identity,
            policy=policy,
            sidecars=sidecars,
        )
        self.followers = RedisFollowers(
            self,
            "RedisFollowers",
            props=props.redis.followers,
            identity=followers_identity,
            policy=policy,
            sidecars=sidecars,
        )
        self.failover: RedisFailover | None = None
        if props.redis.high_availability.enabled:
            self.failover = RedisFailover(
                self,
                "Failover",
                leader=self.leader,
                followers=self.followers,
                followers_count=props.redis.followers.replicas,
                props=props.redis.high_availability,
                identity=leader_identity,
                policy=policy,
            )
        self.frontend = Frontend(
            self, "Frontend", props=props.frontend, identity=frontend_identity, policy=policy
        )
        self.monitoring: RedisMonitoring | None = None
        if monitoring.enabled:
            self.monitoring = RedisMonitoring(
                self,
                "Monitoring",
                leader=self.leader,
                followers=self.followers,
                followers_count=props.redis.followers.replicas,
                props=monitoring,
                identity=identity,
            )
        self.network_policies: GuestbookNetworkPolicies | None = None
        if props.network_policy.enabled:
            self.network_policies = GuestbookNetworkPolicies(
                self,
                "NetworkPolicies",
                frontend=self.frontend,
                leader=self.leader,
                followers=self.followers,
                props=props.network_policy,
                identity=identity,
                metrics=(monitoring.prometheus_namespace, METRICS_PORT)
                if monitoring.enabled
                else None,
                failover=self.failover,
            )
