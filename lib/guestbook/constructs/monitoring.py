"""Monitoring Redis with the Prometheus Operator: exporter sidecars, a ServiceMonitor,
alerts and a Grafana dashboard.

The exporters sit behind their own headless Service ``redis-metrics``, so the two
Redis Services that the images depend on keep their single port.
"""

from __future__ import annotations

import json
from typing import Any

import cdk8s
from constructs import Construct

from guestbook.constructs.custom import custom_object
from guestbook.constructs.labels import DASHBOARD_LABEL, Identity
from guestbook.constructs.redis import RedisFollowers, RedisLeader, every_redis_pod
from guestbook.constructs.values import int_or_string, quantity
from guestbook.constructs.workload import metadata
from guestbook.kubernetes import k8s
from guestbook.props.monitoring import MonitoringProps
from guestbook.tutorial import REDIS_PORT

METRICS_PORT = 9121
METRICS_PORT_NAME = "metrics"
METRICS_SERVICE = "redis-metrics"
EXPORTER_UID = 59000  # the redis_exporter image's own non-root user
MONITORING_API = "monitoring.coreos.com/v1"


def redis_exporter(props: MonitoringProps, *, hardened: bool) -> k8s.Container:
    """The redis_exporter sidecar: reads the Redis next to it, serves /metrics on 9121."""
    port = int_or_string(METRICS_PORT_NAME)
    return k8s.Container(
        name="redis-exporter",
        image=props.exporter_image,
        env=[k8s.EnvVar(name="REDIS_ADDR", value=f"redis://localhost:{REDIS_PORT}")],
        ports=[k8s.ContainerPort(name=METRICS_PORT_NAME, container_port=METRICS_PORT)],
        resources=k8s.ResourceRequirements(
            requests={
                "cpu": quantity("10m"),
                "memory": quantity("16Mi"),
            },
            limits={
                "cpu": quantity("100m"),
                "memory": quantity("64Mi"),
            },
        ),
        readiness_probe=k8s.Probe(http_get=k8s.HttpGetAction(path="/health", port=port)),
        liveness_probe=k8s.Probe(
            http_get=k8s.HttpGetAction(path="/health", port=port), period_seconds=10
        ),
        security_context=k8s.SecurityContext(
            allow_privilege_escalation=False,
            privileged=False,
            read_only_root_filesystem=True,
            run_as_non_root=True,
            run_as_user=EXPORTER_UID,
            run_as_group=EXPORTER_UID,
            capabilities=k8s.Capabilities(drop=["ALL"]),
        )
        if hardened
        else None,
    )


def alert_rules(namespace: str, followers: int, lag_seconds: int) -> list[dict[str, Any]]:
    """Alerts on Redis down and on broken replication, scoped to one namespace."""
    scope = f'namespace="{namespace}",service="{METRICS_SERVICE}"'
    rules: list[dict[str, Any]] = [
        {
            "alert": "GuestbookRedisDown",
            "expr": f"redis_up{{{scope}}} == 0",
            "for": "1m",
            "labels": {"severity": "critical"},
            "annotations": {
                "summary": "Redis is down in {{ $labels.namespace }}",
                "description": "The exporter in {{ $labels.pod }} cannot reach its Redis.",
            },
        },
        {
            "alert": "GuestbookRedisMetricsAbsent",
            "expr": f"absent(redis_up{{{scope}}})",
            "for": "5m",
            "labels": {"severity": "warning"},
            "annotations": {
                "summary": f"No Redis metrics from {namespace}",
                "description": "Prometheus scrapes no redis_exporter: pods down or not scraped.",
            },
        },
        {
            "alert": "GuestbookRedisFollowerLinkDown",
            "expr": f"redis_master_link_up{{{scope}}} == 0",
            "for": "2m",
            "labels": {"severity": "critical"},
            "annotations": {
                "summary": "A Redis follower lost its leader in {{ $labels.namespace }}",
                "description": "{{ $labels.pod }} is not replicating from redis-leader.",
            },
        },
        {
            "alert": "GuestbookRedisReplicationLag",
            "expr": f"max(redis_connected_slave_lag_seconds{{{scope}}}) > {lag_seconds}",
            "for": "2m",
            "labels": {"severity": "warning"},
            "annotations": {
                "summary": f"Redis followers lag more than {lag_seconds}s in {namespace}",
                "description": "Followers serve stale guestbook entries.",
            },
        },
    ]
    if followers > 0:
        rules.append(
            {
                "alert": "GuestbookRedisFollowersMissing",
                # Followers report 0 connected replicas themselves, so the sum is the leader's.
                "expr": f"sum(redis_connected_slaves{{{scope}}}) < {followers}",
                "for": "5m",
                "labels": {"severity": "warning"},
                "annotations": {
                    "summary": f"Fewer than {followers} followers replicate in {namespace}",
                    "description": "The leader has fewer connected followers than configured.",
                },
            }
        )
    return rules


