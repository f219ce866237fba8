"""Layer 2, object metadata (guestbook.validate.rules.apiserver.metadata)."""

from __future__ import annotations

from pathlib import Path

import pytest

from guestbook.validate.documents import read_documents
from guestbook.validate.rules import run
from guestbook.validate.rules.apiserver import metadata
from tests.rules_fixtures import document, fired, fixtures_for, load, only


@pytest.mark.parametrize("fixture", fixtures_for(metadata.RULES))
def test_broken_manifest_triggers_only_its_rule(fixture: str) -> None:
    # Given a manifest broken in the one way its name says
    # When every rule runs
    got, want = only(fixture)
    # Then exactly the rules its header names fire
    assert got == want


def test_finding_points_at_the_offending_field_with_message_and_hint() -> None:
    # Given a Service whose name holds a dot (line 6 of the fixture)
    documents = load("service_name_with_a_dot")
    # When the rules run
    [finding] = [f for f in run(documents) if f.rule == "object-name"]
    # Then the finding names the field's line, what is wrong, and a fix
    assert finding.line == 6
    assert "'web.v1'" in finding.message and "DNS-1123 label" in finding.message
    assert finding.hint
    assert str(finding.ref) == "Service/shop/web.v1"


@pytest.mark.parametrize(("version", "valid"), [("1.34.3", False), ("1.35.4", False),
                                                ("1.36.3", True), ("1.37.2", True)])  # fmt: skip
def test_a_service_name_may_start_with_a_digit_from_1_36(version: str, valid: bool) -> None:
    # Given a Service named 1-web (a DNS-1123 label, not a DNS-1035 one)
    doc = document({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "1-web"}})
    # When the rules judge it by each release
    # Then it is an error until RelaxedServiceNameValidation is on by default (1.36)
    fired_here = fired(run([doc], kubernetes_version=version))
    assert ("object-name" in fired_here) is not valid


@pytest.mark.parametrize(
    ("kind", "api_version", "name", "valid"),
    [
        ("Service", "v1", "redis-leader", True),
        ("Service", "v1", "redis.leader", False),  # a subdomain, not a label
        ("ConfigMap", "v1", "redis.leader", True),
        ("Namespace", "v1", "guestbook.prod", False),
        ("ClusterRole", "rbac.authorization.k8s.io/v1", "system:guestbook-reader", True),
        ("Deployment", "apps/v1", "Frontend", False),
        ("Job", "batch/v1", "j" * 64, False),
        ("Widget", "example.com/v1", "my-widget", True),
    ],
)
def test_object_names_follow_the_kinds_rule(
    kind: str, api_version: str, name: str, valid: bool
) -> None:
    # Given an object of a kind with its own naming rule
    doc = document({"apiVersion": api_version, "kind": kind, "metadata": {"name": name}})
    # When the rules run, Then object-name fires exactly for invalid names
    assert ("object-name" in fired(run([doc]))) is not valid


def test_duplicates_are_found_across_files(tmp_path: Path) -> None:
    # Given the same ConfigMap in two files
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\n"
    (tmp_path / "a.yaml").write_text(text)
    (tmp_path / "b.yaml").write_text(text)
    documents = [d for f in ("a.yaml", "b.yaml") for d in read_documents(tmp_path / f)[0]]
    # When the rules run
    [finding] = [f for f in run(documents) if f.rule == "duplicate-object"]
    # Then the second file is reported, pointing at the first
    assert finding.path.name == "b.yaml"
    assert "a.yaml:1" in finding.message


def test_same_name_in_another_group_or_kind_is_not_a_duplicate() -> None:
    # Given a Deployment, a custom kind called Deployment, and a Service, all named web
    documents = [
        document({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}),
        document(
            {"apiVersion": "example.com/v1", "kind": "Deployment", "metadata": {"name": "web"}}
        ),
        document({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}}),
    ]
    # When the rules run, Then none is a duplicate
    assert "duplicate-object" not in fired(run(documents))


def test_cluster_scoped_objects_ignore_their_namespace_field() -> None:
    # Given one Namespace written twice, once with a (meaningless) namespace field
    documents = [
        document({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "gb"}}),
        document(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "gb", "namespace": "x"}}
        ),
    ]
    # When the rules run, Then they are the same object
    assert "duplicate-object" in fired(run(documents))


def test_annotations_over_256_kib_in_total_are_rejected() -> None:
    # Given annotations that together exceed the API server's 256 KiB
    big = {f"example.com/part-{i}": "x" * 65536 for i in range(4)}
    doc = document(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "annotations": big}}
    )
    # When the rules run, Then only annotations-size fires
    assert fired(run([doc])) == {"annotations-size"}
    # And just below the limit it does not
    del big["example.com/part-3"]
    assert fired(run([doc])) == frozenset()


def test_pod_template_labels_are_checked_too() -> None:
    # Given a Deployment whose pod template has a label value with a space
    doc = document(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web", "team": "store front"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
                },
            },
        }
    )
    # When the rules run, Then the template's label is reported
    assert fired(run([doc])) == {"label-value"}
