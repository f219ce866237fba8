"""guestbook-gitops: cdk8s constructs and tooling for the Kubernetes guestbook.

Import the constructs from here (or from :mod:`guestbook.constructs`)::

    from guestbook import Guestbook, GuestbookProps, FrontendProps

The names are imported on first use, so that tools which need none of them
(``guestbook validate``) do not start the jsii runtime.
"""

# ruff: noqa: F405  (the names in __all__ come from the star imports that mypy reads)
import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers see; __all__ below says which names are public
    from guestbook.constructs import *  # noqa: F403
    from guestbook.environments import *  # noqa: F403
    from guestbook.errors import *  # noqa: F403
    from guestbook.kubernetes import *  # noqa: F403
    from guestbook.props.argocd import *  # noqa: F403
    from guestbook.props.base import *  # noqa: F403
    from guestbook.props.failover import *  # noqa: F403
    from guestbook.props.frontend import *  # noqa: F403
    from guestbook.props.guestbook import *  # noqa: F403
    from guestbook.props.logging import *  # noqa: F403
    from guestbook.props.monitoring import *  # noqa: F403
    from guestbook.props.network import *  # noqa: F403
    from guestbook.props.redis import *  # noqa: F403
    from guestbook.props.workload import *  # noqa: F403

__version__ = "0.1.0"

# The public names, each written once. A name is found in the first of _HOMES that has it
# (the modules the star imports above read): the cheap ones come first, so a props model does
# not start jsii.
__all__ = [
    "KUBERNETES_VERSION",
    "ArgoCdProps",
    "AutoscalingProps",
    "AvailabilityProps",
    "CanaryProps",
    "CollectorProps",
    "DestinationProps",
    "Environment",
    "Frontend",
    "FrontendProps",
    "FrontendServiceProps",
    "Guestbook",
    "GuestbookError",
    "GuestbookNetworkPolicies",
    "GuestbookProps",
    "Identity",
    "LogCollector",
    "LoggingProps",
    "MonitoringProps",
    "NetworkPolicyProps",
    "OverlayProps",
    "Persistence",
    "ProbesProps",
    "RedisFailover",
    "RedisFollowers",
    "RedisFollowersProps",
    "RedisHighAvailabilityProps",
    "RedisLeader",
    "RedisLeaderProps",
    "RedisMonitoring",
    "RedisProps",
    "ResourceList",
    "Resources",
    "RolloutPause",
    "RolloutStep",
    "SecurityProps",
    "WorkloadPolicy",
    "load_environments",
]
_HOMES = (
    "guestbook.errors",
    "guestbook.kubernetes",
    "guestbook.props.argocd",
    "guestbook.props.base",
    "guestbook.props.failover",
    "guestbook.props.frontend",
    "guestbook.props.guestbook",
    "guestbook.props.logging",
    "guestbook.props.monitoring",
    "guestbook.props.network",
    "guestbook.props.redis",
    "guestbook.props.workload",
    "guestbook.environments",
    "guestbook.constructs",
)


def __getattr__(name: str) -> Any:
    if name in __all__:
        for home in _HOMES:
            module = importlib.import_module(home)
            if name in vars(module) or name in getattr(module, "__all__", ()):
                return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
