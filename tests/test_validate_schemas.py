"""Schema generation: strict JSON Schema from OpenAPI and CRDs, the cache layout, the pins.

Conversion is tested on a tiny spec and CRD (tests/fixtures/validate/schema_sources);
the real cache that `make setup` generated is checked against the pins.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from guestbook.errors import GuestbookError
from guestbook.kubernetes import (
    KUBERNETES_VERSION,
    OLDER_KUBERNETES_VERSIONS,
    SELECTABLE_KUBERNETES_VERSIONS,
    SUPPORTED_KUBERNETES_VERSIONS,
)
from guestbook.validate.kubeconform import Kubeconform
from guestbook.validate.schemas import SchemaStore, generate, gomod
from guestbook.validate.schemas.convert import GroupVersionKind, Inliner, optional_status, strict
from guestbook.validate.schemas.crds import crd_schemas
from guestbook.validate.schemas.gomod import Module
from guestbook.validate.schemas.openapi import kind_schemas, strict_definitions
from guestbook.validate.schemas.sources import CRD_SOURCES, CrdSource
from guestbook.validate.tools import kubeconform_binary, schemas_root

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
SOURCES = FIXTURES / "schema_sources"
SPEC = json.loads((SOURCES / "kubernetes/api/openapi-spec/swagger.json").read_text())
CRD = yaml.safe_load((SOURCES / "crds/widget-crd.yaml").read_text())
WIDGETS = CrdSource("example.com/widgets", "v1.0.0", ("widget-crd.yaml",))


def tiny_schemas() -> dict[GroupVersionKind, Any]:
    inliner = Inliner(strict_definitions(SPEC))
    return {**kind_schemas(SPEC, inliner), **crd_schemas([CRD], inliner)}


def test_objects_reject_unknown_fields_and_optional_fields_accept_null() -> None:
    # Given an OpenAPI object with a required and an optional field
    schema = strict(
        {
            "type": "object",
            "description": "dropped",
            "required": ["a"],
            "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        }
    )
    # Then unknown fields are rejected, b may be null, a may not
    assert schema == {
        "type": "object",
        "required": ["a"],
        "properties": {"a": {"type": "string"}, "b": {"type": ["integer", "null"]}},
        "additionalProperties": False,
    }


def test_every_kind_is_written_per_group_version_and_kind() -> None:
    schemas = tiny_schemas()
    assert sorted(g.schema_file() for g in schemas) == [
        "apps/thing_v1.json",
        "example.com/widget_v1.json",
        "v1/thing_v1.json",
    ]


def test_references_are_inlined_and_int_or_string_and_quantity_take_both_forms() -> None:
    thing = tiny_schemas()[GroupVersionKind("", "v1", "Thing")]
    spec = thing["properties"]["spec"]
    assert spec["properties"]["port"] == {"type": ["string", "integer"]}
    assert spec["properties"]["size"] == {"type": ["string", "number", "null"]}
    assert thing["properties"]["metadata"]["properties"]["creationTimestamp"]["type"] == [
        "string",
        "null",
    ]


def test_recursive_definitions_stay_local_references() -> None:
    thing = tiny_schemas()[GroupVersionKind("", "v1", "Thing")]
    tree = thing["properties"]["spec"]["properties"]["tree"]
    assert tree == {"anyOf": [{"$ref": "#/definitions/io.example.v1.Node"}, {"type": "null"}]}
    assert list(thing["definitions"]) == ["io.example.v1.Node"]


def test_crd_schemas_are_strict_but_keep_preserved_fields_open() -> None:
    widget = tiny_schemas()[GroupVersionKind("example.com", "v1", "Widget")]
    spec = widget["properties"]["spec"]
    assert spec["additionalProperties"] is False
    assert "additionalProperties" not in spec["properties"]["extra"]
    assert spec["properties"]["port"] == {"type": ["string", "integer", "null"]}
    assert spec["properties"]["note"]["type"] == ["string", "null"]
    # metadata is validated as the built-in ObjectMeta, not "any object"
    assert widget["properties"]["metadata"]["additionalProperties"] is False


def test_versions_that_are_not_served_get_no_schema() -> None:
    assert GroupVersionKind("example.com", "v1beta1", "Widget") not in tiny_schemas()


def fake_download(modules: Any) -> dict[tuple[str, str], Module]:
    found = {}
    for path, version in modules:
        folder = SOURCES / ("kubernetes" if path == "k8s.io/kubernetes" else "crds")
        found[(path, version)] = Module(path, version, folder, "h1:fake")
    return found


def test_generated_cache_is_what_kubeconform_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given schemas generated from the tiny sources
    monkeypatch.setattr(generate, "download", fake_download)
    store = SchemaStore(tmp_path, "1.34.3")
    generate.ensure([store], sources=[WIDGETS])
    # Then the real kubeconform finds and applies them
    results = Kubeconform(kubeconform_binary(), store).run(
        [str(FIXTURES / "widget_with_an_unknown_field.yaml")]
    )
    assert [(r.kind, [e.message for e in r.errors]) for r in results] == [
        ("Widget", ["additional properties 'colour' not allowed"])
    ]


def test_an_up_to_date_cache_is_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a generated cache
    monkeypatch.setattr(generate, "download", fake_download)
    store = SchemaStore(tmp_path, "1.34.3")
    assert generate.ensure([store], sources=[WIDGETS]) == [store]
    index = store.index()
    assert index.sources == ("k8s.io/kubernetes@v1.34.3", "example.com/widgets@v1.0.0")
    assert index.kinds["Thing"] == ("v1", "apps/v1")

    # When setup runs again, nothing is fetched or written
    def no_download(_modules: Any) -> None:
        raise AssertionError("downloaded again")

    monkeypatch.setattr(generate, "download", no_download)
    assert generate.ensure([store], sources=[WIDGETS]) == []
    # But a changed pin regenerates
    monkeypatch.setattr(generate, "download", fake_download)
    newer = CrdSource("example.com/widgets", "v1.0.1", WIDGETS.paths)
    assert generate.ensure([store], sources=[newer]) == [store]


def test_a_crd_that_redefines_a_built_in_kind_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generate, "download", fake_download)
    clash = {**CRD, "spec": {**CRD["spec"], "group": "apps", "names": {"kind": "Thing"}}}
    monkeypatch.setattr(generate, "_read_crds", lambda _dir, _paths: [clash])
    with pytest.raises(GuestbookError, match="redefine built-in kinds: apps/v1 Thing"):
        generate.ensure([SchemaStore(tmp_path, "1.34.3")], sources=[WIDGETS])


def test_missing_cache_asks_for_make_setup(tmp_path: Path) -> None:
    with pytest.raises(GuestbookError, match="guestbook tools install"):
        SchemaStore(tmp_path, "1.34.3").index()


@pytest.mark.parametrize("version", SELECTABLE_KUBERNETES_VERSIONS)
def test_the_project_cache_matches_the_pins(version: str) -> None:
    # Given the cache `make setup` generated
    store = SchemaStore(schemas_root(), version)
    index = store.index()
    # Then it was generated from exactly the pinned sources, by this code
    assert generate.is_current(store)
    assert index.sources == (
        f"k8s.io/kubernetes@v{version}",
        *(f"{s.module}@{s.version}" for s in CRD_SOURCES),
    )
    assert index.kinds["Deployment"] == ("apps/v1",)
    for kind in ("Application", "ApplicationSet", "AppProject"):
        assert index.kinds[kind] == ("argoproj.io/v1alpha1",)
    # Argo Rollouts' kinds (the frontend is a Rollout with frontend.canary.steps)
    for kind in ("Rollout", "AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun"):
        assert index.kinds[kind] == ("argoproj.io/v1alpha1",)
    assert index.kinds["Experiment"] == ("argoproj.io/v1alpha1",)


def test_the_target_is_the_newest_of_three_consecutive_supported_minors() -> None:
    # Given the versions CI validates, Then they are the target and the two minors before it
    minors = [tuple(map(int, v.split(".")[:2])) for v in SUPPORTED_KUBERNETES_VERSIONS]
    major, minor = map(int, KUBERNETES_VERSION.split(".")[:2])
    assert minors == [(major, minor - 2), (major, minor - 1), (major, minor)]
    # And the older selectable ones are older than all of them, oldest first
    older = [tuple(map(int, v.split(".")[:2])) for v in OLDER_KUBERNETES_VERSIONS]
    assert older == sorted(older)
    assert all(o < minors[0] for o in older)


def test_go_mod_download_json_stream_is_read_object_by_object() -> None:
    text = '{\n "Path": "a", "Version": "v1"\n}\n{\n "Path": "b", "Version": "v2"\n}\n'
    assert [o["Path"] for o in gomod._json_stream(text)] == ["a", "b"]


def test_without_go_schemas_cannot_be_generated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(GuestbookError, match="go not found"):
        gomod.download([("k8s.io/kubernetes", "v1.34.3")])


# CRDs read as structural schemas (guestbook.validate.structural), before the same conversion


def structural_schema(schema: dict[str, Any]) -> Any:
    from guestbook.validate.structural import structural

    crd = {**CRD, "spec": {**CRD["spec"], "versions": [{**CRD["spec"]["versions"][0]}]}}
    crd["spec"]["versions"][0]["schema"] = {"openAPIV3Schema": schema}
    [converted] = crd_schemas([structural(crd)], Inliner(strict_definitions(SPEC))).values()
    return converted


ADDRESS = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "default": "IPAddress"},
        "value": {"type": "string"},
    },
    "required": ["type"],
    "oneOf": [
        {"properties": {"type": {"enum": ["IPAddress"]}, "value": {"format": "ipv4"}}},
        {"properties": {"type": {"not": {"enum": ["IPAddress"]}}}},
    ],
}
"""Gateway API's Gateway spec.addresses[] (v1.4.0), without its descriptions and CEL."""


