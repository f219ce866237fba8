"""Object metadata: names, namespaces, labels, annotations, and duplicate objects."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from guestbook.manifests.api_groups import group_of
from guestbook.manifests.fields import as_map, as_str, get, items
from guestbook.manifests.inventory import Check, Inventory, object_key, pod_template
from guestbook.names import (
    dns1035_label_error,
    dns1123_label_error,
    dns1123_subdomain_error,
    label_value_error,
    qualified_name_error,
)
from guestbook.validate.model import Document, FieldPath, Finding
from guestbook.validate.rules.registry import Layer, error, unresolved

OBJECT_NAME = error(
    "object-name",
    Layer.API_SERVER,
    "metadata.name missing or not valid for the kind (DNS-1123 subdomain; "
    "DNS-1035 label for Services, DNS-1123 label for Namespaces; length limits of Jobs, CronJobs)",
)
NAMESPACE_NAME = error(
    "namespace-name", Layer.API_SERVER, "metadata.namespace is not a DNS-1123 label"
)
LABEL_KEY = error(
    "label-key", Layer.API_SERVER, "label key is not a qualified name ([prefix/]name)"
)
LABEL_VALUE = error(
    "label-value", Layer.API_SERVER, "label value is not valid (63 characters, alphanumeric ends)"
)
ANNOTATION_KEY = error(
    "annotation-key", Layer.API_SERVER, "annotation key is not a qualified name ([prefix/]name)"
)
ANNOTATIONS_SIZE = error(
    "annotations-size", Layer.API_SERVER, "annotations of one object exceed 256 KiB in total"
)
DUPLICATE_OBJECT = unresolved(
    "duplicate-object",
    Layer.REFERENCES,
    "the same object (API group, kind, namespace, name) is defined twice",
    reason="the API server accepts both, the second overwriting the first: a complete set "
    "does not run as rendered; elsewhere the files may be alternatives",
    fix="keep one definition, or validate alternative files separately",
)
RULES = (
    OBJECT_NAME,
    NAMESPACE_NAME,
    LABEL_KEY,
    LABEL_VALUE,
    ANNOTATION_KEY,
    ANNOTATIONS_SIZE,
    DUPLICATE_OBJECT,
)

ANNOTATIONS_MAX_BYTES = 256 * 1024
RBAC_KINDS = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
NAME_LENGTH_LIMITS = {"CronJob": 52, "Job": 63}
"""Their names become label values and Job names, so the API server limits them further."""


def _path_segment_error(name: str) -> str | None:
    if name in (".", ".."):
        return "may not be '.' or '..'"
    if "/" in name or "%" in name:
        return "may not contain '/' or '%'"
    return None


def _name_rule(doc: Document) -> tuple[Callable[[str], str | None], str]:
    kind, group = doc.ref.kind, group_of(doc.api_version)
    if kind == "Service" and group == "":
        return dns1035_label_error, "a DNS-1035 label"
    if kind == "Namespace" and group == "":
        return dns1123_label_error, "a DNS-1123 label"
    if kind in RBAC_KINDS and group == "rbac.authorization.k8s.io":
        return _path_segment_error, "a path segment"
    return dns1123_subdomain_error, "a DNS-1123 subdomain"


def _name_problem(doc: Document, name: str) -> str | None:
    check, what = _name_rule(doc)
    problem = check(name)
    if problem:
        return f"is not {what}: {problem}"
    limit = NAME_LENGTH_LIMITS.get(doc.ref.kind)
    if limit and len(name) > limit and group_of(doc.api_version) == "batch":
        return f"is longer than {limit} characters, the limit for a {doc.ref.kind}"
    return None


def check_names(inventory: Inventory) -> Iterator[Finding]:
    """``object-name`` and ``namespace-name``."""
    for doc in inventory.documents:
        meta = as_map(doc.obj.get("metadata"))
        name = meta.get("name")
        if name is None or name == "":
            if not meta.get("generateName"):
                yield OBJECT_NAME.at(
                    doc,
                    f"{doc.ref.kind or 'object'} has no metadata.name",
                    field_path=("metadata",),
                    hint="give every object a name; GitOps tools cannot apply generateName",
                )
        elif isinstance(name, str):
            problem = _name_problem(doc, name)
            if problem:
                yield OBJECT_NAME.at(
                    doc,
                    f"{doc.ref.kind} name {name!r} {problem}",
                    field_path=("metadata", "name"),
                    hint="rename it: lower-case words joined by '-' fit every kind",
                )
        namespace = meta.get("namespace")
        if isinstance(namespace, str) and namespace:
            problem = dns1123_label_error(namespace)
            if problem:
                yield NAMESPACE_NAME.at(
                    doc,
                    f"namespace {namespace!r} is not a DNS-1123 label: {problem}",
                    field_path=("metadata", "namespace"),
                    hint="use a namespace name of lower-case letters, digits and '-'",
                )


def metadata_paths(doc: Document) -> list[FieldPath]:
    """Every ObjectMeta inside ``doc``: its own, its pod template's, its claim templates'."""
    paths: list[FieldPath] = [("metadata",)]
    pod = pod_template(doc)
    if pod is not None and pod.path:
        paths.append((*pod.path, "metadata"))
        if doc.ref.kind == "CronJob":
            paths.append(("spec", "jobTemplate", "metadata"))
    if doc.ref.kind == "StatefulSet" and pod is not None:
        paths.extend(
            (*path, "metadata") for path, _ in items(doc.obj, "spec", "volumeClaimTemplates")
        )
    return paths


def _entries(doc: Document, path: FieldPath) -> list[tuple[Any, Any]]:
    return list(as_map(get(doc.obj, *path)).items())


def check_labels(inventory: Inventory) -> Iterator[Finding]:
    """``label-key`` and ``label-value`` on every ObjectMeta of every object."""
    for doc in inventory.documents:
        for meta in metadata_paths(doc):
            for key, value in _entries(doc, (*meta, "labels")):
                if not isinstance(key, str):
                    continue
                where = (*meta, "labels", key)
                problem = qualified_name_error(key)
                if problem:
                    yield LABEL_KEY.at(
                        doc,
                        f"label key {key!r} {problem}",
                        field_path=where,
                        hint="use [prefix/]name with an optional DNS-subdomain prefix and a "
                        "name of at most 63 letters, digits, '-', '_' or '.'",
                    )
                text = as_str(value)
                problem = label_value_error(text) if text is not None else None
                if problem:
                    yield LABEL_VALUE.at(
                        doc,
                        f"value {text!r} of label {key!r} {problem}",
                        field_path=where,
                        hint="shorten the value or move it to an annotation",
                    )


def check_annotations(inventory: Inventory) -> Iterator[Finding]:
    """``annotation-key`` and ``annotations-size`` on every ObjectMeta."""
    for doc in inventory.documents:
        for meta in metadata_paths(doc):
            size = 0
            for key, value in _entries(doc, (*meta, "annotations")):
                if not isinstance(key, str):
                    continue
                size += len(key.encode()) + len(str(value).encode())
                problem = qualified_name_error(key)
                if problem:
                    yield ANNOTATION_KEY.at(
                        doc,
                        f"annotation key {key!r} {problem}",
                        field_path=(*meta, "annotations", key),
                        hint="use [prefix/]name, e.g. example.com/my-note",
                    )
            if size > ANNOTATIONS_MAX_BYTES:
                yield ANNOTATIONS_SIZE.at(
                    doc,
                    f"annotations take {size} bytes; the API server allows {ANNOTATIONS_MAX_BYTES}",
                    field_path=(*meta, "annotations"),
                    hint="move large data into a ConfigMap",
                )


def check_duplicates(inventory: Inventory) -> Iterator[Finding]:
    """``duplicate-object``: later definitions of an object already defined."""
    first: dict[tuple[str, str, str, str], Document] = {}
    for doc in inventory.documents:
        key = object_key(doc)
        if not key[1] or not key[3]:
            continue
        if key in first:
            earlier = first[key]
            yield DUPLICATE_OBJECT.at(
                doc,
                f"{doc.ref} (API group {key[0] or 'core'!r}) is already defined at "
                f"{earlier.path.as_posix()}:{earlier.line}",
                field_path=("metadata", "name"),
                hint="keep one definition; the later one would silently overwrite the earlier",
                complete=inventory.is_complete(doc),
            )
        else:
            first[key] = doc


CHECKS: tuple[Check, ...] = (check_names, check_labels, check_annotations, check_duplicates)
