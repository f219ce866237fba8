"""Resource quantities (guestbook.manifests.quantity)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from guestbook.manifests.quantity import parse_quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("100m", Decimal("0.1")),
        ("0.5", Decimal("0.5")),
        (2, Decimal(2)),
        ("1Ki", Decimal(1024)),
        ("128Mi", Decimal(128 * 2**20)),
        ("1G", Decimal(10**9)),
        ("1e3", Decimal(1000)),
        ("100MB", None),
        ("1 Gi", None),
        (True, None),
    ],
)
def test_parse_quantity(text: object, value: Decimal | None) -> None:
    assert parse_quantity(text) == value
