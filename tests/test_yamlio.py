"""construct_with_lines: the one-pass reader gives what PyYAML plus field_lines give."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from guestbook.yamlio import UniqueKeyLoader, construct_with_lines, field_lines, to_yaml

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=8),
    st.sampled_from(["yes", "0x1f", "1e3", "2001-12-14", "~", "100m", "'q'", "- x"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


def outcome(text: str, read: Any) -> Any:
    loader = UniqueKeyLoader(text)
    try:
        return read(loader, loader.get_single_node())
    except yaml.YAMLError as err:
        return type(err), str(err)
    finally:
        loader.dispose()


def both(text: str) -> tuple[Any, Any]:
    """What PyYAML plus field_lines give, and what construct_with_lines gives."""
    expected = outcome(
        text, lambda loader, node: (loader.construct_document(node), field_lines(node))
    )
    return expected, outcome(text, construct_with_lines)


@settings(max_examples=200, deadline=None)
@given(values, st.booleans())
def test_same_objects_and_lines_as_pyyaml(value: Any, flow: bool) -> None:
    text = yaml.safe_dump({"root": value}, default_flow_style=flow)
    expected, actual = both(text)
    assert actual == expected


@pytest.mark.parametrize(
    "text",
    [
        "base: &b {x: 1}\nmerged: {<<: *b, y: 2}\n",  # merge key (refused, both ways)
        "1: one\n2.5: yes\n",  # keys that are not strings
        "1: one\ntrue: yes\n",  # keys equal in Python (refused, both ways)
        "a: !!set {x, y}\n",  # tagged collection
        "a: &s {q: 1}\nb: *s\n",  # shared alias
    ],
)
def test_unusual_documents_fall_back_to_the_same_result(text: str) -> None:
    expected, actual = both(text)
    assert actual == expected


def test_duplicate_keys_are_refused_with_the_first_line() -> None:
    loader = UniqueKeyLoader("a: 1\nb: 2\na: 3\n")
    with pytest.raises(
        yaml.constructor.ConstructorError, match=r"duplicate key 'a' \(first on line 1\)"
    ):
        construct_with_lines(loader, loader.get_single_node())


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_written_strings_read_back_exactly(text: str) -> None:
    document = {"kind": "ConfigMap", "data": {"file": text}}
    assert yaml.safe_load(to_yaml(document)) == document


def test_multi_line_strings_are_written_as_literal_blocks() -> None:
    config = '{\n  "title": "Redis"\n}'
    written = to_yaml({"data": {"dashboard.json": config, "one": "line"}})
    assert written == (
        'data:\n  dashboard.json: |-\n    {\n      "title": "Redis"\n    }\n  one: line\n'
    )


def test_text_a_block_cannot_hold_is_quoted() -> None:
    written = to_yaml({"data": {"f": "trailing space \nnext"}})
    assert written == 'data:\n  f: "trailing space \\nnext"\n'
