"""guestbook-gitops: cdk8s constructs and tooling for the Kubernetes guestbook.

Import the constructs from here (or from :mod:`guestbook.constructs`)::

    from guestbook import Guestbook, GuestbookProps, FrontendProps
"""

import os

# jsii prints a large end-of-life banner on every start under Node 20. Silence
# exactly that banner (the switch names the Node major), unless the user set it.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from guestbook.config import (
    Environment,
    FrontendProps,
    FrontendServiceProps,
    GuestbookProps,
    NetworkPolicyProps,
    Persistence,
    RedisFollowersProps,
    RedisLeaderProps,
    RedisProps,
    ResourceList,
    Resources,
    load_environments,
)
from guestbook.constructs import (
    Frontend,
    Guestbook,
    GuestbookNetworkPolicies,
    Identity,
    RedisFollowers,
    RedisLeader,
)
from guestbook.errors import GuestbookError
from guestbook.kubernetes import KUBERNETES_VERSION

__version__ = "0.1.0"

__all__ = [
    "KUBERNETES_VERSION",
    "Environment",
    "Frontend",
    "FrontendProps",
    "FrontendServiceProps",
    "Guestbook",
    "GuestbookError",
    "GuestbookNetworkPolicies",
    "GuestbookProps",
    "Identity",
    "NetworkPolicyProps",
    "Persistence",
    "RedisFollowers",
    "RedisFollowersProps",
    "RedisLeader",
    "RedisLeaderProps",
    "RedisProps",
    "ResourceList",
    "Resources",
    "load_environments",
]
