"""Props of the automatic Redis failover option (``redis.highAvailability``).

The design and its files are in :mod:`guestbook.constructs.failover` and
:mod:`guestbook.constructs.sentinel`; see docs/production.md.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from guestbook.props.base import Model

SENTINEL_IMAGE = "docker.io/redis:7.0.15"
"""Sentinel's image: ``sentinel resolve-hostnames`` needs Redis 6.2 or later."""
HAPROXY_IMAGE = "docker.io/haproxy:2.6"
"""HAProxy's image."""


class RedisHighAvailabilityProps(Model):
    """Redis Sentinel and an HAProxy in front of the Redis pods (``redis.highAvailability``)."""

    enabled: bool = False
    """Promote a follower automatically when the leader is lost. Default: false."""
    sentinels: int = Field(default=3, ge=3, le=9)
    """Sentinel pods, 3 to 9: at least 3, so that a majority survives the loss of one.
    Default: 3."""
    quorum: int = Field(default=2, ge=2)
    """Sentinels that must agree the master is down before a failover starts (a majority
    must still authorise it); at most ``sentinels``. Default: 2."""
    down_after_milliseconds: int = Field(default=5000, ge=1000, le=60000)
    """How long the master may not answer before a Sentinel thinks it down. Default: 5000."""
    proxy_replicas: int = Field(default=2, ge=1, le=10)
    """HAProxy pods behind ``redis-leader``. Default: 2."""
    sentinel_image: str = Field(default=SENTINEL_IMAGE, min_length=1, pattern=r"^\S+$")
    """Image that runs ``redis-server --sentinel`` (7.0 or later, for
    ``resolve-hostnames``). Default: docker.io/redis:7.0.15."""
    proxy_image: str = Field(default=HAPROXY_IMAGE, min_length=1, pattern=r"^\S+$")
    """HAProxy image. Default: docker.io/haproxy:2.6."""
    cluster_domain: str = Field(
        default="cluster.local", pattern=r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$"
    )
    """The cluster's DNS domain, for the name HAProxy resolves. Default: cluster.local."""

    @model_validator(mode="after")
    def _quorum_within_sentinels(self) -> RedisHighAvailabilityProps:
        if self.quorum > self.sentinels:
            raise ValueError(f"quorum ({self.quorum}) must not exceed sentinels ({self.sentinels})")
        return self
