"""The whole guestbook, composed from its parts."""

from __future__ import annotations

from constructs import Construct

from guestbook.config import GuestbookProps
from guestbook.constructs.frontend import Frontend
from guestbook.constructs.labels import Identity
from guestbook.constructs.network import GuestbookNetworkPolicies
from guestbook.constructs.redis import RedisFollowers, RedisLeader
from guestbook.constructs.workload import WorkloadPolicy


class Guestbook(Construct):
    """Redis leader, Redis followers and the PHP frontend, wired as in the upstream tutorial.

    Objects carry no namespace of their own, so they land in the enclosing
    chart's namespace. ``props.namespace`` is read by the chart that renders
    an environment, not here.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        props: GuestbookProps | None = None,
        instance: str = "guestbook",
    ) -> None:
        super().__init__(scope, id)
        props = props or GuestbookProps()
        identity = Identity(
            instance=instance, extra_labels=props.labels, annotations=props.annotations
        )
        policy = WorkloadPolicy(
            security=props.security, probes=props.probes, availability=props.availability
        )
        self.leader = RedisLeader(
            self, "RedisLeader", props=props.redis.leader, identity=identity, policy=policy
        )
        self.followers = RedisFollowers(
            self, "RedisFollowers", props=props.redis.followers, identity=identity, policy=policy
        )
        self.frontend = Frontend(
            self, "Frontend", props=props.frontend, identity=identity, policy=policy
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
            )
