"""Service ports, types and the fields each type allows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from guestbook.manifests.fields import as_int, as_map, as_str, maps
from guestbook.manifests.inventory import Check, Inventory
from guestbook.names import dns1123_label_error, dns1123_subdomain_error
from guestbook.validate.model import Document, FieldPath, Finding
from guestbook.validate.rules.apiserver.containers import (
    PROTOCOLS,
    port_number_error,
    port_ref_error,
)
from guestbook.validate.rules.registry import Layer, error

SERVICE_PORT = error(
    "service-port",
    Layer.API_SERVER,
    "Service port missing or outside 1-65535, or an unknown protocol",
)
TARGET_PORT = error(
    "target-port",
    Layer.API_SERVER,
    "Service targetPort neither a number in 1-65535 nor an IANA port name",
)
NODE_PORT = error(
    "node-port",
    Layer.API_SERVER,
    "nodePort on a Service that is not NodePort/LoadBalancer, outside 30000-32767, repeated, "
    "or taken by another Service",
)
SERVICE_PORT_NAME = error(
    "service-port-name",
    Layer.API_SERVER,
    "Service port names missing when there are several ports, repeated, or not DNS-1123 labels",
)
DUPLICATE_SERVICE_PORT = error(
    "duplicate-service-port", Layer.API_SERVER, "the same Service port and protocol twice"
)
SERVICE_TYPE = error(
    "service-type",
    Layer.API_SERVER,
    "Service fields that contradict its type (clusterIP None with NodePort/LoadBalancer, "
    "ExternalName without externalName, no ports, externalTrafficPolicy on ClusterIP)",
)
RULES = (
    SERVICE_PORT,
    TARGET_PORT,
    NODE_PORT,
    SERVICE_PORT_NAME,
    DUPLICATE_SERVICE_PORT,
    SERVICE_TYPE,
)

TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
NODE_PORT_RANGE = (30000, 32767)
"""The API server's default --service-node-port-range."""


def _ports(doc: Document) -> list[tuple[FieldPath, Mapping[str, Any]]]:
    return maps(doc.obj, "spec", "ports")


def _port_problem(port: Mapping[str, Any]) -> str | None:
    if "port" not in port:
        return "has no port"
    protocol = port.get("protocol", "TCP")
    if protocol not in PROTOCOLS:
        return f"protocol {protocol!r} is not one of {', '.join(PROTOCOLS)}"
    return port_number_error(port.get("port"))


def check_port_values(inventory: Inventory) -> Iterator[Finding]:
    """``service-port`` and ``target-port``."""
    for doc in inventory.of_kind("Service", ""):
        for path, port in _ports(doc):
            problem = _port_problem(port)
            if problem:
                yield SERVICE_PORT.at(
                    doc,
                    f"Service port #{path[-1]} {problem}",
                    field_path=(*path, "port"),
                    hint="use a port in 1-65535 and protocol TCP, UDP or SCTP",
                )
            target_problem = port_ref_error(port.get("targetPort"))
            if target_problem:
                yield TARGET_PORT.at(
                    doc,
                    f"Service port #{path[-1]} targetPort: {target_problem}",
                    field_path=(*path, "targetPort"),
                    hint="target a container port number (1-65535) or a container port name",
                )


def _node_port_problem(
    service_type: object, number: int, protocol: str, seen: set[tuple[int, str]]
) -> str | None:
    low, high = NODE_PORT_RANGE
    if service_type not in ("NodePort", "LoadBalancer"):
        return f"nodePort {number} is set on a {service_type} Service"
    if not low <= number <= high:
        return f"nodePort {number} is outside the default range {low}-{high}"
    if (number, protocol) in seen:
        return f"nodePort {number}/{protocol} is used twice"
    return None


