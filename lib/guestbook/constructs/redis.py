"""The Redis backend: one leader and its followers.

Both Service names are part of the images' contract and never change: the
frontend looks up ``redis-leader`` and ``redis-follower`` through DNS
(``GET_HOSTS_FROM=dns``), and the follower image runs
``redis-server --replicaof redis-leader 6379``. Separate environments are kept
apart by namespace, not by renaming.
"""

from __future__ import annotations

from collections.abc import Sequence

from constructs import Construct

from guestbook.constructs import security
from guestbook.constructs.labels import Identity
from guestbook.constructs.values import int_or_string, quantity
from guestbook.constructs.workload import (
    Probes,
    Workload,
    WorkloadPolicy,
    WorkloadProps,
    metadata,
    resource_requirements,
    service,
)
from guestbook.kubernetes import k8s
from guestbook.props.redis import RedisFollowersProps, RedisLeaderProps
from guestbook.tutorial import FOLLOWER_SERVICE, LEADER_SERVICE, REDIS_PORT

DATA_PATH = "/data"


def redis_probes() -> Probes:
    """TCP for start-up and liveness; a real PING for readiness (PONG, not LOADING)."""
    tcp = k8s.TcpSocketAction(port=int_or_string(REDIS_PORT))
    return Probes(
        startup=k8s.Probe(tcp_socket=tcp, period_seconds=2, failure_threshold=30),
        readiness=k8s.Probe(
            exec=k8s.ExecAction(command=["sh", "-c", "redis-cli ping | grep -q PONG"]),
            period_seconds=5,
            timeout_seconds=2,
        ),
        liveness=k8s.Probe(tcp_socket=tcp, period_seconds=10, failure_threshold=3),
    )


class _RedisRole(Construct):
    """What leader and followers share: the role's labels, a hardened Workload, a Service.

    The Deployment selects ``app`` and ``role`` (upstream selects only ``app``, so its two
    Redis Deployments overlap); the Service selects the tutorial's three labels.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        role: str,
        service_name: str,
        identity: Identity,
        policy: WorkloadPolicy,
        replicas: int,
        container: k8s.Container,
        sidecars: Sequence[k8s.Container],
        volumes: Sequence[k8s.Volume] = (),
        recreate: bool = False,
    ) -> None:
        super().__init__(scope, id)
        self.service_name = service_name
        """DNS name of the Service (fixed by the images)."""
        self.port = REDIS_PORT
        """The Redis port."""
        self.pod_labels = {"app": "redis", "role": role, "tier": "backend"}
        """Labels on the pods; the Service selects by these."""
        self.labels = identity.labels(name="redis", component=role, selector=self.pod_labels)
        """Labels on every object of this role."""
        self.workload = Workload(
            self,
            "Workload",
            identity=identity,
            props=WorkloadProps(
                policy=policy,
                name=service_name,
                labels=self.labels,
                selector={"app": "redis", "role": role},
                pod_labels=self.pod_labels,
                replicas=replicas,
                max_replicas=replicas,
                container=container,
                contract=security.REDIS,
                probes=redis_probes(),
                volumes=volumes,
                sidecars=sidecars,
                recreate=recreate,
            ),
        )
        """The Deployment and what hardening adds to it."""
        self.deployment = self.workload.controller
        """The Deployment."""
        self.service = service(
            self,
            identity=identity,
            name=service_name,
            labels=self.labels,
            selector=self.pod_labels,
            port=REDIS_PORT,
            target_port=REDIS_PORT,
        )
        """The Service."""


class RedisLeader(_RedisRole):
    """The single Redis leader: a Deployment, its Service and, if enabled, a data PVC.

    With persistence the Deployment uses the ``Recreate`` strategy: a
    ReadWriteOnce volume cannot be attached to a second pod during a rolling
    update, and two Redis processes must never write one append-only file.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        props: RedisLeaderProps | None = None,
        identity: Identity | None = None,
        policy: WorkloadPolicy | None = None,
        sidecars: Sequence[k8s.Container] = (),
    ) -> None:
        props = props or RedisLeaderProps()
        identity = identity or Identity()
        persistence = props.persistence
        claim_name = f"{LEADER_SERVICE}-data"
        volume = k8s.Volume(
            name="data",
            persistent_volume_claim=k8s.PersistentVolumeClaimVolumeSource(claim_name=claim_name),
        )
        super().__init__(
            scope,
            id,
            role="leader",
            service_name=LEADER_SERVICE,
            identity=identity,
            policy=policy or WorkloadPolicy(),
            replicas=1,
            container=k8s.Container(
                name="leader",
                image=props.image,
                args=["redis-server", "--appendonly", "yes"] if persistence.enabled else None,
                resources=resource_requirements(props.resources),
                ports=[k8s.ContainerPort(container_port=REDIS_PORT)],
                volume_mounts=[k8s.VolumeMount(name="data", mount_path=DATA_PATH)]
                if persistence.enabled
                else None,
            ),
            sidecars=sidecars,
            volumes=[volume] if persistence.enabled else [],
            recreate=persistence.enabled,
        )
        self.claim: k8s.KubePersistentVolumeClaim | None = None
        """The data PVC, when persistence is enabled."""
        if persistence.enabled:
            self.claim = k8s.KubePersistentVolumeClaim(
                self,
                "Data",
                metadata=metadata(identity, name=claim_name, labels=self.labels),
                spec=k8s.PersistentVolumeClaimSpec(
                    access_modes=list(persistence.access_modes),
                    storage_class_name=persistence.storage_class,
                    resources=k8s.VolumeResourceRequirements(
                        requests={"storage": quantity(persistence.size)}
                    ),
                ),
            )


class RedisFollowers(_RedisRole):
    """Redis followers replicating from ``redis-leader``: a Deployment and its Service."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        props: RedisFollowersProps | None = None,
        identity: Identity | None = None,
        policy: WorkloadPolicy | None = None,
        sidecars: Sequence[k8s.Container] = (),
    ) -> None:
        props = props or RedisFollowersProps()
        super().__init__(
            scope,
            id,
            role="follower",
            service_name=FOLLOWER_SERVICE,
            identity=identity or Identity(),
            policy=policy or WorkloadPolicy(),
            replicas=props.replicas,
            container=k8s.Container(
                name="follower",
                image=props.image,
                resources=resource_requirements(props.resources),
                ports=[k8s.ContainerPort(container_port=REDIS_PORT)],
            ),
            sidecars=sidecars,
        )


def every_redis_pod(leader: RedisLeader, followers: RedisFollowers) -> dict[str, str]:
    """The labels leader and followers have in common: a selector of every Redis pod."""
    return dict(sorted(leader.pod_labels.items() & followers.pod_labels.items()))
