"""The test cluster: a kwokctl cluster (binary runtime) with fake nodes, storage and metrics.

kwokctl starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler, the kwok
controller (which plays every node's kubelet: nodes and pods become Ready by its default
stages) and metrics-server, all as local processes, and writes their PKI and a kubeconfig.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

import yaml

from e2e.kube import Kubectl, Obj, wait_for
from e2e.processes import Supervisor, alive, kill, wait_gone
from e2e.tools import Tools, component_version

TEMPLATE = Path(__file__).resolve().parent / "templates" / "kwokctl.yaml"
STORAGE_CLASS = "e2e-static"
METRICS_API = "v1beta1.metrics.k8s.io"
"""The APIService kwokctl registers for metrics-server (the HPA reads pod CPU through it)."""
ZONES = ("zone-a", "zone-b")


def render_config(
    template: str,
    tools: Tools,
    metrics_server_manifests: Path | None,
    *,
    api_port: int = 443,
) -> str:
    """The kwokctl configuration with this machine's binary paths filled in.

    Without ``metrics_server_manifests`` the cluster runs no metrics-server (the second
    cluster: no HPA is tested there, and one process fewer to start).
    """
    text = Template(template).substitute(
        kube_version=component_version("kubernetes"),
        kubernetes_bin=tools.bin("kubernetes"),
        etcd_bin=tools.bin("etcd"),
        kwok_bin=tools.bin("kwok"),
        metrics_server_bin=tools.bin("metrics-server"),
        metrics_server_manifests=metrics_server_manifests or "",
        api_port=api_port,
    )
    if metrics_server_manifests is not None:
        return text
    config = yaml.safe_load(text)
    options = config["options"]
    options["enableMetricsServer"] = False
    del options["metricsServerBinary"], options["metricsServerManifests"]
    return str(yaml.safe_dump(config, sort_keys=False))


def fake_nodes(count: int) -> list[Obj]:
    """``count`` Nodes for kwok, spread over two zones.

    The annotation tells metrics-server where kwok serves each node's resource metrics
    (every fake node shares kwok's address and port, so the path names the node).
    """
    return [
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": f"kwok-node-{i}",
                "annotations": {
                    "node.alpha.kubernetes.io/ttl": "0",
                    "metrics.k8s.io/resource-metrics-path": (
                        f"/metrics/nodes/kwok-node-{i}/metrics/resource"
                    ),
                },
                "labels": {
                    "kubernetes.io/hostname": f"kwok-node-{i}",
                    "kubernetes.io/os": "linux",
                    "topology.kubernetes.io/zone": ZONES[i % len(ZONES)],
                    "type": "kwok",
                },
            },
        }
        for i in range(count)
    ]


def static_storage(claims: Iterable[Mapping[str, Any]]) -> list[Obj]:
    """A default StorageClass with no provisioner, and one PersistentVolume per claim.

    Each volume is pre-bound to its claim (``claimRef``) with exactly the claim's size and
    access modes, so the PV controller binds them the way an administrator's static
    volumes are bound. The claims are taken from dist/ as rendered (no storage class, so
    they get the cluster default).
    """
    objects: list[Obj] = [
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {
                "name": STORAGE_CLASS,
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
            },
            "provisioner": "kubernetes.io/no-provisioner",
            "volumeBindingMode": "Immediate",
            "reclaimPolicy": "Retain",
        }
    ]
    for claim in claims:
        meta, spec = claim["metadata"], claim["spec"]
        name = f"{meta['namespace']}-{meta['name']}"
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {"name": name},
                "spec": {
                    "storageClassName": STORAGE_CLASS,
                    "capacity": {"storage": spec["resources"]["requests"]["storage"]},
                    "accessModes": spec["accessModes"],
                    "persistentVolumeReclaimPolicy": "Retain",
                    "hostPath": {"path": f"/var/lib/e2e-volumes/{name}"},  # never mounted
                    "claimRef": {"namespace": meta["namespace"], "name": meta["name"]},
                },
            }
        )
    return objects


@dataclass
class KwokCluster:
    """One kwokctl cluster in ``workdir`` (KWOK_WORKDIR)."""

    name: str
    workdir: Path
    supervisor: Supervisor
    tools: Tools
    api_port: int = 443
    """The API server's port on 127.0.0.1."""
    revived: list[str] = field(default_factory=list)
    """Components started again by :meth:`revive` (printed in the e2e summary)."""

    @property
    def home(self) -> Path:
        """kwokctl's folder for this cluster (PKI, kubeconfig, logs, pid files)."""
        return self.workdir / "clusters" / self.name

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig kwokctl writes (server https://127.0.0.1:443)."""
        return self.home / "kubeconfig.yaml"

    @property
    def pki(self) -> Path:
        """ca.crt, admin.crt and admin.key (the serving cert names kubernetes.default.svc)."""
        return self.home / "pki"

    def component_pids(self) -> dict[str, int | None]:
        """Each component kwokctl started, by name, with the pid its pid file holds (if any)."""
        found: dict[str, int | None] = {}
        for pid_file in sorted((self.home / "pids").glob("*.pid")):
            text = pid_file.read_text().strip()
            found[pid_file.stem] = int(text) if text.isdigit() else None
        return found

    def stopped_components(self) -> list[str]:
        """The components kwokctl started whose process has exited (by their pid files)."""
        return [
            name for name, pid in self.component_pids().items() if pid is None or not alive(pid)
        ]

    def revive(self) -> list[str]:
        """Start again the components that exited; return their names.

        kwokctl starts every component at once and does not wait for the API server in
        between. metrics-server reads its authentication ConfigMap once at start-up and
        exits when the API server does not answer yet (``unable to load configmap based
        request-header-client-ca-file``); nothing restarts it. ``kwokctl start cluster``
        starts the components that are not running (a stale pid file is removed first, as
        kwokctl would take a reused or zombie pid for a running process).
        """
        stopped = self.stopped_components()
        if stopped:
            for name in stopped:
                (self.home / "pids" / f"{name}.pid").unlink(missing_ok=True)
            self._kwokctl("start", "cluster", "--wait", "1m")
            self.revived += stopped
        return stopped

    def pids(self) -> list[int]:
        """The pids of the components kwokctl started (from its pid files)."""
        return [pid for pid in self.component_pids().values() if pid is not None]

    def _kwokctl(self, *args: str, timeout: float = 300.0) -> None:
        log = self.supervisor.log_dir / "kwokctl.log"
        proc = self.supervisor.run(
            [self.tools.binary("kwok", "kwokctl"), "--name", self.name, *args],
            env={"KWOK_WORKDIR": str(self.workdir)},
            timeout=timeout,
            check=False,
        )
        with log.open("a") as out:
            out.write(
                f"$ kwokctl --name {self.name} {' '.join(args)}\n{proc.stdout}{proc.stderr}\n"
            )
        if proc.returncode != 0:
            raise RuntimeError(f"kwokctl {args[0]} failed ({proc.returncode}); see {log}")

    def start(self, metrics_server_manifests: Path | None) -> float:
        """Create and start the cluster; return the seconds it took until ready.

        Without ``metrics_server_manifests``, no metrics-server (see :func:`render_config`).
        """
        config = self.supervisor.log_dir / f"kwokctl-{self.name}.yaml"
        config.write_text(
            render_config(
                TEMPLATE.read_text(), self.tools, metrics_server_manifests, api_port=self.api_port
            ),
            encoding="utf-8",
        )
        began = time.monotonic()
        self._kwokctl("create", "cluster", "--config", str(config), "--wait", "3m")
        return time.monotonic() - began

    def stop(self, keep_logs: Path) -> list[int]:
        """Stop the cluster, copy its component logs to ``keep_logs``, then delete it.

        Return the pids that would not exit. ``kwokctl stop cluster`` signals the components
        and returns at once, so the pids are waited for here (and killed when they do not
        exit); ``delete`` removes the cluster's folder, logs included, so they are copied
        in between.
        """
        if not self.home.exists():
            return []
        pids = self.pids()
        with contextlib.suppress(Exception):  # the pids below are stopped either way
            self._kwokctl("stop", "cluster", timeout=120.0)
        left = wait_gone(pids, 30.0)
        survivors = kill(left) if left else []
        logs = self.home / "logs"
        if logs.is_dir():
            shutil.copytree(logs, keep_logs, dirs_exist_ok=True)
        with contextlib.suppress(Exception):
            self._kwokctl("delete", "cluster", timeout=120.0)
        return survivors


def metrics_api_state(kubectl: Kubectl, cluster: KwokCluster) -> str:
    """What to look at when the metrics API does not answer.

    The APIService's Available condition (the aggregator's verdict), whether the
    metrics-server process is alive, and the end of its log.
    """
    code, output = kubectl.result("get", "apiservice", METRICS_API, "-o", "json")
    if code == 0:
        conditions = json.loads(output).get("status", {}).get("conditions", [])
        available = [c for c in conditions if c["type"] == "Available"]
        verdict = "; ".join(
            f"{c['status']} {c.get('reason', '')}: {c.get('message', '')}" for c in available
        )
    else:
        verdict = output
    pid = cluster.component_pids().get("metrics-server")
    if pid is None:
        process = "no pid recorded"
    else:
        process = f"pid {pid}, {'running' if alive(pid) else 'not running'}"
    log = cluster.home / "logs" / "metrics-server.log"
    tail = log.read_text(errors="replace").splitlines()[-15:] if log.exists() else ["(no log)"]
    return "\n".join(
        [
            f"APIService {METRICS_API} Available: {verdict or 'no condition yet'}",
            f"metrics-server: {process}",
            *tail,
        ]
    )


def wait_metrics_api(kubectl: Kubectl, cluster: KwokCluster, timeout: float) -> None:
    """Wait until the aggregator reports the metrics APIService Available.

    A precondition of the HPA test, checked at start: a component that exited at start-up
    is started again (:meth:`KwokCluster.revive`), and a metrics API that still does not
    come up fails the run early, with its state, instead of as a slow HPA timeout.
    """

    def available() -> bool | None:
        cluster.revive()
        api = kubectl.get("apiservice", METRICS_API)
        conditions = api.get("status", {}).get("conditions", [])
        ok = any(c["type"] == "Available" and c["status"] == "True" for c in conditions)
        return True if ok else None

    wait_for(
        f"APIService {METRICS_API} Available",
        available,
        timeout=timeout,
        interval=1.0,
        describe=lambda: metrics_api_state(kubectl, cluster),
    )


def crd_name(path: Path) -> str:
    """The metadata.name of the CustomResourceDefinition in ``path``."""
    for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        if doc and doc.get("kind") == "CustomResourceDefinition":
            return str(doc["metadata"]["name"])
    raise ValueError(f"{path}: no CustomResourceDefinition")


def wait_crds_established(kubectl: Kubectl, names: Sequence[str], timeout: float) -> None:
    """Wait until the API server serves the given CRDs (applying one right after races)."""
    kubectl(
        "wait",
        "--for=condition=Established",
        f"--timeout={int(timeout)}s",
        *(f"crd/{name}" for name in names),
        timeout=timeout + 10,
    )
