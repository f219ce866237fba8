"""The rules package: ``run``, the registry, and good manifests (guestbook.validate.rules)."""

from __future__ import annotations

import copy
import inspect
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guestbook.tutorial import FRONTEND_IMAGE
from guestbook.validate import documents as reader
from guestbook.validate.model import Document, Finding, Severity
from guestbook.validate.rules import RULES, TWO_CORES_FROM, Layer, guestbook, rule, run, table
from guestbook.validate.rules.registry import API_SERVER_REJECTS, UNVERIFIED
from tests.conftest import in_fresh_interpreter
from tests.rules_fixtures import (
    CORRECTNESS,
    all_fixtures,
    document,
    expected,
    fired,
    load,
    load_situation,
    only,
)

ROOT = Path(__file__).parents[1]
README = ROOT / "lib" / "guestbook" / "validate" / "rules" / "README.md"
ENVIRONMENTS = sorted(p.name for p in (ROOT / "dist").iterdir() if p.is_dir())
BUILT_IN_TESTS = {
    "annotations-size": "needs 256 KiB of annotations; built in its test",
    "data-size": "needs 1 MiB of data; built in its test",
    "object-size": "needs a 3 MiB object; built in its test",
}


def test_run_has_the_signature_the_pipeline_calls() -> None:
    # Given the pipeline's contract: run(documents, *, complete=..., kubernetes_version=...,
    # kept=...)
    signature = inspect.signature(run)
    # Then the entry point matches it exactly
    assert list(signature.parameters) == ["documents", "complete", "kubernetes_version", "kept"]
    for name in ("complete", "kubernetes_version", "kept"):
        assert signature.parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
    assert signature.parameters["complete"].default is False
    assert signature.parameters["kept"].default is None
    assert signature.parameters["documents"].annotation in (
        "Sequence[Document]",
        Sequence[Document],
    )
    assert signature.return_annotation in ("list[Finding]", list[Finding])


def test_rule_ids_are_unique_kebab_case_with_a_description() -> None:
    # Given every registered rule
    ids = [r.id for r in RULES]
    # Then ids are unique, kebab-case, and each rule says what it catches
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)
    assert all(r.description and "\n" not in r.description for r in RULES)


def test_every_rule_gives_the_reason_for_its_severity() -> None:
    # Given the principle: error = rejected by the API server, or broken in a complete set
    for r in RULES:
        # Then each rule says why it has its severity, in one line
        assert r.reason and "\n" not in r.reason, r.id
        # and a rule whose reason is the API server's rejection is an error of layer 2
        if r.reason == API_SERVER_REJECTS:
            assert (r.layer, r.severity) == (Layer.API_SERVER, Severity.ERROR), r.id


def test_the_audited_severities_hold() -> None:
    # Given the severities issue "an error means broken" settles
    by_id = {r.id: r for r in RULES}
    warnings = {r.id for r in RULES if r.severity is Severity.WARNING}
    depends = {r.id for r in RULES if r.needs_complete}
    # Then least privilege, undeclared numeric ports and API-server warnings only warn
    assert {
        "guestbook-redis-exposed",
        "service-target-port-undeclared",
        "duplicate-container-port",
        "deployment-selector-overlap",
        "deprecated-api",
    } <= warnings
    # and what the validated files may not show is an error only in a complete set
    assert depends == {
        "duplicate-object",
        "service-selects-nothing",
        "hpa-target-missing",
        "pdb-selects-nothing",
        "network-policy-selects-nothing",
        "volume-source-missing",
        "env-source-missing",
        "service-account-missing",
        "guestbook-redis-service-missing",
        "guestbook-redis-service-backend",
        "guestbook-flow-blocked",
    }
    assert all(by_id[i].severity is Severity.ERROR for i in depends)
    # and a named targetPort no pod declares stays an error; layer 5 only warns
    assert by_id["service-target-port-unexposed"].severity is Severity.ERROR
    assert all(r.severity is Severity.WARNING for r in RULES if r.layer is Layer.POLICY)


def test_every_rule_has_a_fixture_where_only_it_fires() -> None:
    # Given every fixture's declared expectation
    alone = {next(iter(expected(n))) for n in all_fixtures() if len(expected(n)) == 1}
    # Then every rule is caught alone by at least one broken manifest
    missing = {r.id for r in RULES} - alone - set(BUILT_IN_TESTS)
    assert missing == set()


