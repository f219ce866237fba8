"""Each construct on its own, in any chart, the way another project would import it."""

from __future__ import annotations

from typing import Any

import cdk8s
import pytest

from guestbook import (
    Frontend,
    FrontendProps,
    FrontendServiceProps,
    Guestbook,
    GuestbookProps,
    Persistence,
    RedisFollowers,
    RedisLeader,
    RedisLeaderProps,
)
from tests.conftest import by_kind_name, cdk8s_app

RECOMMENDED = {
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
}


def _synth(build: Any, namespace: str | None = "shop") -> dict[tuple[str, str], dict[str, Any]]:
    chart = cdk8s.Chart(cdk8s_app(), "chart", namespace=namespace)
    build(chart)
    return by_kind_name(list(cdk8s.Testing.synth(chart)))


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return selector.items() <= labels.items()


def test_guestbook_in_a_foreign_chart_keeps_the_tutorial_names_and_the_chart_namespace() -> None:
    # Given another project's chart with its own namespace
    # When it adds the Guestbook with defaults
    objects = _synth(lambda chart: Guestbook(chart, "gb"))
    # Then it gets the tutorial's Deployments and Services, named as upstream, plus a
    # ServiceAccount of the same name per workload (hardening), in the chart's namespace
    assert sorted(objects) == [
        ("Deployment", "frontend"),
        ("Deployment", "redis-follower"),
        ("Deployment", "redis-leader"),
        ("Service", "frontend"),
        ("Service", "redis-follower"),
        ("Service", "redis-leader"),
        ("ServiceAccount", "frontend"),
        ("ServiceAccount", "redis-follower"),
        ("ServiceAccount", "redis-leader"),
    ]
    assert {o["metadata"]["namespace"] for o in objects.values()} == {"shop"}


def test_every_object_carries_the_recommended_labels() -> None:
    objects = _synth(lambda chart: Guestbook(chart, "gb", instance="blue"))
    for obj in objects.values():
        labels = obj["metadata"]["labels"]
        assert labels.keys() >= RECOMMENDED
        assert labels["app.kubernetes.io/instance"] == "blue"


