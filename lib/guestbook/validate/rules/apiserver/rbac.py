"""RoleBindings and ClusterRoleBindings: what the API server's RBAC validation refuses.

From kube-apiserver's ``pkg/apis/rbac/validation``, after its defaults (``pkg/apis/rbac/v1``):
an empty ``apiGroup`` of a roleRef, or of a User or Group subject, becomes
rbac.authorization.k8s.io; of a ServiceAccount subject, the core group.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from guestbook.manifests.fields import as_map, as_str, dotted, maps
from guestbook.manifests.inventory import Check, Inventory
from guestbook.names import dns1123_subdomain_error
from guestbook.validate.model import Document, FieldPath, Finding
from guestbook.validate.rules.registry import Layer, error

RBAC_GROUP = "rbac.authorization.k8s.io"
ROLE_REF_KINDS = {"RoleBinding": ("Role", "ClusterRole"), "ClusterRoleBinding": ("ClusterRole",)}
SUBJECT_KINDS = ("ServiceAccount", "User", "Group")

ROLE_BINDING = error(
    "role-binding",
    Layer.API_SERVER,
    "a binding's roleRef with another apiGroup, an unknown kind (a ClusterRoleBinding may bind "
    "only a ClusterRole) or no name; a subject without a name, of an unknown kind, with the "
    "wrong apiGroup, or a ServiceAccount subject of a ClusterRoleBinding without a namespace",
)
RULES = (ROLE_BINDING,)


def _role_ref_problem(kind: str, ref: Mapping[str, Any]) -> tuple[str, str] | None:
    group = ref.get("apiGroup") or RBAC_GROUP  # SetDefaults_(Cluster)RoleBinding
    if group != RBAC_GROUP:
        return "apiGroup", f"roleRef.apiGroup is {group!r}; it must be {RBAC_GROUP!r}"
    allowed = ROLE_REF_KINDS[kind]
    if ref.get("kind") not in allowed:
        return "kind", f"roleRef.kind is {ref.get('kind')!r}; a {kind} binds {' or '.join(allowed)}"
    if not as_str(ref.get("name")):
        return "name", "roleRef has no name"
    return None


def _subject_problem(kind: str, subject: Mapping[str, Any]) -> tuple[str, str] | None:
    name = as_str(subject.get("name")) or ""
    if not name:
        return "name", "has no name"
    subject_kind = subject.get("kind")
    group = subject.get("apiGroup") or ""
    if subject_kind == "ServiceAccount":
        problem = dns1123_subdomain_error(name)
        if problem:
            return "name", f"ServiceAccount name {name!r} is not a DNS-1123 subdomain: {problem}"
        if group:
            return "apiGroup", f"apiGroup is {group!r}; a ServiceAccount subject's is '' (core)"
        if kind == "ClusterRoleBinding" and not as_str(subject.get("namespace")):
            return "namespace", (
                f"ServiceAccount {name!r} has no namespace; a ClusterRoleBinding has no "
                "namespace of its own to take it from"
            )
        return None
    if subject_kind in ("User", "Group"):
        if group and group != RBAC_GROUP:
            return "apiGroup", f"{subject_kind} {name!r} has apiGroup {group!r}, not {RBAC_GROUP!r}"
        return None
    return "kind", f"kind {subject_kind!r} is not one of {', '.join(SUBJECT_KINDS)}"


def _binding_findings(doc: Document, kind: str) -> Iterator[Finding]:
    ref_problem = _role_ref_problem(kind, as_map(doc.obj.get("roleRef")))
    if ref_problem:
        field, message = ref_problem
        yield ROLE_BINDING.at(
            doc,
            f"{kind}/{doc.ref.name}: {message}",
            field_path=("roleRef", field),
            hint=f"roleRef: {{apiGroup: {RBAC_GROUP}, kind: {ROLE_REF_KINDS[kind][-1]}, "
            "name: ...}",
        )
    for path, subject in maps(doc.obj, "subjects"):
        problem = _subject_problem(kind, subject)
        if problem:
            field, message = problem
            where: FieldPath = (*path, field)
            yield ROLE_BINDING.at(
                doc,
                f"{kind}/{doc.ref.name}: {dotted(path)} {message}",
                field_path=where,
                hint="a ServiceAccount subject names its namespace; User and Group take "
                f"apiGroup {RBAC_GROUP}",
            )


def check_bindings(inventory: Inventory) -> Iterator[Finding]:
    """``role-binding``."""
    for kind in ROLE_REF_KINDS:
        for doc in inventory.of_kind(kind, RBAC_GROUP):
            yield from _binding_findings(doc, kind)


CHECKS: tuple[Check, ...] = (check_bindings,)
