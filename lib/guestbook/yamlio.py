"""YAML reading that is strict about duplicate keys and remembers where each field is."""

from __future__ import annotations

from typing import Any

import yaml


class UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that rejects duplicate keys instead of keeping the last one."""


def _construct_unique_mapping(
    loader: UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first on line {seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_unique_mapping,  # type: ignore[arg-type, unused-ignore]
)


def field_lines(node: yaml.Node) -> dict[tuple[str | int, ...], int]:
    """Map every field path under ``node`` to its 1-based line (keys by name, items by index)."""
    lines: dict[tuple[str | int, ...], int] = {}
    stack: list[tuple[tuple[str | int, ...], yaml.Node]] = [((), node)]
    while stack:
        path, current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                child = (*path, str(key.value))
                lines[child] = key.start_mark.line + 1
                stack.append((child, value))
        elif isinstance(current, yaml.SequenceNode):
            for index, value in enumerate(current.value):
                child = (*path, index)
                lines[child] = value.start_mark.line + 1
                stack.append((child, value))
    return lines
