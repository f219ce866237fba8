"""Safe reading of parsed Kubernetes objects.

Rules run on anything a user may write, including objects the schema layer
already rejected, so every accessor tolerates missing fields and wrong types:
a rule that cannot read a field skips it (the schema layer reports it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from guestbook.manifests.api_groups import group_of
from guestbook.validate.model import Document, FieldPath


def is_kind(doc: Document, kind: str, *groups: str) -> bool:
    """Whether ``doc`` is ``kind`` from one of ``groups`` (custom kinds of that name are not)."""
    return doc.ref.kind == kind and group_of(doc.api_version) in groups


def get(obj: object, *path: str | int) -> Any:
    """The value at ``path`` inside nested mappings and lists, or None."""
    current: Any = obj
    for step in path:
        # Parsed YAML is plain dicts and lists: check those first, the ABC only after.
        if isinstance(step, str):
            if type(current) is dict or isinstance(current, Mapping):
                current = current.get(step)
                continue
            return None
        if type(current) is list and -len(current) <= step < len(current):
            current = current[step]
        else:
            return None
    return current


def as_map(value: object) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one."""
    return value if type(value) is dict or isinstance(value, Mapping) else {}


def as_list(value: object) -> Sequence[Any]:
    """``value`` if it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def as_int(value: object) -> int | None:
    """``value`` if it is an integer (YAML booleans are not), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_str(value: object) -> str | None:
    """``value`` if it is a string, else None."""
    return value if isinstance(value, str) else None


def str_map(value: object) -> dict[str, str]:
    """The string-to-string entries of a mapping (labels, selectors); others are left out."""
    return {k: v for k, v in as_map(value).items() if isinstance(k, str) and isinstance(v, str)}


def items(obj: object, *path: str | int) -> list[tuple[FieldPath, Any]]:
    """Each item of the list at ``path`` with its own path."""
    return [((*path, index), item) for index, item in enumerate(as_list(get(obj, *path)))]


def dotted(path: FieldPath) -> str:
    """A field path as people write it: ``spec.ports[1].name``."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


def maps(obj: object, *path: str | int) -> list[tuple[FieldPath, Mapping[str, Any]]]:
    """Each mapping item of the list at ``path`` with its own path (other items are skipped)."""
    return [(p, item) for p, item in items(obj, *path) if isinstance(item, Mapping)]
