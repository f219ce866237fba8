"""Layer 2, deprecated APIs (guestbook.validate.rules.apiserver.versions)."""

from __future__ import annotations

import pytest

from guestbook.validate.model import Severity
from guestbook.validate.rules import run
from guestbook.validate.rules.apiserver import versions
from tests.rules_fixtures import document, fired, fixtures_for, load, only


@pytest.mark.parametrize("fixture", fixtures_for(versions.RULES))
def test_broken_manifest_triggers_only_its_rule(fixture: str) -> None:
    # Given a manifest broken in the one way its name says
    # When every rule runs
    got, want = only(fixture)
    # Then exactly the rules its header names fire
    assert got == want


def test_a_deprecated_api_is_a_warning_naming_its_removal_and_replacement() -> None:
    # Given a ClusterTrustBundle at certificates.k8s.io/v1beta1 (deprecated 1.37, removed 1.40)
    documents = load("cluster_trust_bundle_deprecated_api")
    # When the rules judge it for the default target, 1.37
    [finding] = [f for f in run(documents) if f.rule == "deprecated-api"]
    # Then a warning at its apiVersion says when it goes and what replaces it
    assert (finding.severity, finding.line) == (Severity.WARNING, 3)
    assert finding.message == (
        "ClusterTrustBundle certificates.k8s.io/v1beta1 is deprecated in Kubernetes 1.37, "
        "removed in 1.40; use certificates.k8s.io/v1 ClusterTrustBundle"
    )
    assert finding.hint == (
        "change apiVersion to certificates.k8s.io/v1 (check the fields that changed)"
    )


@pytest.mark.parametrize(
    ("version", "warned"),
    [("1.35.4", False), ("1.36.3", False), ("1.37.2", True)],
)
def test_the_target_version_decides_whether_an_api_is_deprecated(
    version: str, warned: bool
) -> None:
    # Given an API deprecated from 1.37
    documents = load("cluster_trust_bundle_deprecated_api")
    # When the rules judge it for each supported target
    findings = run(documents, kubernetes_version=version)
    # Then only targets from 1.37 on warn
    assert ("deprecated-api" in fired(findings)) is warned


def test_a_removed_api_is_left_to_the_schema_layers_error() -> None:
    # Given a Deployment at extensions/v1beta1 (removed in 1.16)
    doc = document(
        {
            "apiVersion": "extensions/v1beta1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop"},
        }
    )
    # When the rules run for 1.37, Then no deprecation warning repeats the api-version error
    assert "deprecated-api" not in fired(run([doc]))


def test_a_ga_api_and_an_unknown_kind_are_not_deprecated() -> None:
    # Given a GA Deployment and a custom resource the table does not know
    docs = [
        document({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a"}}),
        document({"apiVersion": "example.com/v1beta1", "kind": "Widget", "metadata": {}}),
    ]
    # Then neither is deprecated
    assert "deprecated-api" not in fired(run(docs))


def test_without_a_named_replacement_the_message_says_to_move_to_a_served_version() -> None:
    # Given an alpha API whose lifecycle names no replacement (deprecated 1.35, removed 1.38)
    doc = document(
        {
            "apiVersion": "coordination.k8s.io/v1alpha2",
            "kind": "LeaseCandidate",
            "metadata": {"name": "c", "namespace": "kube-system"},
        }
    )
    # When the rules run for 1.37
    [finding] = [f for f in run([doc]) if f.rule == "deprecated-api"]
    # Then it says when it goes, and to move to a version that stays
    assert finding.message == (
        "LeaseCandidate coordination.k8s.io/v1alpha2 is deprecated in Kubernetes 1.35, "
        "removed in 1.38"
    )
    assert finding.hint == "move to an apiVersion of coordination.k8s.io that is not deprecated"
