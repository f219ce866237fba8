"""``guestbook validate --crd``: the user's CRDs (and those among the manifests), CEL included.

Real CRDs with their projects' own examples and own invalid examples
(tests/fixtures/crds, outside tests/fixtures/validate so that validating that folder
needs no guestbook-cel; see its README for sources and licences).
guestbook-cel is built once per session from go-cel/ (seconds with a warm Go
build cache, about 3 CPU-minutes cold), into a tools folder that borrows the
project's kubeconform and built-in schemas.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from guestbook.errors import GuestbookError
from guestbook.kubernetes import KUBERNETES_VERSION
from guestbook.validate import user_crds
from guestbook.validate.cel import field_path
from guestbook.validate.install import HELPERS, build_helper, go_binary
from guestbook.validate.kubeconform import Kubeconform
from guestbook.validate.model import Finding, Report, Severity
from guestbook.validate.pipeline import validate
from guestbook.validate.schemas import SchemaStore
from guestbook.validate.tools import tools_dir

ROOT = Path(__file__).resolve().parent.parent
CRDS = Path(__file__).parent / "fixtures" / "crds"
GATEWAY = CRDS / "gateway-api-v1.4.0"
ROLLOUTS = CRDS / "argo-rollouts-v1.8.3"
GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))
CUSTOM_RULES = {"schema", "schema-missing", "api-version", "cel", "list-type", "crd"}


@pytest.fixture(scope="session")
def cel_tools(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tools folder: the project's kubeconform and schemas, and a fresh guestbook-cel."""
    tools = tmp_path_factory.mktemp("tools")
    (tools / "bin").mkdir()
    (tools / "schemas").mkdir()
    project = tools_dir()
    for name in ("kubeconform", "guestbook-reader"):
        if (project / "bin" / name).exists():
            (tools / "bin" / name).symlink_to(project / "bin" / name)
    for version in (project / "schemas").glob("*-standalone-strict"):
        (tools / "schemas" / version.name).symlink_to(version)
    [cel] = [helper for helper in HELPERS if helper.binary == "guestbook-cel"]
    build_helper(go_binary(), cel, tools / "bin")  # as `guestbook tools install` builds it
    return tools


@pytest.fixture
def tools(cel_tools: Path, tmp_path: Path) -> Iterator[Path]:
    """``cel_tools`` with an empty CRD schema cache of its own."""
    shutil.rmtree(cel_tools / "schemas" / user_crds.CACHE_FOLDER, ignore_errors=True)
    yield cel_tools
    shutil.rmtree(cel_tools / "schemas" / user_crds.CACHE_FOLDER, ignore_errors=True)


def custom(report: Report) -> list[Finding]:
    """The findings of the schema and CRD layers (not the project's own rules)."""
    return [f for f in report.findings if f.rule in CUSTOM_RULES]


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


def crd_document(path: Path) -> dict[str, Any]:
    [doc] = [d for d in yaml.safe_load_all(path.read_text()) if d]
    return dict(doc)


def write_crd(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(doc))
    return path


def unserved_crd(path: Path) -> Path:
    """Gateway API's GatewayClass CRD with no version served, written to ``path``."""
    doc = crd_document(GATEWAY / "crds" / "gateway.networking.k8s.io_gatewayclasses.yaml")
    for version in doc["spec"]["versions"]:
        version["served"] = False
    return write_crd(path, doc)


# --crd: schemas from the user's CRDs


def test_without_its_crd_a_custom_resource_has_no_schema_and_the_hint_says_crd(
    tools: Path,
) -> None:
    # Given a Gateway API example (not among the built-in CRDs) and no CRD for it
    report = validate([GATEWAY / "examples" / "basic-http.yaml"], tools=tools)
    # Then each of its objects is an error that names the way out
    findings = custom(report)
    assert findings and {f.rule for f in findings} == {"schema-missing"}
    assert all("--crd" in f.hint for f in findings)


def test_argo_rollouts_crds_are_built_in_and_its_own_examples_are_valid(tools: Path) -> None:
    # Given Argo Rollouts' own examples and no --crd
    report = validate([ROLLOUTS / "examples"], tools=tools)
    # Then the built-in schemas know Rollout and nothing in them is an error
    assert custom(report) == []
    assert [f for f in report.findings if f.severity is Severity.ERROR] == []
    assert report.documents >= 3


