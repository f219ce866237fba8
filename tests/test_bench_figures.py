"""docs/benchmarks.md's fleet figures are generated from bench/results.json (bench/figures.py)."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import figures


def _fleet(size: int, ours: float, helm: float, **extra: Any) -> dict[str, Any]:
    return {
        "environments": size,
        "files": size * 12,
        "runs": 5,
        "seconds": {"ours_render": ours, "helm_render": helm},
        "min_seconds": {"ours_render": ours - 0.1, "helm_render": helm - 0.1},
        "ratios": {"ours_render/helm_render": round(ours / helm, 3)},
        "peers_equivalent": True,
        **extra,
    }


def test_the_document_shows_the_committed_results() -> None:
    # Given the committed results and document
    results = json.loads(figures.RESULTS.read_text(encoding="utf-8"))
    document = figures.DOCUMENT.read_text(encoding="utf-8")
    # Then the document's figures are what the results generate
    assert document == figures.document_with_figures(document, results), (
        "docs/benchmarks.md is stale: run `.venv/bin/python bench/figures.py`"
    )


def test_the_figures_name_machine_date_tools_and_runs() -> None:
    # Given results with their machine, date and tools
    results = {
        "date": "2026-11-25",
        "machine": {"cpu": "AMD EPYC", "cores": 2, "memory_gib": 23.5, "kernel": "6.18",
                    "python": "3.11.7"},
        "load_average_1min_before": 0.69,
        "tools": {"helm": "helm.sh/helm/v3 v3.22.0"},
        "fleets": [_fleet(3, 1.0, 0.14)],
    }  # fmt: skip
    # When the figures are generated
    text = figures.figures(results)
    # Then the first line says where, when, with what, and how often
    assert text.splitlines()[0] == (
        "Measured on 2026-11-25 on AMD EPYC, 2 cores, 23.5 GiB, Linux 6.18, Python 3.11.7 "
        "(load average 0.69 at the start), with helm.sh/helm/v3 v3.22.0: wall seconds, "
        "median (min) of 5 runs per measure."
    )


def test_a_measure_the_generator_does_not_know_gets_its_own_column() -> None:
    # Given a second helper's new measure and ratio, present in one fleet only
    small = _fleet(3, 1.0, 0.14)
    large = _fleet(100, 4.36, 5.66)
    large["seconds"]["ours_graph"] = 0.5
    large["ratios"]["ours_graph/ours_render"] = 0.115
    # When the table is generated
    header, _rule, first, second = figures.table([small, large]).splitlines()
    # Then the new measure and ratio are columns under their own names, blank where missing
    assert header.endswith("| ours_render | helm_render | ours_graph | ours/helm "
                           "| ours_graph/ours_render |")  # fmt: skip
    assert first == "| 3 | 36 | 1.00 (0.90) | 0.14 (0.04) | - | 7.14 | - |"
    assert second == "| 100 | 1200 | 4.36 (4.26) | 5.66 (5.56) | 0.50 | 0.77 | 0.12 |"


def test_an_unknown_top_level_entry_is_listed_rather_than_dropped() -> None:
    results = {"fleets": [_fleet(3, 1.0, 0.14)], "validate_startup": {"fast_path": 0.1234}}
    assert "- `validate_startup.fast_path`: 0.1234" in figures.figures(results)


def test_what_one_more_environment_costs_and_where_ratios_cross_one() -> None:
    # Given three fleets where we overtake Helm from 100 environments on
    fleets = [_fleet(3, 1.0, 0.14), _fleet(100, 4.36, 5.66), _fleet(300, 9.36, 15.66)]
    # When the figures are generated
    text = figures.figures({"fleets": fleets})
    # Then the slope between the two largest fleets and the crossover are stated
    assert (
        "One more environment, between the fleets of 100 and 300 (medians): "
        "`ours_render` 25.0 ms, `helm_render` 50.0 ms."
    ) in text
    assert "`ours/helm` from 100 environments on (0.77 at 100, 0.60 at 300)" in text
    assert "Peers: all 403 environments (3 + 100 + 300) render the same objects as ours." in text


def test_a_ratio_that_never_drops_below_one_says_so() -> None:
    fleets = [_fleet(3, 1.0, 0.5), _fleet(30, 2.0, 1.5)]
    assert "`ours/helm` at no size (1.33-2.00)" in figures.figures({"fleets": fleets})


def test_a_document_without_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="markers"):
        figures.document_with_figures("# Benchmarks\n", {"fleets": []})
