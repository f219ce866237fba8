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

from guestbook.config import RedisFollowersProps, RedisLeaderProps
from guestbook.constructs import hardening
from guestbook.constructs.labels import Identity
from guestbook.constructs.values import int_or_string, quantity
from guestbook.constructs.workload import (
    Probes,
    Workload,
    WorkloadPolicy,
    metadata,
    resource_requirements,
    service,
)
from guestbook.kubernetes import k8s

REDIS_PORT = 6379
LEADER_SERVICE = "redis-leader"
FOLLOWER_SERVICE = "redis-follower"
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


class RedisLeader(Construct):
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
        super().__init__(scope, id)
        props = props or RedisLeaderProps()
        identity = identity or Identity()
        policy = policy or WorkloadPolicy()
        self.service_name = LEADER_SERVICE
        """DNS name of the leader Service (fixed by the images)."""
        self.port = REDIS_PORT
        """The Redis port."""
        self.pod_labels = {"app": "redis", "role": "leader", "tier": "backend"}
        """Labels on the leader pods; the Service selects by these."""
        labels = identity.labels(name="redis", component="leader", selector=self.pod_labels)

        volumes: list[k8s.Volume] = []
        mounts: list[k8s.VolumeMount] = []
        args: list[str] | None = None
        self.claim: k8s.KubePersistentVolumeClaim | None = None
        """The data PVC, when persistence is enabled."""
        if props.persistence.enabled:
            claim_name = f"{LEADER_SERVICE}-data"
            self.claim = k8s.KubePersistentVolumeClaim(
                self,
                "Data",
                metadata=metadata(identity, name=claim_name, labels=labels),
                spec=k8s.PersistentVolumeClaimSpec(
                    access_modes=list(props.persistence.access_modes),
                    storage_class_name=props.persistence.storage_class,
                    resources=k8s.VolumeResourceRequirements(
                        requests={"storage": quantity(props.persistence.size)}
                    ),
                ),
            )
            volumes.append(
                k8s.Volume(
                    name="data",
                    persistent_volume_claim=k8s.PersistentVolumeClaimVolumeSource(
                        claim_name=claim_name
                    ),
                )
            )
            mounts.append(k8s.VolumeMount(name="data", mount_path=DATA_PATH))
            args = ["redis-server", "--appendonly", "yes"]

        self.workload = Workload(
            self,
            "Workload",
            identity=identity,
            policy=policy,
            name=LEADER_SERVICE,
            labels=labels,
            selector={"app": "redis", "role": "leader"},
            pod_labels=self.pod_labels,
            replicas=1,
            max_replicas=1,
            container=k8s.Container(
                name="leader",
                image=props.image,
                args=args,
                resources=resource_requirements(props.resources),
                ports=[k8s.ContainerPort(container_port=REDIS_PORT)],
                volume_mounts=mounts or None,
            ),
            contract=hardening.REDIS,
            probes=redis_probes(),
            volumes=volumes,
            sidecars=sidecars,
            recreate=props.persistence.enabled,
        )
        """The Deployment and what hardening adds to it."""
        self.deployment = self.workload.deployment
        """The leader Deployment."""
        self.service = service(
            self,
            identity=identity,
            name=LEADER_SERVICE,
            labels=labels,
            selector=self.pod_labels,
            port=REDIS_PORT,
            target_port=REDIS_PORT,
        )


class RedisFollowers(Construct):
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
        super().__init__(scope, id)
        props = props or RedisFollowersProps()
        identity = identity or Identity()
        policy = policy or WorkloadPolicy()
        self.service_name = FOLLOWER_SERVICE
        """DNS name of the follower Service (fixed by the images)."""
        self.port = REDIS_PORT
        """The Redis port."""
        self.pod_labels = {"app": "redis", "role": "follower", "tier": "backend"}
        """Labels on the follower pods; the Service selects by these."""
        labels = identity.labels(name="redis", component="follower", selector=self.pod_labels)
        self.workload = Workload(
            self,
            "Workload",
            identity=identity,
            policy=policy,
            name=FOLLOWER_SERVICE,
            labels=labels,
            selector={"app": "redis", "role": "follower"},
            pod_labels=self.pod_labels,
            replicas=props.replicas,
            max_replicas=props.replicas,
            container=k8s.Container(
                name="follower",
                image=props.image,
                resources=resource_requirements(props.resources),
                ports=[k8s.ContainerPort(container_port=REDIS_PORT)],
            ),
            contract=hardening.REDIS,
            probes=redis_probes(),
            sidecars=sidecars,
        )
        """The Deployment and what hardening adds to it."""
        self.deployment = self.workload.deployment
        """The follower Deployment."""
        self.service = service(
            self,
            identity=identity,
            name=FOLLOWER_SERVICE,
            labels=labels,
            selector=self.pod_labels,
            port=REDIS_PORT,
            target_port=REDIS_PORT,
        )