def test_a_typo_in_a_rollout_is_reported_by_the_built_in_schema(
    tools: Path, tmp_path: Path
) -> None:
    # Given Argo Rollouts' canary example with a typo in a canary step
    text = (ROLLOUTS / "examples" / "rollout-canary.yaml").read_text()
    typo = tmp_path / "rollout.yaml"
    typo.write_text(text.replace("setWeight:", "setWieght:", 1))
    assert typo.read_text() != text
    # When it is validated without --crd
    finding = only(custom(validate([typo], tools=tools)))
    # Then the built-in (strict) schema reports the unknown field
    assert finding.rule == "schema"
    assert "setWieght" in finding.message


def test_with_crd_argo_rollouts_own_examples_are_valid(tools: Path) -> None:
    # Given Argo Rollouts' CRD (int-or-string pause durations, preserved unknown fields)
    report = validate(
        [ROLLOUTS / "examples"], crds=[ROLLOUTS / "crds" / "rollout-crd.yaml"], tools=tools
    )
    # Then its own examples pass the schema layer
    assert custom(report) == []
    assert report.documents >= 3


def test_with_crd_an_unknown_field_in_a_custom_resource_is_reported_at_its_line(
    tools: Path, tmp_path: Path
) -> None:
    # Given Argo Rollouts' canary example with a typo in a field name
    text = (ROLLOUTS / "examples" / "rollout-canary.yaml").read_text()
    typo = tmp_path / "rollout.yaml"
    typo.write_text(text.replace("revisionHistoryLimit:", "revisionHistoryLimt:"))
    # When it is validated with the CRD folder
    report = validate([typo], crds=[ROLLOUTS / "crds"], tools=tools)
    # Then the unknown field is an error at its line, with the right name suggested
    finding = only(custom(report))
    assert (finding.rule, finding.line) == ("schema", 10)
    assert finding.message == "unknown field 'spec.revisionHistoryLimt'"
    assert finding.hint == "did you mean 'revisionHistoryLimit'?"


def test_gateway_api_own_examples_are_valid_schema_and_cel(tools: Path) -> None:
    report = validate([GATEWAY / "examples"], crds=[GATEWAY / "crds"], tools=tools)
    assert custom(report) == []
    assert report.documents == 7


# Gateway API's own invalid examples: every one is rejected, and by the check the API server uses.
INVALID = {
    "duplicate-listeners.yaml": ("cel", "Listener name must be unique within the Gateway"),
    "hostname-tcp.yaml": ("cel", "hostname must not be specified for protocols ['TCP', 'UDP']"),
    "invalid-tls-mode.yaml": ("cel", "tls mode must be Terminate for protocol HTTPS"),
    "httproute-portless-service.yaml": ("cel", "Must have port for Service reference"),
    "invalid-filter-duplicate.yaml": ("cel", "RequestHeaderModifier filter cannot be repeated"),
    "invalid-path-specialchars.yaml": ("cel", "must only contain valid characters"),
    "invalid-request-redirect-with-backendref.yaml": (
        "cel",
        "RequestRedirect filter must not be used together with backendRefs",
    ),
    "duplicate-header-match.yaml": ("list-type", 'Duplicate value: {"name":"foo"}'),
    "invalid-listener-port.yaml": ("schema", "spec.listeners[0].port: maximum"),
    "invalid-method.yaml": ("schema", "spec.rules[0].matches[0].method: value must be one of"),
    "invalid-controller.yaml": ("schema", "spec.controllerName: 'example' does not match"),
}


def test_every_gateway_api_invalid_example_is_rejected(tools: Path) -> None:
    # Given all of Gateway API's invalid examples for the CRDs at hand
    folder = GATEWAY / "invalid-examples"
    report = validate([folder], crds=[GATEWAY / "crds"], tools=tools)
    # Then each file has at least one error from the schema or the CRD's own checks
    rejected = {f.path.name for f in custom(report) if f.severity is Severity.ERROR}
    assert rejected == {p.name for p in folder.glob("*.yaml")}


