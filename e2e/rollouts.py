"""Argo Rollouts in the test: its CRDs from the pinned release, its controller, its plugin.

``rollouts-controller`` runs as a local process in the test's namespace with the first
cluster's kubeconfig (the environments with a Rollout are deployed there), as Argo CD's
components do. It runs without leader election (one instance) and its healthz and metrics
listeners (0.0.0.0 in its code, so ``lo`` only here) on ports free in the namespace.
The test promotes a paused Rollout with the plugin's ``promote`` command, built from the
same module.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from e2e.processes import Supervisor

ROLLOUTS_MODULE = "github.com/argoproj/argo-rollouts"
READY_LINE = "Started controller"
"""What the controller logs once every informer cache has synced (controller/controller.go)."""
FIRST_PORT = 18090
"""Where the search for its two listeners starts (its defaults, 8080 and 8090, are common)."""


def controller_crds(release: Path) -> list[Path]:
    """Every CRD of the release: the controller waits for an informer on each of them
    (Rollout, Experiment, AnalysisRun, AnalysisTemplate, ClusterAnalysisTemplate)."""
    return sorted((release / "manifests" / "crds").glob("*-crd.yaml"))


def free_ports(
    listeners: Iterable[str], count: int, *, start: int = FIRST_PORT, span: int = 1000
) -> list[int]:
    """``count`` TCP ports from ``start`` on that no ``ss -Hltn`` line listens on."""
    used = set()
    for line in listeners:
        fields = line.split()
        if len(fields) >= 4:
            used.add(int(fields[3].rsplit(":", 1)[1]))
    found = [port for port in range(start, start + span) if port not in used][:count]
    if len(found) < count:
        raise RuntimeError(f"no {count} free port(s) in {start}-{start + span - 1}")
    return found


@dataclass(frozen=True)
class ArgoRollouts:
    """Starts ``rollouts-controller`` against one cluster."""

    supervisor: Supervisor
    bin: Path
    kubeconfig: Path

    def start(self, listeners: Iterable[str]) -> float:
        """Start the controller; return ``time.monotonic()`` at its start (see :meth:`wait`)."""
        healthz, metrics = free_ports(listeners, 2)
        self.supervisor.start(
            "argo-rollouts-controller",
            [self.bin / "rollouts-controller", "--kubeconfig", self.kubeconfig,
             "--leader-elect=false", "--healthzPort", str(healthz),
             "--metricsport", str(metrics)],
        )  # fmt: skip
        return time.monotonic()

    def wait(self, started: float, timeout: float) -> float:
        """Wait until its caches are synced; return the seconds since ``started``."""
        log = self.supervisor.log_dir / "argo-rollouts-controller.log"
        deadline = started + timeout
        while READY_LINE not in log.read_text(errors="replace"):
            self.supervisor.check_running()
            if time.monotonic() >= deadline:
                tail = log.read_text(errors="replace").splitlines()[-15:]
                raise RuntimeError(
                    f"rollouts-controller did not log {READY_LINE!r} within {timeout:.0f} s "
                    f"(a missing CRD keeps its caches from syncing):\n" + "\n".join(tail)
                )
            time.sleep(0.2)
        return time.monotonic() - started


def promote_argv(plugin: Path, kubeconfig: Path, namespace: str, name: str) -> list[str]:
    """``kubectl argo rollouts promote NAME``: resume a Rollout paused at a canary step."""
    return [str(plugin), "--kubeconfig", str(kubeconfig), "-n", namespace, "promote", name]


ReplicaSetSummary = tuple[str, int, int]
"""Image, spec replicas, ready replicas."""


@dataclass(frozen=True)
class RolloutState:
    """What the test asserts of a canary Rollout and its ReplicaSets."""

    name: str
    phase: str
    step: int | None
    """status.currentStepIndex."""
    paused: bool
    """Whether it has pause conditions (a pause step, or a manual pause)."""
    stable: ReplicaSetSummary | None
    """The ReplicaSet of status.stableRS."""
    canary: ReplicaSetSummary | None
    """The ReplicaSet of status.currentPodHash (the stable one once promoted)."""
    others: tuple[ReplicaSetSummary, ...]
    """The Rollout's other ReplicaSets (earlier revisions)."""

    def __str__(self) -> str:
        pause = ", paused" if self.paused else ""
        return (
            f"Rollout {self.name}: {self.phase or '-'}, step {self.step}{pause}; "
            f"stable {self.stable}, canary {self.canary}, others {list(self.others)}"
        )


def _summary(replica_set: Mapping[str, Any]) -> ReplicaSetSummary:
    return (
        str(replica_set["spec"]["template"]["spec"]["containers"][0]["image"]),
        int(replica_set["spec"].get("replicas", 0)),
        int((replica_set.get("status") or {}).get("readyReplicas", 0)),
    )


def rollout_state(
    rollout: Mapping[str, Any], replica_sets: Sequence[Mapping[str, Any]]
) -> RolloutState:
    """Summarise a Rollout and the ReplicaSets it owns (pure)."""
    name = str(rollout["metadata"]["name"])
    status = rollout.get("status") or {}
    owned = {
        str(rs["metadata"].get("labels", {}).get("rollouts-pod-template-hash", "")): rs
        for rs in replica_sets
        if any(
            ref.get("kind") == "Rollout" and ref.get("name") == name
            for ref in rs["metadata"].get("ownerReferences", ())
        )
    }
    stable_hash, current_hash = status.get("stableRS"), status.get("currentPodHash")
    step = status.get("currentStepIndex")
    return RolloutState(
        name=name,
        phase=str(status.get("phase", "")),
        step=None if step is None else int(step),
        paused=bool(status.get("pauseConditions")),
        stable=_summary(owned[stable_hash]) if stable_hash in owned else None,
        canary=_summary(owned[current_hash]) if current_hash in owned else None,
        others=tuple(
            _summary(rs)
            for pod_hash, rs in sorted(owned.items())
            if pod_hash not in (stable_hash, current_hash)
        ),
    )