def test_value_validations_do_not_close_the_object_to_fields_they_do_not_name() -> None:
    # Given a oneOf whose second branch names only `type`
    schema = structural_schema({"type": "object", "properties": {"address": ADDRESS}})
    address = schema["properties"]["address"]
    # Then no branch rejects `value` as unknown: only the spine lists the allowed fields
    assert address["additionalProperties"] is False
    branches = address["oneOf"]
    assert all("additionalProperties" not in b for b in _all_objects(branches))


def test_a_field_with_a_default_is_not_missing_and_branches_see_the_default() -> None:
    schema = structural_schema({"type": "object", "properties": {"address": ADDRESS}})
    address = schema["properties"]["address"]
    # `type` defaults, so it is not required (the API server sets it before validating)
    assert "type" not in address.get("required", [])
    # Without `type`, the IPAddress branch holds (the default) and the other does not
    first, second = address["oneOf"]
    assert {"not": {"required": ["type"]}}.items() <= first["anyOf"][1].items()
    assert second["required"] == ["type"]


def _all_objects(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            if "properties" in current:
                found.append(current)
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return found


def test_map_values_and_scalar_list_items_accept_null() -> None:
    # Given labels (a map of strings), args (a list of strings) and containers (a list of objects)
    schema = strict(
        {
            "type": "object",
            "properties": {
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "args": {"type": "array", "items": {"type": "string"}},
                "containers": {"type": "array", "items": {"type": "object", "properties": {}}},
            },
        }
    )
    # Then a null map value or string item is accepted, as the API server reads it as unset
    # (`redis.db:` with no value in a ConfigMap), while a null object item stays an error
    properties = schema["properties"]
    assert properties["labels"]["additionalProperties"] == {"type": ["string", "null"]}
    assert properties["args"]["items"] == {"type": ["string", "null"]}
    assert properties["containers"]["items"]["type"] == "object"


def test_nothing_under_status_is_required() -> None:
    # Given a kind whose status marks fields required, as a Pod's containerStatuses[].imageID
    pod = optional_status(
        {
            "type": "object",
            "properties": {
                "spec": {"type": "object", "required": ["containers"], "properties": {}},
                "status": {
                    "type": "object",
                    "required": ["phase"],
                    "properties": {
                        "containerStatuses": {
                            "type": "array",
                            "items": {"type": "object", "required": ["imageID"]},
                        }
                    },
                },
            },
        }
    )
    # Then nothing under status is required (the API server ignores status on create),
    # while spec keeps its required fields
    status = pod["properties"]["status"]
    assert "required" not in status
    assert "required" not in status["properties"]["containerStatuses"]["items"]
    assert pod["properties"]["spec"]["required"] == ["containers"]


def test_a_csidriver_needs_no_spec() -> None:
    # Given the OpenAPI definition of a CSIDriver, whose spec the document marks required
    spec = {
        "definitions": {
            "io.k8s.api.storage.v1.CSIDriver": {
                "type": "object",
                "required": ["spec"],
                "properties": {"spec": {"type": "object", "properties": {}}},
            }
        }
    }
    # Then spec is optional: the API server defaults every field of an absent spec
    driver = strict_definitions(spec)["io.k8s.api.storage.v1.CSIDriver"]
    assert "spec" not in driver.get("required", [])
