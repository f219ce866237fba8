"""The README's table of overlay keys is generated from the props models."""

from __future__ import annotations

from pathlib import Path

import pytest

from guestbook.markdown import replace_between
from guestbook.overlay_table import BEGIN, END, TABLES, current_table, markdown
from tests.conftest import ROOT


@pytest.mark.parametrize(("document", "begin", "end", "under"), TABLES)
def test_the_documents_list_every_overlay_key_as_the_models_define_them(
    document: Path, begin: str, end: str, under: str | None
) -> None:
    # Given a committed document with a generated table, Then it is the one the models generate
    text = (ROOT / document).read_text(encoding="utf-8")
    assert text == replace_between(text, begin, end, current_table(under)), (
        f"{document}: overlay keys are stale: run `make synth`"
    )


def test_the_collector_table_holds_only_its_keys_in_full() -> None:
    # Given the log collector's table, Then every row is a key under logging.collector
    rows = current_table("logging.collector.").splitlines()[2:]
    assert rows and all(row.startswith("| `logging.collector.") for row in rows)
    assert any(row.startswith("| `logging.collector.host` |") for row in rows)


def test_a_nested_key_shows_the_default_its_parent_gives_it() -> None:
    # Given a model whose nested object has its own defaults, overridden by the parent's
    schema = {
        "properties": {
            "requests": {
                "$ref": "#/$defs/Amounts",
                "default": {"cpu": "100m"},
                "description": "What is asked for.",
            }
        },
        "$defs": {
            "Amounts": {
                "properties": {
                    "cpu": {"default": None, "description": "CPU. Default: unset."},
                    "memory": {"default": None, "description": "Memory | RAM. Default: unset."},
                }
            }
        },
    }
    # When the table is generated
    rows = markdown(schema).splitlines()[2:]
    # Then each leaf is a row with the parent's default where it sets one, pipes escaped
    assert rows == [
        '| `requests.cpu` | `"100m"` | CPU |',
        "| `requests.memory` | unset | Memory \\| RAM |",
    ]


def test_a_document_without_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="markers"):
        replace_between("no markers here\n", BEGIN, END, "table\n")


def test_a_container_resources_block_is_one_row_naming_its_leaves() -> None:
    # Given a model whose field is the Resources block (requests and limits of cpu and memory)
    leaf = {"default": None, "description": "CPU. Default: unset."}
    schema = {
        "properties": {
            "resources": {
                "$ref": "#/$defs/Resources",
                "description": "Container resources. Default: requests 100m / 100Mi.",
            }
        },
        "$defs": {
            "Resources": {
                "properties": {
                    "limits": {"$ref": "#/$defs/ResourceList"},
                    "requests": {"$ref": "#/$defs/ResourceList"},
                }
            },
            "ResourceList": {"properties": {"cpu": leaf, "memory": leaf}},
        },
    }
    # When the table is generated
    rows = markdown(schema).splitlines()[2:]
    # Then the block is one row: its documented default, and the keys it holds
    assert rows == [
        "| `resources` | requests 100m / 100Mi | Container resources: "
        "`limits.cpu`, `limits.memory`, `requests.cpu`, `requests.memory` |"
    ]
