"""Built-in kinds: strict schemas from the API server's OpenAPI v2 document (pure).

Each kind's file is standalone: its definitions inlined (see :mod:`.convert`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guestbook.validate.schemas.convert import (
    QUANTITY,
    GroupVersionKind,
    Inliner,
    Schema,
    optional_status,
    strict,
)

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

# Types whose JSON form the OpenAPI document understates.
_OVERRIDES: dict[str, Schema] = {
    "io.k8s.apimachinery.pkg.api.resource.Quantity": QUANTITY,
}


# Fields the OpenAPI document marks required that the API server defaults when absent.
_DEFAULTED: dict[str, frozenset[str]] = {
    "io.k8s.api.storage.v1.CSIDriver": frozenset({"spec"}),  # every field of its spec
}


def strict_definitions(spec: Mapping[str, Any]) -> dict[str, Schema]:
    """Every definition of an OpenAPI v2 document, made strict."""
    definitions = spec.get("definitions")
    if not isinstance(definitions, Mapping):
        raise ValueError("not an OpenAPI v2 document: no 'definitions'")
    return {
        name: dict(_OVERRIDES.get(name) or strict(_defaulted(name, schema)))
        for name, schema in definitions.items()
    }


def _defaulted(name: str, schema: Any) -> Any:
    optional = _DEFAULTED.get(name)
    if not optional or not isinstance(schema, Mapping) or "required" not in schema:
        return schema
    required = [field for field in schema["required"] if field not in optional]
    return (
        {**schema, "required": required}
        if required
        else {k: v for k, v in schema.items() if k != "required"}
    )


def kind_schemas(spec: Mapping[str, Any], inliner: Inliner) -> dict[GroupVersionKind, Schema]:
    """One standalone strict schema per group, version and kind in ``spec``.

    ``inliner`` holds ``strict_definitions(spec)``.
    """
    kinds: dict[GroupVersionKind, Schema] = {}
    for name, raw in spec["definitions"].items():
        for gvk in raw.get("x-kubernetes-group-version-kind", ()):
            key = GroupVersionKind(gvk.get("group", ""), gvk["version"], gvk["kind"])
            kinds[key] = optional_status(inliner.standalone(inliner.definition(name)))
    return kinds
