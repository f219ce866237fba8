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
    strict,
)

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

# Types whose JSON form the OpenAPI document understates.
_OVERRIDES: dict[str, Schema] = {
    "io.k8s.apimachinery.pkg.api.resource.Quantity": QUANTITY,
}


def strict_definitions(spec: Mapping[str, Any]) -> dict[str, Schema]:
    """Every definition of an OpenAPI v2 document, made strict."""
    definitions = spec.get("definitions")
    if not isinstance(definitions, Mapping):
        raise ValueError("not an OpenAPI v2 document: no 'definitions'")
    return {
        name: dict(_OVERRIDES.get(name) or strict(schema)) for name, schema in definitions.items()
    }


def kind_schemas(spec: Mapping[str, Any], inliner: Inliner) -> dict[GroupVersionKind, Schema]:
    """One standalone strict schema per group, version and kind in ``spec``.

    ``inliner`` holds ``strict_definitions(spec)``.
    """
    kinds: dict[GroupVersionKind, Schema] = {}
    for name, raw in spec["definitions"].items():
        for gvk in raw.get("x-kubernetes-group-version-kind", ()):
            key = GroupVersionKind(gvk.get("group", ""), gvk["version"], gvk["kind"])
            kinds[key] = inliner.standalone(inliner.definition(name))
    return kinds
