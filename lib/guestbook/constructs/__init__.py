"""cdk8s constructs for the Kubernetes guestbook, importable one by one.

The names below load on first use, so ``guestbook.constructs.labels`` (which the
overlay checks read) is importable without cdk8s or the config models.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from guestbook.constructs.frontend import Frontend
    from guestbook.constructs.guestbook import Guestbook
    from guestbook.constructs.labels import Identity
    from guestbook.constructs.logging import LogCollector
    from guestbook.constructs.monitoring import RedisMonitoring
    from guestbook.constructs.network import GuestbookNetworkPolicies
    from guestbook.constructs.redis import RedisFollowers, RedisLeader
    from guestbook.constructs.sentinel import RedisFailover
    from guestbook.constructs.workload import WorkloadPolicy

_HOMES = {
    "Frontend": "guestbook.constructs.frontend",
    "Guestbook": "guestbook.constructs.guestbook",
    "GuestbookNetworkPolicies": "guestbook.constructs.network",
    "Identity": "guestbook.constructs.labels",
    "LogCollector": "guestbook.constructs.logging",
    "RedisFailover": "guestbook.constructs.sentinel",
    "RedisFollowers": "guestbook.constructs.redis",
    "RedisLeader": "guestbook.constructs.redis",
    "RedisMonitoring": "guestbook.constructs.monitoring",
    "WorkloadPolicy": "guestbook.constructs.workload",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


__all__ = [
    "Frontend",
    "Guestbook",
    "GuestbookNetworkPolicies",
    "Identity",
    "LogCollector",
    "RedisFailover",
    "RedisFollowers",
    "RedisLeader",
    "RedisMonitoring",
    "WorkloadPolicy",
]