def test_every_fixture_names_only_registered_rules() -> None:
    ids = {r.id for r in RULES}
    for name in all_fixtures():
        assert expected(name) <= ids, name


def test_findings_are_sorted_and_carry_the_registered_severity() -> None:
    # Given a manifest with several problems
    documents = load("duplicate_configmap", "quantity_malformed", "service_ports_without_names")
    # When the rules run over a set declared complete
    findings = run(documents, complete=True)
    # Then the findings come sorted, each with its rule's severity
    assert findings == sorted(findings, key=lambda f: (*f.sort_key(), str(f.ref)))
    assert all(f.severity is rule(f.rule).severity for f in findings)
    assert fired(findings) == {
        "duplicate-object",
        "resource-quantity",
        "service-port-name",
    }


def test_rules_readme_table_is_generated_from_the_registry() -> None:
    # Given the rules table in the package README
    text = README.read_text(encoding="utf-8")
    # Then it is exactly what the registry generates (python -m guestbook.validate.rules.table)
    assert table.with_table(text, table.markdown(RULES)) == text
    assert "| `service-selects-nothing` | 3 | error if complete, else warning |" in text


def test_rules_readme_documents_every_guestbook_image_contract() -> None:
    text = README.read_text(encoding="utf-8")
    for contract in guestbook.CONTRACTS:
        assert f"`{contract.image}`" in text


def test_unknown_and_malformed_objects_do_not_crash_the_rules() -> None:
    # Given documents the schema layer would reject, and custom kinds
    odd = [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": [], "spec": "x"},
        {"apiVersion": "v1", "kind": "Service", "spec": {"ports": "80", "selector": ["a"]}},
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "spec": {"ingress": [1, {"from": "x"}]},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "spec": {
                "template": {
                    "spec": {
                        "containers": [{"ports": [None, {"containerPort": "x"}], "env": "x"}],
                        "volumes": [3],
                    }
                }
            },
        },
        {
            "apiVersion": "example.com/v1",
            "kind": "Widget",
            "metadata": {"name": "w"},
            "spec": {"template": 1},
        },
        {"kind": "Pod"},
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "spec": {"volumes": [{"name": "v", 1: {}, None: {}, "emptyDir": {}}]},
        },
    ]
    documents = [Document(path=Path("odd.yaml"), line=1, obj=obj) for obj in odd]
    # When the rules run, Then they report what they can read instead of raising
    assert "object-name" in fired(run(documents))


def test_upstream_tutorial_only_warns_about_its_overlapping_selectors() -> None:
    # Given the kubernetes.io guestbook manifests, written out by hand
    got, want = only("upstream_tutorial")
    # Then layers 2-4 report only the overlap warning
    assert got == want == {"deployment-selector-overlap"}


def test_valid_extras_stay_clean() -> None:
    # Given an HPA, a PDB, extra policies, an Argo CD Application and other custom kinds
    got, want = only("valid_extras")
    # Then layers 2-4 report nothing
    assert got == want == frozenset()


def test_dist_has_environments() -> None:
    assert ENVIRONMENTS, "dist/ holds no environment; run make synth"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_project_dist_is_clean_of_layers_two_to_four(environment: str) -> None:
    # Given one rendered environment of this project
    documents = [d for _, docs, _ in reader.load([ROOT / "dist" / environment]) for d in docs]
    assert documents
    # When the rules run, the environment declared complete (as make synth validates it)
    findings = run(documents, complete=True)
    # Then no error and no layer 2-4 finding comes back
    assert [f for f in findings if f.severity is Severity.ERROR] == []
    assert fired(findings, CORRECTNESS) == frozenset()


def test_all_of_dist_together_has_no_cross_environment_findings() -> None:
    # Given every environment at once (as `guestbook validate dist/` reads them)
    documents = [d for _, docs, _ in reader.load([ROOT / "dist"]) for d in docs]
    # Then, namespaces keeping them apart, layers 2-4 still report nothing
    assert fired(run(documents, complete=True), CORRECTNESS) == frozenset()


