"""Compare rendered manifests: pure functions over plain dicts and lists.

Objects are matched by :class:`ObjectKey`, so an object that only moved to
another file is no change. Inside an object, mappings are compared key by
key; lists that Kubernetes merges by a key (containers, env, ports, volumes,
...) are matched by that key, so reordering them is no change; other lists of
objects are aligned by content like lines in ``diff`` (an inserted item is one
addition), and lists of scalars are compared as a whole.

Secrets are masked before anything is compared: each value under ``data`` and
``stringData`` becomes a placeholder, so neither the field changes nor the
unified diff can carry a value, yet an added, removed or changed key shows.
"""

from __future__ import annotations

import copy
import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from guestbook.diff.model import (
    EnvironmentDiff,
    FieldChange,
    FieldPath,
    ItemKey,
    Manifest,
    ObjectDiff,
    ObjectKey,
    Op,
    Scalar,
    Status,
)
from guestbook.errors import GuestbookError
from guestbook.yamlio import to_yaml

MERGE_KEYS: Mapping[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "env": ("name",),
    # Named ports by name; unnamed container ports by containerPort, Service ports by port.
    "ports": ("name", "containerPort", "port"),
    "volumes": ("name",),
    # Kubernetes merges mounts by mountPath: one volume may be mounted at several paths.
    "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",),
    "imagePullSecrets": ("name",),
}
"""List field name → the item fields that identify an item, tried in order.

A key is used only when every item on both sides has it with a scalar value,
unique within its list; otherwise the list is aligned by content (see :func:`_diff_aligned`).
"""

MAX_ALIGNMENT_CELLS = 1_000_000
"""Bound on the work of aligning a list without a key: base items times head items
(after their common head and tail). Above it, the items are paired by position."""

ORDERED_LISTS = frozenset({"initContainers"})
"""Keyed lists whose order is behaviour (init containers run one after another)."""

SECRET_FIELDS = ("data", "stringData")
REDACTED = "<redacted>"
REDACTED_CHANGED = "<redacted, changed>"


# --- field-level differ ------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    """Deep equality that keeps YAML types apart (``true`` is not ``1``, ``1`` is not ``1.0``)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)  # NaN equals NaN here, so that diffing a value with itself is empty
    return bool(a == b)


def _tag(value: Scalar) -> tuple[str, Scalar]:
    # dict keys that keep 1, 1.0 and True apart
    return (type(value).__name__, value)


def merge_key(field: str | None, *lists: Sequence[Any]) -> str | None:
    """The item field that identifies items of every list in ``lists``, or None.

    ``field`` is the name of the list in its parent mapping (see :data:`MERGE_KEYS`).
    """
    for candidate in MERGE_KEYS.get(field or "", ()):
        if all(_keyed_by(items, candidate) for items in lists):
            return candidate
    return None


def _keyed_by(items: Sequence[Any], key: str) -> bool:
    seen: set[tuple[str, Scalar]] = set()
    for item in items:
        if not isinstance(item, dict) or key not in item:
            return False
        value = item[key]
        if not isinstance(value, str | int | float | bool) or _tag(value) in seen:
            return False
        if isinstance(value, float) and math.isnan(value):
            return False
        seen.add(_tag(value))
    return True


def diff_values(before: Any, after: Any, path: FieldPath = ()) -> list[FieldChange]:
    """Every field-level change from ``before`` to ``after``; empty when they are the same.

    The changes are ordered so that :func:`apply_changes` can replay them.
    """
    if _same(before, after):
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        return _diff_mappings(before, after, path)
    if isinstance(before, list) and isinstance(after, list):
        field = path[-1] if path and isinstance(path[-1], str) else None
        key = merge_key(field, before, after)
        if key is not None:
            return _diff_keyed(before, after, path, key, ordered=field in ORDERED_LISTS)
        if all(isinstance(item, dict | list) for item in (*before, *after)):
            return _diff_aligned(before, after, path)
    return [FieldChange(Op.CHANGED, path, before, after)]


