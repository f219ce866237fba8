"""Resource quantities as numbers, so requests and limits can be compared."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache

from guestbook.names import quantity_error

_SUFFIXES: dict[str, Decimal] = {
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


def quantity_text(value: object) -> str | None:
    """A quantity as written: strings as they are, YAML numbers as text; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | str):
        return str(value)
    return None


def parse_quantity(value: object) -> Decimal | None:
    """The value of a quantity (``100m`` → 0.1, ``1Ki`` → 1024), or None if it is malformed."""
    text = quantity_text(value)
    return None if text is None else _parse_text(text)


@lru_cache(maxsize=4096)
def _parse_text(text: str) -> Decimal | None:
    if quantity_error(text):
        return None
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if text.endswith(suffix):
            return _number(text[: -len(suffix)], _SUFFIXES[suffix])
    return _number(text, Decimal(1))


def _number(text: str, scale: Decimal) -> Decimal | None:
    try:
        return Decimal(text) * scale
    except InvalidOperation:
        return None
