"""Props of the Prometheus Operator monitoring of Redis."""

from __future__ import annotations

from pydantic import Field

from guestbook.props.base import INT32_MAX, DnsLabel, Image, Labels, Model

EXPORTER_IMAGE = "docker.io/oliver006/redis_exporter:v1.87.0"
# v1.87.0: the release the prometheus-community chart prometheus-redis-exporter-6.27.0 ships.


class MonitoringProps(Model):
    """Prometheus Operator monitoring of Redis (see README, "Monitoring")."""

    enabled: bool = False
    """A redis_exporter sidecar on leader and followers, a ServiceMonitor, a PrometheusRule
    and a Grafana dashboard. Needs the Prometheus Operator CRDs. Default: false."""
    exporter_image: Image = EXPORTER_IMAGE
    """redis_exporter image. Default: docker.io/oliver006/redis_exporter:v1.87.0."""
    service_monitor_labels: Labels = Field(default_factory=dict)
    """Labels your Prometheus selects ServiceMonitors and rules by (e.g. release: prometheus)."""
    prometheus_namespace: DnsLabel = "monitoring"
    """Namespace Prometheus scrapes from; NetworkPolicies let it reach the exporters."""
    replication_lag_seconds: int = Field(default=30, ge=1, le=INT32_MAX)
    """Alert when a follower lags the leader by more than this. Default: 30."""
    dashboard: bool = True
    """A ConfigMap with a Grafana dashboard, labelled for Grafana's sidecar. Default: true."""
