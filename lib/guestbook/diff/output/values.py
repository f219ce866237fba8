"""How writers show one field change on one line: ``spec.replicas: 5 → 12``."""

from __future__ import annotations

import json
from typing import Any

import yaml

from guestbook.diff.model import FieldChange, ItemKey, Op

VALUE_WIDTH = 120
"""Longest value shown on a change line; longer ones end in an ellipsis (the YAML diff has all)."""

SIGNS = {Op.ADDED: "+", Op.REMOVED: "-", Op.CHANGED: "~", Op.REORDERED: "~"}


def format_value(value: Any, width: int = VALUE_WIDTH) -> str:
    """``value`` as one line of YAML flow style, cut to ``width`` characters."""
    text = yaml.safe_dump(
        value, default_flow_style=True, width=1_000_000, allow_unicode=True, sort_keys=False
    )
    text = text.removesuffix("\n").removesuffix("\n...").strip()
    if "\n" in text:  # multi-line strings: JSON escapes keep them on one line
        text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def _keys(keys: Any) -> str:
    return "[" + ", ".join(str(k.value) if isinstance(k, ItemKey) else str(k) for k in keys) + "]"


def describe(change: FieldChange, width: int = VALUE_WIDTH) -> str:
    """One line for ``change``, without its sign; Secret data shows no value."""
    path = change.path_text or "(object)"
    if change.redacted:
        return f"{path}: {change.op.value} (value hidden)"
    if change.op is Op.ADDED:
        return f"{path}: {format_value(change.after, width)}"
    if change.op is Op.REMOVED:
        return f"{path}: {format_value(change.before, width)}"
    if change.op is Op.REORDERED:
        return f"{path}: order {_keys(change.before)} → {_keys(change.after)}"
    return f"{path}: {format_value(change.before, width)} → {format_value(change.after, width)}"
