"""Production options: hardening, probes, disruption budgets, topology spread, autoscaling."""

from __future__ import annotations

from typing import Any

import pytest

from guestbook.errors import GuestbookError

WORKLOADS = ("frontend", "redis-leader", "redis-follower")


def _pod(objects: dict[Any, Any], name: str) -> dict[str, Any]:
    spec: dict[str, Any] = objects[("Deployment", name)]["spec"]["template"]["spec"]
    return spec


def test_hardened_by_default_every_pod_has_seccomp_no_escalation_and_dropped_capabilities(
    render_overlay: Any,
) -> None:
    objects = render_overlay("{}\n")
    for name in WORKLOADS:
        pod = _pod(objects, name)
        [container] = pod["containers"]
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
        # Its own ServiceAccount, and no API token in the pod
        assert pod["serviceAccountName"] == name
        assert pod["automountServiceAccountToken"] is False
        account = objects[("ServiceAccount", name)]
        assert account["automountServiceAccountToken"] is False


@pytest.mark.parametrize("name", ["redis-leader", "redis-follower"])
def test_redis_runs_as_its_own_user_with_nothing_added_and_a_read_only_root(
    render_overlay: Any, name: str
) -> None:
    pod = _pod(render_overlay("{}\n"), name)
    [container] = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert pod["securityContext"]["fsGroup"] == 10001
    assert "add" not in container["securityContext"]["capabilities"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert {m["mountPath"] for m in container["volumeMounts"]} == {"/data"}


def test_frontend_keeps_only_what_apache_needs_to_bind_80_and_drop_to_www_data(
    render_overlay: Any,
) -> None:
    pod = _pod(render_overlay("{}\n"), "frontend")
    [container] = pod["containers"]
    assert "runAsNonRoot" not in pod["securityContext"]
    assert container["securityContext"]["capabilities"]["add"] == [
        "NET_BIND_SERVICE",
        "SETUID",
        "SETGID",
        "KILL",
    ]
    assert container["securityContext"]["readOnlyRootFilesystem"] is False


def test_hardening_off_renders_the_images_as_they_come(render_overlay: Any) -> None:
    objects = render_overlay("security:\n  hardened: false\n")
    assert not [key for key in objects if key[0] == "ServiceAccount"]
    for name in WORKLOADS:
        pod = _pod(objects, name)
        assert "securityContext" not in pod
        assert "securityContext" not in pod["containers"][0]
        assert "serviceAccountName" not in pod


def test_probes_fit_each_image(render_overlay: Any) -> None:
    objects = render_overlay("{}\n")
    [redis] = _pod(objects, "redis-leader")["containers"]
    [frontend] = _pod(objects, "frontend")["containers"]
    assert redis["readinessProbe"]["exec"]["command"] == [
        "sh",
        "-c",
        "redis-cli ping | grep -q PONG",
    ]
    assert redis["livenessProbe"]["tcpSocket"] == {"port": 6379}
    assert redis["startupProbe"]["tcpSocket"] == {"port": 6379}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert frontend[probe]["httpGet"] == {"path": "/", "port": 80}


def test_probes_off(render_overlay: Any) -> None:
    objects = render_overlay("probes:\n  enabled: false\n")
    for name in WORKLOADS:
        container = _pod(objects, name)["containers"][0]
        assert not {"startupProbe", "readinessProbe", "livenessProbe"} & container.keys()


def test_disruption_budgets_only_for_workloads_with_more_than_one_pod(render_overlay: Any) -> None:
    objects = render_overlay(
        "availability:\n  disruptionBudgets: true\nredis:\n  followers:\n    replicas: 1\n"
    )
    budgets = {
        name: o["spec"] for (kind, name), o in objects.items() if kind == "PodDisruptionBudget"
    }
    # The leader (1 pod) and followers (1 pod) get none; the frontend (3 pods) gets one
    assert budgets == {
        "frontend": {
            "maxUnavailable": 1,
            "selector": {"matchLabels": {"app": "guestbook", "tier": "frontend"}},
        }
    }


def test_spread_across_nodes_and_zones(render_overlay: Any) -> None:
    objects = render_overlay(
        "availability:\n  spreadAcrossNodes: true\n  zoneKey: topology.kubernetes.io/zone\n"
    )
    constraints = _pod(objects, "redis-follower")["topologySpreadConstraints"]
    assert [c["topologyKey"] for c in constraints] == [
        "kubernetes.io/hostname",
        "topology.kubernetes.io/zone",
    ]
    for constraint in constraints:
        assert constraint["labelSelector"] == {"matchLabels": {"app": "redis", "role": "follower"}}
        assert constraint["whenUnsatisfiable"] == "ScheduleAnyway"
        assert constraint["maxSkew"] == 1


def test_zone_key_needs_spread(render_overlay: Any) -> None:
    with pytest.raises(GuestbookError, match="zoneKey needs spreadAcrossNodes: true"):
        render_overlay("availability:\n  zoneKey: topology.kubernetes.io/zone\n")


def test_autoscaling_adds_an_hpa_and_leaves_replicas_to_it(render_overlay: Any) -> None:
    # Given autoscaling on the frontend
    objects = render_overlay(
        "frontend:\n  replicas: 7\n  autoscaling:\n    enabled: true\n"
        "    minReplicas: 2\n    maxReplicas: 6\n    cpuUtilization: 60\n"
    )
    hpa = objects[("HorizontalPodAutoscaler", "frontend")]
    # Then the HPA targets the frontend Deployment, and the Deployment pins no replica count
    # (so Argo CD never reverts the autoscaler's choice)
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"] == {
        "maxReplicas": 6,
        "metrics": [
            {
                "resource": {
                    "name": "cpu",
                    "target": {"averageUtilization": 60, "type": "Utilization"},
                },
                "type": "Resource",
            }
        ],
        "minReplicas": 2,
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "frontend"},
    }
    assert "replicas" not in objects[("Deployment", "frontend")]["spec"]


def test_autoscaling_min_above_max_is_a_config_error(render_overlay: Any) -> None:
    with pytest.raises(
        GuestbookError, match=r"minReplicas \(5\) must not exceed maxReplicas \(3\)"
    ):
        render_overlay(
            "frontend:\n  autoscaling:\n    enabled: true\n    minReplicas: 5\n    maxReplicas: 3\n"
        )


def test_autoscaling_off_by_default(render_overlay: Any) -> None:
    objects = render_overlay("{}\n")
    assert ("HorizontalPodAutoscaler", "frontend") not in objects
    assert objects[("Deployment", "frontend")]["spec"]["replicas"] == 3
