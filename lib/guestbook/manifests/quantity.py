"""Resource quantities as numbers, so requests and limits can be compared."""

from __future__ import annotations

from decimal import Decimal

from guestbook.names import quantity_value


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
    return None if text is None else quantity_value(text)
