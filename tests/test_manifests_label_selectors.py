"""Label selector parsing and matching (guestbook.manifests.label_selectors)."""

from __future__ import annotations

from guestbook.manifests.label_selectors import parse_label_selector, parse_map_selector


def test_match_labels_and_expressions_all_apply() -> None:
    selector = parse_label_selector(
        {
            "matchLabels": {"app": "redis"},
            "matchExpressions": [
                {"key": "role", "operator": "In", "values": ["leader", "follower"]},
                {"key": "canary", "operator": "DoesNotExist"},
                {"key": "tier", "operator": "NotIn", "values": ["frontend"]},
            ],
        }
    )
    assert selector is not None
    assert selector.matches({"app": "redis", "role": "leader"})
    assert not selector.matches({"app": "redis", "role": "leader", "canary": "yes"})
    assert not selector.matches({"app": "redis", "role": "sentinel"})
    assert not selector.matches({"app": "redis", "role": "leader", "tier": "frontend"})


def test_empty_selector_matches_everything() -> None:
    selector = parse_label_selector({})
    assert selector is not None and selector.empty and selector.matches({"any": "thing"})


def test_malformed_selectors_do_not_parse() -> None:
    assert parse_label_selector({"matchExpressions": [{"key": "a", "operator": "Equals"}]}) is None
    assert parse_label_selector("app=web") is None
    assert parse_map_selector({"app": 1}) is None


def test_pinned_values() -> None:
    selector = parse_label_selector({"matchLabels": {"kubernetes.io/metadata.name": "gb"}})
    assert selector is not None
    assert selector.pinned_values("kubernetes.io/metadata.name") == {"gb"}
    assert selector.pinned_values("team") is None