@pytest.mark.parametrize(("example", "expected"), sorted(INVALID.items()))
def test_an_invalid_example_is_rejected_by_the_rule_the_api_server_uses(
    tools: Path, example: str, expected: tuple[str, str]
) -> None:
    rule, message = expected
    report = validate(
        [GATEWAY / "invalid-examples" / example], crds=[GATEWAY / "crds"], tools=tools
    )
    messages = [f.message for f in custom(report) if f.rule == rule]
    assert any(message in m for m in messages), custom(report)


def test_a_cel_finding_names_the_rule_message_at_the_field_line(tools: Path) -> None:
    example = GATEWAY / "invalid-examples" / "invalid-filter-empty.yaml"
    report = validate([example], crds=[GATEWAY / "crds"], tools=tools)
    finding = only([f for f in custom(report) if f.rule == "cel"])
    assert finding.message == (
        "spec.rules[0].filters[0]: filter.requestHeaderModifier must be specified for "
        "RequestHeaderModifier filter.type"
    )
    assert finding.line == 8  # the filter's first line


def test_transition_rules_are_skipped_and_said_so(tools: Path) -> None:
    # Given a GatewayClass (its controllerName may not change: self == oldSelf)
    report = validate(
        [GATEWAY / "examples" / "basic-http.yaml"], crds=[GATEWAY / "crds"], tools=tools
    )
    # Then that rule is not evaluated, and a warning at the CRD says so, once per version
    skipped = [f for f in report.findings if f.rule == "cel-transition"]
    assert [f.message for f in skipped] == [
        "GatewayClass v1: transition rule at spec.controllerName not evaluated: self == oldSelf"
    ]
    assert skipped[0].severity is Severity.WARNING
    assert skipped[0].path.name == "gateway.networking.k8s.io_gatewayclasses.yaml"


GADGETS = Path(__file__).parent / "fixtures" / "cel"


def test_apiversion_and_kind_need_no_place_in_a_crds_schema(tools: Path) -> None:
    # Given a CRD whose schema names only spec (the API server keeps apiVersion, kind and
    # metadata of every custom resource whatever its schema says), and a valid Gadget
    report = validate(
        [GADGETS / "gadget_valid.yaml"], crds=[GADGETS / "gadget-crd.yaml"], tools=tools
    )
    # Then it is valid: apiVersion and kind are no unknown fields
    assert custom(report) == []


def test_a_cel_rule_alone_is_reported(tools: Path) -> None:
    # Given a Gadget whose only fault is its CRD's CEL rule
    example = GADGETS / "gadget_breaking_only_its_rule.yaml"
    report = validate([example], crds=[GADGETS / "gadget-crd.yaml"], tools=tools)
    # Then that rule is the finding
    finding = only(custom(report))
    assert (finding.rule, finding.message) == (
        "cel",
        "spec: address must be empty when mode is Off",
    )


@pytest.mark.parametrize(
    ("example", "schema_finding"),
    [
        ("gadget_with_an_invalid_address.yaml", "is not valid ipv4"),
        ("gadget_with_a_too_long_label.yaml", "spec.label: maxLength"),
        ("gadget_with_too_many_ports.yaml", "spec.ports: maxItems"),
    ],
)
def test_cel_rules_are_not_evaluated_where_the_api_server_skips_them(
    tools: Path, example: str, schema_finding: str
) -> None:
    # Given a Gadget breaking the CEL rule and a format, length or size limit of its schema
    # (the API server's blocking errors: it evaluates no CEL rule then; seen on Gateway API's
    # invalid-addresses example)
    report = validate([GADGETS / example], crds=[GADGETS / "gadget-crd.yaml"], tools=tools)
    # Then the schema finding is reported, and no CEL finding, as the API server does
    findings = custom(report)
    assert [f.rule for f in findings] == ["schema"], findings
    assert schema_finding in findings[0].message


# CRDs among the manifests


def test_a_crd_among_the_manifests_is_used_without_the_flag(tools: Path, tmp_path: Path) -> None:
    # Given a folder holding Gateway API's CRDs and two of its invalid examples
    shutil.copytree(GATEWAY / "crds", tmp_path / "crds")
    for name in ("hostname-tcp.yaml", "invalid-listener-port.yaml"):
        shutil.copy(GATEWAY / "invalid-examples" / name, tmp_path / name)
    report = validate([tmp_path], tools=tools)
    # Then the custom resources are validated against those CRDs, schema and CEL
    assert {(f.path.name, f.rule) for f in custom(report)} == {
        ("hostname-tcp.yaml", "cel"),
        ("invalid-listener-port.yaml", "schema"),
    }


