"""PersistentVolumeClaims, including StatefulSet claim templates and ephemeral volumes."""

from __future__ import annotations

from collections.abc import Iterator

from guestbook.manifests.fields import as_list, get, is_kind, maps
from guestbook.manifests.inventory import Check, Inventory, pod_template
from guestbook.manifests.quantity import parse_quantity
from guestbook.validate.model import Document, FieldPath, Finding
from guestbook.validate.rules.registry import Layer, error

PVC_STORAGE_REQUEST = error(
    "pvc-storage-request",
    Layer.API_SERVER,
    "PersistentVolumeClaim (or claim template) without a positive storage request",
)
PVC_ACCESS_MODES = error(
    "pvc-access-modes",
    Layer.API_SERVER,
    "PersistentVolumeClaim without access modes, with an unknown one, or ReadWriteOncePod "
    "combined with others",
)
RULES = (PVC_STORAGE_REQUEST, PVC_ACCESS_MODES)

ACCESS_MODES = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")


def claim_specs(doc: Document) -> Iterator[FieldPath]:
    """Paths of every PersistentVolumeClaimSpec in ``doc``."""
    if is_kind(doc, "PersistentVolumeClaim", ""):
        yield ("spec",)
    if is_kind(doc, "StatefulSet", "apps"):
        for path, _ in maps(doc.obj, "spec", "volumeClaimTemplates"):
            yield (*path, "spec")
    pod = pod_template(doc)
    if pod is not None:
        for path, volume in maps(doc.obj, *pod.spec_path, "volumes"):
            if get(volume, "ephemeral", "volumeClaimTemplate", "spec") is not None:
                yield (*path, "ephemeral", "volumeClaimTemplate", "spec")


def check_storage_request(inventory: Inventory) -> Iterator[Finding]:
    """``pvc-storage-request``."""
    for doc in inventory.documents:
        for spec in claim_specs(doc):
            path = (*spec, "resources", "requests", "storage")
            value = get(doc.obj, *path)
            if value is None:
                message = "requests no storage (resources.requests.storage)"
            else:
                amount = parse_quantity(value)
                if amount is None or amount > 0:
                    continue  # malformed quantities are resource-quantity's finding
                message = f"requests {value} of storage; it must be more than 0"
            yield PVC_STORAGE_REQUEST.at(
                doc,
                f"claim {message}",
                field_path=path,
                hint="request the size the volume needs, e.g. storage: 1Gi",
            )


def _access_mode_problem(modes: list[object]) -> str | None:
    if not modes:
        return "has no accessModes"
    unknown = [m for m in modes if m not in ACCESS_MODES]
    if unknown:
        return f"has unknown access mode {unknown[0]!r}"
    if "ReadWriteOncePod" in modes and len(set(modes)) > 1:
        return "combines ReadWriteOncePod with other access modes"
    return None


def check_access_modes(inventory: Inventory) -> Iterator[Finding]:
    """``pvc-access-modes``."""
    for doc in inventory.documents:
        for spec in claim_specs(doc):
            problem = _access_mode_problem(list(as_list(get(doc.obj, *spec, "accessModes"))))
            if problem:
                yield PVC_ACCESS_MODES.at(
                    doc,
                    f"claim {problem}",
                    field_path=(*spec, "accessModes"),
                    hint=f"list one or more of {', '.join(ACCESS_MODES)}",
                )


CHECKS: tuple[Check, ...] = (check_storage_request, check_access_modes)