@pytest.mark.parametrize(
    "canary_image",
    [
        pytest.param(FRONTEND_IMAGE + "@sha256:" + "ab" * 32, id="documented-image"),
        pytest.param("registry.example/gb-frontend:v6", id="new-image"),
    ],
)
def test_a_canary_beside_the_staging_frontend_keeps_every_rule_quiet(
    render_overlay: Callable[..., dict[tuple[str, str], dict[str, Any]]], canary_image: str
) -> None:
    # Given staging (autoscaler, budgets, NetworkPolicies, monitoring, failover) with a canary
    staging = (ROOT / "environments" / "staging.yaml").read_text()
    canary = f"frontend:\n  canary:\n    image: '{canary_image}'\n    replicas: 1\n  "
    overlay = staging.replace("frontend:\n  ", canary, 1)
    assert overlay != staging
    objects = render_overlay(overlay, "staging")
    assert ("Deployment", "frontend-canary") in objects
    documents = [document(obj, f"{kind}-{name}.yaml") for (kind, name), obj in objects.items()]
    # When every rule runs on the set, declared complete
    findings = run(documents, complete=True)
    # Then layers 2-4 and the exceptions find nothing (the stable Deployment's skip of the
    # selector overlap is used), and the canary gets no warning the stable frontend lacks
    layers = (*CORRECTNESS, Layer.EXCEPTIONS)
    assert [f"{f.rule}: {f.message}" for f in findings if f.rule in _ids(layers)] == []

    def warnings_of(name: str) -> set[str]:
        return {f.rule for f in findings if f.ref.name == name and f.ref.kind == "Deployment"}

    assert warnings_of("frontend-canary") <= warnings_of("frontend")


@pytest.mark.parametrize(
    "fixture", ["rollout_with_hpa", "rollout_workloadref", "rollout_experiment_preview_service"]
)
def test_rollouts_are_workloads_whose_pods_services_budgets_and_hpas_find(fixture: str) -> None:
    # Given a Rollout with its own pod template, or one taking it from a Deployment, with
    # the Service, HPA (and budget and policy) that select or target it
    got, want = only(fixture)
    # Then layers 2-4 report nothing
    assert got == want == frozenset()


def test_a_rollout_frontend_in_staging_keeps_every_rule_quiet_and_warns_as_the_deployment(
    render_overlay: Callable[..., dict[tuple[str, str], dict[str, Any]]],
) -> None:
    # Given staging (autoscaler, budgets, NetworkPolicies, monitoring, failover), as it is
    # and with its frontend rolled out by Argo Rollouts steps
    staging = (ROOT / "environments" / "staging.yaml").read_text()
    steps = "frontend:\n  canary:\n    steps: [{setWeight: 50}, {pause: {}}]\n  "
    overlay = staging.replace("frontend:\n  ", steps, 1)
    assert overlay != staging

    def findings_of(text: str) -> list[Finding]:
        objects = render_overlay(text, "staging")
        return run(
            [document(obj, f"{kind}-{name}.yaml") for (kind, name), obj in objects.items()],
            complete=True,
        )

    findings = findings_of(overlay)
    # When every rule runs on the set, declared complete
    # Then layers 2-4 and the exceptions find nothing
    layers = (*CORRECTNESS, Layer.EXCEPTIONS)
    assert [f"{f.rule}: {f.message}" for f in findings if f.rule in _ids(layers)] == []

    # And the Rollout gets exactly the warnings the Deployment got
    def warnings_of(found: list[Finding], kind: str) -> set[str]:
        return {f.rule for f in found if f.ref.name == "frontend" and f.ref.kind == kind}

    assert warnings_of(findings, "Rollout") == warnings_of(findings_of(staging), "Deployment")


def _ids(layers: Sequence[Layer]) -> set[str]:
    return {r.id for r in RULES if r.layer in layers}


def _replace_somewhere(obj: Any, path_choice: int, value: Any) -> Any:
    """A copy of ``obj`` with the ``path_choice``-th node (in walk order) replaced by ``value``."""
    nodes: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            children = list(node.items())
        elif isinstance(node, list):
            children = list(enumerate(node))
        else:
            return
        for key, child in children:
            nodes.append((node, key))
            walk(child)

    copied = copy.deepcopy(obj)
    walk(copied)
    parent, key = nodes[path_choice % len(nodes)]
    parent[key] = value
    return copied


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 70000),
    st.sampled_from(["", "TCP", "In", "None", "ALL", "web", "80", "10.0.0.0/8", "a/b/c"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.one_of(st.text(max_size=4), st.integers(0, 2), st.none()), inner, max_size=3
        ),
    ),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 10_000), _VALUES), max_size=6)
)
def test_rules_never_raise_on_damaged_manifests(edits: list[tuple[int, int, Any]]) -> None:
    # Given the prod manifests with arbitrary fields replaced by arbitrary values
    objects = [dict(d.obj) for _, docs, _ in reader.load([ROOT / "dist" / "prod"]) for d in docs]
    for which, where, value in edits:
        objects[which % len(objects)] = _replace_somewhere(
            objects[which % len(objects)], where, value
        )
    documents = [Document(path=Path("damaged.yaml"), line=1, obj=obj) for obj in objects]
    # When the rules run, Then they return findings rather than raise
    assert isinstance(run(documents), list)


