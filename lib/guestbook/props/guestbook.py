"""Props of one whole guestbook installation, composed from the parts' props."""

from __future__ import annotations

from pydantic import Field

from guestbook.props.base import Annotations, Labels, Model
from guestbook.props.frontend import FrontendProps
from guestbook.props.logging import LoggingProps
from guestbook.props.monitoring import MonitoringProps
from guestbook.props.network import NetworkPolicyProps
from guestbook.props.redis import RedisProps
from guestbook.props.workload import AvailabilityProps, ProbesProps, SecurityProps


class GuestbookProps(Model):
    """Everything one guestbook installation needs.

    It has no namespace: the objects land in the enclosing chart's namespace (an
    environment's namespace is set in its overlay, see ``OverlayProps``).
    """

    labels: Labels = Field(default_factory=dict)
    """Extra labels on every object and pod, at most 256; not the keys guestbook sets itself
    (app, role, tier, app.kubernetes.io/*, grafana_dashboard). Default: none."""
    annotations: Annotations = Field(default_factory=dict)
    """Extra annotations on every object, at most 256 and 256 KiB; not
    argocd.argoproj.io/sync-wave while argocd.syncWaves is on. Default: none."""
    frontend: FrontendProps = FrontendProps()
    """The frontend. Default: the tutorial's."""
    redis: RedisProps = RedisProps()
    """The Redis leader and followers. Default: the tutorial's."""
    network_policy: NetworkPolicyProps = NetworkPolicyProps()
    """NetworkPolicies. Default: none."""
    security: SecurityProps = SecurityProps()
    """Hardening. Default: on (the tutorial overlay turns it off to match upstream)."""
    probes: ProbesProps = ProbesProps()
    """Health probes. Default: on (the tutorial overlay turns them off to match upstream)."""
    availability: AvailabilityProps = AvailabilityProps()
    """Disruption budgets and topology spread. Default: off."""
    monitoring: MonitoringProps = MonitoringProps()
    """Prometheus monitoring. Default: off."""
    logging: LoggingProps = LoggingProps()
    """Centralised logging: the pods' parser annotations and the cluster's collector.
    Default: off."""
