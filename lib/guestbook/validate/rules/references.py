"""Layer 3, part two: pods must find the ConfigMaps, Secrets, claims and accounts they name.

A Secret counts as rendered when a SealedSecret or ExternalSecret of the run
produces it; its keys are then unknown and not checked.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from guestbook.manifests.fields import as_map, as_str, get, maps
from guestbook.manifests.inventory import Check, Inventory, PodTemplate
from guestbook.manifests.podspec import containers
from guestbook.validate.model import FieldPath, Finding
from guestbook.validate.rules.registry import Layer, unresolved

VOLUME_SOURCE_MISSING = unresolved(
    "volume-source-missing",
    Layer.REFERENCES,
    "a volume names a PVC, ConfigMap or Secret (or a key of one) that is not rendered, "
    "and is not optional",
    reason="the pod cannot start without it; it may be in files not validated",
    fix="render the PVC, ConfigMap or Secret in the set, fix the name, or mark the volume optional",
)
ENV_SOURCE_MISSING = unresolved(
    "env-source-missing",
    Layer.REFERENCES,
    "envFrom or valueFrom names a ConfigMap or Secret (or a key of one) that is not rendered, "
    "and is not optional",
    reason="the pod cannot start without it; it may be in files not validated",
    fix="render the ConfigMap or Secret in the set, fix the name or key, or mark it optional",
)
SERVICE_ACCOUNT_MISSING = unresolved(
    "service-account-missing",
    Layer.REFERENCES,
    "a pod runs as a ServiceAccount (other than default) that is not rendered",
    reason="the pods are refused without it; it may be in files not validated",
    fix="render the ServiceAccount in the set, or remove the field to run as default",
)
RULES = (VOLUME_SOURCE_MISSING, ENV_SOURCE_MISSING, SERVICE_ACCOUNT_MISSING)

SECRET_PRODUCERS = (
    ("SealedSecret", "bitnami.com", ("metadata", "name")),
    ("ExternalSecret", "external-secrets.io", ("spec", "target", "name")),
)
"""Custom kinds that create a Secret, and where the Secret's name is (default: their own)."""
_DATA_FIELDS = {"ConfigMap": ("data", "binaryData"), "Secret": ("data", "stringData")}


@dataclass(frozen=True)
class Reference:
    """One pod-to-object reference found in a pod template."""

    path: FieldPath
    """Where the reference is (the field naming the object)."""
    kind: str
    name: str
    key: str | None
    optional: bool


def _produced_secret(inventory: Inventory, namespace: str, name: str) -> bool:
    for kind, group, path in SECRET_PRODUCERS:
        for doc in inventory.of_kind(kind, group):
            ref = doc.ref
            if ref.namespace == namespace and (as_str(get(doc.obj, *path)) or ref.name) == name:
                return True
    return False


def _missing(inventory: Inventory, namespace: str, ref: Reference) -> str | None:
    """Why ``ref`` does not resolve, or None."""
    doc = inventory.find("", ref.kind, namespace, ref.name)
    if doc is None:
        if ref.kind == "Secret" and _produced_secret(inventory, namespace, ref.name):
            return None
        return (
            f"{ref.kind} {ref.name!r}, which is not rendered in namespace {namespace or '(unset)'}"
        )
    if ref.key is None or ref.kind not in _DATA_FIELDS:
        return None
    keys = {k for field in _DATA_FIELDS[ref.kind] for k in as_map(doc.obj.get(field))}
    if ref.key not in keys:
        return f"key {ref.key!r} of {ref.kind} {ref.name!r}, which has no such key"
    return None


def _source(path: FieldPath, kind: str, value: object, name_field: str) -> Reference | None:
    source = as_map(value)
    name = as_str(source.get(name_field))
    if not name:
        return None
    return Reference((*path, name_field), kind, name, None, source.get("optional") is True)


def _volume_references(pod: PodTemplate) -> Iterator[Reference]:
    for path, volume in maps(pod.doc.obj, *pod.spec_path, "volumes"):
        claim = _source(
            (*path, "persistentVolumeClaim"),
            "PersistentVolumeClaim",
            volume.get("persistentVolumeClaim"),
            "claimName",
        )
        if claim:
            yield claim
        for field, kind, name_field in (
            ("configMap", "ConfigMap", "name"),
            ("secret", "Secret", "secretName"),
        ):
            yield from _with_items((*path, field), kind, volume.get(field), name_field)
        for source_path, source in maps(volume, "projected", "sources"):
            for field, kind in (("configMap", "ConfigMap"), ("secret", "Secret")):
                yield from _with_items(
                    (*path, *source_path, field), kind, source.get(field), "name"
                )


