"""Containers of pod templates: names, images, ports, environment, probes, restart policy."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from guestbook.manifests.fields import as_int, as_str, dotted, get, maps
from guestbook.manifests.inventory import Check, Inventory, PodTemplate
from guestbook.manifests.podspec import Container, app_containers, containers
from guestbook.names import dns1123_label_error, iana_svc_name_error
from guestbook.validate.model import FieldPath, Finding
from guestbook.validate.rules.registry import Layer, error, warning

CONTAINER_NAME = error(
    "container-name", Layer.API_SERVER, "container name missing or not a DNS-1123 label"
)
DUPLICATE_CONTAINER_NAME = error(
    "duplicate-container-name",
    Layer.API_SERVER,
    "two containers of one pod (init, app or ephemeral) share a name",
)
CONTAINER_IMAGE = error("container-image", Layer.API_SERVER, "container without an image")
POD_CONTAINERS = error(
    "pod-containers",
    Layer.API_SERVER,
    "a Pod without a spec, or a pod (or pod template) whose containers list is empty",
)
PORT_NAME = error(
    "port-name",
    Layer.API_SERVER,
    "container port name not an IANA service name (15 characters, a-z0-9-) or not unique",
)
CONTAINER_PORT_RANGE = error(
    "container-port-range",
    Layer.API_SERVER,
    "containerPort missing or outside 1-65535, hostPort outside 0-65535, protocol unknown",
)
DUPLICATE_CONTAINER_PORT = warning(
    "duplicate-container-port",
    Layer.API_SERVER,
    "the same containerPort and protocol declared twice in one pod",
    reason="the API server accepts it with a warning; a repeated declaration changes nothing",
    fix="declare each containerPort and protocol once per pod",
)
DUPLICATE_HOST_PORT = error(
    "duplicate-host-port",
    Layer.API_SERVER,
    "the same hostPort and protocol declared twice in one pod",
)
ENV_VAR = error(
    "env-var",
    Layer.API_SERVER,
    "env var name empty or containing '=' or non-printable characters; value and valueFrom both "
    "set; valueFrom without exactly one source",
)
PROBE = error(
    "probe",
    Layer.API_SERVER,
    "probe without exactly one handler, with an invalid port, or a liveness/startup "
    "successThreshold other than 1",
)
RESTART_POLICY = error(
    "restart-policy",
    Layer.API_SERVER,
    "pod restartPolicy not allowed for the workload (Always for controllers, "
    "OnFailure/Never for Jobs)",
)
RULES = (
    CONTAINER_NAME,
    DUPLICATE_CONTAINER_NAME,
    CONTAINER_IMAGE,
    POD_CONTAINERS,
    PORT_NAME,
    CONTAINER_PORT_RANGE,
    DUPLICATE_CONTAINER_PORT,
    DUPLICATE_HOST_PORT,
    ENV_VAR,
    PROBE,
    RESTART_POLICY,
)

PROTOCOLS = ("TCP", "UDP", "SCTP")
MAX_PORT = 65535


def port_number_error(value: object, *, allow_zero: bool = False) -> str | None:
    """Why ``value`` is not a port number (1-65535), or None."""
    number = as_int(value)
    if number is None:
        return None  # not a number: the schema layer's problem
    low = 0 if allow_zero else 1
    if not low <= number <= MAX_PORT:
        return f"port {number} is outside {low}-{MAX_PORT}"
    return None


def port_ref_error(value: object) -> str | None:
    """Why ``value`` is neither a port number nor a port name (IntOrString ports), or None."""
    name = as_str(value)
    if name is not None:
        problem = iana_svc_name_error(name)
        return f"port name {name!r} {problem}" if problem else None
    return port_number_error(value)


def check_container_names(inventory: Inventory) -> Iterator[Finding]:
    """``container-name`` and ``duplicate-container-name``."""
    for pod in inventory.pods:
        seen: set[str] = set()
        for container in containers(pod):
            name = container.name
            if not name:
                yield CONTAINER_NAME.at(
                    pod.doc,
                    f"{container.label} in {pod.name} has no name",
                    field_path=container.path,
                    hint="name every container with a DNS-1123 label",
                )
                continue
            problem = dns1123_label_error(name)
            if problem:
                yield CONTAINER_NAME.at(
                    pod.doc,
                    f"container name {name!r} is not a DNS-1123 label: {problem}",
                    field_path=(*container.path, "name"),
                    hint="use lower-case letters, digits and '-'",
                )
            if name in seen:
                yield DUPLICATE_CONTAINER_NAME.at(
                    pod.doc,
                    f"container name {name!r} is used twice in {pod.name}",
                    field_path=(*container.path, "name"),
                    hint="give each container (init, app and ephemeral) its own name",
                )
            seen.add(name)


def check_images(inventory: Inventory) -> Iterator[Finding]:
    """``container-image``."""
    for pod in inventory.pods:
        for container in containers(pod, ("initContainers", "containers")):
            if container.image is None:
                yield CONTAINER_IMAGE.at(
                    pod.doc,
                    f"{container.label} in {pod.name} has no image",
                    field_path=container.path,
                    hint="set image to a pinned reference such as registry/name:tag",
                )


def check_pod_containers(inventory: Inventory) -> Iterator[Finding]:
    """``pod-containers``: the schema requires ``containers`` but allows it empty, and a Pod
    without ``spec``; the API server requires at least one container."""
    for pod in inventory.pods:
        found = pod.spec.get("containers")
        if isinstance(found, list) and not found:
            yield POD_CONTAINERS.at(
                pod.doc,
                f"{pod.name} has an empty containers list",
                field_path=(*pod.spec_path, "containers"),
                hint="list at least one container with a name and an image",
            )
    for doc in inventory.of_kind("Pod", ""):
        if doc.obj.get("spec") is None:
            yield POD_CONTAINERS.at(
                doc,
                f"Pod/{doc.ref.name} has no spec (and so no containers)",
                hint="give the Pod a spec with at least one container; a file read back from "
                "a cluster keeps its spec",
            )


def _port_range_problem(port: Mapping[str, Any]) -> tuple[str, str] | None:
    if "containerPort" not in port:
        return "containerPort", "has no containerPort"
    for field, allow_zero in (("containerPort", False), ("hostPort", True)):
        problem = port_number_error(port.get(field), allow_zero=allow_zero)
        if problem:
            return field, f"{field} {problem}"
    protocol = port.get("protocol", "TCP")
    if protocol not in PROTOCOLS:
        return "protocol", f"protocol {protocol!r} is not one of {', '.join(PROTOCOLS)}"
    return None


def _port_findings(pod: PodTemplate, container: Container) -> Iterator[Finding]:
    names: set[str] = set()
    for path, port in maps(container.obj, "ports"):
        where: FieldPath = (*container.path, *path)
        name = as_str(port.get("name"))
        if name is not None:
            name_problem = iana_svc_name_error(name)
            if name_problem or name in names:
                yield PORT_NAME.at(
                    pod.doc,
                    f"port name {name!r} of {container.label} "
                    + (name_problem or "is used twice in the container"),
                    field_path=(*where, "name"),
                    hint="name ports with at most 15 lower-case letters, digits and '-', "
                    "unique per container (e.g. http, redis)",
                )
            names.add(name)
        range_problem = _port_range_problem(port)
        if range_problem:
            field, message = range_problem
            yield CONTAINER_PORT_RANGE.at(
                pod.doc,
                f"{dotted(where)} of {container.label}: {message}",
                field_path=(*where, field),
                hint="use ports 1-65535 and protocol TCP, UDP or SCTP",
            )


def check_ports(inventory: Inventory) -> Iterator[Finding]:
    """``port-name``, ``container-port-range``, ``duplicate-container-port`` and ``-host-port``."""
    for pod in inventory.pods:
        seen: dict[tuple[str, int, str], str] = {}
        for container in app_containers(pod):
            yield from _port_findings(pod, container)
            for path, port in maps(container.obj, "ports"):
                protocol = str(port.get("protocol", "TCP"))
                for field, rule in (
                    ("containerPort", DUPLICATE_CONTAINER_PORT),
                    ("hostPort", DUPLICATE_HOST_PORT),
                ):
                    number = as_int(port.get(field))
                    if not number:
                        continue
                    key = (field, number, protocol)
                    if key in seen:
                        yield rule.at(
                            pod.doc,
                            f"{field} {number}/{protocol} of {container.label} is already "
                            f"declared by {seen[key]}",
                            field_path=(*container.path, *path, field),
                            hint="declare each port once per pod; server-side apply and the "
                            "container runtime both need ports to be unique",
                        )
                    else:
                        seen[key] = container.label


def _env_problem(var: Mapping[str, Any]) -> tuple[str, str] | None:
    name = var.get("name")
    if not isinstance(name, str) or not name:
        return "name", "an env var has no name"
    if "=" in name or not all(" " <= c <= "~" for c in name):
        return "name", f"env var name {name!r} contains '=' or non-printable characters"
    value_from = var.get("valueFrom")
    if value_from is not None and var.get("value"):
        return "valueFrom", f"env var {name!r} sets both value and valueFrom"
    if isinstance(value_from, Mapping) and len(value_from) != 1:
        return "valueFrom", (
            f"env var {name!r} needs exactly one valueFrom source, has {len(value_from)}"
        )
    return None


def check_env(inventory: Inventory) -> Iterator[Finding]:
    """``env-var``."""
    for pod in inventory.pods:
        for container in containers(pod):
            for path, var in maps(container.obj, "env"):
                problem = _env_problem(var)
                if problem:
                    field, message = problem
                    yield ENV_VAR.at(
                        pod.doc,
                        f"{message} ({container.label})",
                        field_path=(*container.path, *path, field),
                        hint="name env vars with printable characters other than '=', and give "
                        "each either a value or one valueFrom source",
                    )


HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")


def _probe_problem(kind: str, probe: Mapping[str, Any]) -> tuple[FieldPath, str] | None:
    handlers = [h for h in HANDLERS if probe.get(h) is not None]
    if len(handlers) != 1:
        found = ", ".join(handlers) or "none"
        return (), f"{kind} needs exactly one handler ({', '.join(HANDLERS)}); found {found}"
    handler = handlers[0]
    port = get(probe, handler, "port")
    if handler in ("httpGet", "tcpSocket", "grpc") and port is not None:
        problem = port_number_error(port) if handler == "grpc" else port_ref_error(port)
        if problem:
            return (handler, "port"), f"{kind} {handler}: {problem}"
    threshold = as_int(probe.get("successThreshold"))
    if kind != "readinessProbe" and threshold is not None and threshold != 1:
        return ("successThreshold",), f"{kind} successThreshold must be 1, is {threshold}"
    return None


def check_probes(inventory: Inventory) -> Iterator[Finding]:
    """``probe``."""
    for pod in inventory.pods:
        for container in containers(pod):
            for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
                probe = container.obj.get(kind)
                if not isinstance(probe, Mapping):
                    continue
                problem = _probe_problem(kind, probe)
                if problem:
                    path, message = problem
                    yield PROBE.at(
                        pod.doc,
                        f"{message} ({container.label})",
                        field_path=(*container.path, kind, *path),
                        hint="give each probe one handler with a valid port; liveness and "
                        "startup probes succeed after one success",
                    )


_RESTART_POLICIES = {
    "Pod": ("Always", "OnFailure", "Never"),
    "Job": ("OnFailure", "Never"),
    "CronJob": ("OnFailure", "Never"),
}


def check_restart_policy(inventory: Inventory) -> Iterator[Finding]:
    """``restart-policy``."""
    for pod in inventory.pods:
        allowed = _RESTART_POLICIES.get(pod.kind, ("Always",))
        value = pod.spec.get("restartPolicy")
        if value is None and "Always" in allowed:
            continue
        if value not in allowed:
            shown = "not set (Always)" if value is None else repr(value)
            yield RESTART_POLICY.at(
                pod.doc,
                f"{pod.name} pod restartPolicy is {shown}; a {pod.kind} allows "
                f"{' or '.join(allowed)}",
                field_path=(*pod.spec_path, "restartPolicy"),
                hint=f"set restartPolicy to {allowed[0]}",
            )


CHECKS: tuple[Check, ...] = (
    check_container_names,
    check_images,
    check_pod_containers,
    check_ports,
    check_env,
    check_probes,
    check_restart_policy,
)
