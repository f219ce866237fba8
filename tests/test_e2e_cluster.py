"""The test cluster's configuration and objects (e2e/cluster.py), without a cluster."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from e2e.cluster import TEMPLATE, KwokCluster, fake_nodes, render_config, static_storage
from e2e.processes import NetworkNamespace, Supervisor
from e2e.tools import Tools


def test_kwokctl_config_names_our_binaries_and_nothing_remote(tmp_path: Path) -> None:
    # When the template is rendered for a tools folder
    text = render_config(TEMPLATE.read_text(), Tools(tmp_path), Path("/mod/manifests/base"))
    config = yaml.safe_load(text)
    options = config["options"]
    # Then every binary is a local path under it, at the pinned versions
    binaries = {k: v for k, v in options.items() if k.endswith("Binary")}
    assert len(binaries) == 8
    assert all(v.startswith(str(tmp_path)) for v in binaries.values())
    assert options["kubeApiserverBinary"].endswith("/kubernetes-v1.37.2/bin/kube-apiserver")
    assert options["kubeVersion"] == "v1.37.2"
    assert options["kubeApiserverPort"] == 443
    assert options["metricsServerManifests"] == ["/mod/manifests/base"]
    assert "http" not in text.replace("https://kubernetes.default.svc", "")


def test_second_cluster_config_has_its_own_port_and_no_metrics_server(tmp_path: Path) -> None:
    # When the template is rendered without metrics-server manifests, on another port
    text = render_config(TEMPLATE.read_text(), Tools(tmp_path), None, api_port=6443)
    options = yaml.safe_load(text)["options"]
    # Then the API server listens there and kwokctl starts no metrics-server
    assert options["kubeApiserverPort"] == 6443
    assert options["enableMetricsServer"] is False
    assert not [key for key in options if key.startswith("metricsServer")]
    assert options["bindAddress"] == "127.0.0.1"


def test_static_volumes_are_pre_bound_to_each_claim() -> None:
    claim = {
        "metadata": {"name": "redis-leader-data", "namespace": "guestbook-prod"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}},
    }
    storage_class, volume = static_storage([claim])
    assert storage_class["metadata"]["annotations"] == {
        "storageclass.kubernetes.io/is-default-class": "true"
    }
    assert storage_class["provisioner"] == "kubernetes.io/no-provisioner"
    assert volume["spec"]["storageClassName"] == storage_class["metadata"]["name"]
    assert volume["spec"]["capacity"] == {"storage": "10Gi"}
    assert volume["spec"]["claimRef"] == {
        "namespace": "guestbook-prod",
        "name": "redis-leader-data",
    }


def test_fake_nodes_tell_metrics_server_their_path_and_spread_over_zones() -> None:
    nodes = fake_nodes(3)
    assert [n["metadata"]["name"] for n in nodes] == ["kwok-node-0", "kwok-node-1", "kwok-node-2"]
    assert nodes[1]["metadata"]["annotations"]["metrics.k8s.io/resource-metrics-path"] == (
        "/metrics/nodes/kwok-node-1/metrics/resource"
    )
    zones = {n["metadata"]["labels"]["topology.kubernetes.io/zone"] for n in nodes}
    assert len(zones) == 2


def test_components_whose_process_exited_are_found_by_their_pid_files(tmp_path: Path) -> None:
    # Given kwokctl's pid files: one of a running process, one of a process that exited
    exited = subprocess.Popen(["true"])
    exited.wait()
    running = subprocess.Popen(["sleep", "30"])
    try:
        cluster = KwokCluster(
            "c", tmp_path, Supervisor(NetworkNamespace("unused"), tmp_path, {}), Tools(tmp_path)
        )
        pids = cluster.home / "pids"
        pids.mkdir(parents=True)
        (pids / "kube-apiserver.pid").write_text(str(running.pid))
        (pids / "metrics-server.pid").write_text(str(exited.pid))
        (pids / "etcd.pid").write_text("")
        # Then the exited one and the one without a pid are the ones to start again
        assert cluster.stopped_components() == ["etcd", "metrics-server"]
    finally:
        running.kill()
        running.wait()
