"""Layer 1: kubeconform's results as findings, at the right document and line (pure).

kubeconform reports a file and a resource (kind, name, apiVersion) but no
line; each result is matched back to the :class:`Document` it is about, and a
violation that names a field points at that field's line.

Rule ids:

* ``schema`` - the object does not match its kind's schema (unknown field,
  wrong type, missing required field, ...);
* ``api-version`` - the kind exists, but not in this apiVersion for this
  Kubernetes version (e.g. a removed ``extensions/v1beta1`` Deployment);
* ``schema-missing`` - no schema for the kind at all (a typo, or a custom
  resource whose CRD is neither bundled, nor given with ``--crd``, nor among
  the manifests);
* ``yaml`` - kubeconform could not read a document that the YAML loader
  accepted (documents the loader already reported are not reported twice).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from guestbook.manifests.api_groups import group_of
from guestbook.manifests.api_lifecycle import lifecycle_of
from guestbook.validate.kubeconform import Result, SchemaError
from guestbook.validate.model import Document, Finding, ObjectRef, Severity
from guestbook.validate.schemas import SchemaIndex

SchemaLoader = Callable[[str, str], Mapping[str, Any] | None]
"""``(apiVersion, kind)`` to that kind's schema, or None."""

CRD_HINT = "if it is a custom resource, pass its CRD with --crd (a file or a folder of them)"

_UNKNOWN = re.compile(r"^additional properties (.+) not allowed$")
_MISSING = re.compile(r"^missing propert(?:y|ies) (.+)$")
_TYPE = re.compile(r"^got (\w+), want (.+)$")
_UNREADABLE = "error unmarshalling resource"
_GO_FIELD = re.compile(r"cannot unmarshal (\w+) into Go struct field \.([\w.]+) of type (\w+)")
_GO_TYPES = {"struct": "object", "map": "object", "slice": "array"}
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


def schema_findings(
    results: Iterable[Result],
    documents: Mapping[str, Sequence[Document]],
    *,
    index: SchemaIndex,
    load_schema: SchemaLoader = lambda _version, _kind: None,
    unreadable: Collection[str] = (),
) -> list[Finding]:
    """Findings for kubeconform ``results``.

    ``documents`` maps each file name, as given to kubeconform, to its parsed
    documents; ``unreadable`` names files the YAML loader already reported,
    whose unparsable documents are not reported again.
    """
    findings: list[Finding] = []
    for result, doc in match_documents(results, documents):
        if doc is None and result.file in unreadable:
            continue  # a document the YAML loader could not read: already reported
        if result.status == "invalid":
            for error in result.errors or (SchemaError((), result.message),):
                findings.extend(_violation(result, doc, error, load_schema))
        else:
            finding = _error(result, doc, index, unreadable)
            if finding is not None:
                findings.append(finding)
    return findings


def match_documents(
    results: Iterable[Result], documents: Mapping[str, Sequence[Document]]
) -> list[tuple[Result, Document | None]]:
    """Pair each result with its document: same file, kind, name and apiVersion.

    kubeconform's workers report in any order, without document numbers or
    namespaces, so exact matches go first, and among several objects with the
    same kind and name the one whose fields fit the reported errors wins; then
    kind and apiVersion alone (a name that is not a string); then a file's
    only document. A document the YAML loader could not read has no partner.
    """
    pending = list(results)
    unused = {file: list(docs) for file, docs in documents.items()}
    matched: dict[int, Document] = {}
    tests: list[Callable[[Result, Document], bool]] = [
        lambda r, d: (d.ref.kind, d.ref.name, d.api_version) == (r.kind, r.name, r.api_version),
        lambda r, d: (d.ref.kind, d.api_version) == (r.kind, r.api_version),
        lambda r, _d: len(documents.get(r.file, ())) == 1,
    ]
    for test in tests:
        for number, result in enumerate(pending):
            if number in matched or result.message.startswith(_UNREADABLE):
                continue
            docs = unused.get(result.file, [])
            candidates = [d for d in docs if test(result, d)]
            if candidates:
                doc = max(candidates, key=lambda d: _fit(result, d))
                docs.remove(doc)
                matched[number] = doc
    return [(result, matched.get(number)) for number, result in enumerate(pending)]


