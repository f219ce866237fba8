"""Custom kinds: strict schemas from CustomResourceDefinition YAML (pure).

A CRD's ``openAPIV3Schema`` is structural (no ``$ref``), so each served
version becomes one file. Its ``metadata`` is only ``type: object`` in the
CRD; the API server validates it as ObjectMeta, so the file uses the built-in
ObjectMeta definition of the Kubernetes version being generated. ``apiVersion``
and ``kind`` are kept by the API server whatever the schema says, so a schema
that does not name them gets them as strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from guestbook.validate.schemas.convert import (
    GroupVersionKind,
    Inliner,
    Schema,
    nullable,
    optional_status,
    strict,
)
from guestbook.validate.schemas.openapi import OBJECT_META


def crd_schemas(
    crds: Iterable[Mapping[str, Any]], inliner: Inliner
) -> dict[GroupVersionKind, Schema]:
    """One strict schema per served version of each CRD in ``crds``.

    ``inliner`` holds the built-in strict definitions (for ObjectMeta).
    Documents that are not ``apiextensions.k8s.io/v1`` CRDs are skipped.
    """
    kinds: dict[GroupVersionKind, Schema] = {}
    for crd in crds:
        if crd.get("kind") != "CustomResourceDefinition" or crd.get("apiVersion") != (
            "apiextensions.k8s.io/v1"
        ):
            continue
        spec = crd["spec"]
        for version in spec.get("versions", ()):
            if not version.get("served", True):
                continue
            raw = (version.get("schema") or {}).get("openAPIV3Schema")
            if raw is None:
                continue
            gvk = GroupVersionKind(spec["group"], version["name"], spec["names"]["kind"])
            schema = inliner.standalone(_with_object_meta(strict(raw)))
            # With the status subresource, the API server ignores status on create.
            has_status = "status" in (version.get("subresources") or {})
            kinds[gvk] = optional_status(schema) if has_status else schema
    return kinds


def _with_object_meta(schema: Schema) -> Schema:
    properties = dict(schema.get("properties", {}))
    for implicit in ("apiVersion", "kind"):
        properties.setdefault(implicit, {"type": "string"})
    meta = properties.get("metadata")
    ref: Schema = {"$ref": f"#/definitions/{OBJECT_META}"}
    if meta is None or _only_object(meta):
        properties["metadata"] = nullable(ref)
    else:
        properties["metadata"] = {"allOf": [ref, meta]}
    return {**schema, "properties": properties}


def _only_object(schema: Schema) -> bool:
    """Whether ``schema`` says no more than "an object" (possibly nullable)."""
    return set(schema) <= {"type"} and schema.get("type") in ("object", ["object", "null"])
