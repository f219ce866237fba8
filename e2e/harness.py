"""The whole test bed, started in order and always stopped completely.

:meth:`Harness.start` builds it: git repository, network namespace, two clusters, nodes,
storage, CRDs, Argo Rollouts' controller (first cluster), Argo CD (the second cluster
registered by name), then ``kubectl apply -f dist/argocd/``. :meth:`Harness.stop`
tears everything down whatever state it is in and returns what it found still running or
listening (which should be nothing).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from e2e import argocd, cluster, fleet, rollouts
from e2e.argocd import AppStatus, ArgoCD, app_status
from e2e.assertions import load_folder, of_kind
from e2e.cluster import KwokCluster
from e2e.gitrepo import GitRepo
from e2e.kube import Kubectl, wait_for
from e2e.processes import NetworkNamespace, Supervisor, kill
from e2e.tools import ROOT, Tools, component_version, default_tools
from guestbook.environments import LOGGING_SUFFIX
from guestbook.validate.schemas.gomod import download
from guestbook.validate.schemas.sources import CRD_SOURCES

"""The AppProject of the log collectors' Applications."""

NODES = 3
SECOND_CLUSTER = "fleet-b"
"""The second cluster's name in Argo CD (what an overlay's argocd.destination.name says)."""
SECOND_PORT = 6443
SECOND_NODES = 2
EDGE = "edge"
"""The environment the test adds on the second cluster."""
HOSTS = "127.0.0.1 localhost kubernetes.default.svc\n::1 localhost\n"
ARGOCD_MODULE = "github.com/argoproj/argo-cd/v3"
METRICS_SERVER_MODULE = "sigs.k8s.io/metrics-server"
RUN_AND_VALIDATED = {ARGOCD_MODULE: "argocd", rollouts.ROLLOUTS_MODULE: "argo-rollouts"}
"""Modules whose CRDs the validator knows and whose programs the test runs (by component):
the two pins must be the same release."""
ROLLOUTS_START = 60.0
"""Seconds for rollouts-controller to sync its caches."""


