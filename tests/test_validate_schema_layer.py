"""Layer 1 end to end: real kubeconform, real offline schemas, one fixture per situation.

Each test validates one small file from tests/fixtures/validate/ with the rule
layers off, so only what the schema layer reports is seen.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from guestbook.validate import Finding, validate
from guestbook.validate.kubeconform import Result, SchemaError
from guestbook.validate.model import Document
from guestbook.validate.schema_layer import dotted, match_documents

FIXTURES = Path(__file__).parent / "fixtures" / "validate"


def schema_findings(name: str, version: str = "1.34.3") -> list[Finding]:
    report = validate([FIXTURES / name], kubernetes_version=version, rules=False)
    return list(report.findings)


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


def test_unknown_field_is_an_error_at_its_line_with_a_suggestion() -> None:
    # Given a Service port with a misspelt field
    # When it is validated
    finding = only(schema_findings("unknown_field.yaml"))
    # Then strict validation rejects it, at the field's own line
    assert (finding.rule, finding.line) == ("schema", 10)
    assert finding.message == "unknown field 'spec.ports[0].protocl'"
    assert finding.hint == "did you mean 'protocol'?"
    assert (finding.ref.kind, finding.ref.name) == ("Service", "frontend")


def test_wrong_type_points_at_the_field_and_suggests_dropping_quotes() -> None:
    finding = only(schema_findings("wrong_type.yaml"))
    assert (finding.rule, finding.line) == ("schema", 6)
    assert finding.message == "spec.replicas: got string, want integer"
    assert finding.hint == "write 3 without quotes"


def test_missing_required_field_points_at_the_object_that_lacks_it() -> None:
    finding = only(schema_findings("missing_required_field.yaml"))
    assert (finding.rule, finding.line) == ("schema", 9)
    assert finding.message == "missing required field 'spec.ports[0].port'"


def test_several_errors_in_one_object_are_each_reported_at_their_line() -> None:
    # Given one Deployment with three problems in different places
    findings = schema_findings("several_errors_in_one_object.yaml")
    # Then each is its own finding (not one "validation failed" for the object)
    assert [(f.line, f.message) for f in findings] == [
        (5, "unknown field 'metadata.labelz'"),
        (8, "spec.replicas: got string, want integer"),
        (22, "unknown field 'spec.template.spec.containers[0].ports[0].protocl'"),
    ]


def test_duplicate_key_is_reported_once_and_the_next_document_is_still_checked() -> None:
    findings = schema_findings("duplicate_key.yaml")
    assert [(f.rule, f.line) for f in findings] == [("yaml", 5), ("schema", 16)]
    assert "duplicate key 'name'" in findings[0].message
    assert findings[1].ref.name == "after-the-duplicate"


def test_syntax_error_is_one_yaml_finding_with_a_line() -> None:
    finding = only(schema_findings("syntax_error.yaml"))
    assert (finding.rule, finding.line) == ("yaml", 7)
    assert finding.message.startswith("invalid YAML:")


def test_kind_without_a_schema_is_an_error_not_skipped() -> None:
    finding = only(schema_findings("unknown_kind.yaml"))
    assert (finding.rule, finding.line) == ("schema-missing", 2)
    assert "Deploymnet" in finding.message
    assert finding.hint.startswith("did you mean kind Deployment?")


def test_known_kind_in_an_unknown_group_never_borrows_the_built_in_schema() -> None:
    finding = only(schema_findings("kind_in_unknown_group.yaml"))
    assert (finding.rule, finding.line) == ("api-version", 1)
    assert "pass its CRD with --crd" in finding.hint


def test_removed_api_version_is_an_error_naming_the_replacement() -> None:
    finding = only(schema_findings("removed_api_version.yaml"))
    assert (finding.rule, finding.line) == ("api-version", 1)
    assert finding.message == (
        "Deployment is not served as extensions/v1beta1 by Kubernetes 1.34.3 "
        "(deprecated in 1.8, removed in 1.16)"
    )
    assert finding.hint.startswith("use apiVersion apps/v1")


@pytest.mark.parametrize(
    ("version", "rules"),
    [("1.33.13", []), ("1.34.3", ["api-version"]), ("1.37.2", ["api-version"])],
)
def test_each_minor_knows_which_api_versions_it_serves(version: str, rules: list[str]) -> None:
    # Given an apiVersion the older minor serves and the target no longer does
    findings = schema_findings("api_version_served_only_by_the_older_minor.yaml", version)
    # Then validating against each minor tells the upgrade story
    assert [f.rule for f in findings] == rules
    assert all(
        f.hint.startswith("use apiVersion admissionregistration.k8s.io/v1,") for f in findings
    )


@pytest.mark.parametrize("version", ["1.35.4", "1.36.3", "1.37.2"])
def test_argocd_application_with_an_unknown_field_is_rejected(version: str) -> None:
    finding = only(schema_findings("argocd_application_unknown_field.yaml", version))
    assert (finding.rule, finding.line) == ("schema", 11)
    assert finding.message == "unknown field 'spec.source.pth'"
    assert finding.hint == "did you mean 'path'?"


def test_valid_argocd_application_is_clean() -> None:
    assert schema_findings("argocd_application_valid.yaml") == []


def test_valid_hand_written_extras_are_clean() -> None:
    # nulls for optional fields, numbers as quantities, named ports, percentages
    assert schema_findings("valid_extras.yaml") == []


def test_objects_with_the_same_kind_and_name_are_told_apart_by_their_fields() -> None:
    # kubeconform reports no namespace; the error fits only the second Service
    finding = only(schema_findings("multiple_objects_with_the_same_name.yaml"))
    assert (finding.line, finding.ref.namespace) == (18, "guestbook-prod")


def test_dotted_paths_read_like_kubectl_explain() -> None:
    assert dotted(("spec", "ports", 0, "name")) == "spec.ports[0].name"
    assert dotted(()) == ""


def test_a_result_without_a_readable_document_stays_unmatched() -> None:
    # Given a result kubeconform could not unmarshal, and one parsed document
    doc = Document(path=Path("a.yaml"), line=1, obj={"kind": "Service", "apiVersion": "v1"})
    broken = Result("a.yaml", "", "", "", "error", "error unmarshalling resource: bad")
    # When results are matched to documents
    pairs = match_documents([broken], {"a.yaml": [doc]})
    # Then it is not blamed on the readable document
    assert pairs == [(broken, None)]


def test_a_name_that_is_not_a_string_still_matches_by_kind() -> None:
    doc = Document(
        path=Path("a.yaml"),
        line=3,
        obj={"kind": "Service", "apiVersion": "v1", "metadata": {"name": 1}},
    )
    result = Result("a.yaml", "Service", "", "v1", "invalid", "", (SchemaError((), "x"),))
    assert match_documents([result], {"a.yaml": [doc]}) == [(result, doc)]


def test_a_kind_that_is_not_a_string_is_reported_at_its_line() -> None:
    # Given an object whose kind (and namespace) are lists, which kubeconform cannot decode
    finding = only(schema_findings("kind_not_a_string.yaml"))
    # Then the finding points at the first field it names, in the object's own words
    assert (finding.rule, finding.line) == ("schema", 6)
    assert finding.message == "kind: got array, want string"
    # And the object is named without pretending the list is a kind
    assert str(finding.ref) == "(document)"
