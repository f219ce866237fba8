"""cdk8s constructs for the Kubernetes guestbook, importable one by one."""

from guestbook.constructs.frontend import Frontend
from guestbook.constructs.guestbook import Guestbook
from guestbook.constructs.labels import Identity
from guestbook.constructs.network import GuestbookNetworkPolicies
from guestbook.constructs.redis import RedisFollowers, RedisLeader

__all__ = [
    "Frontend",
    "Guestbook",
    "GuestbookNetworkPolicies",
    "Identity",
    "RedisFollowers",
    "RedisLeader",
]