@pytest.mark.parametrize("name", ["frontend", "redis-leader", "redis-follower"])
def test_service_selects_its_deployment_pods_on_an_exposed_port(name: str) -> None:
    objects = _synth(lambda chart: Guestbook(chart, "gb"))
    service = objects[("Service", name)]
    deployment = objects[("Deployment", name)]
    pod = deployment["spec"]["template"]
    # The Deployment selects its own pods, and the Service selects them too
    assert _matches(deployment["spec"]["selector"]["matchLabels"], pod["metadata"]["labels"])
    assert _matches(service["spec"]["selector"], pod["metadata"]["labels"])
    exposed = {p["containerPort"] for c in pod["spec"]["containers"] for p in c["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= exposed


def test_leader_and_follower_selectors_do_not_overlap() -> None:
    objects = _synth(lambda chart: Guestbook(chart, "gb"))
    leader = objects[("Deployment", "redis-leader")]
    follower = objects[("Deployment", "redis-follower")]
    assert not _matches(
        leader["spec"]["selector"]["matchLabels"],
        follower["spec"]["template"]["metadata"]["labels"],
    )
    assert not _matches(
        follower["spec"]["selector"]["matchLabels"],
        leader["spec"]["template"]["metadata"]["labels"],
    )


def test_constructs_expose_what_callers_need_next() -> None:
    chart = cdk8s.Chart(cdk8s_app(), "chart")
    leader = RedisLeader(chart, "leader")
    followers = RedisFollowers(chart, "followers")
    frontend = Frontend(
        chart, "frontend", props=FrontendProps(service=FrontendServiceProps(port=8080))
    )
    assert (leader.service_name, leader.port) == ("redis-leader", 6379)
    assert (followers.service_name, followers.port) == ("redis-follower", 6379)
    assert (frontend.service_name, frontend.port, frontend.container_port) == ("frontend", 8080, 80)
    assert leader.claim is None


def test_frontend_service_port_maps_to_apache_port() -> None:
    props = FrontendProps(service=FrontendServiceProps(type="NodePort", port=8080, node_port=30080))
    objects = _synth(lambda chart: Frontend(chart, "fe", props=props))
    [port] = objects[("Service", "frontend")]["spec"]["ports"]
    assert port == {"port": 8080, "targetPort": 80, "nodePort": 30080}
    assert objects[("Service", "frontend")]["spec"]["type"] == "NodePort"


def test_frontend_finds_redis_through_dns() -> None:
    objects = _synth(lambda chart: Frontend(chart, "fe"))
    [container] = objects[("Deployment", "frontend")]["spec"]["template"]["spec"]["containers"]
    assert {"name": "GET_HOSTS_FROM", "value": "dns"} in container["env"]


def test_leader_persistence_adds_a_claim_mounted_at_data_with_append_only_and_recreate() -> None:
    # Given persistence with a storage class
    props = RedisLeaderProps(
        persistence=Persistence(enabled=True, size="5Gi", storage_class="fast")
    )
    objects = _synth(lambda chart: RedisLeader(chart, "leader", props=props))
    claim = objects[("PersistentVolumeClaim", "redis-leader-data")]
    deployment = objects[("Deployment", "redis-leader")]
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    # Then the claim is as asked, mounted at /data, Redis writes an append-only file,
    # and the Deployment never runs two pods on the ReadWriteOnce volume
    assert claim["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "5Gi"}},
        "storageClassName": "fast",
    }
    assert pod["volumes"] == [
        {"name": "data", "persistentVolumeClaim": {"claimName": "redis-leader-data"}}
    ]
    assert container["volumeMounts"] == [{"mountPath": "/data", "name": "data"}]
    assert container["args"] == ["redis-server", "--appendonly", "yes"]
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}


def test_without_persistence_the_leader_writes_to_a_scratch_volume_and_rolls() -> None:
    objects = _synth(lambda chart: RedisLeader(chart, "leader"))
    deployment = objects[("Deployment", "redis-leader")]
    pod = deployment["spec"]["template"]["spec"]
    assert "strategy" not in deployment["spec"]
    # The root filesystem is read-only, so /data is an emptyDir
    assert pod["volumes"] == [{"emptyDir": {}, "name": "scratch"}]
    assert pod["containers"][0]["volumeMounts"] == [{"mountPath": "/data", "name": "scratch"}]
    assert ("PersistentVolumeClaim", "redis-leader-data") not in objects


def test_extra_labels_and_annotations_reach_objects_and_pods_but_not_selectors() -> None:
    props = GuestbookProps(labels={"team": "web"}, annotations={"example.com/owner": "web"})
    objects = _synth(lambda chart: Guestbook(chart, "gb", props=props))
    for obj in objects.values():
        assert obj["metadata"]["labels"]["team"] == "web"
        assert obj["metadata"]["annotations"] == {"example.com/owner": "web"}
    for name in ("frontend", "redis-leader", "redis-follower"):
        spec = objects[("Deployment", name)]["spec"]
        assert spec["template"]["metadata"]["labels"]["team"] == "web"
        assert "team" not in spec["selector"]["matchLabels"]
        assert "team" not in objects[("Service", name)]["spec"]["selector"]


def test_workload_keeps_every_field_of_the_container_it_is_given() -> None:
    # Given a container with fields the Workload itself never sets
    from guestbook.constructs import security
    from guestbook.constructs.frontend import frontend_probes
    from guestbook.constructs.labels import Identity
    from guestbook.constructs.workload import Workload, WorkloadProps
    from guestbook.kubernetes import k8s

    container = k8s.Container(
        name="app",
        image="example.org/app:1",
        command=["/bin/app"],
        working_dir="/srv",
        env_from=[k8s.EnvFromSource(config_map_ref=k8s.ConfigMapEnvSource(name="settings"))],
        lifecycle=k8s.Lifecycle(
            pre_stop=k8s.LifecycleHandler(exec=k8s.ExecAction(command=["sleep", "5"]))
        ),
    )
    # When a hardened Workload with probes runs it
    objects = _synth(
        lambda chart: Workload(
            chart,
            "app",
            identity=Identity(),
            props=WorkloadProps(
                name="app",
                labels={"app": "app"},
                selector={"app": "app"},
                pod_labels={"app": "app"},
                container=container,
                contract=security.REDIS,
                probes=frontend_probes(),
            ),
        )
    )
    # Then the container keeps its own fields, and gains hardening, scratch mounts and probes
    [rendered] = objects["Deployment", "app"]["spec"]["template"]["spec"]["containers"]
    assert rendered["command"] == ["/bin/app"]
    assert rendered["workingDir"] == "/srv"
    assert rendered["envFrom"] == [{"configMapRef": {"name": "settings"}}]
    assert rendered["lifecycle"] == {"preStop": {"exec": {"command": ["sleep", "5"]}}}
    assert rendered["securityContext"]["readOnlyRootFilesystem"] is True
    assert rendered["volumeMounts"] == [{"mountPath": "/data", "name": "scratch"}]
    assert {"startupProbe", "readinessProbe", "livenessProbe"} <= rendered.keys()


CANARY_IMAGE = "registry.example/gb-frontend:v6"


def _canary_guestbook(**frontend: Any) -> dict[tuple[str, str], dict[str, Any]]:
    props = GuestbookProps.model_validate(
        {
            "frontend": {"canary": {"image": CANARY_IMAGE, "replicas": 2}, **frontend},
            "availability": {"disruptionBudgets": True},
        }
    )
    return _synth(lambda chart: Guestbook(chart, "gb", props=props))


def test_canary_runs_beside_the_stable_frontend_and_the_service_selects_both() -> None:
    # Given a frontend of 3 pods with a canary of 2 on another image
    objects = _canary_guestbook(replicas=3)
    stable = objects[("Deployment", "frontend")]["spec"]
    canary = objects[("Deployment", "frontend-canary")]["spec"]
    stable_pods = stable["template"]["metadata"]["labels"]
    canary_pods = canary["template"]["metadata"]["labels"]
    # Then the stable selector is unchanged (immutable) and its pods say track: stable
    assert stable["selector"]["matchLabels"] == {"app": "guestbook", "tier": "frontend"}
    assert stable_pods == {"app": "guestbook", "tier": "frontend", "track": "stable"}
    assert stable["replicas"] == 3
    # And the canary selects track: canary only, so it never claims a stable pod
    assert canary["selector"]["matchLabels"] == canary_pods
    assert canary_pods == {"app": "guestbook", "tier": "frontend", "track": "canary"}
    assert not _matches(canary["selector"]["matchLabels"], stable_pods)
    assert canary["replicas"] == 2
    [container] = canary["template"]["spec"]["containers"]
    assert container["image"] == CANARY_IMAGE
    # And the Service, the one budget and its own ServiceAccount are in place
    selector = objects[("Service", "frontend")]["spec"]["selector"]
    assert _matches(selector, stable_pods) and _matches(selector, canary_pods)
    budgets = [name for kind, name in objects if kind == "PodDisruptionBudget"]
    assert "frontend-canary" not in budgets
    budget = objects[("PodDisruptionBudget", "frontend")]["spec"]["selector"]["matchLabels"]
    assert _matches(budget, stable_pods) and _matches(budget, canary_pods)
    assert canary["template"]["spec"]["serviceAccountName"] == "frontend-canary"
    assert ("ServiceAccount", "frontend-canary") in objects


def test_canary_has_no_autoscaler_and_a_single_stable_pod_still_gets_the_budget() -> None:
    # Given an autoscaled frontend with a canary
    objects = _canary_guestbook(autoscaling={"enabled": True})
    # Then only the stable Deployment is autoscaled; the canary keeps its fixed count
    autoscalers = [name for kind, name in objects if kind == "HorizontalPodAutoscaler"]
    assert autoscalers == ["frontend"]
    assert objects[("Deployment", "frontend-canary")]["spec"]["replicas"] == 2
    # Given one stable pod and the canary's two, Then the budget covers the three together
    objects = _canary_guestbook(replicas=1)
    assert ("PodDisruptionBudget", "frontend") in objects


def test_without_a_canary_the_frontend_renders_as_before() -> None:
    objects = _synth(lambda chart: Guestbook(chart, "gb"))
    deployment = objects[("Deployment", "frontend")]
    assert deployment["spec"]["template"]["metadata"]["labels"] == {
        "app": "guestbook",
        "tier": "frontend",
    }
    assert "annotations" not in deployment["metadata"]
    assert not [name for _, name in objects if name == "frontend-canary"]


STEPS = [{"setWeight": 25}, {"pause": {}}, {"setWeight": 50}, {"pause": {"duration": "30s"}}]


def _rollout_guestbook(**frontend: Any) -> dict[tuple[str, str], dict[str, Any]]:
    props = GuestbookProps.model_validate(
        {
            "frontend": {"canary": {"steps": STEPS}, **frontend},
            "availability": {"disruptionBudgets": True},
        }
    )
    return _synth(lambda chart: Guestbook(chart, "gb", props=props))


def test_canary_steps_render_the_frontend_as_a_rollout_with_the_deployments_pods() -> None:
    # Given the frontend as it renders without a canary, and with canary steps
    plain = _synth(lambda chart: Guestbook(chart, "gb"))[("Deployment", "frontend")]
    objects = _rollout_guestbook()
    # Then there is no Deployment frontend (nor a canary one), but a Rollout named frontend
    assert ("Deployment", "frontend") not in objects
    assert not [name for _, name in objects if name == "frontend-canary"]
    rollout = objects[("Rollout", "frontend")]
    assert rollout["apiVersion"] == "argoproj.io/v1alpha1"
    # With the Deployment's metadata, selector, replicas and pod template (no track label)
    assert rollout["metadata"] == plain["metadata"]
    spec = rollout["spec"]
    assert spec["selector"] == plain["spec"]["selector"]
    assert spec["replicas"] == plain["spec"]["replicas"] == 3
    assert spec["template"] == plain["spec"]["template"]
    assert "track" not in spec["template"]["metadata"]["labels"]
    # And the steps as given, in Argo Rollouts' canary strategy
    assert spec["strategy"] == {"canary": {"steps": STEPS}}
    # And the Service, budget and ServiceAccount as for the Deployment
    selector = objects[("Service", "frontend")]["spec"]["selector"]
    assert _matches(selector, spec["template"]["metadata"]["labels"])
    assert ("PodDisruptionBudget", "frontend") in objects
    assert ("ServiceAccount", "frontend") in objects


def test_an_autoscaled_rollout_leaves_replicas_to_the_hpa_which_targets_the_rollout() -> None:
    # Given canary steps and autoscaling
    objects = _rollout_guestbook(autoscaling={"enabled": True})
    # Then the Rollout has no replicas and the HPA scales the Rollout
    assert "replicas" not in objects[("Rollout", "frontend")]["spec"]
    target = objects[("HorizontalPodAutoscaler", "frontend")]["spec"]["scaleTargetRef"]
    assert target == {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "frontend"}
