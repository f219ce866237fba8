"""YAML reading that is strict about duplicate keys and remembers where each field is."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    _SafeLoader = yaml.SafeLoader
else:
    # libyaml's parser (in PyYAML's wheels) reads manifests about ten times faster;
    # the constructor stays PyYAML's, so the results are the same.
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class UniqueKeyLoader(_SafeLoader):
    """A safe YAML loader that rejects duplicate keys instead of keeping the last one."""


def duplicate_key_error(
    key: object, first_line: int, key_node: yaml.Node
) -> yaml.constructor.ConstructorError:
    """The error for a key seen before in the same mapping (``first_line`` is 0-based)."""
    return yaml.constructor.ConstructorError(
        None, None, f"duplicate key {key!r} (first on line {first_line + 1})", key_node.start_mark
    )


def _construct_unique_mapping(
    loader: UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            # A complex key (``? [a]``): PyYAML's own error, before the duplicate check trips on it.
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                "found unhashable key",
                key_node.start_mark,
            ) from None
        if key in seen:
            raise duplicate_key_error(key, seen[key], key_node)
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_unique_mapping,
)


def field_lines(node: yaml.Node) -> dict[tuple[str | int, ...], int]:
    """Map every field path under ``node`` to its 1-based line (keys by name, items by index)."""
    lines: dict[tuple[str | int, ...], int] = {}
    # Each entry carries the ids of its ancestors: a recursive alias (&a [*a]) stops there.
    stack: list[tuple[tuple[str | int, ...], yaml.Node, frozenset[int]]] = [((), node, frozenset())]
    while stack:
        path, current, above = stack.pop()
        if id(current) in above:
            continue
        above = above | {id(current)}
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                child = (*path, str(key.value))
                lines[child] = key.start_mark.line + 1
                stack.append((child, value, above))
        elif isinstance(current, yaml.SequenceNode):
            for index, value in enumerate(current.value):
                child = (*path, index)
                lines[child] = value.start_mark.line + 1
                stack.append((child, value, above))
    return lines


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"

Lines = dict[tuple[str | int, ...], int]
"""1-based line of each key path a YAML document sets (list items by index)."""


class _UnusualNodeError(Exception):
    """The fast path does not handle this node (merge keys, tagged collections, recursion)."""


def construct_with_lines(loader: UniqueKeyLoader, node: yaml.Node) -> tuple[Any, Lines]:
    """``loader.construct_document(node)`` and ``field_lines(node)`` in one pass.

    The common case (plain mappings, sequences and scalars) is built directly;
    scalars other than strings, and any document with merge keys, tagged
    collections or recursive aliases, go through PyYAML's constructor, so the
    result is always the same as the two calls. Duplicate keys raise the same
    :class:`yaml.constructor.ConstructorError`.
    """
    lines: Lines = {}
    try:
        obj = _build(loader, node, (), lines, set())
    except _UnusualNodeError:
        return loader.construct_document(node), field_lines(node)
    finally:
        loader.constructed_objects = {}
    return obj, lines


def _build(
    loader: UniqueKeyLoader,
    node: yaml.Node,
    path: tuple[str | int, ...],
    lines: Lines,
    active: set[int],
) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return node.value if node.tag == _STR else loader.construct_object(node, deep=True)
    if id(node) in active:
        raise _UnusualNodeError
    active.add(id(node))
    try:
        if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
            items = []
            for index, value in enumerate(node.value):
                child = (*path, index)
                lines[child] = value.start_mark.line + 1
                items.append(_build(loader, value, child, lines, active))
            return items
        if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
            mapping: dict[Any, Any] = {}
            seen: dict[Any, int] = {}
            for key_node, value in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR:
                    raise _UnusualNodeError  # merge keys ("<<"), numbers, complex keys
                key = key_node.value
                if key in seen:
                    raise duplicate_key_error(key, seen[key], key_node)
                seen[key] = key_node.start_mark.line
                child = (*path, key)
                lines[child] = key_node.start_mark.line + 1
                mapping[key] = _build(loader, value, child, lines, active)
            return mapping
        raise _UnusualNodeError
    finally:
        active.discard(id(node))


# --- bounds ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class YamlLimits:
    """How much one hand-written YAML file may hold before it is refused unread."""

    max_bytes: int = 1 << 20
    """File size. Default: 1 MiB."""
    max_depth: int = 64
    """Nesting of mappings and sequences. Default: 64."""
    max_nodes: int = 100_000
    """Values once every alias is expanded (an alias bomb expands to billions). Default: 100000."""
    max_number_length: int = 100
    """Characters of a plain scalar that YAML reads as an integer (Python refuses to convert
    more than 4,300 digits, with a ValueError). Default: 100."""


class YamlLimitError(yaml.MarkedYAMLError):
    """A document beyond :class:`YamlLimits`, marked where the limit was crossed."""


def _mark(event: yaml.Event) -> yaml.Mark | None:
    """The event's start as a PyYAML mark (libyaml's marks carry the same fields)."""
    mark = event.start_mark
    if mark is None:
        return None
    return yaml.Mark("<document>", mark.index, mark.line, mark.column, "", 0)


_INT_TAG = "tag:yaml.org,2002:int"
_RESOLVER = yaml.resolver.Resolver()


def _is_integer(event: yaml.ScalarEvent) -> bool:
    """Whether a scalar with no tag of its own reads as an integer (``0x...`` and ``1:30`` too)."""
    tag = event.tag if event.tag not in (None, "!") else None
    if tag is None and event.implicit[0]:
        tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
    return tag == _INT_TAG


def check_limits(text: str, limits: YamlLimits, loader: type[Any] = _SafeLoader) -> None:
    """Raise :class:`YamlLimitError` if ``text`` nests or expands beyond ``limits``.

    One pass over the parser's events, before anything is built: an alias counts
    as the size of what it names, so expansion is measured without expanding.
    Syntax errors are left to the caller's own parse.
    """
    count = 0
    depth = 0
    sizes: dict[str, int] = {}
    open_collections: list[tuple[str | None, int]] = []
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            count += sizes.get(event.anchor or "", 1)
        elif isinstance(event, yaml.ScalarEvent):
            count += 1
            if event.anchor:
                sizes[event.anchor] = 1
            if len(event.value) > limits.max_number_length and _is_integer(event):
                raise YamlLimitError(
                    problem=f"a number of {len(event.value)} characters; "
                    f"at most {limits.max_number_length} are read",
                    problem_mark=_mark(event),
                )
        elif isinstance(event, yaml.CollectionStartEvent):
            count += 1
            depth += 1
            if depth > limits.max_depth:
                raise YamlLimitError(
                    problem=f"nested deeper than {limits.max_depth} levels",
                    problem_mark=_mark(event),
                )
            open_collections.append((event.anchor, count))
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            anchor, start = open_collections.pop()
            if anchor:
                sizes[anchor] = count - start + 1
        if count > limits.max_nodes:
            raise YamlLimitError(
                problem=f"expands to more than {limits.max_nodes} values "
                "(aliases included); write the values out or split the file",
                problem_mark=_mark(event),
            )


# --- writing -----------------------------------------------------------------------------

# libyaml's emitter writes the same bytes as PyYAML's pure-Python one, five times faster.
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _ManifestDumper(_Dumper):  # type: ignore[misc]
    """Block-style YAML without anchors, in the key order the objects were built with."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: Any, data: str) -> Any:
    """Multi-line strings as literal blocks (``|``), so dist/ and diffs show them line by line.

    The emitter falls back to a quoted scalar where a block cannot hold the text exactly
    (trailing spaces, some control characters), so the value read back is always the same.
    """
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_ManifestDumper.add_representer(str, _represent_str)


def to_yaml(manifest: Mapping[str, Any]) -> str:
    """One manifest as a YAML document, as dist/ holds it (and the diff shows it)."""
    return yaml.dump(
        dict(manifest),
        Dumper=_ManifestDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1_000_000,
    )
