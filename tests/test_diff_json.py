"""JSON: the same data as the other formats, under stable keys."""

from __future__ import annotations

import json
from typing import Any

from guestbook.diff.differ import diff_environments
from guestbook.diff.model import DiffReport, Revision
from guestbook.diff.output.json import FORMAT, format_json


def report_of(base: dict[str, list[Any]], head: dict[str, list[Any]]) -> DiffReport:
    return DiffReport(
        Revision("main", "c" * 40), Revision("working tree"), diff_environments(base, head)
    )


def pod(env_value: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"containers": [{"name": "app", "env": [{"name": "MODE", "value": env_value}]}]},
    }


def test_the_keys_are_stable_at_every_level() -> None:
    # Given one changed env var in dev
    report = report_of({"dev": [pod("a")]}, {"dev": [pod("b")]})
    # When writing JSON
    data = json.loads(format_json(report))
    # Then every level has exactly the documented keys
    assert list(data) == ["format", "base", "head", "has_changes", "totals", "environments"]
    assert data["format"] == FORMAT
    assert data["base"] == {"label": "main", "commit": "c" * 40}
    assert data["head"] == {"label": "working tree", "commit": None}
    assert (data["has_changes"], data["totals"]) == (True, {"added": 0, "changed": 1, "removed": 0})
    [env] = data["environments"]
    assert list(env) == ["name", "status", "totals", "objects"]
    assert (env["name"], env["status"]) == ("dev", "changed")
    [obj] = env["objects"]
    assert list(obj) == [
        "status", "api_version", "group", "kind", "namespace", "name", "changes", "diff",
    ]  # fmt: skip
    assert (obj["kind"], obj["group"], obj["api_version"]) == ("Pod", "", "v1")
    # And a change carries its path as text and as parts, keyed items as key and value
    assert obj["changes"] == [
        {
            "op": "changed",
            "path": "spec.containers[name=app].env[name=MODE].value",
            "path_parts": [
                "spec",
                "containers",
                {"key": "name", "value": "app"},
                "env",
                {"key": "name", "value": "MODE"},
                "value",
            ],
            "before": "a",
            "after": "b",
            "redacted": False,
        }
    ]
    assert obj["diff"].startswith("--- base/dev/Pod/shop/web\n+++ head/dev/Pod/shop/web\n")


def test_unchanged_environments_are_listed_without_objects() -> None:
    # Given no change / When writing JSON / Then the environment is there, unchanged
    data = json.loads(format_json(report_of({"dev": [pod("a")]}, {"dev": [pod("a")]})))
    assert data["has_changes"] is False
    assert data["environments"] == [
        {
            "name": "dev",
            "status": "unchanged",
            "totals": {"added": 0, "changed": 0, "removed": 0},
            "objects": [],
        }
    ]
