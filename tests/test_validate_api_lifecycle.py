"""The API lifecycle table: generated from k8s.io/api, committed, and read by the rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from guestbook.errors import GuestbookError
from guestbook.kubernetes import SELECTABLE_KUBERNETES_VERSIONS
from guestbook.manifests.api_lifecycle import TABLE, ApiLifecycle, lifecycle_of
from guestbook.validate.api_lifecycle import api_module_version, generate, merge, read_module

FIXTURES = Path(__file__).parent / "fixtures" / "api_lifecycle"


def test_the_committed_table_equals_a_fresh_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the k8s.io/api releases of every selectable version, from the module cache only
    monkeypatch.setenv("GOPROXY", "off")
    monkeypatch.setenv("GOFLAGS", "-mod=mod")
    try:
        fresh = generate()
    except GuestbookError as err:
        pytest.skip(f"k8s.io/api not in the Go module cache ({err}); run "
                    "`python -m guestbook.validate.api_lifecycle` with network")  # fmt: skip
    # Then the committed table is what they generate
    assert TABLE.read_text(encoding="utf-8") == fresh, (
        "api_lifecycle.json is stale: run `python -m guestbook.validate.api_lifecycle`"
    )


def test_each_kubernetes_release_reads_its_own_k8s_io_api_release() -> None:
    assert [api_module_version(v) for v in ("1.37.2", "1.33.13")] == ["v0.37.2", "v0.33.13"]
    assert len(SELECTABLE_KUBERNETES_VERSIONS) >= 3


def test_a_package_gives_its_kinds_with_group_version_releases_and_replacement() -> None:
    # Given apps/v1beta2 with a deprecated Deployment, its List, and a Scale with no deprecation
    # When the module folder is read
    entries = read_module(FIXTURES)
    # Then the Deployment is there with its group, and neither its List nor Scale is
    assert entries == [
        {
            "apiVersion": "apps/v1beta2",
            "kind": "Deployment",
            "deprecated": "1.9",
            "removed": "1.16",
            "replacement": "apps/v1 Deployment",
        }
    ]


def test_a_newer_release_overrides_an_older_one_and_what_it_dropped_stays() -> None:
    # Given an older release with two kinds and a newer one that postponed one and dropped the other
    old = [
        {"apiVersion": "x/v1beta1", "kind": "A", "deprecated": "1.36", "removed": "1.39"},
        {"apiVersion": "x/v1beta1", "kind": "B", "deprecated": "1.9", "removed": "1.16"},
    ]
    new = [{"apiVersion": "x/v1beta1", "kind": "A", "deprecated": "1.37", "removed": "1.40"}]
    # When merged, oldest first
    merged = merge([old, new])
    # Then the newer word wins and the dropped kind keeps the last one said
    assert [(e["kind"], e["deprecated"]) for e in merged] == [("A", "1.37"), ("B", "1.9")]


@pytest.mark.parametrize(
    ("version", "deprecated"),
    [("1.35.4", False), ("1.36.0", True), ("1.38.1", True), ("1.39.0", False)],
)
def test_an_api_is_deprecated_from_its_deprecation_until_its_removal(
    version: str, deprecated: bool
) -> None:
    api = ApiLifecycle("resource.k8s.io/v1beta2", "ResourceClaim", "1.36", "1.39", None)
    assert api.deprecated_in(version) is deprecated


def test_the_committed_table_knows_removals_up_to_the_target() -> None:
    # Given well-known removals, Then the committed table has them with their replacements
    ingress = lifecycle_of("extensions/v1beta1", "Ingress")
    assert ingress is not None and ingress.removed == "1.22"
    pdb = lifecycle_of("policy/v1beta1", "PodDisruptionBudget")
    assert pdb is not None
    assert (pdb.removed, pdb.replacement) == ("1.25", "policy/v1 PodDisruptionBudget")
    assert lifecycle_of("apps/v1", "Deployment") is None
