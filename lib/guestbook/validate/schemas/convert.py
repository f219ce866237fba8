"""Shared by both schema sources: turn an OpenAPI schema into a strict JSON Schema.

kubeconform validates with JSON Schema draft 4. Compared with the OpenAPI
schemas the API server publishes, a strict schema here

* rejects unknown fields: every object that lists ``properties`` gets
  ``additionalProperties: false`` (unless it says it keeps unknown fields),
  as the API server does with strict field validation;
* accepts ``null`` for optional fields, map values and scalar list items, which the API
  server treats as unset (``creationTimestamp: null`` in ``kubectl create --dry-run``
  output), and requires nothing under a kind's ``status`` (:func:`optional_status`);
* accepts both forms of int-or-string and of resource quantities (``cpu: 1``);
* drops descriptions and vendor extensions, which validation does not use;
* is standalone: every ``$ref`` is inlined, except those that close a cycle
  (``JSONSchemaProps``), which stay local ``#/definitions/...`` references.

Inlining matters for the messages: the JSON Schema library kubeconform uses
reports an error under a ``$ref`` (or an ``anyOf``) only as "validation failed"
at the reference, while errors in inlined schemas name the exact field. For
the same reason alternatives are written as type lists (``["string",
"integer"]``), not ``oneOf``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]

INT_OR_STRING: Schema = {"type": ["string", "integer"]}
QUANTITY: Schema = {"type": ["string", "number"]}

_NULLABLE_REF = "x-guestbook-nullable"
"""Marks a ``$ref`` whose target must also accept null once inlined (draft 4
ignores keywords beside ``$ref``, so the marker never reaches a validator)."""

_DROPPED = frozenset({"description", "example", "externalDocs"})
_SCALARS = frozenset({"string", "integer", "number", "boolean"})


@dataclass(frozen=True, order=True)
class GroupVersionKind:
    """A Kubernetes type as kubeconform looks it up: by apiVersion and kind."""

    group: str
    version: str
    kind: str

    @property
    def api_version(self) -> str:
        """``apps/v1``, or just ``v1`` for the core group."""
        return f"{self.group}/{self.version}" if self.group else self.version

    def schema_file(self) -> str:
        """Path under a version folder, matching :data:`LOCATION_SUFFIX`'s template."""
        group = self.group or self.version
        return f"{group}/{self.kind.lower()}_{self.version}.json"


LOCATION_SUFFIX = "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
"""kubeconform's template for one schema file under a version folder.

``.Group`` is the full API group (``apps``, ``argoproj.io``; ``v1`` for the
core group), so a kind in an unknown group never borrows a built-in schema.
"""


def strict(node: Any) -> Any:
    """A strict copy of the OpenAPI schema ``node`` (see the module docstring)."""
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    if node.get("format") == "int-or-string" or node.get("x-kubernetes-int-or-string"):
        return _int_or_string(node)
    out: Schema = {}
    for key, value in node.items():
        if key in _DROPPED or key.startswith("x-"):
            continue
        if key == "properties" and isinstance(value, Mapping):
            required = set(node.get("required", ()))
            out[key] = {
                name: (strict(prop) if name in required else nullable(strict(prop)))
                for name, prop in value.items()
            }
        elif key in ("items", "additionalProperties", "not"):
            out[key] = nullable(strict(value)) if _may_be_null(key, value) else strict(value)
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [strict(v) for v in value]
        elif key == "nullable":
            continue
        else:
            out[key] = value
    if node.get("nullable") is True:
        out = nullable(out)
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


def _may_be_null(key: str, value: Any) -> bool:
    """Whether a map value or list item schema also takes null: the API server accepts a
    null map value (``redis.db:`` with no value reads as unset) and a null scalar item."""
    if not isinstance(value, Mapping):
        return False
    return key == "additionalProperties" or (key == "items" and value.get("type") in _SCALARS)


def optional_status(kind: Schema) -> Schema:
    """``kind``'s schema with nothing under ``status`` required: the API server ignores the
    status of an object it creates (a Pod read back from a cluster, without the
    ``imageID`` the OpenAPI document requires, is accepted)."""
    properties = kind.get("properties")
    if not isinstance(properties, Mapping) or "status" not in properties:
        return kind
    return {**kind, "properties": {**properties, "status": _without_required(properties["status"])}}