def _diff_mappings(
    before: dict[str, Any], after: dict[str, Any], path: FieldPath
) -> list[FieldChange]:
    changes: list[FieldChange] = []
    for key, value in before.items():
        if key not in after:
            changes.append(FieldChange(Op.REMOVED, (*path, key), before=value))
        else:
            changes.extend(diff_values(value, after[key], (*path, key)))
    changes.extend(
        FieldChange(Op.ADDED, (*path, key), after=value)
        for key, value in after.items()
        if key not in before
    )
    return changes


def _diff_keyed(
    before: list[Any], after: list[Any], path: FieldPath, key: str, *, ordered: bool
) -> list[FieldChange]:
    old = {_tag(item[key]): item for item in before}
    new = {_tag(item[key]): item for item in after}
    changes: list[FieldChange] = []
    for tag, item in old.items():
        here = (*path, ItemKey(key, tag[1]))
        if tag not in new:
            changes.append(FieldChange(Op.REMOVED, here, before=item))
        else:
            changes.extend(diff_values(item, new[tag], here))
    changes.extend(
        FieldChange(Op.ADDED, (*path, ItemKey(key, tag[1])), after=item)
        for tag, item in new.items()
        if tag not in old
    )
    # Additions land at the end, so compare the resulting order with head's.
    replayed = [tag for tag in old if tag in new] + [tag for tag in new if tag not in old]
    if ordered and replayed != list(new):
        changes.append(
            FieldChange(
                Op.REORDERED,
                path,
                before=tuple(ItemKey(key, tag[1]) for tag in replayed),
                after=tuple(ItemKey(key, tag[1]) for tag in new),
            )
        )
    return changes


def _diff_aligned(before: list[Any], after: list[Any], path: FieldPath) -> list[FieldChange]:
    """Items matched by content, like ``diff`` matches lines; the rest by place in between.

    Equal items are aligned by a longest common subsequence, so an item inserted
    or removed in the middle is one addition or removal. Between two aligned
    items, the unmatched ones are paired by position (their fields compared),
    and the surplus is removed or added.
    """
    pairs: list[tuple[int, int]] = []
    removed: list[int] = []
    added: list[int] = []
    i = j = 0
    for next_i, next_j in [*_common_items(before, after), (len(before), len(after))]:
        gap = min(next_i - i, next_j - j)
        pairs.extend((i + k, j + k) for k in range(gap))
        removed.extend(range(i + gap, next_i))
        added.extend(range(j + gap, next_j))
        i, j = next_i + 1, next_j + 1
    changes: list[FieldChange] = []
    # Replayed in this order, each index is still valid: changes and removals at base's
    # indexes (removals from the end backwards), then additions at head's.
    for old, new in pairs:
        changes.extend(diff_values(before[old], after[new], (*path, old)))
    changes.extend(
        FieldChange(Op.REMOVED, (*path, index), before=before[index]) for index in reversed(removed)
    )
    changes.extend(FieldChange(Op.ADDED, (*path, index), after=after[index]) for index in added)
    return changes


def _common_items(before: list[Any], after: list[Any]) -> list[tuple[int, int]]:
    """Index pairs of a longest common subsequence of equal items, in order."""
    a = [_fingerprint(item) for item in before]
    b = [_fingerprint(item) for item in after]
    # The common head and tail need no search.
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    middle_a, middle_b = a[head : len(a) - tail], b[head : len(b) - tail]
    if len(middle_a) * len(middle_b) > MAX_ALIGNMENT_CELLS:
        middle: list[tuple[int, int]] = []
    else:
        middle = [(x + head, y + head) for x, y in _lcs(middle_a, middle_b)]
    return [
        *((k, k) for k in range(head)),
        *middle,
        *((len(a) - tail + k, len(b) - tail + k) for k in range(tail)),
    ]