@dataclass
class Harness:
    """Every process and file of one end-to-end run."""

    tools: Tools = field(default_factory=default_tools)
    run_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="guestbook-e2e-")))
    numbers: dict[str, float] = field(default_factory=dict)
    """Benchmark figures in seconds, printed at the end of ``make e2e``."""
    bootstrapped: float = 0.0
    """time.monotonic() when dist/argocd/ was applied."""

    def __post_init__(self) -> None:
        self.log_dir = self.run_dir / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.netns = NetworkNamespace(f"guestbook-e2e-{os.getpid()}", hosts=HOSTS)
        path = os.pathsep.join([*map(str, self.tools.path_prefix), os.environ["PATH"]])
        env = {**os.environ, "PATH": path, "HOME": str(self.run_dir)}
        env.pop("KUBECONFIG", None)
        self.supervisor = Supervisor(self.netns, self.log_dir, env)
        self.cluster = KwokCluster(
            "guestbook-e2e", self.run_dir / "kwok", self.supervisor, self.tools
        )
        self.kubectl = Kubectl(self.supervisor, self.tools.kubectl, self.cluster.kubeconfig)
        self.second = KwokCluster(
            "guestbook-e2e-b", self.run_dir / "kwok", self.supervisor, self.tools, SECOND_PORT
        )
        """The second cluster: its own etcd, API server and kwok nodes, no Argo CD."""
        self.second_kubectl = Kubectl(self.supervisor, self.tools.kubectl, self.second.kubeconfig)
        guestbook = Path(sys.executable).parent / "guestbook"
        self.repo = GitRepo(self.run_dir / "guestbook.git", self.run_dir / "work", guestbook)
        self.head = ""

    def _folders(self) -> list[str]:
        dist = self.repo.work / "dist"
        return sorted(p.name for p in dist.iterdir() if p.is_dir() and p.name != "argocd")

    @property
    def environments(self) -> list[str]:
        """The environments rendered in the repository (dist/<env>/ folders)."""
        return [name for name in self._folders() if not name.endswith(LOGGING_SUFFIX)]

    @property
    def collectors(self) -> list[str]:
        """The environments that render their cluster's log collector (dist/<env>.logging/)."""
        return [
            name.removesuffix(LOGGING_SUFFIX)
            for name in self._folders()
            if name.endswith(LOGGING_SUFFIX)
        ]

    def _argocd_objects(self) -> list[dict[str, Any]]:
        return load_folder(self.repo.work / "dist" / "argocd")

    @property
    def applications(self) -> list[str]:
        """Every Application dist/argocd/ stands for: the root and one per environment
        (rendered as Applications, or generated from the parameter ConfigMaps)."""
        objects = self._argocd_objects()
        names = [str(o["metadata"]["name"]) for o in of_kind(objects, "Application")]
        names += [f"guestbook-{o['data']['environment']}" for o in of_kind(objects, "ConfigMap")]
        return sorted(names)

    def destinations(self) -> dict[str, str]:
        """Each environment's cluster name in Argo CD ("" for the in-cluster server)."""
        found: dict[str, str] = {}
        objects = self._argocd_objects()
        for app in of_kind(objects, "Application"):
            name = str(app["metadata"]["name"])
            # (a log collector's Application is not an environment's)
            if name != "guestbook-root" and not app["spec"]["project"].endswith("-logging"):
                found[name.removeprefix("guestbook-")] = str(
                    app["spec"]["destination"].get("name", "")
                )
        for config in of_kind(objects, "ConfigMap"):
            data = config["data"]
            found[data["environment"]] = json.loads(data["cluster"]).get("name", "")
        return found

    def kube(self, env: str) -> Kubectl:
        """kubectl for the cluster ``env`` is deployed to."""
        return self.second_kubectl if self.destinations()[env] == SECOND_CLUSTER else self.kubectl

    def start(self) -> None:
        """Bring everything up; Argo CD starts syncing from the bootstrap on."""
        self.tools.check()
        edge = {f"environments/{EDGE}.yaml": fleet.overlay(SECOND_CLUSTER)}
        self.head = self.repo.create(ROOT, extra=edge)
        modules = self._release_folders()

        self.netns.create()
        self.numbers["cold start, cluster 1 (kwokctl create to API ready)"] = self.cluster.start(
            modules[METRICS_SERVER_MODULE] / "manifests" / "base"
        )
        self.numbers["cold start, cluster 2 (kwokctl create to API ready)"] = self.second.start(
            None
        )
        began = time.monotonic()
        self.second_kubectl.apply(cluster.fake_nodes(SECOND_NODES))
        self.second_kubectl.apply(cluster.static_storage([]))
        self.kubectl.apply(cluster.fake_nodes(NODES))
        claims = [
            claim
            for env in self.environments
            for claim in of_kind(
                load_folder(self.repo.work / "dist" / env), "PersistentVolumeClaim"
            )
        ]
        self.kubectl.apply(cluster.static_storage(claims))
        for kubectl in (self.kubectl, self.second_kubectl):
            kubectl("wait", "--for=condition=Ready", "node", "--all", "--timeout=60s")
        self.numbers["fake nodes Ready"] = time.monotonic() - began
        # The aggregator re-checks a failed APIService after at most 30 s (its backoff cap).
        cluster.wait_metrics_api(self.kubectl, self.cluster, timeout=120.0)

        crds = [modules[source.module] / path for source in CRD_SOURCES for path in source.paths]
        # The controller needs all of Argo Rollouts' CRDs; the validator may know fewer.
        release = modules[rollouts.ROLLOUTS_MODULE]
        crds += [path for path in rollouts.controller_crds(release) if path not in crds]
        config = argocd.base_config(
            modules[ARGOCD_MODULE], argocd.SERVICE_HEALTH_LUA.read_text(encoding="utf-8")
        )
        # Server side: the CRDs are too large for the last-applied annotation.
        self.kubectl.apply_files(crds, server_side=True)
        cluster.wait_crds_established(self.kubectl, [cluster.crd_name(p) for p in crds], 60)
        self.kubectl.apply(config)
        server = f"https://127.0.0.1:{SECOND_PORT}"
        self.kubectl.apply([argocd.cluster_secret(SECOND_CLUSTER, server, self.second.pki)])

        # Only in the first cluster: the environments with a Rollout are deployed there.
        controller = rollouts.ArgoRollouts(
            self.supervisor, self.tools.bin("argo-rollouts"), self.cluster.kubeconfig
        )
        started = controller.start(self.netns.listeners())

        in_cluster = self.run_dir / "in-cluster.kubeconfig"
        in_cluster.write_text(yaml.safe_dump(argocd.in_cluster_kubeconfig(self.cluster.pki)))
        ArgoCD(self.supervisor, self.tools.bin("argocd"), in_cluster, self.run_dir).start()
        self.kubectl.apply_files([self.repo.work / "dist" / "argocd"])
        self.bootstrapped = time.monotonic()
        self.numbers["rollouts-controller start to caches synced"] = controller.wait(
            started, ROLLOUTS_START
        )

    def _release_folders(self) -> dict[str, Path]:
        """The pinned module releases whose manifests the test installs, by module path."""
        wanted = {(s.module, s.version) for s in CRD_SOURCES}
        wanted.add((METRICS_SERVER_MODULE, component_version("metrics-server")))
        for module, component in RUN_AND_VALIDATED.items():
            version = component_version(component)
            pinned = {s.version for s in CRD_SOURCES if s.module == module}
            if pinned - {version}:
                raise RuntimeError(
                    f"{module}'s CRDs are validated at {sorted(pinned)} but e2e runs {version}: "
                    "pin the same release in guestbook/validate/schemas/sources.py "
                    f"and e2e/tools/{component}/go.mod"
                )
            wanted.add((module, version))
        return {module: m.dir for (module, _), m in download(sorted(wanted)).items()}

    def status(self, name: str) -> AppStatus:
        """One Application's status summary."""
        return app_status(self.kubectl.get("application", name, argocd.NAMESPACE))

    def describe(self) -> str:
        """Every Application's status, for failure messages."""
        try:
            apps = self.kubectl.items("applications", argocd.NAMESPACE)
        except Exception as err:  # a description must not hide the failure
            return f"(cannot read Applications: {err})"
        self.supervisor.check_running()
        return "\n".join(str(app_status(app)) for app in apps) + f"\nlogs: {self.log_dir}"

    def wait_all_synced(self, revision: str, timeout: float) -> float:
        """Wait until every Application is Synced and Healthy at ``revision``; return seconds."""
        began = time.monotonic()

        def done() -> bool | None:
            self.supervisor.check_running()
            apps = [app_status(a) for a in self.kubectl.items("applications", argocd.NAMESPACE)]
            names = sorted(a.name for a in apps)
            ready = all(a.synced_and_healthy and a.revision == revision for a in apps)
            return True if ready and names == self.applications else None

        wait_for(
            f"every Application Synced and Healthy at {revision[:8]}",
            done,
            timeout=timeout,
            interval=1.0,
            describe=self.describe,
        )
        return time.monotonic() - began

    def refresh(self, *, applicationsets: bool = True) -> None:
        """Ask Argo CD to look at git again (what a webhook does): every Application, and
        (unless told not to) the ApplicationSet's generator when there is one."""
        for kind, annotation in (
            ("applications", "argocd.argoproj.io/refresh=normal"),
            ("applicationsets", "argocd.argoproj.io/application-set-refresh=true"),
        ):
            if kind == "applicationsets" and not applicationsets:
                continue
            if self.kubectl.items(kind, argocd.NAMESPACE):
                self.kubectl(
                    "annotate", kind, "--all", "-n", argocd.NAMESPACE, "--overwrite", annotation
                )  # fmt: skip

    def stop(self) -> list[str]:
        """Stop everything; return what was still running or listening before it was killed."""
        leftovers: list[str] = []
        self.supervisor.stop_all()
        for name, process in self.supervisor.processes.items():
            if process.poll() is None:
                leftovers.append(f"{name} (pid {process.pid}) did not stop")
        if self.netns.inode:
            survivors = self.cluster.stop(keep_logs=self.log_dir / "cluster")
            survivors += self.second.stop(keep_logs=self.log_dir / "cluster-b")
            leftovers += [f"cluster process {pid} did not stop" for pid in survivors]
            inside = self.netns.pids()
            if inside:
                leftovers.append(f"processes still in the namespace: {inside}")
                kill(inside)
            leftovers += [f"still listening: {line}" for line in self.netns.listeners()]
        self.netns.delete()
        if self.netns.exists:
            leftovers.append(f"network namespace {self.netns.name} still exists")
        self._keep_only_logs()
        return leftovers

    def _keep_only_logs(self) -> None:
        """Keep the logs (the cluster's component logs were copied in), drop the rest."""
        for entry in self.run_dir.iterdir():
            if entry == self.log_dir:
                continue
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
