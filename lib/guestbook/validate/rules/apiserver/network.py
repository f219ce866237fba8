"""NetworkPolicy syntax the schema does not check: ports, CIDRs, peers, policy types."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from typing import Any

from guestbook.manifests.fields import as_int, as_list, as_str, get, maps
from guestbook.manifests.inventory import Check, Inventory
from guestbook.validate.model import Document, FieldPath, Finding
from guestbook.validate.rules.apiserver.containers import (
    MAX_PORT,
    PROTOCOLS,
    port_ref_error,
)
from guestbook.validate.rules.registry import Layer, error

NETWORK_POLICY_PORT = error(
    "network-policy-port",
    Layer.API_SERVER,
    "NetworkPolicy port outside 1-65535 or not a port name, bad endPort, unknown protocol",
)
NETWORK_POLICY_CIDR = error(
    "network-policy-cidr",
    Layer.API_SERVER,
    "ipBlock cidr or except not a CIDR, or an except not strictly inside the cidr",
)
NETWORK_POLICY_PEER = error(
    "network-policy-peer",
    Layer.API_SERVER,
    "a peer that is empty, or combines ipBlock with a pod or namespace selector",
)
NETWORK_POLICY_TYPES = error(
    "network-policy-types",
    Layer.API_SERVER,
    "policyTypes other than Ingress and Egress, or more than two",
)
RULES = (NETWORK_POLICY_PORT, NETWORK_POLICY_CIDR, NETWORK_POLICY_PEER, NETWORK_POLICY_TYPES)

DIRECTIONS = (("ingress", "from"), ("egress", "to"))
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def policies(inventory: Inventory) -> Iterator[Document]:
    """The NetworkPolicies of a run."""
    return inventory.of_kind("NetworkPolicy", "networking.k8s.io", "extensions")


def rule_paths(doc: Document) -> Iterator[tuple[str, FieldPath, Mapping[str, Any]]]:
    """Each ingress and egress rule: direction, path, rule."""
    for direction, _ in DIRECTIONS:
        for path, rule in maps(doc.obj, "spec", direction):
            yield direction, path, rule


def peer_paths(doc: Document) -> Iterator[tuple[FieldPath, Mapping[str, Any]]]:
    """Each peer of each rule, with its path."""
    for direction, path, _ in rule_paths(doc):
        peers = "from" if direction == "ingress" else "to"
        yield from maps(doc.obj, *path, peers)


def _port_problem(port: Mapping[str, Any]) -> tuple[str, str] | None:
    protocol = port.get("protocol", "TCP")
    if protocol not in PROTOCOLS:
        return "protocol", f"protocol {protocol!r} is not one of {', '.join(PROTOCOLS)}"
    problem = port_ref_error(port.get("port"))
    if problem:
        return "port", problem
    end = as_int(port.get("endPort"))
    if end is None:
        return None
    start = as_int(port.get("port"))
    if start is None:
        return "endPort", "endPort needs a numeric port to start the range"
    if not start <= end <= MAX_PORT:
        return "endPort", f"endPort {end} must be between port {start} and {MAX_PORT}"
    return None


def check_ports(inventory: Inventory) -> Iterator[Finding]:
    """``network-policy-port``."""
    for doc in policies(inventory):
        for _, path, _ in rule_paths(doc):
            for port_path, port in maps(doc.obj, *path, "ports"):
                problem = _port_problem(port)
                if problem:
                    field, message = problem
                    yield NETWORK_POLICY_PORT.at(
                        doc,
                        f"NetworkPolicy port: {message}",
                        field_path=(*port_path, field),
                        hint="use a port in 1-65535 or a container port name, an endPort not "
                        "below port, and protocol TCP, UDP or SCTP",
                    )


def parse_cidr(value: object) -> IPNetwork | None:
    """A CIDR as the API server parses it (host bits allowed), or None."""
    text = as_str(value)
    if text is None or "/" not in text:
        return None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _cidr_problems(block: Mapping[str, Any]) -> Iterator[tuple[FieldPath, str]]:
    cidr = parse_cidr(block.get("cidr"))
    if cidr is None:
        yield ("cidr",), f"cidr {block.get('cidr')!r} is not a CIDR such as 10.0.0.0/8"
        return
    for index, item in enumerate(as_list(block.get("except"))):
        inner = parse_cidr(item)
        if inner is None:
            yield ("except", index), f"except {item!r} is not a CIDR"
        elif inner.version != cidr.version or not inner.subnet_of(cidr) or inner == cidr:  # type: ignore[arg-type]
            yield ("except", index), f"except {item!r} is not strictly inside cidr {cidr}"


def check_cidrs(inventory: Inventory) -> Iterator[Finding]:
    """``network-policy-cidr``."""
    for doc in policies(inventory):
        for path, peer in peer_paths(doc):
            block = peer.get("ipBlock")
            if not isinstance(block, Mapping):
                continue
            for field, message in _cidr_problems(block):
                yield NETWORK_POLICY_CIDR.at(
                    doc,
                    f"ipBlock {message}",
                    field_path=(*path, "ipBlock", *field),
                    hint="write CIDRs as address/prefix; except ranges must lie inside cidr",
                )


def check_peers(inventory: Inventory) -> Iterator[Finding]:
    """``network-policy-peer``."""
    for doc in policies(inventory):
        for path, peer in peer_paths(doc):
            kinds = [k for k in ("podSelector", "namespaceSelector", "ipBlock") if k in peer]
            if not kinds:
                message = "a peer names nothing (podSelector, namespaceSelector or ipBlock)"
            elif "ipBlock" in kinds and len(kinds) > 1:
                message = "a peer combines ipBlock with a selector"
            else:
                continue
            yield NETWORK_POLICY_PEER.at(
                doc,
                message,
                field_path=path,
                hint="write ipBlock peers and selector peers as separate list items",
            )


def check_policy_types(inventory: Inventory) -> Iterator[Finding]:
    """``network-policy-types``."""
    for doc in policies(inventory):
        types = as_list(get(doc.obj, "spec", "policyTypes"))
        for index, value in enumerate(types):
            if value not in ("Ingress", "Egress"):
                yield NETWORK_POLICY_TYPES.at(
                    doc,
                    f"policyType {value!r} is not Ingress or Egress",
                    field_path=("spec", "policyTypes", index),
                    hint="list Ingress, Egress or both",
                )
        if len(types) > len(DIRECTIONS):
            yield NETWORK_POLICY_TYPES.at(
                doc,
                f"policyTypes lists {len(types)} entries; at most Ingress and Egress",
                field_path=("spec", "policyTypes"),
                hint="list Ingress, Egress or both",
            )


CHECKS: tuple[Check, ...] = (check_ports, check_cidrs, check_peers, check_policy_types)