def _without_required(node: Any) -> Any:
    if isinstance(node, list):
        return [_without_required(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    return {k: _without_required(v) for k, v in node.items() if k != "required"}


def _int_or_string(node: Mapping[str, Any]) -> Schema:
    """Int-or-string (a CRD's ``anyOf`` of integer and string, or the format) as a type list."""
    choices = node.get("anyOf") or node.get("oneOf")
    if choices is None:
        return dict(INT_OR_STRING)
    if all(isinstance(c, Mapping) and set(c) == {"type"} for c in choices):
        return {"type": sorted({c["type"] for c in choices}, key=["string", "integer"].index)}
    return {"anyOf": [strict(c) for c in choices]}


def nullable(schema: Schema) -> Schema:
    """``schema``, also accepting ``null``."""
    kind = schema.get("type")
    if isinstance(kind, str):
        return {**schema, "type": [kind, "null"]}
    if isinstance(kind, list):
        return schema if "null" in kind else {**schema, "type": [*kind, "null"]}
    if "$ref" in schema:
        return {**schema, _NULLABLE_REF: True}
    for choice in ("anyOf", "oneOf"):
        if choice in schema and {"type": "null"} not in schema[choice]:
            return {**schema, choice: [*schema[choice], {"type": "null"}]}
    return schema


def _ref_name(node: Mapping[str, Any]) -> str | None:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/definitions/"):
        return ref.removeprefix("#/definitions/")
    return None


def references(schema: Any) -> set[str]:
    """Names of the ``#/definitions/<name>`` that ``schema`` refers to directly."""
    found: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            name = _ref_name(node)
            if name is not None:
                found.add(name)
            stack.extend(v for k, v in node.items() if k != "definitions")
        elif isinstance(node, list):
            stack.extend(node)
    return found


def cyclic(definitions: Mapping[str, Schema]) -> frozenset[str]:
    """Definitions that can reach themselves through ``$ref``\\ s (they cannot be inlined)."""
    edges = {name: references(schema) & definitions.keys() for name, schema in definitions.items()}
    found: set[str] = set()
    for start, targets in edges.items():
        seen: set[str] = set()
        stack = list(targets)
        while stack:
            name = stack.pop()
            if name == start:
                found.add(start)
                break
            if name not in seen:
                seen.add(name)
                stack.extend(edges[name])
    return frozenset(found)


class Inliner:
    """Inline ``$ref``\\ s into definitions, keeping references that close a cycle.

    Results are shared between files (never mutated), so inlining every kind of
    a spec costs about as much as inlining the largest one.
    """

    def __init__(self, definitions: Mapping[str, Schema]) -> None:
        self.definitions = definitions
        self._cyclic = cyclic(definitions)
        self._done: dict[str, Schema] = {}

    def standalone(self, root: Schema) -> Schema:
        """``root`` inlined, plus the cyclic definitions it still refers to."""
        schema: Schema = dict(self._inline(root))
        needed = self._closure(references(schema))
        if needed:
            schema = {**schema, "definitions": {n: self.definition(n) for n in needed}}
        return schema

    def definition(self, name: str) -> Schema:
        """Definition ``name`` with every non-cyclic reference inlined."""
        done = self._done.get(name)
        if done is None:
            done = self._done[name] = dict(self._inline(self.definitions.get(name, {})))
        return done

    def _inline(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self._inline(item) for item in node]
        if not isinstance(node, Mapping):
            return node
        name = _ref_name(node)
        if name is not None:
            allow_null = bool(node.get(_NULLABLE_REF))
            if name in self._cyclic:
                ref = {"$ref": node["$ref"]}
                return {"anyOf": [ref, {"type": "null"}]} if allow_null else ref
            target = self.definition(name)
            return nullable(target) if allow_null else target
        return {k: self._inline(v) for k, v in node.items()}

    def _closure(self, roots: set[str]) -> list[str]:
        seen: set[str] = set()
        stack = sorted(roots)
        while stack:
            name = stack.pop()
            if name not in seen and name in self.definitions:
                seen.add(name)
                stack.extend(references(self.definition(name)) - seen)
        return sorted(seen)
