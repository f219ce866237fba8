"""ConfigMap and Secret data (keys, base64 values, total size) and the request size limit."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from guestbook.manifests.fields import as_map, get
from guestbook.manifests.inventory import Check, Inventory
from guestbook.validate.model import Finding
from guestbook.validate.rules.registry import Layer, error

DATA_KEY = error(
    "data-key",
    Layer.API_SERVER,
    "ConfigMap/Secret key not made of letters, digits, '-', '_', '.', or in both data and "
    "binaryData",
)
SECRET_BASE64 = error(
    "secret-base64", Layer.API_SERVER, "Secret data value that is not valid base64"
)
BINARY_DATA_BASE64 = error(
    "binary-data-base64", Layer.API_SERVER, "ConfigMap binaryData value that is not valid base64"
)
DATA_SIZE = error(
    "data-size", Layer.API_SERVER, "ConfigMap or Secret whose data adds up to more than 1 MiB"
)
OBJECT_SIZE = error(
    "object-size", Layer.API_SERVER, "object larger than the API server's 3 MiB request limit"
)
RULES = (DATA_KEY, SECRET_BASE64, BINARY_DATA_BASE64, DATA_SIZE, OBJECT_SIZE)

MAX_DATA_BYTES = 1024 * 1024
"""The API server's limit on a ConfigMap's or Secret's values, added up (MaxSecretSize)."""
MAX_REQUEST_BYTES = 3 * 1024 * 1024
"""The API server's limit on a request body: one object as JSON."""

_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
KEY_MAX = 253
_FIELDS = {"ConfigMap": ("data", "binaryData"), "Secret": ("data", "stringData")}


def _key_problem(key: str) -> str | None:
    if len(key) > KEY_MAX:
        return f"is longer than {KEY_MAX} characters"
    if not _KEY.match(key) or key in (".", ".."):
        return "must be letters, digits, '-', '_' or '.' (and not '.' or '..')"
    return None


def check_keys(inventory: Inventory) -> Iterator[Finding]:
    """``data-key``."""
    for kind, fields in _FIELDS.items():
        for doc in inventory.of_kind(kind, ""):
            seen: set[str] = set()
            for field in fields:
                for key in as_map(doc.obj.get(field)):
                    if not isinstance(key, str):
                        continue
                    problem = _key_problem(key)
                    if problem is None and kind == "ConfigMap" and key in seen:
                        problem = "is in both data and binaryData"
                    seen.add(key)
                    if problem:
                        yield DATA_KEY.at(
                            doc,
                            f"{kind} key {key!r} {problem}",
                            field_path=(field, key),
                            hint="use file-name-like keys, each once",
                        )


def _decoded(value: str) -> bytes | None:
    """``value`` decoded as the API server decodes base64 (Go), or None if it is not base64."""
    try:  # like Go's encoding/json, ignore line breaks
        return base64.b64decode(value.replace("\n", "").replace("\r", ""), validate=True)
    except (binascii.Error, ValueError):
        return None


def check_base64(inventory: Inventory) -> Iterator[Finding]:
    """``secret-base64`` and ``binary-data-base64``."""
    checked = (("Secret", "data", SECRET_BASE64), ("ConfigMap", "binaryData", BINARY_DATA_BASE64))
    for kind, field, rule in checked:
        for doc in inventory.of_kind(kind, ""):
            for key, value in as_map(get(doc.obj, field)).items():
                if isinstance(value, str) and _decoded(value) is None:
                    yield rule.at(
                        doc,
                        f"{kind} {field} {key!r} is not valid base64",
                        field_path=(field, str(key)),
                        hint="base64-encode values under data, or put plain text under stringData"
                        if kind == "Secret"
                        else "base64-encode values under binaryData, or put text under data",
                    )


def _strings(obj: Mapping[str, Any], field: str) -> dict[str, str]:
    return {str(k): v for k, v in as_map(obj.get(field)).items() if isinstance(v, str)}


def _data_bytes(kind: str, obj: Mapping[str, Any]) -> int:
    """The size the API server checks: every value in bytes, base64 decoded."""
    if kind == "Secret":  # stringData is merged into data (and wins) before validation
        values = {k: _decoded(v) or b"" for k, v in _strings(obj, "data").items()}
        values |= {k: v.encode() for k, v in _strings(obj, "stringData").items()}
        return sum(map(len, values.values()))
    text = sum(len(v.encode()) for v in _strings(obj, "data").values())
    return text + sum(len(_decoded(v) or b"") for v in _strings(obj, "binaryData").values())


def check_sizes(inventory: Inventory) -> Iterator[Finding]:
    """``data-size`` and ``object-size``."""
    for kind in ("ConfigMap", "Secret"):
        for doc in inventory.of_kind(kind, ""):
            size = _data_bytes(kind, doc.obj)
            if size > MAX_DATA_BYTES:
                yield DATA_SIZE.at(
                    doc,
                    f"{kind} data adds up to {size} bytes, over the API server's limit of "
                    f"{MAX_DATA_BYTES} (1 MiB)",
                    hint="split it into several objects, or mount the data from elsewhere",
                )
    for doc in inventory.documents:
        size = len(json.dumps(doc.obj, separators=(",", ":"), default=str).encode())
        if size > MAX_REQUEST_BYTES:
            yield OBJECT_SIZE.at(
                doc,
                f"object is {size} bytes as JSON, over the API server's request limit of "
                f"{MAX_REQUEST_BYTES} (3 MiB)",
                hint="split it into several objects",
            )


CHECKS: tuple[Check, ...] = (check_keys, check_base64, check_sizes)
