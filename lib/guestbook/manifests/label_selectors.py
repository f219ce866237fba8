"""Label selectors: their syntax, as the API server checks it, and which labels they match.

Two shapes exist: the map selectors of Services and ReplicationControllers
(every pair must match) and ``LabelSelector`` objects (``matchLabels`` plus
``matchExpressions``). A selector that does not parse is reported by the
``label-selector`` rule; every other rule skips it, so one mistake gives one
finding.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass

from guestbook.manifests.fields import as_list, as_map, as_str
from guestbook.names import label_value_error, qualified_name_error
from guestbook.validate.model import FieldPath

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


@dataclass(frozen=True)
class Requirement:
    """One ``key operator values`` term."""

    key: str
    operator: str
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether ``labels`` satisfy this term."""
        if self.operator == "In":
            return labels.get(self.key) in self.values
        if self.operator == "NotIn":
            return labels.get(self.key) not in self.values
        if self.operator == "Exists":
            return self.key in labels
        return self.key not in labels


@dataclass(frozen=True)
class Selector:
    """A parsed label selector: all requirements must hold. No requirements match everything."""

    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether ``labels`` satisfy every requirement."""
        return all(r.matches(labels) for r in self.requirements)

    @property
    def empty(self) -> bool:
        """Whether the selector has no requirement (and so selects everything)."""
        return not self.requirements

    def pinned_values(self, key: str) -> frozenset[str] | None:
        """The only values ``key`` may take under this selector, or None if it is not pinned."""
        pinned: frozenset[str] | None = None
        for r in self.requirements:
            if r.key == key and r.operator == "In":
                pinned = r.values if pinned is None else pinned & r.values
        return pinned


def _pair_problems(key: object, value: object, path: FieldPath) -> Iterator[tuple[FieldPath, str]]:
    if not isinstance(key, str):
        return
    key_problem = qualified_name_error(key)
    if key_problem:
        yield (*path, key), f"label key {key!r} {key_problem}"
    if isinstance(value, str):
        value_problem = label_value_error(value)
        if value_problem:
            yield (*path, key), f"label value {value!r} (key {key!r}) {value_problem}"


def map_selector_problems(value: object, path: FieldPath) -> Iterator[tuple[FieldPath, str]]:
    """Syntax problems of a map selector (Service, ReplicationController) at ``path``."""
    for key, item in as_map(value).items():
        yield from _pair_problems(key, item, path)


def label_selector_problems(value: object, path: FieldPath) -> Iterator[tuple[FieldPath, str]]:
    """Syntax problems of a ``LabelSelector`` object at ``path``."""
    selector = as_map(value)
    yield from map_selector_problems(selector.get("matchLabels"), (*path, "matchLabels"))
    for index, item in enumerate(as_list(selector.get("matchExpressions"))):
        here: FieldPath = (*path, "matchExpressions", index)
        expression = as_map(item)
        key = as_str(expression.get("key"))
        operator = expression.get("operator")
        values = as_list(expression.get("values"))
        if key is None:
            yield here, "match expression has no key"
        else:
            problem = qualified_name_error(key)
            if problem:
                yield (*here, "key"), f"label key {key!r} {problem}"
        if operator not in OPERATORS:
            yield (
                (*here, "operator"),
                f"operator {operator!r} is not one of {', '.join(OPERATORS)}",
            )
        elif operator in ("In", "NotIn") and not values:
            yield (*here, "operator"), f"operator {operator} needs at least one value"
        elif operator in ("Exists", "DoesNotExist") and values:
            yield (*here, "values"), f"operator {operator} takes no values"
        for v_index, label_value in enumerate(values):
            if isinstance(label_value, str):
                problem = label_value_error(label_value)
                if problem:
                    yield (*here, "values", v_index), f"label value {label_value!r} {problem}"


_PARSED_MAX = 4096
"""Selectors parsed and kept per process: the rules parse each selector several times, and a
fleet repeats the same few."""
_parsed: dict[tuple[object, Hashable], Selector | None] = {}
"""Parsed selectors, by parser and value (one table: the bound is for both parsers)."""


def _frozen(value: object) -> Hashable:
    """``value`` (parsed YAML) as nested tuples, equal exactly when the values are equal."""
    if isinstance(value, Mapping):
        return (dict, tuple((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return (list, tuple(_frozen(v) for v in value))
    return (type(value), value)


def _memo(parse: Callable[[object], Selector | None]) -> Callable[[object], Selector | None]:
    """``parse``, with its result kept for values equal to one it parsed (at most
    :data:`_PARSED_MAX`; then the kept ones are dropped)."""

    def parsed(value: object) -> Selector | None:
        if not isinstance(value, Mapping):
            return None
        try:
            key = (parse, _frozen(value))
            hash(key)
        except TypeError:
            return parse(value)
        if key not in _parsed:
            if len(_parsed) >= _PARSED_MAX:
                _parsed.clear()
            _parsed[key] = parse(value)
        return _parsed[key]

    return parsed


def _parse_map_selector(value: object) -> Selector | None:
    if not isinstance(value, Mapping) or any(map_selector_problems(value, ())):
        return None
    pairs = [(k, v) for k, v in value.items() if isinstance(k, str) and isinstance(v, str)]
    if len(pairs) != len(value):
        return None
    return Selector(tuple(Requirement(k, "In", frozenset({v})) for k, v in pairs))


def _parse_label_selector(value: object) -> Selector | None:
    if not isinstance(value, Mapping) or any(label_selector_problems(value, ())):
        return None
    match_labels = value.get("matchLabels")
    if match_labels is None:
        match_labels = {}
    labels = parse_map_selector(match_labels)
    if labels is None:
        return None
    requirements = list(labels.requirements)
    for item in as_list(value.get("matchExpressions")):
        expression = as_map(item)
        values = as_list(expression.get("values"))
        if not all(isinstance(v, str) for v in values):
            return None
        requirements.append(
            Requirement(str(expression["key"]), str(expression["operator"]), frozenset(values))
        )
    return Selector(tuple(requirements))


parse_map_selector = _memo(_parse_map_selector)
"""A map selector as a :class:`Selector`, or None if it is malformed."""

parse_label_selector = _memo(_parse_label_selector)
"""A ``LabelSelector`` object as a :class:`Selector`, or None if it is malformed."""