def test_an_invalid_crd_among_the_manifests_is_a_finding_at_its_field(
    tools: Path, tmp_path: Path
) -> None:
    unserved_crd(tmp_path / "gatewayclasses.yaml")
    report = validate([tmp_path], tools=tools)
    finding = only([f for f in report.findings if f.rule == "crd"])
    assert finding.message == (
        "CustomResourceDefinition gatewayclasses.gateway.networking.k8s.io: spec.versions: "
        "no served version (served: true)"
    )


def test_crds_without_cel_rules_or_set_lists_need_no_guestbook_cel(
    cel_tools: Path, tmp_path: Path
) -> None:
    # Given a tools folder without guestbook-cel, and a CRD without CEL rules or sets
    tools = tmp_path / "tools"
    (tools / "bin").mkdir(parents=True)
    (tools / "bin" / "kubeconform").symlink_to(cel_tools / "bin" / "kubeconform")
    (tools / "schemas").symlink_to(cel_tools / "schemas")
    fixtures = ROOT / "tests" / "fixtures" / "validate"
    crd = fixtures / "schema_sources" / "crds" / "widget-crd.yaml"
    widget = fixtures / "widget_with_an_unknown_field.yaml"
    # Then its custom resources are validated all the same
    finding = only(custom(validate([widget], crds=[crd], tools=tools)))
    assert finding.rule == "schema"
    # while a CRD with CEL rules asks for it
    with pytest.raises(GuestbookError, match="guestbook-cel not found"):
        validate([GATEWAY / "examples" / "basic-http.yaml"], crds=[GATEWAY / "crds"], tools=tools)


# Invalid CRDs given with --crd: one clear error naming the file


def test_a_crd_without_a_served_version_is_an_error_naming_the_file(
    tools: Path, tmp_path: Path
) -> None:
    crd = unserved_crd(tmp_path / "gatewayclasses.yaml")
    with pytest.raises(GuestbookError) as raised:
        validate([GATEWAY / "examples" / "basic-http.yaml"], crds=[crd], tools=tools)
    # Then the message names the file and the line of spec.versions
    line = crd.read_text().splitlines().index("  versions:") + 1
    assert (
        f"{crd}:{line}: CustomResourceDefinition gatewayclasses.gateway.networking.k8s.io: "
    ) in str(raised.value)
    assert "spec.versions: no served version" in str(raised.value)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d.update(apiVersion="apiextensions.k8s.io/v1beta1"),
            "was removed in Kubernetes 1.22",
        ),
        (
            lambda d: d["spec"]["versions"][0]["schema"].pop("openAPIV3Schema"),
            "spec.versions[0].schema.openAPIV3Schema: missing",
        ),
        (
            lambda d: d["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"][
                "spec"
            ].update(type="strnig"),
            "openAPIV3Schema.properties.spec.type: 'strnig' is not a type",
        ),
        (
            lambda d: d["metadata"].update(name="gatewayclass"),
            "metadata.name: 'gatewayclass' must be",
        ),
    ],
)
def test_a_crd_the_api_server_would_refuse_is_an_error_naming_file_and_field(
    tools: Path, tmp_path: Path, change: Any, expected: str
) -> None:
    doc = crd_document(GATEWAY / "crds" / "gateway.networking.k8s.io_gatewayclasses.yaml")
    change(doc)
    crd = write_crd(tmp_path / "gatewayclasses.yaml", doc)
    with pytest.raises(GuestbookError, match="invalid --crd") as raised:
        validate([GATEWAY / "examples" / "basic-http.yaml"], crds=[crd], tools=tools)
    assert str(crd) in str(raised.value)
    assert expected in str(raised.value)


