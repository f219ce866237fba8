"""cdk8s constructs for the Kubernetes guestbook, importable one by one."""

from guestbook.constructs.frontend import Frontend
from guestbook.constructs.guestbook import Guestbook
from guestbook.constructs.labels import Identity
from guestbook.constructs.monitoring import RedisMonitoring
from guestbook.constructs.network import GuestbookNetworkPolicies
from guestbook.constructs.redis import RedisFollowers, RedisLeader
from guestbook.constructs.workload import WorkloadPolicy

__all__ = [
    "Frontend",
    "Guestbook",
    "GuestbookNetworkPolicies",
    "Identity",
    "RedisFollowers",
    "RedisLeader",
    "RedisMonitoring",
    "WorkloadPolicy",
]
