"""Monitoring: exporter sidecars, metrics Service, ServiceMonitor, alerts, dashboard."""

from __future__ import annotations

import json
from typing import Any

import pytest

MONITORED = "monitoring:\n  enabled: true\n  serviceMonitorLabels: {release: prometheus}\n"


@pytest.fixture
def objects(render_overlay: Any) -> dict[tuple[str, str], dict[str, Any]]:
    result: dict[tuple[str, str], dict[str, Any]] = render_overlay(MONITORED)
    return result


@pytest.mark.parametrize("name", ["redis-leader", "redis-follower"])
def test_each_redis_pod_gets_a_hardened_exporter_sidecar(
    objects: dict[Any, Any], name: str
) -> None:
    containers = objects[("Deployment", name)]["spec"]["template"]["spec"]["containers"]
    exporter = containers[1]
    assert exporter["name"] == "redis-exporter"
    assert exporter["image"].startswith("docker.io/oliver006/redis_exporter:v")
    assert exporter["env"] == [{"name": "REDIS_ADDR", "value": "redis://localhost:6379"}]
    assert exporter["ports"] == [{"containerPort": 9121, "name": "metrics"}]
    security = exporter["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"] == {"drop": ["ALL"]}


def test_frontend_gets_no_exporter(objects: dict[Any, Any]) -> None:
    containers = objects[("Deployment", "frontend")]["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["php-redis"]


def test_metrics_service_selects_all_redis_pods_and_leaves_redis_services_alone(
    objects: dict[Any, Any],
) -> None:
    metrics = objects[("Service", "redis-metrics")]["spec"]
    assert metrics["clusterIP"] == "None"
    assert metrics["selector"] == {"app": "redis", "tier": "backend"}
    assert metrics["ports"] == [{"name": "metrics", "port": 9121, "targetPort": "metrics"}]
    for name in ("redis-leader", "redis-follower"):
        assert [p["port"] for p in objects[("Service", name)]["spec"]["ports"]] == [6379]


def test_service_monitor_scrapes_the_metrics_service_and_carries_prometheus_labels(
    objects: dict[Any, Any],
) -> None:
    monitor = objects[("ServiceMonitor", "redis")]
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    service_labels = objects[("Service", "redis-metrics")]["metadata"]["labels"]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service_labels.items()
    assert monitor["spec"]["endpoints"] == [
        {"port": "metrics", "interval": "30s", "path": "/metrics"}
    ]


def test_alerts_cover_redis_down_and_broken_replication(objects: dict[Any, Any]) -> None:
    [group] = objects[("PrometheusRule", "redis")]["spec"]["groups"]
    rules = {r["alert"]: r for r in group["rules"]}
    assert set(rules) == {
        "GuestbookRedisDown",
        "GuestbookRedisMetricsAbsent",
        "GuestbookRedisFollowerLinkDown",
        "GuestbookRedisReplicationLag",
        "GuestbookRedisFollowersMissing",
    }
    scope = 'namespace="guestbook-test",service="redis-metrics"'
    assert rules["GuestbookRedisDown"]["expr"] == f"redis_up{{{scope}}} == 0"
    assert (
        rules["GuestbookRedisFollowerLinkDown"]["expr"] == f"redis_master_link_up{{{scope}}} == 0"
    )
    assert rules["GuestbookRedisFollowersMissing"]["expr"].endswith("< 2")
    assert rules["GuestbookRedisReplicationLag"]["expr"].endswith("> 30")


def test_dashboard_is_a_configmap_for_grafanas_sidecar(objects: dict[Any, Any]) -> None:
    dashboard = objects[("ConfigMap", "guestbook-redis-dashboard")]
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    board = json.loads(dashboard["data"]["guestbook-redis.json"])
    assert board["title"] == "Guestbook Redis (guestbook-test)"
    assert len(board["panels"]) == 5


def test_network_policies_let_only_prometheus_reach_the_exporters(render_overlay: Any) -> None:
    objects = render_overlay(MONITORED + "networkPolicy:\n  enabled: true\n")
    scrape = {
        "from": [
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
        ],
        "ports": [{"port": 9121, "protocol": "TCP"}],
    }
    for name in ("redis-leader", "redis-follower"):
        assert scrape in objects[("NetworkPolicy", name)]["spec"]["ingress"]
    assert scrape not in objects[("NetworkPolicy", "frontend")]["spec"]["ingress"]


def test_monitoring_off_renders_none_of_it(render_overlay: Any) -> None:
    objects = render_overlay("{}\n")
    kinds = {kind for kind, _ in objects}
    assert not kinds & {"ServiceMonitor", "PrometheusRule", "ConfigMap"}
    assert ("Service", "redis-metrics") not in objects