PARTIAL_SET_SITUATIONS = [
    "duplicate_configmap",
    "service_selecting_no_pod",
    "volume_missing_configmap",
    "volume_missing_claim",
    "env_from_missing_secret",
    "hpa_targeting_missing_deployment",
    "pdb_selecting_no_pod",
    "network_policy_selecting_no_pod",
    "service_account_not_rendered",
    "frontend_without_redis_follower_service",
    "frontend_policy_without_dns",
]


@pytest.mark.parametrize("fixture", PARTIAL_SET_SITUATIONS)
def test_what_the_files_cannot_show_is_a_warning_unless_the_set_is_complete(fixture: str) -> None:
    # Given a reference the fixture's files cannot resolve
    documents = load_situation(fixture)
    [rule_id] = expected(fixture)
    # When the set is not declared complete
    partial = [f for f in run(documents) if f.rule == rule_id]
    # Then the finding is a warning that says it cannot be verified
    assert partial
    assert all(f.severity is Severity.WARNING and UNVERIFIED in f.message for f in partial)
    # And when the set is declared complete, it is an error
    whole = [f for f in run(documents, complete=True) if f.rule == rule_id]
    assert whole and all(f.severity is Severity.ERROR for f in whole)
    assert all(UNVERIFIED not in f.message for f in whole)


@pytest.mark.parametrize(
    "fixture",
    [
        "env_key_missing_in_configmap",
        "service_target_port_unknown_name",
        "redis_leader_scaled_to_zero",
    ],
)
def test_what_the_files_do_show_stays_an_error_in_a_partial_set(fixture: str) -> None:
    # Given a problem entirely inside the validated files (the object is there, but wrong)
    [rule_id] = expected(fixture)
    # When the set is not declared complete, Then it is still an error
    found = [f for f in run(load_situation(fixture)) if f.rule == rule_id]
    assert found and all(f.severity is Severity.ERROR for f in found)


def test_completeness_is_decided_per_file() -> None:
    # Given two unresolvable Services in two files, one of them in a complete folder
    documents = load("service_selecting_no_pod", "pdb_selecting_no_pod")
    complete_file = documents[0].path
    # When only the first file is declared complete
    findings = run(documents, complete=lambda path: path == complete_file)
    severities = {
        f.rule: f.severity
        for f in findings
        if f.rule in {"service-selects-nothing", "pdb-selects-nothing"}
    }
    # Then only its finding is an error
    assert severities == {
        "service-selects-nothing": Severity.ERROR,
        "pdb-selects-nothing": Severity.WARNING,
    }


def many_documents() -> list[Document]:
    """Every rule fixture, copied under enough folders to pass the two-process size."""
    fixtures = load(*all_fixtures())
    copies = -(-TWO_CORES_FROM // len(fixtures))
    return [
        Document(path=Path(f"copy-{n}") / d.path.name, line=d.line, obj=d.obj, lines=d.lines)
        for n in range(copies)
        for d in fixtures
    ]


def on_two_cores() -> list[Finding]:
    assert threading.active_count() == 1  # so the checks are split over two processes
    return run(many_documents(), complete=True)


def test_a_large_set_gets_the_findings_one_process_gives() -> None:
    # Given a set larger than the two-process size
    documents = many_documents()
    assert len(documents) >= TWO_CORES_FROM
    # When the rules run on two cores (in a fresh interpreter) and in one process (in a
    # second thread, where nothing forks)
    alone: list[Finding] = []
    thread = threading.Thread(target=lambda: alone.extend(run(documents, complete=True)))
    thread.start()
    thread.join()
    # Then the findings are the same, in the same order
    assert len(alone) > len(documents) // 2
    assert in_fresh_interpreter(on_two_cores) == alone
