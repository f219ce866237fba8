"""Containers and their ports inside a pod template."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from guestbook.manifests.fields import as_int, as_list, as_str, maps
from guestbook.manifests.inventory import PodTemplate
from guestbook.validate.model import FieldPath

CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


@dataclass(frozen=True)
class Container:
    """One container of a pod template, with its path inside the workload document."""

    path: FieldPath
    obj: Mapping[str, Any]

    @property
    def name(self) -> str | None:
        """The container's name, if it is a string."""
        return as_str(self.obj.get("name"))

    @property
    def label(self) -> str:
        """How messages call the container."""
        return f"container {self.name!r}" if self.name else f"container #{self.path[-1]}"

    @property
    def image(self) -> str | None:
        """The container's image, if it is a non-empty string."""
        image = as_str(self.obj.get("image"))
        return image.strip() or None if image else None


def containers(pod: PodTemplate, lists: tuple[str, ...] = CONTAINER_LISTS) -> list[Container]:
    """The containers of ``pod`` from the given lists (all of them by default)."""
    found = []
    for list_name in lists:
        for index, item in enumerate(as_list(pod.spec.get(list_name))):
            if isinstance(item, Mapping):
                found.append(Container((*pod.spec_path, list_name, index), item))
    return found


def app_containers(pod: PodTemplate) -> list[Container]:
    """The long-running containers: ``containers`` only (not init or ephemeral)."""
    return containers(pod, ("containers",))


@dataclass(frozen=True)
class ContainerPort:
    """A port a container declares."""

    number: int
    protocol: str
    name: str | None


def declared_ports(pod: PodTemplate) -> list[ContainerPort]:
    """Every well-formed port the pod's app containers declare."""
    ports = []
    for container in app_containers(pod):
        for _, port in maps(container.obj, "ports"):
            number = as_int(port.get("containerPort"))
            if number is not None:
                protocol = as_str(port.get("protocol")) or "TCP"
                ports.append(ContainerPort(number, protocol, as_str(port.get("name"))))
    return ports


def resolve_port(pod: PodTemplate, port: object, protocol: str = "TCP") -> int | None:
    """The number a Service or policy port means on ``pod``: numbers as-is, names looked up.

    None when a name is not declared by the pod (with ``protocol``).
    """
    number = as_int(port)
    if number is not None:
        return number
    name = as_str(port)
    for declared in declared_ports(pod):
        if declared.name == name and declared.protocol == protocol:
            return declared.number
    return None


def exposes(pod: PodTemplate, port: object, protocol: str = "TCP") -> bool:
    """Whether ``pod`` declares ``port`` (a number or a name) with ``protocol``."""
    if as_str(port) is not None:
        return resolve_port(pod, port, protocol) is not None
    number = as_int(port)
    return any(d.number == number and d.protocol == protocol for d in declared_ports(pod))
