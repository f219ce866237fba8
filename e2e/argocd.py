"""Argo CD in the test: its CRDs and base config from the pinned release, and its processes.

The components a sync needs run: argocd-repo-server (renders dist/<env> from git),
argocd-application-controller (compares, syncs, self-heals, prunes) and
argocd-applicationset-controller (ApplicationSet mode: generates the Applications), plus
Redis, their cache. They run outside the cluster, as local processes in the test's
namespace. A second cluster is registered by name with a cluster Secret.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from e2e.kube import Obj
from e2e.processes import Supervisor

NAMESPACE = "argocd"
IN_CLUSTER = "https://kubernetes.default.svc"
REDIS_PORT = 6379
REPO_SERVER_PORT = 8081
APPLICATIONSET_PORTS = {"metrics-addr": 18080, "probe-addr": 18081, "webhook-addr": 17000}
"""Its listeners, away from the defaults (8080, 8081: the repo-server's port, 7000)."""
SERVICE_HEALTH_LUA = Path(__file__).resolve().parent / "service-health.lua"


def load_manifest(path: Path) -> Obj:
    """The one object of a manifest file of the release."""
    obj: Obj = yaml.safe_load(path.read_text(encoding="utf-8"))
    return obj


def base_config(release: Path, service_health: str) -> list[Obj]:
    """Argo CD's namespace, argocd-cm, argocd-secret and the default AppProject.

    argocd-cm and argocd-secret are the release's ``manifests/base/config`` files, with
    one addition to argocd-cm: the Service health check of ``service_health`` (Lua), which
    users without a LoadBalancer controller need too (see README, "End to end"). The
    default project is the one argocd-server creates at start-up (server/server.go,
    ``initializeDefaultProject``); argocd-server does not run here.
    """
    config = release / "manifests" / "base" / "config"
    cm = load_manifest(config / "argocd-cm.yaml")
    cm["metadata"]["namespace"] = NAMESPACE
    cm["data"] = {
        **(cm.get("data") or {}),
        "resource.customizations.health.Service": service_health,
    }
    secret = load_manifest(config / "argocd-secret.yaml")
    secret["metadata"]["namespace"] = NAMESPACE
    secret["stringData"] = {"server.secretkey": secrets.token_hex(16)}
    project = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "default", "namespace": NAMESPACE},
        "spec": {
            "sourceRepos": ["*"],
            "destinations": [{"server": "*", "namespace": "*"}],
            "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
        },
    }
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
    return [namespace, cm, secret, project]


def in_cluster_kubeconfig(pki: Path) -> Obj:
    """A kubeconfig for ``https://kubernetes.default.svc`` with the test cluster's admin PKI.

    For that server name Argo CD always builds the in-cluster client config (service
    account token and KUBERNETES_SERVICE_HOST); credentials in a cluster Secret are not
    used for it. The controller runs outside the cluster, so it is started the way Argo
    CD's own local and e2e setup starts it (its Procfile): ``ARGOCD_FAKE_IN_CLUSTER=true``,
    which makes the in-cluster client come from $KUBECONFIG instead. This kubeconfig
    keeps the rendered server name: it resolves to 127.0.0.1 through the namespace's
    /etc/hosts, the API server listens on 443, and its serving certificate names
    kubernetes.default.svc, so TLS is verified against the cluster CA.
    """
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "in-cluster",
                "cluster": {
                    "server": IN_CLUSTER,
                    "certificate-authority": str(pki / "ca.crt"),
                },
            }
        ],
        "users": [
            {
                "name": "admin",
                "user": {
                    "client-certificate": str(pki / "admin.crt"),
                    "client-key": str(pki / "admin.key"),
                },
            }
        ],
        "contexts": [{"name": "in-cluster", "context": {"cluster": "in-cluster", "user": "admin"}}],
        "current-context": "in-cluster",
    }


def cluster_secret(name: str, server: str, pki: Path) -> Obj:
    """A cluster Secret registering ``server`` in Argo CD as ``name``.

    The shape ``argocd cluster add`` creates (label ``argocd.argoproj.io/secret-type:
    cluster``; ``name``, ``server`` and ``config`` as JSON), with the cluster's admin client
    certificate instead of the bearer token of the ServiceAccount that command creates in
    the target cluster. TLS is verified against the cluster's CA.
    """

    def data(file: str) -> str:
        return base64.b64encode((pki / file).read_bytes()).decode("ascii")

    config = {
        "tlsClientConfig": {
            "caData": data("ca.crt"),
            "certData": data("admin.crt"),
            "keyData": data("admin.key"),
        }
    }
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": f"cluster-{name}",
            "namespace": NAMESPACE,
            "labels": {"argocd.argoproj.io/secret-type": "cluster"},
        },
        "type": "Opaque",
        "stringData": {"name": name, "server": server, "config": json.dumps(config)},
    }


