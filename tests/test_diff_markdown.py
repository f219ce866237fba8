"""The PR comment: marker, summary table, collapsible sections, GitHub's size limit."""

from __future__ import annotations

import re
from typing import Any

from guestbook.diff.differ import diff_environments
from guestbook.diff.model import DiffReport, Revision
from guestbook.diff.output.markdown import COMMENT_LIMIT, MARKER, comment_size, format_markdown


def report_of(base: dict[str, list[Any]], head: dict[str, list[Any]]) -> DiffReport:
    return DiffReport(
        Revision("main", "a" * 40), Revision("working tree"), diff_environments(base, head)
    )


def config_map(name: str, value: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "shop"},
        "data": {"value": value},
    }


def test_the_comment_starts_with_the_marker_and_a_summary_table() -> None:
    # Given one changed object in dev, a new environment and an unchanged one
    report = report_of(
        {"dev": [config_map("a", "1")], "prod": [config_map("a", "1")]},
        {
            "dev": [config_map("a", "2")],
            "prod": [config_map("a", "1")],
            "qa": [config_map("a", "1")],
        },
    )
    # When writing markdown
    text = format_markdown(report)
    # Then the marker comes first and the table counts per environment
    assert text.startswith(MARKER + "\n")
    assert "| dev | 0 | 1 | 0 |" in text
    assert "| prod | 0 | 0 | 0 |" in text
    assert "| qa (new environment) | 1 | 0 | 0 |" in text
    assert "| **Total** | **1** | **1** | **0** |" in text
    # And each environment and each object is a collapsible section, the field change shown
    assert "<summary><b>dev</b>: 1 changed</summary>" in text
    assert "<summary>~ <code>ConfigMap/shop/a</code> (changed)</summary>" in text
    assert "- ~ <code>data.value: '1' → '2'</code>" in text
    assert text.count("<details>") == text.count("</details>") == 4


def test_no_changes_still_shows_the_table_and_says_so() -> None:
    # Given identical sides / When writing markdown / Then a short comment says nothing changed
    report = report_of({"dev": [config_map("a", "1")]}, {"dev": [config_map("a", "1")]})
    text = format_markdown(report)
    assert "| dev | 0 | 0 | 0 |" in text
    assert "No changes to the rendered manifests" in text
    assert "<details>" not in text


def test_a_diff_containing_backticks_gets_a_longer_fence() -> None:
    # Given a value with a run of backticks / When writing markdown / Then the fence is longer
    report = report_of({"dev": [config_map("a", "```")]}, {"dev": [config_map("a", "````")]})
    text = format_markdown(report)
    assert "`````diff\n" in text


def test_an_oversized_report_keeps_the_summary_drops_whole_objects_and_says_which() -> None:
    # Given 40 changed objects of about 4 KB each (about 330 KB of diff in all)
    base = {"prod": [config_map(f"cm-{i:02}", "x" * 4000) for i in range(40)]}
    head = {"prod": [config_map(f"cm-{i:02}", "y" * 4000) for i in range(40)]}
    # When writing markdown
    text = format_markdown(report_of(base, head))
    # Then it fits in one GitHub comment
    assert comment_size(text) <= COMMENT_LIMIT
    # And the summary still counts all 40
    assert "| prod | 0 | 40 | 0 |" in text
    # And only whole objects are shown: every section that opens also closes
    assert text.count("<details>") == text.count("</details>")
    shown = re.findall(r"<code>ConfigMap/shop/(cm-\d+)</code> \(changed\)", text)
    assert 0 < len(shown) < 40
    for name in shown:
        assert f"-  value: {'x' * 4000}" in text.split(f"ConfigMap/shop/{name}</code>")[1]
    # And the note says how many were left out, and names them
    left_out = 40 - len(shown)
    assert f"{left_out} objects left out (prod: {left_out})" in text
    assert f"<code>prod/ConfigMap/shop/cm-{len(shown):02}</code>" in text
    assert text.index("objects left out") < text.index("<details>")


def test_a_tiny_limit_still_yields_a_comment_within_it() -> None:
    # Given a report whose summary alone exceeds a tiny limit
    report = report_of({"dev": [config_map("a", "1")]}, {"dev": [config_map("a", "2")]})
    # When writing with a 200-character limit / Then the text is cut and says so
    text = format_markdown(report, limit=200)
    assert comment_size(text) <= 200
    assert text.startswith(MARKER)
    assert text.endswith("(cut: the summary alone is longer than a GitHub comment)\n")


def test_size_is_counted_as_github_counts_it() -> None:
    # Given text with a character outside the BMP / When measured / Then it counts twice
    assert comment_size("a😀") == 3


def test_the_argocd_folder_is_labelled_and_not_counted_as_an_environment() -> None:
    # Given two environments and Argo CD's folder, all unchanged
    same = {name: [config_map("a", "1")] for name in ("argocd", "dev", "prod")}
    # When writing markdown / Then its row says what it holds and the note counts environments
    text = format_markdown(report_of(same, same))
    assert "| argocd (Argo CD objects) | 0 | 0 | 0 |" in text
    assert "No changes to the rendered manifests of 2 environments and argocd/." in text
