"""Kubernetes name and label syntax, as the API server checks it.

Shared by the config loader (to reject bad overlays early) and the validation
rules (to catch the same mistakes in any manifest).
"""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

# Each check is a pure function of one string, and a fleet repeats the same few
# hundred names, keys and quantities thousands of times: the answers are cached.
_cached = lru_cache(maxsize=8192)

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253
LABEL_VALUE_MAX = 63

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_IANA_SVC_NAME = re.compile(r"^[-a-z0-9]+$")
IANA_SVC_NAME_MAX = 15
_DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QUANTITY = re.compile(
    r"^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$"
)


@_cached
def dns1123_label_error(value: str) -> str | None:
    """Why ``value`` is not a DNS-1123 label (namespace, Service name), or None."""
    if len(value) > DNS1123_LABEL_MAX:
        return f"must be at most {DNS1123_LABEL_MAX} characters"
    if not _DNS1123_LABEL.match(value):
        return (
            "must be lower-case letters, digits and '-', starting and ending with a letter or digit"
        )
    return None


@_cached
def dns1035_label_error(value: str) -> str | None:
    """Why ``value`` is not a DNS-1035 label (Service names), or None."""
    if len(value) > DNS1123_LABEL_MAX:
        return f"must be at most {DNS1123_LABEL_MAX} characters"
    if not _DNS1035_LABEL.match(value):
        return (
            "must be lower-case letters, digits and '-', "
            "starting with a letter and ending with a letter or digit"
        )
    return None


@_cached
def iana_svc_name_error(value: str) -> str | None:
    """Why ``value`` is not a port name (IANA_SVC_NAME, as for container ports), or None."""
    if len(value) > IANA_SVC_NAME_MAX:
        return f"must be at most {IANA_SVC_NAME_MAX} characters"
    if not _IANA_SVC_NAME.match(value):
        return "must be lower-case letters, digits and '-'"
    if not any(c.isalpha() for c in value):
        return "must contain at least one letter"
    if value.startswith("-") or value.endswith("-") or "--" in value:
        return "must not start or end with '-' or contain '--'"
    return None


@_cached
def dns1123_subdomain_error(value: str) -> str | None:
    """Why ``value`` is not a DNS-1123 subdomain (most object names), or None."""
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        return f"must be at most {DNS1123_SUBDOMAIN_MAX} characters"
    if not _DNS1123_SUBDOMAIN.match(value):
        return (
            "must be lower-case letters, digits, '-' and '.', "
            "starting and ending with a letter or digit"
        )
    return None


@_cached
def qualified_name_error(key: str) -> str | None:
    """Why ``key`` is not a valid label or annotation key (``[prefix/]name``), or None."""
    prefix, _, name = key.rpartition("/")
    if "/" in key and not prefix:
        return "has an empty prefix before '/'"
    if prefix:
        problem = dns1123_subdomain_error(prefix)
        if problem:
            return f"prefix {prefix!r} {problem}"
    if not name:
        return "has an empty name"
    if len(name) > LABEL_VALUE_MAX:
        return f"name part must be at most {LABEL_VALUE_MAX} characters"
    if not _QUALIFIED_NAME.match(name):
        return (
            "name part must be letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit"
        )
    return None


@_cached
def label_value_error(value: str) -> str | None:
    """Why ``value`` is not a valid label value, or None."""
    if len(value) > LABEL_VALUE_MAX:
        return f"must be at most {LABEL_VALUE_MAX} characters"
    if not _LABEL_VALUE.match(value):
        return (
            "must be empty or letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit"
        )
    return None


@_cached
def quantity_error(value: str) -> str | None:
    """Why ``value`` is not a Kubernetes resource quantity (``100m``, ``1Gi``), or None."""
    if not _QUANTITY.match(value):
        return "must be a Kubernetes quantity such as 100m, 0.5, 128Mi or 1Gi"
    return None


_QUANTITY_SUFFIXES: dict[str, Decimal] = {
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}
QUANTITY_MAX = Decimal(2**63 - 1)
"""The largest quantity the API server stores exactly (int64); larger ones are capped."""


@_cached
def quantity_value(value: str) -> Decimal | None:
    """The number a quantity stands for (``100m`` → 0.1, ``1Ki`` → 1024), or None if malformed."""
    if quantity_error(value):
        return None
    # Two-letter suffixes first: "Mi" before "M" or "m".
    for suffix in sorted(_QUANTITY_SUFFIXES, key=len, reverse=True):
        if value.endswith(suffix):
            number, scale = value[: -len(suffix)], _QUANTITY_SUFFIXES[suffix]
            break
    else:
        number, scale = value, Decimal(1)
    try:
        return Decimal(number) * scale
    except InvalidOperation:
        return None


@_cached
def cidr_error(value: str) -> str | None:
    """Why ``value`` is not a CIDR as the API server parses it (host bits allowed), or None."""
    if "/" not in value:
        return "must be a CIDR such as 10.0.0.0/8 or 2001:db8::/32"
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return "must be a CIDR such as 10.0.0.0/8 or 2001:db8::/32"
    return None
