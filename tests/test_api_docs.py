"""docs/api/, the API reference, is what `make docs` generates from the current docstrings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, read_tree

pytest.importorskip("pdoc", reason="pdoc comes with the dev extra (make setup)")


def test_the_committed_api_reference_equals_a_fresh_generation(tmp_path: Path) -> None:
    # When the reference is generated from the current code (twice: it is deterministic)
    for run in ("first", "second"):
        subprocess.run(
            [sys.executable, str(ROOT / ".ci" / "api_docs.py"), str(tmp_path / run)],
            check=True,
            capture_output=True,
            timeout=120,
        )
    # Then both runs and the committed pages are byte for byte the same (run `make docs`)
    assert read_tree(tmp_path / "first") == read_tree(tmp_path / "second")
    assert read_tree(tmp_path / "first") == read_tree(ROOT / "docs" / "api")
