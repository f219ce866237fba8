"""Safe object access (guestbook.manifests.fields)."""

from __future__ import annotations

from guestbook.manifests.api_groups import group_of
from guestbook.manifests.fields import as_int, dotted, get


def test_get_tolerates_missing_fields_and_wrong_types() -> None:
    obj = {"spec": {"ports": [{"port": 80}]}}
    assert get(obj, "spec", "ports", 0, "port") == 80
    assert get(obj, "spec", "ports", 3, "port") is None
    assert get(obj, "spec", "ports", "port") is None
    assert get("text", "spec") is None


def test_group_of() -> None:
    assert group_of("apps/v1") == "apps"
    assert group_of("v1") == ""
    assert group_of("networking.k8s.io/v1") == "networking.k8s.io"


def test_booleans_are_not_integers() -> None:
    assert as_int(True) is None
    assert as_int(3) == 3


def test_dotted() -> None:
    assert dotted(("spec", "ports", 1, "name")) == "spec.ports[1].name"
