"""Bounds on what one manifest may cost to read: file size, nesting depth, alias expansion.

A 500-byte YAML "alias bomb" (nine levels of nine aliases) expands to 387 million values;
kubectl and kubeconform refuse it ("excessive aliasing"). These bounds keep reading in
bounded time and memory; what exceeds them is a ``yaml`` finding with file and line.
guestbook-reader (``go-reader/``) applies the same file size bound and leaves aliases
and deep nesting to Python, which checks them here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # read_documents imports PyYAML only when it needs it
    import yaml

MAX_FILE_BYTES = 32 * 1024 * 1024
"""Largest manifest file read (ten times the API server's 3 MiB request limit)."""
MAX_DEPTH = 200
"""Deepest nesting of mappings and lists; no Kubernetes object comes near it."""
MAX_EXPANDED_VALUES = 1_000_000
"""Most values one document may hold once its aliases are expanded."""


@dataclass(frozen=True)
class Excess:
    """Why a document is not read: its 1-based line and the reason."""

    line: int
    message: str
    hint: str


def check_node(root: yaml.Node, *, aliases: bool = True) -> Excess | None:
    """Whether the document ``root`` nests too deep, expands too far or contains itself.

    One pass over the composed nodes, which aliases share: linear in the text,
    whatever the expansion would be. ``aliases=False`` (text without anchors) checks
    the depth only, about twice as fast.
    """
    if not aliases:
        return _check_tree_depth(root)
    values: dict[int, int] = {}  # node id: values once expanded
    depths: dict[int, int] = {}  # node id: levels of collections at and under it
    open_ids: set[int] = set()  # the collections on the path from the root
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        children = _children(node)
        if finished:
            open_ids.discard(key)
            values[key] = 1 + sum(values[id(c)] for c in children)
            depths[key] = 1 + max((depths[id(c)] for c in children), default=0)
            line = node.start_mark.line + 1
            if values[key] > MAX_EXPANDED_VALUES:
                return Excess(
                    line,
                    f"invalid YAML: aliases expand this value to more than "
                    f"{MAX_EXPANDED_VALUES:,} values (excessive aliasing)",
                    "write the values out, or use fewer nested aliases",
                )
            if depths[key] > MAX_DEPTH:
                return _too_deep(line)
            continue
        if key in values:
            continue
        if key in open_ids:
            return Excess(
                node.start_mark.line + 1,
                "invalid YAML: an anchor's value contains an alias to itself",
                "kubectl rejects recursive aliases; write the value out",
            )
        if not children:
            values[key], depths[key] = 1, 0
            continue
        open_ids.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in values)
    return None


def _check_tree_depth(root: yaml.Node) -> Excess | None:
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return _too_deep(node.start_mark.line + 1)
        stack.extend((c, depth + 1) for c in _children(node) if getattr(c, "id", "") != "scalar")
    return None


def _too_deep(line: int) -> Excess:
    return Excess(
        line,
        f"invalid YAML: nested more than {MAX_DEPTH} levels deep",
        "no Kubernetes object nests so deep; flatten it",
    )


def _children(node: yaml.Node) -> list[yaml.Node]:
    kind = getattr(node, "id", "")  # "scalar", "sequence" or "mapping", without importing yaml
    if kind == "sequence":
        return list(node.value)
    if kind == "mapping":
        return [n for pair in node.value for n in pair]
    return []
