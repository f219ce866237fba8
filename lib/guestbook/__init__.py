"""guestbook-gitops: cdk8s constructs and tooling for the Kubernetes guestbook.

Import the constructs from here (or from :mod:`guestbook.constructs`)::

    from guestbook import Guestbook, GuestbookProps, FrontendProps

The names are imported on first use, so that tools which need none of them
(``guestbook validate``) do not start the jsii runtime.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOMES = {
    "KUBERNETES_VERSION": "guestbook.kubernetes",
    "Environment": "guestbook.config",
    "Frontend": "guestbook.constructs",
    "FrontendProps": "guestbook.config",
    "FrontendServiceProps": "guestbook.config",
    "Guestbook": "guestbook.constructs",
    "GuestbookError": "guestbook.errors",
    "GuestbookNetworkPolicies": "guestbook.constructs",
    "GuestbookProps": "guestbook.config",
    "Identity": "guestbook.constructs",
    "NetworkPolicyProps": "guestbook.config",
    "Persistence": "guestbook.config",
    "RedisFollowers": "guestbook.constructs",
    "RedisFollowersProps": "guestbook.config",
    "RedisLeader": "guestbook.constructs",
    "RedisLeaderProps": "guestbook.config",
    "RedisProps": "guestbook.config",
    "ResourceList": "guestbook.config",
    "Resources": "guestbook.config",
    "load_environments": "guestbook.config",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


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
