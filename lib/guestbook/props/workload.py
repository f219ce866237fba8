"""Props every workload shares: hardening, probes and availability."""

from __future__ import annotations

from pydantic import model_validator

from guestbook.props.base import LabelKey, Model


class SecurityProps(Model):
    """Pod and container hardening (see README, "Security")."""

    hardened: bool = True
    """seccomp RuntimeDefault, no privilege escalation, every capability dropped except those
    the image needs, non-root and a read-only root filesystem where the image allows, and a
    ServiceAccount per workload with no API token mounted. Default: true."""


class ProbesProps(Model):
    """Health probes fitted to each image."""

    enabled: bool = True
    """Startup, readiness and liveness probes: Redis by TCP and ``redis-cli ping``, the
    frontend by HTTP on ``/``. Default: true."""


class AvailabilityProps(Model):
    """Keeping replicated workloads up through node loss and voluntary disruptions."""

    disruption_budgets: bool = False
    """A PodDisruptionBudget (maxUnavailable 1) for every workload that runs, or may
    autoscale to, more than one pod. Default: false."""
    spread_across_nodes: bool = False
    """Topology spread constraints that spread each workload's pods across nodes. Default: false."""
    zone_key: LabelKey | None = None
    """Node label of the zone (e.g. ``topology.kubernetes.io/zone``) to spread across zones
    too; needs ``spreadAcrossNodes``. Default: unset."""

    @model_validator(mode="after")
    def _zone_needs_spread(self) -> AvailabilityProps:
        if self.zone_key is not None and not self.spread_across_nodes:
            raise ValueError("zoneKey needs spreadAcrossNodes: true")
        return self