def test_a_cel_rule_that_does_not_compile_is_reported_by_the_api_servers_own_check(
    tools: Path, tmp_path: Path
) -> None:
    # Given the GatewayClass CRD with a syntax error in a CEL rule (only a CEL compiler sees it)
    doc = crd_document(GATEWAY / "crds" / "gateway.networking.k8s.io_gatewayclasses.yaml")
    spec = doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    spec["properties"]["controllerName"]["x-kubernetes-validations"][0]["rule"] = "self ==="
    crd = write_crd(tmp_path / "gatewayclasses.yaml", doc)
    report = validate([GATEWAY / "examples" / "basic-http.yaml"], crds=[crd], tools=tools)
    finding = only([f for f in report.findings if f.rule == "crd"])
    assert finding.path == crd
    assert "compilation failed" in finding.message


def test_a_path_without_crds_is_an_error(tools: Path) -> None:
    with pytest.raises(GuestbookError, match="no CustomResourceDefinition found"):
        validate(
            [GATEWAY / "examples"], crds=[GATEWAY / "examples" / "basic-http.yaml"], tools=tools
        )


def test_two_different_crds_for_one_resource_are_refused(tools: Path, tmp_path: Path) -> None:
    doc = crd_document(GATEWAY / "crds" / "gateway.networking.k8s.io_gatewayclasses.yaml")
    doc["metadata"]["labels"] = {"changed": "yes"}
    other = write_crd(tmp_path / "other.yaml", doc)
    with pytest.raises(GuestbookError, match="differs from the one at"):
        validate(
            [GATEWAY / "examples" / "basic-http.yaml"],
            crds=[GATEWAY / "crds", other],
            tools=tools,
        )


# The cache: once per CRD content


def cached_folders(tools: Path) -> list[Path]:
    root = tools / "schemas" / user_crds.CACHE_FOLDER
    return sorted(p for p in root.iterdir() if p.name != user_crds.FILES_FOLDER)


def test_schemas_are_generated_once_per_crd_content(
    tools: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crd = ROLLOUTS / "crds" / "rollout-crd.yaml"
    examples = [ROLLOUTS / "examples" / "rollout-canary.yaml"]
    validate(examples, crds=[crd], tools=tools)
    [cached] = cached_folders(tools)
    assert (cached / "argoproj.io" / "rollout_v1alpha1.json").is_file()

    # When validating manifests without custom resources again, the CRD file is not even parsed
    def no_parsing(*_args: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(user_crds, "_generate", no_parsing)
    monkeypatch.setattr(user_crds, "read_documents", no_parsing)
    report = validate([ROOT / "dist" / "dev"], crds=[crd], tools=tools)
    assert custom(report) == []
    # and with custom resources, it is parsed (CEL needs it) but not converted again
    monkeypatch.undo()
    monkeypatch.setattr(user_crds, "_generate", no_parsing)
    assert custom(validate(examples, crds=[crd], tools=tools)) == []

    # But a CRD with other content gets its own folder
    monkeypatch.undo()
    doc = crd_document(crd)
    doc["metadata"]["labels"] = {"changed": "yes"}
    validate(examples, crds=[write_crd(tmp_path / "rollout.yaml", doc)], tools=tools)
    assert len(cached_folders(tools)) == 2


def test_kubeconform_looks_in_the_crd_folders_before_the_built_in_schemas(tmp_path: Path) -> None:
    store = SchemaStore(tmp_path, KUBERNETES_VERSION)
    command = Kubeconform(tmp_path / "kubeconform", store, custom_locations=("A", "B")).command(
        ["f"]
    )
    locations = [command[i + 1] for i, arg in enumerate(command) if arg == "-schema-location"]
    assert locations == ["A", "B", store.location]


def test_field_paths_of_the_api_server_are_read_with_list_indexes_and_map_keys() -> None:
    assert field_path("spec.rules[0].matches[12].path") == (
        "spec",
        "rules",
        0,
        "matches",
        12,
        "path",
    )
    assert field_path("spec.labels[app.kubernetes.io/name]") == (
        "spec",
        "labels",
        "app.kubernetes.io/name",
    )
    assert field_path("") == ()


# The command line


def test_the_cli_takes_crd_and_exits_1_on_a_cel_violation(cel_tools: Path) -> None:
    example = GATEWAY / "invalid-examples" / "hostname-tcp.yaml"
    run = subprocess.run(
        [GUESTBOOK, "validate", "--crd", str(GATEWAY / "crds"), str(example)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "GUESTBOOK_TOOLS_DIR": str(cel_tools)},
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert (
        f"{example}:7: error [cel] Gateway/hostname-tcp: spec.listeners: hostname must not be "
        "specified for protocols ['TCP', 'UDP']"
    ) in run.stdout


def test_the_configuration_file_names_crds_as_the_flag_does(
    cel_tools: Path, tmp_path: Path
) -> None:
    # Given a repository whose .guestbook-validate.yaml names the Gateway API CRDs
    shutil.copytree(GATEWAY / "crds", tmp_path / "crds")
    example = tmp_path / "hostname-tcp.yaml"
    shutil.copy(GATEWAY / "invalid-examples" / "hostname-tcp.yaml", example)
    (tmp_path / ".guestbook-validate.yaml").write_text("crds: [crds/]\n")
    # When guestbook validate runs there without --crd
    run = subprocess.run(
        [GUESTBOOK, "validate", example.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "GUESTBOOK_TOOLS_DIR": str(cel_tools)},
    )
    # Then the custom resource is checked against them, CEL rules included
    assert run.returncode == 1, run.stdout + run.stderr
    assert "error [cel] Gateway/hostname-tcp" in run.stdout


def test_the_cli_exits_2_on_an_invalid_crd_naming_it(cel_tools: Path, tmp_path: Path) -> None:
    doc = crd_document(GATEWAY / "crds" / "gateway.networking.k8s.io_gatewayclasses.yaml")
    doc["spec"]["versions"] = []
    crd = write_crd(tmp_path / "gatewayclasses.yaml", doc)
    run = subprocess.run(
        [GUESTBOOK, "validate", "--crd", str(crd), str(GATEWAY / "examples" / "basic-http.yaml")],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "GUESTBOOK_TOOLS_DIR": str(cel_tools)},
    )
    assert run.returncode == 2
    assert f"{crd}:" in run.stderr
    assert "spec.versions: missing or empty" in run.stderr
    assert "Traceback" not in run.stderr


# Hostile input


def test_cel_rules_are_not_evaluated_over_values_of_the_wrong_type(
    tools: Path, tmp_path: Path
) -> None:
    # Given Gateways whose fields have the wrong types (CEL would fail on them, noisily)
    hostile = tmp_path / "gateways.yaml"
    hostile.write_text(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: a}\n"
        "spec: {gatewayClassName: x, listeners: nope}\n---\n"
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: []\nspec: 7\n---\n"
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: b}\n"
        "spec:\n  gatewayClassName: x\n  listeners:\n"
        "  - {name: 5, port: '80', protocol: [HTTP], hostname: {a: 1}}\n"
    )
    report = validate([hostile], crds=[GATEWAY / "crds"], tools=tools)
    # Then, as the API server, only the type errors are reported, and no CEL rule runs
    rules = {f.rule for f in custom(report)}
    assert rules == {"schema"}


