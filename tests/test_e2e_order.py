"""The end-to-end run's order: the scenario first, so its figures time what they name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from e2e.conftest import pytest_collection_modifyitems


@dataclass
class Item:
    path: Path
    name: str


def test_the_scenario_runs_before_the_checks_that_only_share_its_cluster() -> None:
    # Given collected tests in pytest's default (alphabetical) file order
    items = [
        Item(Path("e2e/test_corpus.py"), "corpus-a"),
        Item(Path("e2e/test_corpus.py"), "corpus-b"),
        Item(Path("e2e/test_sync.py"), "sync-1"),
        Item(Path("e2e/test_sync.py"), "sync-2"),
        Item(Path("e2e/test_validate_server.py"), "server-1"),
    ]
    # When the hook orders them
    pytest_collection_modifyitems(cast(list[Any], items))
    # Then the scenario comes first (its "bootstrap to ..." figures count from the bootstrap,
    # which the shared harness does before the first test), each file's order kept
    assert [i.name for i in items] == ["sync-1", "sync-2", "corpus-a", "corpus-b", "server-1"]
