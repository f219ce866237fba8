"""Centralised logging: the pods' parser annotations, the cluster's Fluent Bit and its Argo CD
Application (the parsers themselves: tests/test_log_parsers.py)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from guestbook.constructs.log_formats import PARSERS
from guestbook.environments import load_environments
from guestbook.errors import GuestbookError
from guestbook.render import render_manifests, synth
from guestbook.settings import ArgoCdSettings
from tests.conftest import FIXTURES, by_kind_name, read_tree

LOGGING = FIXTURES / "logging"
Objects = dict[tuple[str, str], dict[str, Any]]
# Fluent Bit's documented form: fluentbit.io/parser[_stream][-container]
ANNOTATION = re.compile(r"^fluentbit\.io/parser(?:_(?:stdout|stderr))?-(?P<container>[a-z0-9-]+)$")


def _pod_annotations(objects: Objects, name: str) -> dict[str, str]:
    template = objects[("Deployment", name)]["spec"]["template"]
    return dict(template["metadata"].get("annotations", {}))


def _render(tmp_path: Path, overlays: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    envs = tmp_path / "environments"
    envs.mkdir()
    for name, source in overlays.items():
        target = envs / f"{name}.yaml"
        if source.endswith(".yaml") and "\n" not in source:
            shutil.copy(LOGGING / source, target)
        else:
            target.write_text(source)
    return render_manifests(load_environments(envs), ArgoCdSettings())


def _config(objects: Objects) -> dict[str, Any]:
    text = objects[("ConfigMap", "fluent-bit")]["data"]["fluent-bit.yaml"]
    config = yaml.safe_load(text)
    assert isinstance(config, dict)
    return config


# --- application side -----------------------------------------------------------------


def test_pods_name_the_parser_of_each_containers_log(
    render_overlay: Callable[..., Objects],
) -> None:
    # Given logging on, with failover (Sentinel logs like Redis) and monitoring (a sidecar)
    objects = render_overlay(
        "logging:\n  enabled: true\nredis:\n  highAvailability:\n    enabled: true\n"
        "monitoring:\n  enabled: true\n"
    )
    # Then Apache's access log (stdout) and error log (stderr) each get their parser
    assert _pod_annotations(objects, "frontend") == {
        "fluentbit.io/parser_stdout-php-redis": "guestbook-apache-access",
        "fluentbit.io/parser_stderr-php-redis": "guestbook-apache-error",
    }
    # And every Redis container (both streams) the Redis parser, the exporter sidecar none
    assert _pod_annotations(objects, "redis-leader") == {
        "fluentbit.io/parser-leader": "guestbook-redis"
    }
    assert _pod_annotations(objects, "redis-follower") == {
        "fluentbit.io/parser-follower": "guestbook-redis"
    }
    assert _pod_annotations(objects, "redis-sentinel") == {
        "fluentbit.io/parser-sentinel": "guestbook-redis"
    }
    # And HAProxy, whose log format is not one of ours, is left to the collector's default
    assert _pod_annotations(objects, "redis-leader-proxy") == {}


def test_annotations_are_fluent_bits_form_and_name_their_own_container(
    render_overlay: Callable[..., Objects],
) -> None:
    objects = render_overlay("logging:\n  enabled: true\n")
    for name in ("frontend", "redis-leader", "redis-follower"):
        template = objects[("Deployment", name)]["spec"]["template"]
        containers = {c["name"] for c in template["spec"]["containers"]}
        for key in template["metadata"]["annotations"]:
            match = ANNOTATION.match(key)
            assert match, key
            assert match["container"] in containers


def test_without_logging_the_pods_carry_no_parser_annotations(
    render_overlay: Callable[..., Objects],
) -> None:
    objects = render_overlay("logging:\n  enabled: false\n")
    for name in ("frontend", "redis-leader", "redis-follower"):
        assert _pod_annotations(objects, name) == {}


# --- cluster side ---------------------------------------------------------------------


def test_the_collector_renders_into_its_own_folder_and_namespace(tmp_path: Path) -> None:
    # Given an environment whose overlay turns the cluster's collector on
    rendered = _render(tmp_path, {"ops": "collector_on.yaml"})
    # Then its objects are beside the environment, not in it (its Application syncs dist/ops/)
    assert set(rendered) == {"ops", "ops.logging", "argocd"}
    objects = by_kind_name(rendered["ops.logging"])
    assert sorted(objects) == [
        ("ClusterRole", "fluent-bit"),
        ("ClusterRoleBinding", "fluent-bit"),
        ("ConfigMap", "fluent-bit"),
        ("DaemonSet", "fluent-bit"),
        ("NetworkPolicy", "fluent-bit"),
        ("ServiceAccount", "fluent-bit"),
    ]
    # And the namespaced ones are in "logging", the cluster-wide ones in none
    for (kind, _), obj in objects.items():
        namespace = obj["metadata"].get("namespace")
        assert namespace == (None if kind.startswith("Cluster") else "logging"), kind


def test_the_collector_may_read_pods_and_namespaces_and_nothing_else(tmp_path: Path) -> None:
    objects = by_kind_name(_render(tmp_path, {"ops": "collector_on.yaml"})["ops.logging"])
    assert objects[("ClusterRole", "fluent-bit")]["rules"] == [
        {"apiGroups": [""], "resources": ["pods", "namespaces"], "verbs": ["get", "list", "watch"]}
    ]
    binding = objects[("ClusterRoleBinding", "fluent-bit")]
    assert binding["roleRef"]["name"] == "fluent-bit"
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "fluent-bit", "namespace": "logging"}
    ]


def test_the_daemon_set_reads_host_logs_read_only_and_is_hardened(tmp_path: Path) -> None:
    objects = by_kind_name(_render(tmp_path, {"ops": "collector_on.yaml"})["ops.logging"])
    pod = objects[("DaemonSet", "fluent-bit")]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    # The host's /var/log, read-only, and nothing else from the host
    host_volumes = {v["name"]: v["hostPath"] for v in pod["volumes"] if "hostPath" in v}
    assert host_volumes == {"host-logs": {"path": "/var/log", "type": "Directory"}}
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts["host-logs"]["readOnly"] is True
    assert mounts["config"]["readOnly"] is True
    assert "hostNetwork" not in pod and "hostPID" not in pod
    # The configuration it runs is the ConfigMap's file
    assert container["args"] == ["--config", "/fluent-bit/etc/guestbook/fluent-bit.yaml"]
    # Secure by default, but for uid 0 (the logs are root's, mode 0640)
    context = container["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["runAsUser"] == 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    # And with no credentials configured, it gets no Secret at all
    assert "env" not in container


def test_credentials_come_from_a_secret_by_reference_only(tmp_path: Path) -> None:
    overlay = (LOGGING / "collector_on.yaml").read_text() + (
        "    credentialsSecret: opensearch-writer\n"
    )
    objects = by_kind_name(_render(tmp_path, {"ops": overlay})["ops.logging"])
    [container] = objects[("DaemonSet", "fluent-bit")]["spec"]["template"]["spec"]["containers"]
    # The container's environment names the Secret's keys
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]}
    assert refs == {
        "LOG_ENDPOINT_USERNAME": {"name": "opensearch-writer", "key": "username"},
        "LOG_ENDPOINT_PASSWORD": {"name": "opensearch-writer", "key": "password"},
    }
    assert all("value" not in e for e in container["env"])
    # And the configuration reads them from the environment
    [output] = _config(objects)["pipeline"]["outputs"]
    assert output["http_user"] == "${LOG_ENDPOINT_USERNAME}"
    assert output["http_passwd"] == "${LOG_ENDPOINT_PASSWORD}"
    # And no Secret object is rendered anywhere
    assert not any(kind == "Secret" for kind, _ in objects)


def test_the_network_policy_allows_only_the_endpoint_api_server_and_dns(tmp_path: Path) -> None:
    objects = by_kind_name(_render(tmp_path, {"ops": "collector_on.yaml"})["ops.logging"])
    spec = objects[("NetworkPolicy", "fluent-bit")]["spec"]
    assert (
        spec["podSelector"]["matchLabels"]
        == (objects[("DaemonSet", "fluent-bit")]["spec"]["selector"]["matchLabels"])
    )
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in spec  # nothing may connect to it
    endpoint, api_server, dns = spec["egress"]
    assert endpoint == {
        "to": [{"ipBlock": {"cidr": "203.0.113.10/32"}}],
        "ports": [{"protocol": "TCP", "port": 443}],
    }
    assert api_server == {
        "to": [{"ipBlock": {"cidr": "192.0.2.1/32"}}],
        "ports": [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 6443}],
    }
    assert dns["to"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}
    ]


def test_the_configuration_tails_enriches_parses_and_ships(tmp_path: Path) -> None:
    objects = by_kind_name(_render(tmp_path, {"ops": "collector_on.yaml"})["ops.logging"])
    config = _config(objects)
    [tail] = config["pipeline"]["inputs"]
    assert (tail["name"], tail["path"]) == ("tail", "/var/log/containers/*.log")
    [kubernetes] = config["pipeline"]["filters"]
    # Pods choose their parser, and the parsed fields replace the raw line
    assert kubernetes["name"] == "kubernetes"
    assert kubernetes["k8s-logging.parser"] == "on"
    assert (kubernetes["merge_log"], kubernetes["keep_log"]) == ("on", "off")
    [output] = config["pipeline"]["outputs"]
    assert {k: output[k] for k in ("name", "host", "port", "index", "tls", "tls.verify")} == {
        "name": "opensearch",
        "host": "logs.example.com",
        "port": 443,
        "index": "guestbook-ops",
        "tls": "on",
        "tls.verify": "on",
    }
    # And every parser a pod can name is defined, once
    names = [parser["name"] for parser in config["parsers"]]
    assert names == [parser.name for parser in PARSERS]


def test_argocd_syncs_the_collector_in_a_project_of_its_own(tmp_path: Path) -> None:
    # Given one environment with the collector and one without
    rendered = _render(tmp_path, {"ops": "collector_on.yaml", "dev": "{}"})
    argocd = by_kind_name(rendered["argocd"])
    # Then the collector's Application syncs its folder into "logging", in its own project
    app = argocd[("Application", "guestbook-ops-logging")]["spec"]
    assert app["project"] == "guestbook-ops-logging"
    assert app["source"]["path"] == "dist/ops.logging"
    in_cluster = "https://kubernetes.default.svc"
    assert app["destination"] == {"server": in_cluster, "namespace": "logging"}
    # And only that project admits the cluster-wide RBAC, for the collector's namespace only
    project = argocd[("AppProject", "guestbook-ops-logging")]
    assert project["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]
    fence = project["spec"]
    assert fence["destinations"] == [app["destination"]]
    assert {(k["group"], k["kind"]) for k in fence["clusterResourceWhitelist"]} == {
        ("", "Namespace"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    }
    environments = argocd[("AppProject", "guestbook-ops")]["spec"]
    assert environments["clusterResourceWhitelist"] == [{"group": "", "kind": "Namespace"}]
    assert {"group": "apps", "kind": "DaemonSet"} not in environments["namespaceResourceWhitelist"]
    assert {"server": in_cluster, "namespace": "logging"} not in environments["destinations"]


def test_without_a_collector_there_is_no_logging_project(tmp_path: Path) -> None:
    rendered = _render(tmp_path, {"dev": "logging:\n  enabled: true\n"})
    assert set(rendered) == {"dev", "argocd"}
    projects = {name for kind, name in by_kind_name(rendered["argocd"]) if kind == "AppProject"}
    assert projects == {"guestbook-root", "guestbook-dev"}


def test_one_collector_per_cluster(tmp_path: Path) -> None:
    # Given two environments on the same cluster, both with the collector
    envs = tmp_path / "environments"
    envs.mkdir()
    for name in ("a", "b"):
        shutil.copy(LOGGING / "collector_on.yaml", envs / f"{name}.yaml")
    # Then loading names both overlays and says why
    with pytest.raises(GuestbookError) as caught:
        load_environments(envs)
    message = str(caught.value)
    assert f"{envs / 'b.yaml'}:5: environment 'a' ({envs / 'a.yaml'}:5)" in message
    assert "one collector per cluster" in message
    # And on two clusters, each may have its own
    (envs / "b.yaml").write_text(
        (LOGGING / "collector_on.yaml").read_text() + "argocd:\n  destination:\n    name: eu\n"
    )
    assert len(load_environments(envs)) == 2


def test_an_enabled_collector_without_its_endpoint_is_refused(tmp_path: Path) -> None:
    envs = tmp_path / "environments"
    envs.mkdir()
    (envs / "ops.yaml").write_text("logging:\n  collector:\n    enabled: true\n")
    with pytest.raises(GuestbookError) as caught:
        load_environments(envs)
    message = str(caught.value)
    assert "ops.yaml" in message and "logging.collector" in message
    for missing in ("host", "endpointCidrs or endpointNamespace", "apiServerCidrs"):
        assert missing in message


def test_partial_synth_replaces_and_removes_the_collectors_folder(tmp_path: Path) -> None:
    # Given a rendered project whose ops environment has the collector
    envs = tmp_path / "environments"
    envs.mkdir()
    shutil.copy(LOGGING / "collector_on.yaml", envs / "ops.yaml")
    (envs / "dev.yaml").write_text("{}\n")
    dist = tmp_path / "dist"
    synth(load_environments(envs), dist)
    assert (dist / "ops.logging" / "daemonset-fluent-bit.yaml").is_file()
    before = read_tree(dist / "dev")
    # When the overlay turns it off and only ops is rendered
    (envs / "ops.yaml").write_text("logging:\n  enabled: true\n")
    synth(load_environments(envs, ["ops"]), dist, partial=True)
    # Then its folder is gone, and the other environment is untouched
    assert not (dist / "ops.logging").exists()
    assert read_tree(dist / "dev") == before


def test_an_environment_named_like_a_collector_is_refused(tmp_path: Path) -> None:
    # Given environment "a" with the collector, and an environment named "a-logging"
    envs = tmp_path / "environments"
    envs.mkdir()
    shutil.copy(LOGGING / "collector_on.yaml", envs / "a.yaml")
    (envs / "a-logging.yaml").write_text("{}\n")
    # When the environments are loaded
    with pytest.raises(GuestbookError) as caught:
        load_environments(envs)
    # Then the error names both overlays and the clash (Argo CD's Application and project names)
    message = str(caught.value)
    assert f"{envs / 'a-logging.yaml'}: environment name 'a-logging'" in message
    assert f"log collector of environment 'a' ({envs / 'a.yaml'}:5)" in message
    assert "rename" in message


def test_synth_refuses_an_environment_named_like_a_collector_with_exit_2(tmp_path: Path) -> None:
    # Given the same clash in a project
    envs = tmp_path / "environments"
    envs.mkdir()
    shutil.copy(LOGGING / "collector_on.yaml", envs / "a.yaml")
    (envs / "a-logging.yaml").write_text("{}\n")
    # When synth runs, Then it exits 2 with one line and no traceback, and renders nothing
    result = subprocess.run(
        [sys.executable, "-m", "guestbook", "synth", "--no-cache", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "a-logging" in result.stderr
    assert not (tmp_path / "dist").exists()
