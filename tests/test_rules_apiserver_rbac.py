"""Layer 2, role bindings (guestbook.validate.rules.apiserver.rbac)."""

from __future__ import annotations

import pytest

from guestbook.validate.rules import run
from guestbook.validate.rules.apiserver import rbac
from tests.rules_fixtures import document, fired, fixtures_for, load_situation, only


@pytest.mark.parametrize("fixture", fixtures_for(rbac.RULES))
def test_broken_manifest_triggers_only_its_rule(fixture: str) -> None:
    # Given a manifest broken in the one way its name says
    # When every rule runs
    got, want = only(fixture)
    # Then exactly the rules its header names fire
    assert got == want


def test_what_the_server_defaults_is_not_an_error() -> None:
    # Given a RoleBinding whose ServiceAccount has no namespace and whose User has no apiGroup
    # When the rules run, Then nothing fires
    assert fired(run(load_situation("role_binding_defaults_left_to_the_server"))) == set()


def test_the_message_names_the_subject_and_the_field() -> None:
    # Given a ClusterRoleBinding whose ServiceAccount subject has no namespace
    findings = run(load_situation("cluster_role_binding_service_account_without_namespace"))
    (finding,) = [f for f in findings if f.rule == "role-binding"]
    # Then the message names the subject, and the finding points at its namespace
    assert "subjects[0]" in finding.message and "'backup' has no namespace" in finding.message


@pytest.mark.parametrize(
    ("subject", "why"),
    [
        ({"kind": "ServiceAccount", "name": "b", "namespace": "x", "apiGroup": "v1"}, "apiGroup"),
        ({"kind": "User", "name": "jane", "apiGroup": "example.com"}, "apiGroup"),
        ({"kind": "ServiceAccount", "name": "Backup_1", "namespace": "x"}, "DNS-1123"),
        ({"kind": "Group", "name": ""}, "no name"),
    ],
)
def test_subjects_the_server_refuses(subject: dict[str, str], why: str) -> None:
    # Given a ClusterRoleBinding with one subject the API server refuses
    doc = document(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "b"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "view",
            },
            "subjects": [subject],
        }
    )
    # When the rules run, Then role-binding fires and says why
    findings = [f for f in run([doc]) if f.rule == "role-binding"]
    assert len(findings) == 1 and why in findings[0].message
