"""Pod volumes and the containers' mounts of them."""

from __future__ import annotations

from collections.abc import Iterator

from guestbook.manifests.fields import as_str, get, is_kind, maps
from guestbook.manifests.inventory import Check, Inventory, PodTemplate
from guestbook.manifests.podspec import containers
from guestbook.names import dns1123_label_error
from guestbook.validate.model import Finding
from guestbook.validate.rules.registry import Layer, error

VOLUME_NAME = error(
    "volume-name", Layer.API_SERVER, "volume name missing, not a DNS-1123 label, or not unique"
)
VOLUME_SOURCE = error("volume-source", Layer.API_SERVER, "a volume with more than one source type")
VOLUME_MOUNT_UNKNOWN_VOLUME = error(
    "volume-mount-unknown-volume",
    Layer.API_SERVER,
    "volumeMount or volumeDevice names a volume the pod does not have",
)
MOUNT_PATH = error(
    "mount-path",
    Layer.API_SERVER,
    "mountPath empty or used twice in one container; subPath absolute or containing '..'",
)
RULES = (VOLUME_NAME, VOLUME_SOURCE, VOLUME_MOUNT_UNKNOWN_VOLUME, MOUNT_PATH)


def volume_names(pod: PodTemplate) -> set[str]:
    """Names a container may mount: the pod's volumes and a StatefulSet's claim templates."""
    names = {
        name
        for _, volume in maps(pod.doc.obj, *pod.spec_path, "volumes")
        if (name := as_str(volume.get("name")))
    }
    if is_kind(pod.doc, "StatefulSet", "apps"):
        names |= {
            name
            for _, claim in maps(pod.doc.obj, "spec", "volumeClaimTemplates")
            if (name := as_str(get(claim, "metadata", "name")))
        }
    return names


def check_volumes(inventory: Inventory) -> Iterator[Finding]:
    """``volume-name`` and ``volume-source``."""
    for pod in inventory.pods:
        seen: set[str] = set()
        for path, volume in maps(pod.doc.obj, *pod.spec_path, "volumes"):
            name = as_str(volume.get("name"))
            problem = _volume_name_problem(name, seen)
            if problem:
                yield VOLUME_NAME.at(
                    pod.doc,
                    f"volume #{path[-1]} of {pod.name} {problem}",
                    field_path=(*path, "name"),
                    hint="name each volume with a unique DNS-1123 label",
                )
            if name:
                seen.add(name)
            sources = sorted(str(k) for k, v in volume.items() if k != "name" and v is not None)
            if len(sources) > 1:
                yield VOLUME_SOURCE.at(
                    pod.doc,
                    f"volume {name or path[-1]!r} has several sources: {', '.join(sources)}",
                    field_path=(*path, sources[1]),
                    hint="give each volume exactly one source; use a projected volume to combine",
                )


def _volume_name_problem(name: str | None, seen: set[str]) -> str | None:
    if not name:
        return "has no name"
    if name in seen:
        return f"name {name!r} is used twice"
    problem = dns1123_label_error(name)
    return f"name {name!r} {problem}" if problem else None


def check_mounts(inventory: Inventory) -> Iterator[Finding]:
    """``volume-mount-unknown-volume`` and ``mount-path``."""
    for pod in inventory.pods:
        available = volume_names(pod)
        for container in containers(pod):
            paths: set[str] = set()
            for field in ("volumeMounts", "volumeDevices"):
                for path, mount in maps(container.obj, field):
                    where = (*container.path, *path)
                    name = as_str(mount.get("name"))
                    if name is not None and name not in available:
                        yield VOLUME_MOUNT_UNKNOWN_VOLUME.at(
                            pod.doc,
                            f"{container.label} mounts volume {name!r}, which {pod.name} "
                            "does not define",
                            field_path=(*where, "name"),
                            hint="add the volume to the pod's volumes or fix the name",
                        )
                    if field == "volumeMounts":
                        problem = _mount_path_problem(mount.get("mountPath"), paths)
                        sub_path = as_str(mount.get("subPath")) or ""
                        if not problem and (
                            sub_path.startswith("/") or ".." in sub_path.split("/")
                        ):
                            problem = f"subPath {sub_path!r} must be relative without '..'"
                        if problem:
                            yield MOUNT_PATH.at(
                                pod.doc,
                                f"{container.label}: {problem}",
                                field_path=(*where, "mountPath"),
                                hint="mount each path once per container; keep subPath inside "
                                "the volume",
                            )


def _mount_path_problem(value: object, seen: set[str]) -> str | None:
    mount_path = as_str(value)
    if not mount_path:
        return "a volumeMount has no mountPath"
    if mount_path in seen:
        return f"mountPath {mount_path!r} is mounted twice"
    seen.add(mount_path)
    return None


CHECKS: tuple[Check, ...] = (check_volumes, check_mounts)