def _lcs(a: Sequence[object], b: Sequence[object]) -> list[tuple[int, int]]:
    # lengths[x][y]: the longest common subsequence of a[x:] and b[y:]
    lengths = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for x in range(len(a) - 1, -1, -1):
        for y in range(len(b) - 1, -1, -1):
            lengths[x][y] = (
                lengths[x + 1][y + 1] + 1
                if a[x] == b[y]
                else max(lengths[x + 1][y], lengths[x][y + 1])
            )
    matched: list[tuple[int, int]] = []
    x = y = 0
    while x < len(a) and y < len(b):
        if a[x] == b[y]:
            matched.append((x, y))
            x, y = x + 1, y + 1
        elif lengths[x + 1][y] >= lengths[x][y + 1]:
            x += 1
        else:
            y += 1
    return matched


def _fingerprint(value: Any) -> object:
    """A hashable stand-in for ``value``: equal exactly when :func:`_same` says so."""
    if isinstance(value, dict):
        return ("dict", frozenset((_fingerprint(k), _fingerprint(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", tuple(_fingerprint(item) for item in value))
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, value)


# --- applying changes --------------------------------------------------------


def apply_changes(value: Any, changes: Iterable[FieldChange]) -> Any:
    """Replay ``changes`` (as made by :func:`diff_values`) on a copy of ``value``.

    ``apply_changes(a, diff_values(a, b))`` equals ``b``, except that items of
    keyed lists whose order does not matter (see :data:`ORDERED_LISTS`) may
    come in another order. Redacted changes cannot be applied.
    """
    result = copy.deepcopy(value)
    for change in changes:
        if change.redacted:
            raise ValueError(f"{change.path_text}: a redacted change has no value to apply")
        result = _apply(result, change)
    return result


def _apply(root: Any, change: FieldChange) -> Any:
    if change.op is Op.REORDERED:
        items = _resolve(root, change.path)
        items[:] = [items[_position(items, key)] for key in change.after]
        return root
    if not change.path:
        return copy.deepcopy(change.after)
    parent = _resolve(root, change.path[:-1])
    last = change.path[-1]
    if isinstance(last, ItemKey):
        if change.op is Op.ADDED:
            parent.append(copy.deepcopy(change.after))
        elif change.op is Op.REMOVED:
            del parent[_position(parent, last)]
        else:
            parent[_position(parent, last)] = copy.deepcopy(change.after)
    elif change.op is Op.ADDED and isinstance(parent, list) and isinstance(last, int):
        parent.insert(last, copy.deepcopy(change.after))
    elif change.op is Op.REMOVED:
        del parent[last]
    else:
        parent[last] = copy.deepcopy(change.after)
    return root


def _position(items: list[Any], key: ItemKey) -> int:
    for index, item in enumerate(items):
        if (
            isinstance(item, dict)
            and key.field in item
            and _tag(item[key.field]) == _tag(key.value)
        ):
            return index
    raise KeyError(f"no list item {key}")


def _resolve(root: Any, path: FieldPath) -> Any:
    current = root
    for part in path:
        current = current[_position(current, part)] if isinstance(part, ItemKey) else current[part]
    return current


def canonical(value: Any, field: str | None = None) -> Any:
    """``value`` with keyed lists whose order does not matter sorted by their key.

    Two values with the same canonical form are the same to Kubernetes as far
    as this differ is concerned; ``diff_values`` reports no change between them.
    """
    if isinstance(value, dict):
        return {key: canonical(item, key) for key, item in value.items()}
    if isinstance(value, list):
        items = [canonical(item) for item in value]
        key = merge_key(field, items)
        if key is not None and field not in ORDERED_LISTS:
            items.sort(key=lambda item: _tag(item[key]))
        return items
    return value


# --- Secrets -----------------------------------------------------------------


def is_secret(manifest: Manifest | None) -> bool:
    """Whether ``manifest`` is a Secret, whose data must never be shown."""
    return manifest is not None and manifest.get("kind") == "Secret"


def mask_secrets(
    before: Manifest | None, after: Manifest | None
) -> tuple[Manifest | None, Manifest | None]:
    """Replace Secret values with placeholders that still tell equal from changed.

    Each value becomes :data:`REDACTED`; in ``after``, a value that differs from
    ``before`` becomes :data:`REDACTED_CHANGED`, so the diff shows that it
    changed (and which key) without showing it.
    """
    if not (is_secret(before) or is_secret(after)):
        return before, after
    masked_before = dict(before) if before is not None else None
    masked_after = dict(after) if after is not None else None
    for field in SECRET_FIELDS:
        old = before.get(field) if before is not None else None
        new = after.get(field) if after is not None else None
        if masked_before is not None and field in masked_before:
            masked_before[field] = _mask(old, None)
        if masked_after is not None and field in masked_after:
            masked_after[field] = _mask(new, old)
    return masked_before, masked_after


def _mask(values: Any, reference: Any) -> Any:
    if not isinstance(values, Mapping):
        if values is None:
            return None
        same = reference is not None and _same(values, reference)
        return REDACTED if same or reference is None else REDACTED_CHANGED
    old = reference if isinstance(reference, Mapping) else {}
    return {
        key: REDACTED if key not in old or _same(old[key], value) else REDACTED_CHANGED
        for key, value in values.items()
    }


# --- objects and environments --------------------------------------------------


def unified_diff(
    before: Manifest | None, after: Manifest | None, label: str, context: int = 3
) -> str:
    """A unified diff of two objects' YAML; one side may be missing (added or removed)."""
    # The renderer's own YAML (multi-line strings as literal blocks), so a changed line of a
    # config or a dashboard shows as that line.
    old = to_yaml(before).splitlines(keepends=True) if before is not None else []
    new = to_yaml(after).splitlines(keepends=True) if after is not None else []
    lines = difflib.unified_diff(old, new, f"base/{label}", f"head/{label}", n=context)
    return "".join(lines)


def diff_object(
    environment: str, before: Manifest | None, after: Manifest | None
) -> ObjectDiff | None:
    """How one object changed (None when it did not); Secret values are masked first."""
    before, after = mask_secrets(before, after)
    present = after if after is not None else before
    if present is None:
        return None
    key = ObjectKey.of(present)
    label = f"{environment}/{key}"
    api_version = str(present.get("apiVersion") or "")
    if before is None or after is None:
        status = Status.ADDED if before is None else Status.REMOVED
        return ObjectDiff(key, status, api_version, (), unified_diff(before, after, label))
    changes = diff_values(dict(before), dict(after))
    if not changes:
        return None
    secret = is_secret(after)
    changes = [
        FieldChange(c.op, c.path, c.before, c.after, redacted=True)
        if secret and c.path and c.path[0] in SECRET_FIELDS
        else c
        for c in changes
    ]
    return ObjectDiff(
        key, Status.CHANGED, api_version, tuple(changes), unified_diff(before, after, label)
    )


def index_objects(environment: str, manifests: Iterable[Manifest]) -> dict[ObjectKey, Manifest]:
    """Key every object of one environment; two objects with one key are an error."""
    objects: dict[ObjectKey, Manifest] = {}
    for manifest in manifests:
        key = ObjectKey.of(manifest)
        if not key.kind or not key.name:
            raise GuestbookError(
                f"{environment}: an object without kind or metadata.name was rendered"
            )
        if key in objects:
            raise GuestbookError(f"{environment}: {key} is rendered twice")
        objects[key] = manifest
    return objects


def diff_environment(
    name: str, before: Sequence[Manifest] | None, after: Sequence[Manifest] | None
) -> EnvironmentDiff:
    """Compare one environment's objects; a missing side means it was added or removed."""
    old = index_objects(name, before or ())
    new = index_objects(name, after or ())
    objects = [
        diff_object(name, old.get(key), new.get(key))
        for key in sorted(old.keys() | new.keys(), key=lambda k: k.sort_key)
    ]
    found = tuple(obj for obj in objects if obj is not None)
    if before is None:
        status = Status.ADDED
    elif after is None:
        status = Status.REMOVED
    else:
        status = Status.CHANGED if found else Status.UNCHANGED
    return EnvironmentDiff(name, status, found)


def diff_environments(
    base: Mapping[str, Sequence[Manifest]], head: Mapping[str, Sequence[Manifest]]
) -> tuple[EnvironmentDiff, ...]:
    """Compare every environment found on either side, in name order."""
    return tuple(
        diff_environment(name, base.get(name), head.get(name))
        for name in sorted(base.keys() | head.keys())
    )
