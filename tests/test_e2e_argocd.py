"""Argo CD's configuration in the test and reading Application status (e2e/argocd.py)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from e2e.argocd import (
    SERVICE_HEALTH_LUA,
    app_status,
    base_config,
    cluster_secret,
    in_cluster_kubeconfig,
)
from guestbook.validate.schemas.gomod import download


def test_base_config_is_the_release_config_plus_the_service_health_check() -> None:
    [release] = download([("github.com/argoproj/argo-cd/v3", "v3.2.12")]).values()
    namespace, cm, secret, project = base_config(release.dir, SERVICE_HEALTH_LUA.read_text())
    assert namespace["metadata"]["name"] == "argocd"
    assert cm["metadata"] == {**cm["metadata"], "name": "argocd-cm", "namespace": "argocd"}
    assert "resource.exclusions" in cm["data"]  # the release's own defaults are kept
    assert "no LoadBalancer controller" in cm["data"]["resource.customizations.health.Service"]
    assert secret["metadata"]["name"] == "argocd-secret"
    assert project["metadata"]["name"] == "default"


def test_in_cluster_kubeconfig_keeps_the_rendered_server_name(tmp_path: Path) -> None:
    config = in_cluster_kubeconfig(tmp_path)
    assert config["clusters"][0]["cluster"] == {
        "server": "https://kubernetes.default.svc",
        "certificate-authority": str(tmp_path / "ca.crt"),
    }


def test_cluster_secret_registers_a_cluster_by_name_with_its_pki(tmp_path: Path) -> None:
    # Given a cluster's CA and admin certificate
    for name in ("ca.crt", "admin.crt", "admin.key"):
        (tmp_path / name).write_bytes(f"PEM of {name}".encode())
    # When registered in Argo CD as fleet-b
    secret = cluster_secret("fleet-b", "https://127.0.0.1:6443", tmp_path)
    # Then it is a cluster Secret in Argo CD's namespace naming the cluster and its server,
    # with TLS verified against the CA (never insecure)
    assert secret["metadata"]["namespace"] == "argocd"
    assert secret["metadata"]["labels"] == {"argocd.argoproj.io/secret-type": "cluster"}
    data = secret["stringData"]
    assert (data["name"], data["server"]) == ("fleet-b", "https://127.0.0.1:6443")
    tls = json.loads(data["config"])["tlsClientConfig"]
    assert base64.b64decode(tls["caData"]) == b"PEM of ca.crt"
    assert base64.b64decode(tls["keyData"]) == b"PEM of admin.key"
    assert "insecure" not in tls


def test_app_status_lists_what_is_not_synced_or_healthy() -> None:
    app = {
        "metadata": {"name": "guestbook-prod"},
        "status": {
            "sync": {"status": "OutOfSync", "revision": "0123456789abcdef"},
            "health": {"status": "Progressing"},
            "operationState": {"phase": "Running", "message": "waiting for healthy state"},
            "conditions": [{"type": "SyncError", "message": "boom"}],
            "resources": [
                {"kind": "Service", "name": "frontend", "status": "Synced",
                 "health": {"status": "Progressing", "message": "no address"}},
                {"kind": "Deployment", "name": "frontend", "status": "Synced",
                 "health": {"status": "Healthy"}},
            ],
        },
    }  # fmt: skip
    status = app_status(app)
    assert not status.synced_and_healthy
    assert str(status).splitlines() == [
        "guestbook-prod: OutOfSync/Progressing at 01234567",
        "  operation: Running: waiting for healthy state",
        "  condition SyncError: boom",
        "  Service/frontend: Synced/Progressing (no address)",
    ]
