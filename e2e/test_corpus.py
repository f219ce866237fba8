"""The real-world corpus's verdicts against the real API server, file by file.

Every file of ``tests/corpus/sources.toml`` is sent as ``kubectl apply --server-side
--dry-run=server`` (``kubectl create`` for objects named by ``generateName``, which apply
cannot take), with the namespaces and service accounts the files name created first (see
:mod:`e2e.manifests`). A file listed under ``[source.invalid]`` must be refused, every other
one accepted.

A Service that pins a node port is refused while any Service of the cluster holds that port,
and the scenario's LoadBalancer Services hold node ports the API server picked at random.
A file refused only because a Service of the harness holds a port it pins is judged again on
the second cluster, whose own Services hold other ports (see :func:`server_verdict`).

With ``GUESTBOOK_CORPUS_VERDICTS=FILE`` the test records the server's verdicts
into FILE (JSON) instead of asserting them: how a new source's verdicts are established.
"""

from __future__ import annotations

import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import pytest
import yaml

from e2e.harness import Harness
from e2e.kube import Kubectl
from e2e.manifests import namespaces_named, service_accounts_named
from tests.corpus import CorpusFile, corpus

FILES = corpus() or []
RECORD = os.environ.get("GUESTBOOK_CORPUS_VERDICTS", "")
KUBECTLS = 4
HELD_PORT = re.compile(r"nodePort: Invalid value: (\d+): provided port is already allocated")

pytestmark = pytest.mark.skipif(not FILES, reason="the corpus is not downloaded: run `make corpus`")


@pytest.fixture(scope="module")
def named_objects(harness: Harness) -> None:
    """The namespaces and service accounts the files name exist."""
    _create_named(harness.kubectl, [f.file for f in FILES])


def _judge(kubectl: Kubectl, path: Path) -> tuple[bool, str]:
    code, said = kubectl.result(
        "apply", "--server-side", "--force-conflicts", "--dry-run=server", "-f", str(path)
    )
    if code != 0 and "cannot use generate name with apply" in said:
        code, said = kubectl.result("create", "--dry-run=server", "-f", str(path))
    return code == 0, said


def node_ports_held(kubectl: Kubectl) -> dict[int, str]:
    """The node ports the cluster's Services hold, each with its Service's namespace/name."""
    return {
        int(port["nodePort"]): f"{svc['metadata']['namespace']}/{svc['metadata']['name']}"
        for svc in kubectl.items("services")
        for port in svc["spec"].get("ports", [])
        if port.get("nodePort")
    }


def server_verdict(harness: Harness, path: Path) -> tuple[bool, str]:
    """Whether the API server accepts the file, and what kubectl said.

    The corpus is only ever dry-run, so a port held in the cluster is held by the harness.
    When that is the only reason for a refusal, the second cluster judges the file (with the
    namespaces and service accounts it names), and what kubectl said names both clusters.
    """
    accepted, said = _judge(harness.kubectl, path)
    pinned = {int(port) for port in HELD_PORT.findall(said)}
    if accepted or not pinned:
        return accepted, said
    holders = node_ports_held(harness.kubectl)
    if not pinned <= holders.keys():
        return accepted, said
    _create_named(harness.second_kubectl, [path])
    accepted, again = _judge(harness.second_kubectl, path)
    held = ", ".join(f"{port} by {holders[port]}" for port in sorted(pinned))
    return accepted, f"{again}\n(on the second cluster: on the first, the harness holds {held})"


def _create_named(kubectl: Kubectl, paths: list[Path]) -> None:
    """The namespaces and service accounts the files name, created where missing."""
    existing = {n["metadata"]["name"] for n in kubectl.items("namespaces")}
    for name in sorted(namespaces_named(paths) - existing):
        kubectl.result("create", "namespace", name)  # may exist by now (kubectl runs in threads)
    for namespace, name in sorted(service_accounts_named(paths)):
        where = ["-n", namespace] if namespace else []
        kubectl.result("create", "serviceaccount", name, *where)  # may exist


@pytest.fixture(scope="module")
def verdicts(harness: Harness, named_objects: None) -> dict[str, tuple[bool, str]]:
    """The server's verdict on every file, four kubectl at a time (each waits on the server);
    written to GUESTBOOK_CORPUS_VERDICTS when set."""
    with ThreadPoolExecutor(KUBECTLS) as pool:
        found = dict(
            zip(
                (f.id for f in FILES),
                pool.map(partial(server_verdict, harness), (f.file for f in FILES)),
                strict=True,
            )
        )
    if RECORD:
        record = {k: {"accepted": ok, "kubectl": said} for k, (ok, said) in found.items()}
        Path(RECORD).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return found


@pytest.mark.parametrize("item", FILES, ids=[f.id for f in FILES])
def test_corpus_verdict_is_the_api_servers(
    item: CorpusFile, verdicts: dict[str, tuple[bool, str]]
) -> None:
    # Given a corpus file and its committed verdict
    # When the API server judges it
    accepted, said = verdicts[item.id]
    if RECORD:
        pytest.skip(f"recorded into {RECORD}")
    # Then it agrees with the verdict in sources.toml
    if item.valid:
        assert accepted, f"{item.id} is listed valid, but the API server refuses it:\n{said}"
    else:
        assert not accepted, f"{item.id} is listed invalid ({item.reason}), but it is accepted"


def _node_port_service(name: str, port: int) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "type": "NodePort",
            "selector": {"app": name},
            "ports": [{"port": 80, "targetPort": 8080, "nodePort": port}],
        },
    }


def test_a_port_held_by_the_harness_is_judged_on_the_second_cluster(
    harness: Harness, tmp_path: Path
) -> None:
    # Given a node port free on both clusters, held on the first by a Service of the harness
    free = sorted(
        set(range(30000, 30086))
        - node_ports_held(harness.kubectl).keys()
        - node_ports_held(harness.second_kubectl).keys()
    )
    port = free[0]
    file = tmp_path / "service.yaml"
    file.write_text(yaml.safe_dump(_node_port_service("corpus-pins", port)))
    harness.kubectl.apply([_node_port_service("harness-holds", port)])
    try:
        # When the file that pins it is judged
        accepted, said = server_verdict(harness, file)
        # Then the second cluster accepts it, and the verdict says where and why
        assert accepted, said
        assert f"the harness holds {port} by default/harness-holds" in said
        # And when the second cluster holds it too, the file stays refused
        harness.second_kubectl.apply([_node_port_service("harness-holds", port)])
        accepted, said = server_verdict(harness, file)
        assert not accepted
        assert "provided port is already allocated" in said
    finally:
        for kubectl in (harness.kubectl, harness.second_kubectl):
            kubectl.result(
                "delete", "service", "harness-holds", "-n", "default", "--ignore-not-found"
            )