def _with_items(path: FieldPath, kind: str, value: object, name_field: str) -> Iterator[Reference]:
    """A ConfigMap or Secret volume source and, when it lists items, each key it needs."""
    ref = _source(path, kind, value, name_field)
    if ref is None:
        return
    yield ref
    for item_path, item in maps(value, "items"):
        key = as_str(item.get("key"))
        if key:
            yield Reference((*path, *item_path, "key"), kind, ref.name, key, ref.optional)


def _env_references(pod: PodTemplate) -> Iterator[Reference]:
    for container in containers(pod):
        for path, source in maps(container.obj, "envFrom"):
            for field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                ref = _source((*container.path, *path, field), kind, source.get(field), "name")
                if ref:
                    yield ref
        for path, var in maps(container.obj, "env"):
            for field, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                selector: Mapping[str, Any] = as_map(get(var, "valueFrom", field))
                name, key = as_str(selector.get("name")), as_str(selector.get("key"))
                if name and key:
                    yield Reference(
                        (*container.path, *path, "valueFrom", field, "name"),
                        kind,
                        name,
                        key,
                        selector.get("optional") is True,
                    )


def _unresolved(
    inventory: Inventory, pod: PodTemplate, references: Iterator[Reference]
) -> Iterator[tuple[Reference, str, bool]]:
    """The required references of ``pod`` that do not resolve, the reason, and whether that
    is certain (the object is there but lacks the key, or the set is declared complete).

    An object that is missing is reported once, not again for each key read from it.
    """
    missing: set[tuple[str, str]] = set()
    for ref in references:
        if ref.optional or (ref.kind, ref.name) in missing:
            continue
        problem = _missing(inventory, pod.namespace, ref)
        absent = inventory.find("", ref.kind, pod.namespace, ref.name) is None
        if problem and absent:
            missing.add((ref.kind, ref.name))
        if problem:
            yield ref, problem, not absent or inventory.is_complete(pod.doc)


def check_volume_sources(inventory: Inventory) -> Iterator[Finding]:
    """``volume-source-missing``."""
    for pod in inventory.pods:
        for ref, problem, certain in _unresolved(inventory, pod, _volume_references(pod)):
            yield VOLUME_SOURCE_MISSING.at(
                pod.doc,
                f"a volume of {pod.name} needs {problem}",
                field_path=ref.path,
                hint=f"render the {ref.kind}, fix the name, or mark the volume optional: true"
                if ref.kind != "PersistentVolumeClaim"
                else "render the PersistentVolumeClaim or fix claimName",
                complete=certain,
            )


def check_env_sources(inventory: Inventory) -> Iterator[Finding]:
    """``env-source-missing``."""
    for pod in inventory.pods:
        for ref, problem, certain in _unresolved(inventory, pod, _env_references(pod)):
            yield ENV_SOURCE_MISSING.at(
                pod.doc,
                f"the environment of {pod.name} needs {problem}",
                field_path=ref.path,
                hint=f"render the {ref.kind}, fix the name or key, or mark it optional: true",
                complete=certain,
            )


def check_service_accounts(inventory: Inventory) -> Iterator[Finding]:
    """``service-account-missing``."""
    for pod in inventory.pods:
        for field in ("serviceAccountName", "serviceAccount"):
            name = as_str(pod.spec.get(field))
            if not name or name == "default":
                continue
            if inventory.find("", "ServiceAccount", pod.namespace, name) is None:
                yield SERVICE_ACCOUNT_MISSING.at(
                    pod.doc,
                    f"{pod.name} runs as ServiceAccount {name!r}, which is not rendered in "
                    f"namespace {pod.namespace or '(unset)'}",
                    field_path=(*pod.spec_path, field),
                    hint="render the ServiceAccount or remove the field to use default",
                    complete=inventory.is_complete(pod.doc),
                )
            break


CHECKS: tuple[Check, ...] = (check_volume_sources, check_env_sources, check_service_accounts)
