"""Messages for values a pydantic model rejects: the file, line and key, found and expected."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from guestbook.yamlio import Lines


def describe_type(value: object) -> str:
    """The YAML word for the type of ``value`` (mapping, list, string, ...)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    if value is None:
        return "null"
    return type(value).__name__


_FOUND_MAX = 80
"""Longest value an error message repeats in full."""


def describe_found(value: object) -> str:
    """``value`` as an error message repeats it: shortened, with its type."""
    if isinstance(value, dict | list):
        return f"a {describe_type(value)}"
    shown = repr(value)
    if len(shown) > _FOUND_MAX:
        shown = f"{shown[: _FOUND_MAX - 5]}...{shown[-1]} ({len(str(value))} characters)"
    return f"{shown} ({describe_type(value)})"


_EXPECTED = {
    "int_type": "an integer",
    "bool_type": "true or false",
    "string_type": "a string",
    "dict_type": "a mapping",
    "list_type": "a list",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def line_of(lines: Lines, path: tuple[str | int, ...]) -> int | None:
    """The 1-based line of ``path`` in the overlay, or of its deepest parent it sets."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return min(lines.values(), default=None)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model an annotation holds: itself, or inside ``X | None`` or ``list[X]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _known_keys(model: type[BaseModel], path: tuple[str | int, ...]) -> list[str]:
    current: type[BaseModel] | None = model
    for part in path:
        if current is None:
            return []
        if isinstance(part, int):
            continue  # a list item: the model is the list's
        fields = current.model_fields.items()
        model_field = next((f for n, f in fields if part in (f.alias, n)), None)
        if model_field is None:
            return []
        current = _model_in(model_field.annotation)
    if current is None:
        return []
    return [f.alias or n for n, f in current.model_fields.items()]


def describe_error(error: Mapping[str, Any], model: type[BaseModel]) -> str:
    """What is wrong with one pydantic error of ``model``, in the words of a terminal message."""
    kind = error["type"]
    value = error.get("input")
    loc = tuple(error["loc"])
    if kind == "extra_forbidden":
        known = _known_keys(model, loc[:-1])
        hint = difflib.get_close_matches(str(loc[-1]), known, n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        return f"unknown key {loc[-1]!r}{suggestion}; expected one of: {', '.join(known)}"
    if kind == "missing":
        return "required key is missing"
    if kind in _EXPECTED:
        return f"found {describe_found(value)}, expected {_EXPECTED[kind]}"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"found {describe_found(value)}, expected one of {expected}"
    if kind in ("greater_than_equal", "less_than_equal"):
        ctx = error.get("ctx", {})
        bound = ctx.get("ge", ctx.get("le"))
        word = "at least" if kind == "greater_than_equal" else "at most"
        return f"found {describe_found(value)}, expected {word} {bound}"
    if kind == "too_short":
        return f"found {describe_found(value)}, expected at least one item"
    if kind == "too_long":
        # pydantic stops counting at the limit: the input says how many there are.
        count = len(value) if isinstance(value, dict | list) else "more"
        return f"found {count} entries, expected at most {error.get('ctx', {}).get('max_length')}"
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"found {describe_found(value)}: {message}"


def format_validation_error(
    path: Path, err: ValidationError, lines: Lines, model: type[BaseModel]
) -> str:
    """One ``file:line: key: problem`` line per error of ``model`` read from ``path``."""
    messages = []
    for error in err.errors():
        # Literal unions report one error per choice; keep the first (they say the same).
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
        key = ".".join(str(p) for p in loc) or "(top level)"
        line = line_of(lines, loc)
        where = f"{path}:{line}" if line else str(path)
        messages.append(f"{where}: {key}: {describe_error({**error, 'loc': loc}, model)}")
    return "\n".join(dict.fromkeys(messages))
