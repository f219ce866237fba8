"""The offline validator against the real API server, case by case.

For every validator test manifest (see :mod:`e2e.validation_cases`): ``kubectl apply
--server-side --dry-run=server`` gives the server's verdict; ``guestbook validate --server``
gives the offline verdict (its schema and rule findings) and its own server layer's
verdict (findings with rule id ``server``), which must match kubectl's.

The real CRDs' examples (tests/fixtures/crds) are validated with ``--crd`` against a
cluster that has those CRDs installed; there the CEL rules that reject an object must
also be the same: the rule messages of the CRDs that ``kubectl apply --dry-run=server``
(a create) answers with are those of the ``cel`` findings.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from e2e.cluster import crd_name, wait_crds_established
from e2e.harness import Harness
from e2e.manifests import namespaces_named
from e2e.tools import component_version
from e2e.validation_cases import FOLDERS, Case, collect, rule_layers
from guestbook.kubernetes import SELECTABLE_KUBERNETES_VERSIONS

CASES = collect()
LAYERS = rule_layers()
GUESTBOOK = Path(sys.executable).parent / "guestbook"


def offline_version() -> str:
    """The validator's version of the cluster's minor: both must judge by the same release."""
    minor = component_version("kubernetes").removeprefix("v").rsplit(".", 1)[0]
    return next(v for v in SELECTABLE_KUBERNETES_VERSIONS if v.startswith(f"{minor}."))


KNOWN_DIFFERENCES: dict[str, str] = {}
"""Cases of layers 1-2 where the offline verdict differs from the server's, with the reason.

Each entry must still differ (a stale entry fails), and only in the direction "offline
rejects, server accepts": the validator may be stricter than one API server, never laxer.
Entries name cases of folders that may not exist yet (tests/fixtures/rules/ arrives with
the rules); :func:`test_known_differences_name_existing_cases` keeps them honest.
"""

NOT_SERVED_BY_DEFAULT: dict[str, str] = {
    "validate/deprecated_api_version": "ClusterTrustBundle certificates.k8s.io/v1beta1",
    "rules/cluster_trust_bundle_deprecated_api": "ClusterTrustBundle certificates.k8s.io/v1beta1",
}
"""Cases whose API version the release defines but a default API server does not serve (a
beta API added after 1.24, or an alpha one: on only with ``--runtime-config``). The server
refuses them ("no matches for kind"); offline they are no error, since a cluster may enable
them (``deprecated-api`` warns when the version is deprecated)."""


@pytest.fixture(scope="module")
def namespaces(harness: Harness) -> None:
    """The namespaces the cases name exist, as they would in a real cluster."""
    existing = {n["metadata"]["name"] for n in harness.kubectl.items("namespaces")}
    for name in sorted(namespaces_named(c.path for c in CASES) - existing):
        harness.kubectl("create", "namespace", name)


@pytest.fixture(scope="module")
def custom_resource_definitions(harness: Harness) -> None:
    """The cases' CRDs are installed and served, as in the cluster their examples are for."""
    files = sorted({path for case in CASES if case.crds for path in case.crds.glob("*.yaml")})
    # Server side: the CRDs are too large for the last-applied annotation.
    harness.kubectl.apply_files(files, server_side=True)
    wait_crds_established(harness.kubectl, [crd_name(path) for path in files], 60)


def rule_messages(crds: Path) -> set[str]:
    """The messages of every CEL rule (x-kubernetes-validations) in a folder of CRDs."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for rule in node.get("x-kubernetes-validations") or []:
                found.add(str(rule.get("message") or f"failed rule: {rule['rule']}"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in crds.glob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            walk(doc)
    return found


def guestbook_validate(harness: Harness, case: Case) -> list[dict[str, Any]]:
    """The error findings of ``guestbook validate --server`` about the case's own file."""
    crds: list[str | Path] = ["--crd", case.crds] if case.crds else []
    proc = harness.supervisor.run(
        [GUESTBOOK, "validate", "--format", "json", "--server", harness.cluster.kubeconfig,
         "--kubernetes-version", offline_version(), *crds, case.path, *case.with_files],
        check=False,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    findings: list[dict[str, Any]] = json.loads(proc.stdout)["findings"]
    return [f for f in findings if f["file"] == str(case.path) and f["severity"] == "error"]


def describe(findings: list[dict[str, Any]]) -> str:
    return "; ".join(f"{f['rule']} line {f['line']}: {f['message']}" for f in findings) or "none"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@pytest.mark.usefixtures("namespaces", "custom_resource_definitions")
def test_offline_validator_and_api_server_agree(harness: Harness, case: Case) -> None:
    # --force-conflicts: the same request `guestbook validate --server` sends (force=true); a
    # case may name a live object whose fields another manager owns (guestbook-prod, adopted
    # by the ApplicationSet), which is about ownership, not validity.
    code, kubectl_says = harness.kubectl.result(
        "apply", "--server-side", "--force-conflicts", "--dry-run=server", "-f", str(case.path)
    )
    server_rejects = code != 0
    findings = guestbook_validate(harness, case)
    # Layers 1-2 only: what the API server itself checks (rules it does not know count as 2).
    offline = [f for f in findings if f["rule"] != "server" and LAYERS.get(f["rule"], 2) <= 2]
    ours = [f for f in findings if f["rule"] == "server"]
    report = (
        f"kubectl: {'rejects' if server_rejects else 'accepts'}: {kubectl_says}\n"
        f"guestbook validate: {describe(offline)}\n"
        f"guestbook validate --server: {describe(ours)}"
    )
    if kubectl_says.startswith("error: error parsing"):
        # Not YAML: kubectl refuses it before asking the server, and so does guestbook.
        assert any(f["rule"] == "yaml" for f in offline), report
        assert not ours, report
        return
    assert bool(ours) == server_rejects, f"--server disagrees with kubectl\n{report}"
    if not case.must_agree:
        assert not server_rejects, f"layer {case.layer} case rejected by the server\n{report}"
    elif case.id in NOT_SERVED_BY_DEFAULT:
        assert server_rejects and "no matches for kind" in kubectl_says, report
        assert not offline, f"an error offline for an API a cluster may enable\n{report}"
    elif case.id in KNOWN_DIFFERENCES:
        assert offline, f"offline no longer rejects: drop it from KNOWN_DIFFERENCES\n{report}"
        assert not server_rejects, f"the server rejects it too now\n{report}"
    else:
        assert bool(offline) == server_rejects, f"verdicts differ\n{report}"
    if case.crds and server_rejects:
        # The CEL rules from a create (client-side apply of a new object): server-side apply
        # refuses a duplicate key of a map list while building its patch, before any rule runs.
        _, created = harness.kubectl.result("apply", "--dry-run=server", "-f", str(case.path))
        report += f"\nkubectl apply (client side): {created}"
        cel = [f["message"] for f in offline if f["rule"] == "cel"]
        declared = rule_messages(case.crds)
        server_rules = {m for m in declared if m in created}
        offline_rules = {m for m in declared if any(m in message for message in cel)}
        assert server_rules == offline_rules, f"CEL rules differ\n{report}"


def test_known_differences_name_existing_cases() -> None:
    present = {folder.name for folder in FOLDERS if folder.path.is_dir()}
    ids = {case.id for case in CASES}
    for table in (KNOWN_DIFFERENCES, NOT_SERVED_BY_DEFAULT):
        stale = [k for k in table if k.rpartition("/")[0] in present and k not in ids]
        assert not stale, f"{stale}: no such cases"
