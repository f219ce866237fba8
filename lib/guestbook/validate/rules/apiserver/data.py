"""ConfigMap and Secret data: keys and base64 values."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator

from guestbook.validate.model import Finding
from guestbook.validate.rules.inventory import Check, Inventory
from guestbook.validate.rules.kube import as_map, get
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
RULES = (DATA_KEY, SECRET_BASE64)

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


def check_base64(inventory: Inventory) -> Iterator[Finding]:
    """``secret-base64``."""
    for doc in inventory.of_kind("Secret", ""):
        for key, value in as_map(get(doc.obj, "data")).items():
            if not isinstance(value, str):
                continue
            try:  # like the API server (Go), ignore line breaks
                base64.b64decode(value.replace("\n", "").replace("\r", ""), validate=True)
            except (binascii.Error, ValueError):
                yield SECRET_BASE64.at(
                    doc,
                    f"Secret data {key!r} is not valid base64",
                    field_path=("data", str(key)),
                    hint="base64-encode values under data, or put plain text under stringData",
                )


CHECKS: tuple[Check, ...] = (check_keys, check_base64)