def _fit(result: Result, doc: Document) -> int:
    """How many of ``result``'s errors make sense for ``doc`` (first best wins ties)."""
    score = 0
    for error in result.errors:
        path = _field_path(doc.obj, error.pointer)
        if not _has(doc.obj, path):
            continue
        unknown = _UNKNOWN.match(error.message)
        missing = _MISSING.match(error.message)
        if unknown:
            score += all(_has(doc.obj, (*path, n)) for n in _quoted(unknown.group(1)))
        elif missing:
            score += not any(_has(doc.obj, (*path, n)) for n in _quoted(missing.group(1)))
        else:
            score += 1
    return score


def _has(obj: Any, path: Sequence[str | int]) -> bool:
    return _lookup(obj, path)[0]


def _value_at(obj: Any, path: Sequence[str | int]) -> Any:
    return _lookup(obj, path)[1]


def _lookup(obj: Any, path: Sequence[str | int]) -> tuple[bool, Any]:
    """Whether ``path`` exists in ``obj``, and the value there (None when it does not)."""
    current = obj
    for part in path:
        if isinstance(part, int):
            found = isinstance(current, list) and part < len(current)
        else:
            found = isinstance(current, Mapping) and part in current
        if not found:
            return False, None
        current = current[part]
    return True, current


def _finding(
    result: Result,
    doc: Document | None,
    rule: str,
    message: str,
    *,
    field_path: Sequence[str | int] = (),
    hint: str = "",
) -> Finding:
    if doc is not None:
        return Finding.at(doc, rule, message, field_path=field_path, hint=hint)
    return Finding(
        rule=rule,
        severity=Severity.ERROR,
        message=message,
        path=Path(result.file),
        line=1,
        ref=ObjectRef(kind=result.kind, name=result.name),
        hint=hint,
    )


def _error(
    result: Result, doc: Document | None, index: SchemaIndex, unreadable: Collection[str]
) -> Finding | None:
    message = result.message
    if message.startswith(_UNREADABLE):
        if result.file in unreadable:
            return None
        detail = message.split(":", 1)[-1].strip().splitlines()[-1].strip()
        return _finding(result, doc, "yaml", f"invalid YAML: {detail}")
    if message.startswith("could not find schema for"):
        return _missing_schema(result, doc, index)
    go_field = _GO_FIELD.search(message)
    if go_field:  # kubeconform could not decode apiVersion, kind or metadata
        got, names, want = go_field.groups()
        path = _go_field_path(doc.obj if doc else None, names.split("."))
        return _finding(
            result,
            doc,
            "schema",
            f"{dotted(path)}: got {got}, want {_GO_TYPES.get(want, want)}",
            field_path=path,
        )
    return _finding(result, doc, "schema", message.removeprefix("error while parsing: "))


def _go_field_path(obj: Any, names: Sequence[str]) -> tuple[str, ...]:
    """Go struct field names (``Metadata.Name``) as the object's own keys (``metadata.name``)."""
    path: list[str] = []
    current = obj
    for name in names:
        keys = [k for k in current if isinstance(k, str)] if isinstance(current, Mapping) else []
        key = next((k for k in keys if k.lower() == name.lower()), name[:1].lower() + name[1:])
        path.append(key)
        current = current.get(key) if isinstance(current, Mapping) else None
    return tuple(path)


def _missing_schema(result: Result, doc: Document | None, index: SchemaIndex) -> Finding:
    kind, api_version = result.kind, result.api_version
    version = index.kubernetes_version
    served = index.kinds.get(kind)
    if served:
        hint = f"use apiVersion {' or '.join(served)}, and check the fields that changed with it"
        if group_of(api_version) not in {group_of(v) for vs in index.kinds.values() for v in vs}:
            hint += f"; or, {CRD_HINT}"
        return _finding(
            result,
            doc,
            "api-version",
            f"{kind} is not served as {api_version} by Kubernetes {version}{_history(result)}",
            field_path=("apiVersion",),
            hint=hint,
        )
    close = difflib.get_close_matches(kind, list(index.kinds), n=1)
    hint = f"did you mean kind {close[0]}? otherwise, {CRD_HINT}" if close else CRD_HINT
    return _finding(
        result,
        doc,
        "schema-missing",
        f"no schema for kind {kind} ({api_version}) in Kubernetes {version} or the known CRDs",
        field_path=("kind",),
        hint=hint,
    )


