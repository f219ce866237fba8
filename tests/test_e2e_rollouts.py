"""Argo Rollouts in the test, without a cluster (e2e/rollouts.py)."""

from __future__ import annotations

from typing import Any

import pytest

from e2e.rollouts import (
    ROLLOUTS_MODULE,
    controller_crds,
    free_ports,
    promote_argv,
    rollout_state,
)
from guestbook.validate.schemas.gomod import download


def test_the_controller_gets_every_crd_of_the_release() -> None:
    # Given the pinned release
    [release] = download([(ROLLOUTS_MODULE, "v1.8.3")]).values()
    # Then the controller's CRDs are all five (it waits for each one's informer), and only CRDs
    names = [path.name for path in controller_crds(release.dir)]
    assert names == [
        "analysis-run-crd.yaml",
        "analysis-template-crd.yaml",
        "cluster-analysis-template-crd.yaml",
        "experiment-crd.yaml",
        "rollout-crd.yaml",
    ]


def test_free_ports_skip_what_listens_in_the_namespace() -> None:
    # Given listeners on 127.0.0.1:18090 and every address's 18092 (ss -Hltnp lines)
    listeners = [
        'LISTEN 0 4096 127.0.0.1:18090 0.0.0.0:* users:(("redis-server",pid=7,fd=6))',
        'LISTEN 0 4096 *:18092 *:* users:(("argocd",pid=8,fd=9))',
        'LISTEN 0 4096 [::1]:443 [::]:* users:(("kube-apiserver",pid=9,fd=3))',
    ]
    # Then two free ports from 18090 up are 18091 and 18093
    assert free_ports(listeners, 2, start=18090) == [18091, 18093]


def test_free_ports_refuse_to_look_forever() -> None:
    listeners = [f"LISTEN 0 1 127.0.0.1:{port} 0.0.0.0:*" for port in range(18090, 18100)]
    with pytest.raises(RuntimeError, match="no 1 free port"):
        free_ports(listeners, 1, start=18090, span=10)


def replica_set(name: str, image: str, replicas: int, ready: int, hash_: str) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "labels": {"rollouts-pod-template-hash": hash_},
            "ownerReferences": [{"kind": "Rollout", "name": "frontend"}],
        },
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"image": image}]}}},
        "status": {"readyReplicas": ready} if ready else {},
    }


def test_rollout_state_of_a_canary_paused_at_its_first_step() -> None:
    # Given a Rollout paused after setWeight 25: the new ReplicaSet at 1, the stable one at 3
    rollout = {
        "metadata": {"name": "frontend"},
        "status": {
            "currentStepIndex": 1,
            "currentPodHash": "new",
            "stableRS": "old",
            "pauseConditions": [{"reason": "CanaryPauseStep"}],
            "phase": "Paused",
        },
    }
    sets = [
        replica_set("frontend-old", "gb:v5", 3, 3, "old"),
        replica_set("frontend-new", "gb:v6", 1, 1, "new"),
        {**replica_set("other", "x", 2, 2, "z"), "metadata": {"name": "other"}},
    ]
    # When it is summarised
    state = rollout_state(rollout, sets)
    # Then the step, the pause and each ReplicaSet of the Rollout (only) are there
    assert state.step == 1
    assert state.paused
    assert state.phase == "Paused"
    assert state.stable == ("gb:v5", 3, 3)
    assert state.canary == ("gb:v6", 1, 1)
    assert state.others == ()
    assert "step 1, paused" in str(state)


def test_rollout_state_once_promoted_has_only_the_stable_set_scaled() -> None:
    rollout = {
        "metadata": {"name": "frontend"},
        "status": {"currentStepIndex": 2, "currentPodHash": "new", "stableRS": "new"},
    }
    sets = [
        replica_set("frontend-old", "gb:v5", 0, 0, "old"),
        replica_set("frontend-new", "gb:v6", 4, 4, "new"),
    ]
    state = rollout_state(rollout, sets)
    assert not state.paused
    assert state.stable == state.canary == ("gb:v6", 4, 4)
    assert state.others == (("gb:v5", 0, 0),)


def test_promote_is_the_plugins_promote_command(tmp_path: Any) -> None:
    argv = promote_argv(tmp_path / "kubectl-argo-rollouts", tmp_path / "kc", "ns", "frontend")
    assert argv[1:] == ["--kubeconfig", str(tmp_path / "kc"), "-n", "ns", "promote", "frontend"]
