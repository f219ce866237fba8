"""guestbook-gitops: cdk8s constructs and tooling for the Kubernetes guestbook.

Import the constructs from here (or from :mod:`guestbook.constructs`)::

    from guestbook import Guestbook, GuestbookProps, FrontendProps

The names are imported on first use, so that tools which need none of them
(``guestbook validate``) do not start the jsii runtime.
"""

import importlib
import os
from typing import TYPE_CHECKING, Any

# jsii prints a large end-of-life banner on every start under Node 20. Silence
# exactly that banner (the switch names the Node major), unless the user set it.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

if TYPE_CHECKING:
    from guestbook.constructs import (
        Frontend,
        Guestbook,
        GuestbookNetworkPolicies,
        Identity,
        RedisFollowers,
        RedisLeader,
    )
    from guestbook.environments import Environment, load_environments
    from guestbook.errors import GuestbookError
    from guestbook.kubernetes import KUBERNETES_VERSION
    from guestbook.props.base import ResourceList, Resources
    from guestbook.props.frontend import FrontendProps, FrontendServiceProps
    from guestbook.props.guestbook import GuestbookProps
    from guestbook.props.network import NetworkPolicyProps
    from guestbook.props.redis import Persistence, RedisFollowersProps, RedisLeaderProps, RedisProps

__version__ = "0.1.0"

_HOMES = {
    "KUBERNETES_VERSION": "guestbook.kubernetes",
    "Environment": "guestbook.environments",
    "Frontend": "guestbook.constructs",
    "FrontendProps": "guestbook.props.frontend",
    "FrontendServiceProps": "guestbook.props.frontend",
    "Guestbook": "guestbook.constructs",
    "GuestbookError": "guestbook.errors",
    "GuestbookNetworkPolicies": "guestbook.constructs",
    "GuestbookProps": "guestbook.props.guestbook",
    "Identity": "guestbook.constructs",
    "NetworkPolicyProps": "guestbook.props.network",
    "Persistence": "guestbook.props.redis",
    "RedisFollowers": "guestbook.constructs",
    "RedisFollowersProps": "guestbook.props.redis",
    "RedisLeader": "guestbook.constructs",
    "RedisLeaderProps": "guestbook.props.redis",
    "RedisProps": "guestbook.props.redis",
    "ResourceList": "guestbook.props.base",
    "Resources": "guestbook.props.base",
    "load_environments": "guestbook.environments",
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