def check_node_ports(inventory: Inventory) -> Iterator[Finding]:
    """``node-port``: per Service, and node ports taken by another Service of the run."""
    taken: dict[int, str] = {}
    for doc in inventory.of_kind("Service", ""):
        service_type = as_map(doc.obj.get("spec")).get("type", "ClusterIP")
        seen: set[tuple[int, str]] = set()
        for path, port in _ports(doc):
            number = as_int(port.get("nodePort"))
            if not number:
                continue
            protocol = str(port.get("protocol", "TCP"))
            problem = _node_port_problem(service_type, number, protocol, seen)
            owner = taken.setdefault(number, str(doc.ref))
            if problem is None and owner != str(doc.ref):
                problem = f"nodePort {number} is already allocated to {owner}"
            seen.add((number, protocol))
            if problem:
                low, high = NODE_PORT_RANGE
                yield NODE_PORT.at(
                    doc,
                    problem,
                    field_path=(*path, "nodePort"),
                    hint="set nodePort only on NodePort/LoadBalancer Services, within "
                    f"{low}-{high} and unique in the cluster, or leave it out to have one assigned",
                )


def check_port_names(inventory: Inventory) -> Iterator[Finding]:
    """``service-port-name`` and ``duplicate-service-port``."""
    for doc in inventory.of_kind("Service", ""):
        ports = _ports(doc)
        names: set[str] = set()
        numbers: set[tuple[int, str]] = set()
        for path, port in ports:
            name = as_str(port.get("name"))
            problem = None
            if not name:
                if len(ports) > 1:
                    problem = f"port #{path[-1]} has no name, but the Service has several ports"
            elif name in names:
                problem = f"port name {name!r} is used twice"
            elif label_problem := dns1123_label_error(name):
                problem = f"port name {name!r} {label_problem}"
            if problem:
                yield SERVICE_PORT_NAME.at(
                    doc,
                    problem,
                    field_path=(*path, "name") if name else path,
                    hint="name every port of a multi-port Service with a unique DNS-1123 label",
                )
            if name:
                names.add(name)
            number = as_int(port.get("port"))
            key = (number or 0, str(port.get("protocol", "TCP")))
            if number is not None and key in numbers:
                yield DUPLICATE_SERVICE_PORT.at(
                    doc,
                    f"port {number}/{key[1]} is declared twice",
                    field_path=(*path, "port"),
                    hint="declare each port and protocol once",
                )
            numbers.add(key)


def _external_name_problem(spec: Mapping[str, Any]) -> tuple[str, str] | None:
    external = as_str(spec.get("externalName"))
    if not external:
        return "type", "type ExternalName needs spec.externalName"
    problem = dns1123_subdomain_error(external.rstrip(".").lower())
    if problem:
        return "externalName", f"externalName {external!r} is not a DNS name: {problem}"
    return None


def _type_problem(spec: Mapping[str, Any], ports: int) -> tuple[str, str] | None:
    service_type = spec.get("type", "ClusterIP")
    if service_type not in TYPES:
        return "type", f"type {service_type!r} is not one of {', '.join(TYPES)}"
    headless = spec.get("clusterIP") == "None"
    if headless and service_type in ("NodePort", "LoadBalancer"):
        return "clusterIP", f"clusterIP None (headless) cannot be combined with type {service_type}"
    if service_type == "ExternalName":
        return _external_name_problem(spec)
    if ports == 0 and not headless:
        return "ports", f"a {service_type} Service needs at least one port"
    if "externalTrafficPolicy" in spec and service_type not in ("NodePort", "LoadBalancer"):
        return "externalTrafficPolicy", (
            f"externalTrafficPolicy is only allowed on NodePort/LoadBalancer, not {service_type}"
        )
    return None


def check_types(inventory: Inventory) -> Iterator[Finding]:
    """``service-type``."""
    for doc in inventory.of_kind("Service", ""):
        problem = _type_problem(as_map(doc.obj.get("spec")), len(_ports(doc)))
        if problem:
            field, message = problem
            yield SERVICE_TYPE.at(
                doc,
                f"Service {message}",
                field_path=("spec", field),
                hint="make the Service's type and its fields agree (see the Service API docs)",
            )


CHECKS: tuple[Check, ...] = (check_port_values, check_node_ports, check_port_names, check_types)
