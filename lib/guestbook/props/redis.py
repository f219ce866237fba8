"""Props of the Redis backend: the leader, its followers and the leader's storage."""

from __future__ import annotations

from pydantic import Field

from guestbook.props.base import (
    AccessMode,
    DnsSubdomain,
    Image,
    Model,
    Replicas,
    Resources,
    StorageQuantity,
)
from guestbook.props.failover import RedisHighAvailabilityProps
from guestbook.tutorial import FOLLOWER_IMAGE, REDIS_IMAGE


class Persistence(Model):
    """A PersistentVolumeClaim for the Redis leader's data at ``/data``."""

    enabled: bool = False
    """Keep the leader's data on a PVC, with append-only persistence. Default: false."""
    size: StorageQuantity = "1Gi"
    """Requested storage. Default: 1Gi."""
    storage_class: DnsSubdomain | None = None
    """StorageClass name; unset uses the cluster's default class. Default: unset."""
    access_modes: list[AccessMode] = Field(
        default_factory=lambda: list[AccessMode](["ReadWriteOnce"]), min_length=1
    )
    """PVC access modes. Default: [ReadWriteOnce]."""


class RedisLeaderProps(Model):
    """The single Redis leader (primary)."""

    image: Image = REDIS_IMAGE
    """Container image. Default: the tutorial's docker.io/redis:6.0.5."""
    resources: Resources = Resources()
    """Container resources. Default: requests 100m / 100Mi."""
    persistence: Persistence = Persistence()
    """Data persistence. Default: off (the tutorial keeps data in the pod)."""


class RedisFollowersProps(Model):
    """Redis followers (replicas) that replicate from ``redis-leader``."""

    replicas: Replicas = Field(default=2, ge=0)
    """Number of follower pods. Default: 2."""
    image: Image = FOLLOWER_IMAGE
    """Container image; it must run ``redis-server --replicaof redis-leader 6379``."""
    resources: Resources = Resources()
    """Container resources. Default: requests 100m / 100Mi."""


class RedisProps(Model):
    """The Redis backend."""

    leader: RedisLeaderProps = RedisLeaderProps()
    """The leader. Default: the tutorial's."""
    followers: RedisFollowersProps = RedisFollowersProps()
    """The followers. Default: the tutorial's two."""
    high_availability: RedisHighAvailabilityProps = RedisHighAvailabilityProps()
    """Sentinel and HAProxy: automatic failover behind ``redis-leader``
    (docs/production.md). Default: off."""
