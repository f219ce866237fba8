"""Which layer each validator test manifest belongs to (e2e/validation_cases.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e.validation_cases import Folder, collect, layer_of, with_names

LAYERS = {"schema": 1, "yaml": 1, "hpa-replicas": 2, "service-selects-nothing": 3}


@pytest.mark.parametrize(
    ("header", "default", "layer"),
    [
        (["# layer: 4", "# expect: hpa-replicas"], None, 4),  # an explicit layer wins
        (["# expect: hpa-replicas"], None, 2),
        (["# expect: service-selects-nothing, hpa-replicas"], 1, 2),  # the lowest decides
        (["# expect: nothing"], 1, None),  # valid everywhere
        (["apiVersion: v1"], 1, 1),  # the folder's default
    ],
)
def test_layer_of(header: list[str], default: int | None, layer: int | None) -> None:
    assert layer_of(header, default, LAYERS) == layer


@pytest.mark.parametrize(
    ("header", "message"),
    [(["# expect: no-such-rule"], "unknown rules"), (["kind: Pod"], "no '# layer: N'")],
)
def test_unmarked_or_unknown_is_an_error(header: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        layer_of(header, None, LAYERS)


def test_collect_reads_folders_that_exist(tmp_path: Path) -> None:
    # Given a folder of marked cases, one building on another, and a folder not there yet
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "base.yaml").write_text("# layer: 3\nkind: Namespace\n")
    (tmp_path / "rules" / "case.yaml").write_text("# layer: 2\n# with: base\nkind: Pod\n")
    folders = [Folder(tmp_path / "rules", None), Folder(tmp_path / "later", None)]
    # When collected
    cases = collect(folders)
    # Then each case has its layer and its companions
    assert [(c.id, c.layer, c.must_agree) for c in cases] == [
        ("rules/base", 3, False),
        ("rules/case", 2, True),
    ]
    assert cases[1].with_files == (tmp_path / "rules" / "base.yaml",)
    assert with_names(["# with: a, b"]) == ["a", "b"]


def test_the_schema_cases_are_layer_1() -> None:
    cases = [c for c in collect() if c.path.parent.name == "validate"]
    assert cases
    assert {c.layer for c in cases} == {1}