def test_the_kubernetes_cel_libraries_are_available(tools: Path, tmp_path: Path) -> None:
    # Given the GatewayClass CRD with rules using isURL and quantity (Kubernetes' CEL libraries)
    doc = crd_document(GATEWAY / "crds" / "gateway.networking.k8s.io_gatewayclasses.yaml")
    spec = doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    spec["x-kubernetes-validations"] = [
        {
            "rule": "!has(self.description) || !self.description.startsWith('http') "
            "|| isURL(self.description)",
            "message": "description must be a URL",
        },
        {
            "rule": "!has(self.description) || !self.description.startsWith('q:') "
            "|| quantity(self.description.substring(2)).isLessThan(quantity('1Gi'))",
            "message": "description must be under 1Gi",
        },
    ]
    crd = write_crd(tmp_path / "gatewayclasses.yaml", doc)
    classes = tmp_path / "classes.yaml"
    classes.write_text(
        "".join(
            f"---\napiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\n"
            f"metadata: {{name: c{n}}}\nspec: {{controllerName: example.com/c, "
            f"description: '{description}'}}\n"
            for n, description in enumerate(["http://ok.example/", "http://[bad", "q:2Gi", "q:1Mi"])
        )
    )
    report = validate([classes], crds=[crd], tools=tools)
    # Then the rules are evaluated with them: one bad URL, one quantity too large
    assert sorted((f.ref.name, f.message) for f in custom(report)) == [
        ("c1", "spec: description must be a URL"),
        ("c2", "spec: description must be under 1Gi"),
    ]
