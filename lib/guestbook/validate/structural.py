"""Read a CRD's schema the way the API server reads a structural schema (pure).

:func:`guestbook.validate.schemas.convert.strict` makes every object with
``properties`` closed to unknown fields, and JSON Schema knows no defaults.
Both are right for the spine of a structural schema but not for its value
validations, so :func:`structural` rewrites a CRD before conversion.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_BRANCHES = ("allOf", "anyOf", "oneOf")


def structural(crd: Mapping[str, Any]) -> Mapping[str, Any]:
    r"""``crd`` with each version's schema read the way the API server reads a structural one.

    In a structural schema, ``allOf``, ``anyOf``, ``oneOf`` and ``not`` only
    restrict fields the schema itself declares: their ``properties`` are no
    list of allowed fields, so no unknown-field check applies there. And the
    API server applies ``default``\ s before it validates: a field with a
    default is never missing (no longer ``required``), and a branch sees the
    default where the field is absent.
    """
    spec = crd.get("spec")
    if not isinstance(spec, Mapping) or not isinstance(spec.get("versions"), list):
        return crd
    versions = []
    for version in spec["versions"]:
        schema = version.get("schema") if isinstance(version, Mapping) else None
        if isinstance(schema, Mapping) and isinstance(schema.get("openAPIV3Schema"), Mapping):
            root = _spine(schema["openAPIV3Schema"])
            versions.append({**version, "schema": {**schema, "openAPIV3Schema": root}})
        else:
            versions.append(version)
    return {**crd, "spec": {**spec, "versions": versions}}


def _spine(node: Any) -> Any:
    if not isinstance(node, Mapping):
        return node
    out = dict(node)
    properties = node.get("properties")
    defaults: dict[str, Any] = {}
    if isinstance(properties, Mapping):
        out["properties"] = {k: _spine(v) for k, v in properties.items()}
        defaults = {
            k: v["default"]
            for k, v in properties.items()
            if isinstance(v, Mapping) and "default" in v
        }
        if isinstance(node.get("required"), list) and defaults:
            out["required"] = [r for r in node["required"] if r not in defaults]
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), Mapping):
            out[key] = _spine(node[key])
    for key in _BRANCHES:
        if isinstance(node.get(key), list):
            out[key] = [_branch(b, defaults) for b in node[key]]
    if "not" in node:
        out["not"] = _branch(node["not"], defaults)
    return out


def _branch(node: Any, defaults: Mapping[str, Any]) -> Any:
    """A value validation: open to fields it does not name, and seeing ``defaults``."""
    if not isinstance(node, Mapping):
        return node
    out: dict[str, Any] = dict(node)
    properties = node.get("properties")
    if isinstance(properties, Mapping):
        out["properties"] = {k: _branch(v, {}) for k, v in properties.items()}
        out["x-kubernetes-preserve-unknown-fields"] = True
    for key in ("items", "additionalProperties", "not"):
        if isinstance(node.get(key), Mapping):
            out[key] = _branch(node[key], {})
    for key in _BRANCHES:
        if isinstance(node.get(key), list):
            out[key] = [_branch(b, defaults) for b in node[key]]
    if not isinstance(properties, Mapping):
        return out
    for name in sorted(defaults.keys() & properties.keys()):
        accepts = _accepts(properties[name], defaults[name])
        if accepts is None:
            continue  # a check this pass cannot evaluate: left as it is
        present = {**out, "required": [*out.get("required", []), name]}
        if not accepts:
            out = present
            continue
        absent = {**out, "properties": {k: v for k, v in out["properties"].items() if k != name}}
        out = {"anyOf": [present, {**absent, "not": {"required": [name]}}]}
    return out


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}
_IGNORED = frozenset({"description", "format", "title", "example"})


def _accepts(schema: Any, value: Any) -> bool | None:
    """Whether ``schema`` accepts the constant ``value``; None when this cannot tell."""
    if not isinstance(schema, Mapping):
        return None
    for key, rule in schema.items():
        if key in _IGNORED or key.startswith("x-"):
            continue
        if key == "enum" and isinstance(rule, list):
            ok: bool | None = value in rule
        elif key == "type" and rule in _JSON_TYPES:
            ok = isinstance(value, _JSON_TYPES[rule]) and not (
                isinstance(value, bool) and rule != "boolean"
            )
        elif key == "not":
            inner = _accepts(rule, value)
            ok = None if inner is None else not inner
        elif key in ("allOf", "anyOf") and isinstance(rule, list):
            verdicts = [_accepts(r, value) for r in rule]
            if None in verdicts:
                return None
            ok = all(verdicts) if key == "allOf" else any(verdicts)
        else:
            return None
        if ok is None or not ok:
            return ok
    return True