@dataclass(frozen=True)
class ArgoCD:
    """Starts Redis, the repo-server and the application-controller."""

    supervisor: Supervisor
    argocd_bin: Path
    kubeconfig: Path
    run_dir: Path

    def start(self) -> None:
        """Start the four processes (their readiness shows in the Applications' status)."""
        self.supervisor.start(
            "redis",
            ["redis-server", "--bind", "127.0.0.1", "--port", str(REDIS_PORT), "--save", "",
             "--appendonly", "no", "--dir", str(self.run_dir)],
        )  # fmt: skip
        tmp = self.run_dir / "repo-server-tmp"
        tmp.mkdir(exist_ok=True)
        redis = f"127.0.0.1:{REDIS_PORT}"
        self.supervisor.start(
            "argocd-repo-server",
            [self.argocd_bin / "argocd-repo-server", "--address", "127.0.0.1",
             "--port", str(REPO_SERVER_PORT), "--metrics-address", "127.0.0.1",
             "--disable-tls", "--redis", redis],
            # No GnuPG keyring here; signature verification is not used by our Applications.
            env={"ARGOCD_GPG_ENABLED": "false", "TMPDIR": str(tmp)},
        )  # fmt: skip
        # Its metrics server binds 0.0.0.0 (no flag to change it): the namespace keeps it on lo.
        self.supervisor.start(
            "argocd-application-controller",
            [self.argocd_bin / "argocd-application-controller", "--kubeconfig", self.kubeconfig,
             "--namespace", NAMESPACE, "--repo-server", f"127.0.0.1:{REPO_SERVER_PORT}",
             "--repo-server-plaintext", "--redis", redis,
             # Keep each resource's health in the Application (v3 keeps it only in Redis),
             # so the test and its failure messages can read it. Health is computed the same.
             "--persist-resource-health"],
            env={"ARGOCD_FAKE_IN_CLUSTER": "true", "KUBECONFIG": str(self.kubeconfig)},
        )  # fmt: skip
        # The same multi-call binary, named as the component (build.sh links the others).
        appset = self.run_dir / "bin" / "argocd-applicationset-controller"
        appset.parent.mkdir(exist_ok=True)
        if not appset.exists():
            os.symlink(self.argocd_bin / "argocd", appset)
        listeners = [f"--{flag}=127.0.0.1:{port}" for flag, port in APPLICATIONSET_PORTS.items()]
        self.supervisor.start(
            "argocd-applicationset-controller",
            [appset, "--kubeconfig", self.kubeconfig, "--namespace", NAMESPACE,
             "--argocd-repo-server", f"127.0.0.1:{REPO_SERVER_PORT}", "--repo-server-plaintext",
             *listeners],
            env={"ARGOCD_FAKE_IN_CLUSTER": "true", "KUBECONFIG": str(self.kubeconfig)},
        )  # fmt: skip


@dataclass(frozen=True)
class AppStatus:
    """What matters of an Application's status."""

    name: str
    sync: str
    health: str
    revision: str
    operation: str
    """Phase and message of the last operation, if any."""
    problems: tuple[str, ...]
    """Conditions, and resources that are not Synced or not Healthy."""

    @property
    def synced_and_healthy(self) -> bool:
        """Synced, Healthy, and no operation running."""
        return (
            self.sync == "Synced"
            and self.health == "Healthy"
            and not self.operation.startswith("Running")
        )

    def __str__(self) -> str:
        lines = [f"{self.name}: {self.sync}/{self.health} at {self.revision[:8] or '-'}"]
        if self.operation:
            lines.append(f"  operation: {self.operation}")
        lines += [f"  {problem}" for problem in self.problems]
        return "\n".join(lines)


def app_status(app: Mapping[str, Any]) -> AppStatus:
    """Summarise an Application object (pure)."""
    status = app.get("status") or {}
    sync = status.get("sync") or {}
    operation = status.get("operationState") or {}
    problems = [
        f"condition {c.get('type')}: {c.get('message')}" for c in status.get("conditions") or ()
    ]
    for res in status.get("resources") or ():
        health = (res.get("health") or {}).get("status", "")
        if res.get("status") not in (None, "Synced") or health not in ("", "Healthy"):
            message = (res.get("health") or {}).get("message", "")
            problems.append(
                f"{res.get('kind')}/{res.get('name')}: {res.get('status')}/{health or '-'}"
                + (f" ({message})" if message else "")
            )
    return AppStatus(
        name=str(app["metadata"]["name"]),
        sync=str(sync.get("status", "Unknown")),
        health=str((status.get("health") or {}).get("status", "Unknown")),
        revision=str(sync.get("revision", "")),
        operation=(
            f"{operation.get('phase')}: {operation.get('message', '')}".strip() if operation else ""
        ),
        problems=tuple(problems),
    )
