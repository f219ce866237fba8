"""The end-to-end fleet's overlays and the mode switch (e2e/fleet.py), without a cluster."""

from __future__ import annotations

import tomllib

import yaml

from e2e.fleet import fleet, with_mode
from tests.conftest import ROOT


def test_fleet_spreads_small_environments_over_the_clusters() -> None:
    # When a fleet of 20 is generated over the in-cluster destination and a named cluster
    overlays = fleet("apps", 20, [None, "fleet-b"])
    # Then the names sort in order, and every other environment targets the named cluster
    assert list(overlays) == sorted(overlays) == [f"apps-{i:02d}" for i in range(20)]
    parsed = {name: yaml.safe_load(text) for name, text in overlays.items()}
    named = [n for n, o in parsed.items() if o.get("argocd", {}).get("destination")]
    assert len(named) == 10
    assert parsed["apps-01"]["argocd"] == {"destination": {"name": "fleet-b"}}
    assert parsed["apps-00"] == {
        "frontend": {"replicas": 1},
        "redis": {"followers": {"replicas": 1}},
    }


def test_mode_is_set_in_the_argocd_table_only() -> None:
    # Given this project's pyproject.toml
    text = (ROOT / "pyproject.toml").read_text()
    # When the mode is set, and set again
    once = with_mode(text, "applicationset")
    twice = with_mode(once, "applications")
    # Then only [tool.guestbook.argocd] changes, and it holds the last mode once
    for changed, mode in ((once, "applicationset"), (twice, "applications")):
        data = tomllib.loads(changed)
        assert data["tool"]["guestbook"]["argocd"]["mode"] == mode
        del data["tool"]["guestbook"]["argocd"]["mode"]
        assert data == tomllib.loads(text)
    assert twice.count("mode = ") == 1


def test_mode_is_set_when_the_table_comes_last() -> None:
    text = '[project]\nname = "x"\n\n[tool.guestbook.argocd]\nrevision = "main"\n'
    assert tomllib.loads(with_mode(text, "applicationset"))["tool"]["guestbook"]["argocd"] == {
        "revision": "main",
        "mode": "applicationset",
    }