def _history(result: Result) -> str:
    """`` (deprecated in 1.8, removed in 1.16)`` when the lifecycle table knows the removal."""
    api = lifecycle_of(result.api_version, result.kind)
    if api is None or api.removed is None:
        return ""
    deprecated = f"deprecated in {api.deprecated}, " if api.deprecated else ""
    return f" ({deprecated}removed in {api.removed})"


def _violation(
    result: Result, doc: Document | None, error: SchemaError, load_schema: SchemaLoader
) -> list[Finding]:
    path = _field_path(doc.obj if doc else None, error.pointer)
    where = dotted(path)
    message = error.message
    unknown = _UNKNOWN.match(message)
    if unknown:
        known = _known_fields(load_schema(result.api_version, result.kind), error.pointer)
        findings = []
        for name in _quoted(unknown.group(1)):
            close = difflib.get_close_matches(name, known, n=1)
            hint = (
                f"did you mean {close[0]!r}?"
                if close
                else "remove it: the API does not define this field"
            )
            findings.append(
                _finding(
                    result,
                    doc,
                    "schema",
                    f"unknown field {dotted((*path, name))!r}",
                    field_path=(*path, name),
                    hint=hint,
                )
            )
        return findings
    missing = _MISSING.match(message)
    if missing:
        names = _quoted(missing.group(1))
        fields = ", ".join(repr(dotted((*path, n))) for n in names)
        noun = "field" if len(names) == 1 else "fields"
        return [
            _finding(
                result,
                doc,
                "schema",
                f"missing required {noun} {fields}",
                field_path=path,
                hint=f"add {fields}",
            )
        ]
    wrong_type = _TYPE.match(message)
    if wrong_type:
        got, want = wrong_type.group(1), _without_null(wrong_type.group(2))
        value = _value_at(doc.obj if doc else None, path)
        hint = ""
        numeric = {"integer", "number"} & set(want.split(" or "))
        if got == "string" and numeric and isinstance(value, str) and _is_number(value):
            hint = f"write {value} without quotes"
        return [
            _finding(
                result,
                doc,
                "schema",
                f"{where or 'the object'}: got {got}, want {want}",
                field_path=path,
                hint=hint,
            )
        ]
    return [_finding(result, doc, "schema", f"{where or 'the object'}: {message}", field_path=path)]


def dotted(path: Sequence[str | int]) -> str:
    """``("spec", "ports", 0, "name")`` as ``spec.ports[0].name``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _field_path(obj: Any, pointer: Sequence[str]) -> tuple[str | int, ...]:
    """JSON pointer tokens as a field path: list indexes as ints, as in :class:`Document`."""
    path: list[str | int] = []
    current = obj
    for token in pointer:
        if isinstance(current, list) and token.isdigit():
            index = int(token)
            path.append(index)
            current = current[index] if index < len(current) else None
        elif current is None and token.isdigit():
            path.append(int(token))
        else:
            path.append(token)
            current = current.get(token) if isinstance(current, Mapping) else None
    return tuple(path)


def _known_fields(schema: Mapping[str, Any] | None, pointer: Sequence[str]) -> list[str]:
    """The property names the schema allows at ``pointer`` (for "did you mean")."""
    if schema is None:
        return []
    definitions = schema.get("definitions", {})
    node: Any = schema
    for token in (*pointer, None):
        node = _resolve(node, definitions)
        if token is None:
            break
        properties = node.get("properties", {})
        if token in properties:
            node = properties[token]
        elif token.isdigit() and isinstance(node.get("items"), Mapping):
            node = node["items"]
        elif isinstance(node.get("additionalProperties"), Mapping):
            node = node["additionalProperties"]
        else:
            return []
    return sorted(node.get("properties", {}))


def _resolve(node: Any, definitions: Mapping[str, Any]) -> Mapping[str, Any]:
    for _ in range(8):  # a reference chain is short; never loop on a malformed file
        if not isinstance(node, Mapping):
            return {}
        ref = node.get("$ref")
        if isinstance(ref, str):
            node = definitions.get(ref.removeprefix("#/definitions/"), {})
            continue
        choices = [c for c in node.get("anyOf", ()) if c != {"type": "null"}]
        if "properties" not in node and len(choices) == 1:
            node = choices[0]
            continue
        return node
    return {}


def _quoted(text: str) -> list[str]:
    return [re.sub(r"\\(.)", r"\1", name) for name in _QUOTED.findall(text)]


def _without_null(want: str) -> str:
    kinds = [k for k in want.split(" or ") if k != "null"]
    return " or ".join(kinds) or want


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