def dashboard(namespace: str) -> dict[str, Any]:
    """A small Grafana dashboard: up, followers, lag, memory, commands per second."""
    scope = f'namespace="{namespace}",service="{METRICS_SERVICE}"'
    panels = [
        ("Redis up", f"redis_up{{{scope}}}"),
        ("Connected followers", f"sum(redis_connected_slaves{{{scope}}})"),
        ("Replication lag (s)", f"max(redis_connected_slave_lag_seconds{{{scope}}})"),
        ("Memory used", f"redis_memory_used_bytes{{{scope}}}"),
        ("Commands per second", f"rate(redis_commands_processed_total{{{scope}}}[5m])"),
    ]
    return {
        "title": f"Guestbook Redis ({namespace})",
        "uid": f"guestbook-redis-{namespace}"[:40],
        "schemaVersion": 39,
        "time": {"from": "now-1h", "to": "now"},
        "panels": [
            {
                "id": index + 1,
                "type": "timeseries",
                "title": title,
                "gridPos": {"h": 8, "w": 12, "x": 12 * (index % 2), "y": 8 * (index // 2)},
                "targets": [{"expr": expr, "refId": "A"}],
            }
            for index, (title, expr) in enumerate(panels)
        ],
    }


class RedisMonitoring(Construct):
    """The metrics Service, ServiceMonitor, PrometheusRule and dashboard for one namespace.

    The exporter sidecars themselves are added by the Redis constructs
    (``sidecars=[redis_exporter(...)]``); this construct makes them scraped and alerted on.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        leader: RedisLeader,
        followers: RedisFollowers,
        followers_count: int,
        props: MonitoringProps,
        identity: Identity,
    ) -> None:
        super().__init__(scope, id)
        namespace = cdk8s.Chart.of(self).namespace or "default"
        selector = every_redis_pod(leader, followers)
        labels = identity.labels(name="redis", component="metrics", selector=selector)
        self.service = k8s.KubeService(
            self,
            "Service",
            metadata=metadata(identity, name=METRICS_SERVICE, labels=labels),
            spec=k8s.ServiceSpec(
                cluster_ip="None",
                selector=selector,
                ports=[
                    k8s.ServicePort(
                        name=METRICS_PORT_NAME,
                        port=METRICS_PORT,
                        target_port=int_or_string(METRICS_PORT_NAME),
                    )
                ],
            ),
        )
        """Headless Service in front of every exporter."""
        monitor_labels = {**labels, **props.service_monitor_labels}
        self.service_monitor = custom_object(
            self,
            "ServiceMonitor",
            api_version=MONITORING_API,
            kind="ServiceMonitor",
            name="redis",
            labels=monitor_labels,
            annotations=identity.annotations,
            spec={
                "selector": {"matchLabels": {"app.kubernetes.io/component": "metrics", **selector}},
                "endpoints": [{"port": METRICS_PORT_NAME, "interval": "30s", "path": "/metrics"}],
            },
        )
        """Tells Prometheus to scrape the exporters."""
        self.rules = custom_object(
            self,
            "PrometheusRule",
            api_version=MONITORING_API,
            kind="PrometheusRule",
            name="redis",
            labels=monitor_labels,
            annotations=identity.annotations,
            spec={
                "groups": [
                    {
                        "name": "guestbook-redis",
                        "rules": alert_rules(
                            namespace, followers_count, props.replication_lag_seconds
                        ),
                    }
                ]
            },
        )
        """Alerts on Redis down and on broken replication."""
        self.dashboard: k8s.KubeConfigMap | None = None
        """The Grafana dashboard ConfigMap, when enabled."""
        if props.dashboard:
            self.dashboard = k8s.KubeConfigMap(
                self,
                "Dashboard",
                metadata=metadata(
                    identity,
                    name="guestbook-redis-dashboard",
                    labels={**labels, DASHBOARD_LABEL: "1"},
                ),
                data={
                    "guestbook-redis.json": json.dumps(
                        dashboard(namespace), indent=2, sort_keys=True
                    )
                },
            )
