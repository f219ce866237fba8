"""The pure differ: objects by identity, fields by path, keyed lists by key, Secrets masked."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from guestbook.diff import differ
from guestbook.diff.differ import (
    REDACTED,
    REDACTED_CHANGED,
    apply_changes,
    canonical,
    diff_environment,
    diff_environments,
    diff_object,
    diff_values,
)
from guestbook.diff.model import FieldChange, ItemKey, ObjectKey, Op, Status
from guestbook.errors import GuestbookError
from tests.conftest import FIXTURES


def base_and_head(situation: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two documents of a fixture: the base object, then the head object."""
    base, head = yaml.safe_load_all((FIXTURES / "diff" / f"{situation}.yaml").read_text())
    return base, head


def _typed(value: Any) -> Any:
    if isinstance(value, dict):
        return sorted([type(k).__name__, str(k), _typed(v)] for k, v in value.items())
    if isinstance(value, list):
        return [_typed(item) for item in value]
    return value


def same(a: Any, b: Any) -> bool:
    """Equal including YAML types (json keeps true, 1 and 1.0 apart); key order ignored."""
    return json.dumps(_typed(a)) == json.dumps(_typed(b))


def lines(changes: list[FieldChange]) -> list[str]:
    return [f"{c.op.value} {c.path_text}: {c.before!r} -> {c.after!r}" for c in changes]


# --- fields ------------------------------------------------------------------


def test_a_scalar_change_is_reported_with_its_path_and_both_values() -> None:
    # Given a Deployment whose replicas change
    base = {"kind": "Deployment", "spec": {"replicas": 5, "paused": False}}
    head = {"kind": "Deployment", "spec": {"replicas": 12, "paused": False}}
    # When diffing
    changes = diff_values(base, head)
    # Then exactly that field shows, old and new value
    assert lines(changes) == ["changed spec.replicas: 5 -> 12"]


def test_yaml_types_are_kept_apart() -> None:
    # Given values that Python calls equal but YAML does not (true/1, 1/1.0)
    # When diffing / Then each is a change
    assert [c.op for c in diff_values({"a": True}, {"a": 1})] == [Op.CHANGED]
    assert [c.op for c in diff_values({"a": 1}, {"a": 1.0})] == [Op.CHANGED]


def test_added_and_removed_keys_carry_their_values() -> None:
    # Given a label removed and an annotation added
    base = {"metadata": {"labels": {"team": "a", "app.kubernetes.io/name": "x"}}}
    head = {"metadata": {"labels": {"app.kubernetes.io/name": "x"}, "annotations": {"k": "v"}}}
    # When diffing
    changes = diff_values(base, head)
    # Then one removal and one addition, with odd keys quoted in the path
    assert lines(changes) == [
        "removed metadata.labels.team: 'a' -> None",
        "added metadata.annotations: None -> {'k': 'v'}",
    ]
    assert diff_values({"m": {"a/b": 1}}, {"m": {"a/b": 2}})[0].path_text == 'm["a/b"]'


def test_reordering_containers_env_and_ports_is_no_change() -> None:
    # Given the same pod with containers, env vars and ports in another order
    base, head = base_and_head("containers_and_env_reordered")
    # When diffing / Then nothing is reported
    assert diff_values(base, head) == []


def test_changing_one_env_var_shows_that_one_path() -> None:
    # Given one env var's value changes (and the lists are also reordered)
    base, head = base_and_head("one_env_var_changed")
    # When diffing
    changes = diff_values(base, head)
    # Then only that env var shows, addressed by container and variable name
    assert lines(changes) == [
        "changed spec.template.spec.containers[name=web].env[name=B].value: '2' -> '3'"
    ]
    assert changes[0].path[-3:] == ("env", ItemKey("name", "B"), "value")


def test_unnamed_service_ports_are_matched_by_port() -> None:
    # Given unnamed Service ports, reordered, one targetPort changed
    base, head = base_and_head("service_ports_by_port")
    # When diffing / Then the port is addressed by its number
    assert lines(diff_values(base, head)) == [
        "changed spec.ports[port=443].targetPort: 8443 -> 9443"
    ]


def test_an_added_container_is_one_change_with_the_whole_item() -> None:
    # Given a sidecar added to a pod
    base = {"containers": [{"name": "web", "image": "web:1"}]}
    sidecar = {"name": "proxy", "image": "proxy:1"}
    head = {"containers": [sidecar, {"name": "web", "image": "web:1"}]}
    # When diffing
    [change] = diff_values(base, head)
    # Then it is one addition, keyed by name
    assert (change.op, change.path_text, change.after) == (
        Op.ADDED,
        "containers[name=proxy]",
        sidecar,
    )


def test_reordering_init_containers_is_a_change_because_they_run_in_order() -> None:
    # Given two init containers swapped
    base, head = base_and_head("init_containers_reordered")
    # When diffing
    [change] = diff_values(base, head)
    # Then the new order is reported, by name
    assert change.op is Op.REORDERED
    assert change.path_text == "spec.initContainers"
    assert [k.value for k in change.after] == ["seed", "migrate"]
    assert apply_changes(base, [change]) == head


def test_lists_without_a_usable_key_are_compared_by_position() -> None:
    # Given env vars with a duplicate name (no usable key) and a list of scalars
    base = {"env": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}], "args": ["a"]}
    head = {"env": [{"name": "A", "value": "1"}, {"name": "A", "value": "3"}], "args": ["b"]}
    # When diffing
    changes = diff_values(base, head)
    # Then items are addressed by index and scalar lists change as a whole
    assert lines(changes) == [
        "changed env[1].value: '2' -> '3'",
        "changed args: ['a'] -> ['b']",
    ]


def test_an_item_inserted_into_a_list_without_a_key_is_one_addition() -> None:
    # Given an AppProject that gained a destination in the middle of its list
    base, head = base_and_head("destination_added")
    # When diffing
    changes = diff_values(base, head)
    # Then that is one added item at its place, not a shift of the ones after it
    assert lines(changes) == [
        "added spec.destinations[2]: None -> "
        "{'server': 'https://kubernetes.default.svc', 'namespace': 'guestbook-qa'}"
    ]
    assert apply_changes(base, changes) == head
    # And taking it out again is one removal
    assert lines(diff_values(head, base)) == [
        "removed spec.destinations[2]: "
        "{'server': 'https://kubernetes.default.svc', 'namespace': 'guestbook-qa'} -> None"
    ]


def test_items_between_unchanged_ones_are_compared_field_by_field() -> None:
    # Given a list without a key whose middle item changed one field, and one added at the end
    base = {"rules": [{"verbs": ["get"]}, {"kind": "A", "x": 1}, {"kind": "B"}]}
    head = {"rules": [{"verbs": ["get"]}, {"kind": "A", "x": 2}, {"kind": "B"}, {"kind": "C"}]}
    # When diffing / Then the changed item shows its field, the new one is added
    assert lines(diff_values(base, head)) == [
        "changed rules[1].x: 1 -> 2",
        "added rules[3]: None -> {'kind': 'C'}",
    ]


def test_a_list_too_long_to_align_is_compared_by_position(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a bound on the alignment work below the size of these lists
    monkeypatch.setattr(differ, "MAX_ALIGNMENT_CELLS", 8)
    base = {"l": [{"n": 1}, {"n": 2}, {"n": 3}]}
    head = {"l": [{"n": 0}, {"n": 1}, {"n": 2}, {"n": 4}]}
    # When diffing / Then items are paired by position instead (still replayable)
    changes = diff_values(base, head)
    assert [c.path_text for c in changes] == ["l[0].n", "l[1].n", "l[2].n", "l[3]"]
    assert apply_changes(base, changes) == head


# --- Secrets -------------------------------------------------------------------


def test_a_secret_shows_which_keys_changed_but_never_a_value() -> None:
    # Given a Secret with a rotated value, a removed and an added key
    base, head = base_and_head("secret_rotated")
    # When diffing the object
    diff = diff_object("dev", base, head)
    # Then keys show as added, removed or changed, with placeholders only
    assert diff is not None
    assert [(c.op.value, c.path_text, c.redacted) for c in diff.changes] == [
        ("changed", "data.password", True),
        ("removed", "data.legacy-token", True),
        ("added", "data.api-key", True),
        ("changed", "stringData.url", True),
    ]
    assert {c.after for c in diff.changes if c.op is Op.CHANGED} == {REDACTED_CHANGED}
    # And no value (encoded or not) appears anywhere in the result
    for secret in ("b2xk", "bmV3", "bGVnYWN5", "YnJhbmQ", "old-url-secret", "new-url-secret"):
        assert secret not in repr(diff)
    assert f"password: {REDACTED}" in diff.unified


def test_an_added_secret_shows_its_keys_only() -> None:
    # Given a Secret that only exists in head
    _, head = base_and_head("secret_rotated")
    # When diffing
    diff = diff_object("dev", None, head)
    # Then its YAML lists the keys with placeholders
    assert diff is not None and diff.status is Status.ADDED
    assert "api-key: <redacted>" in diff.unified
    assert "bmV3" not in diff.unified and "new-url-secret" not in diff.unified


# --- objects and environments -----------------------------------------------------


def deployment(name: str, replicas: int = 1, api_version: str = "apps/v1") -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"replicas": replicas},
    }


def test_objects_are_identified_by_group_kind_namespace_and_name() -> None:
    # Given a Deployment / When keyed / Then the version is not part of the identity
    assert ObjectKey.of(deployment("web")) == ObjectKey("apps", "Deployment", "shop", "web")
    assert str(ObjectKey.of(deployment("web"))) == "Deployment.apps/shop/web"
    assert ObjectKey.of(deployment("web", api_version="apps/v1beta2")) == ObjectKey.of(
        deployment("web")
    )


def test_objects_in_another_order_or_file_are_no_change() -> None:
    # Given the same objects rendered in another order (as when they move between files)
    base = [deployment("a"), deployment("b")]
    head = [deployment("b"), deployment("a")]
    # When diffing the environment / Then it is unchanged
    env = diff_environment("dev", base, head)
    assert (env.status, env.objects) == (Status.UNCHANGED, ())


def test_added_removed_and_changed_objects() -> None:
    # Given one object removed, one added and one changed
    base = [deployment("old"), deployment("web", replicas=1)]
    head = [deployment("web", replicas=2), deployment("new")]
    # When diffing
    env = diff_environment("dev", base, head)
    # Then each shows with its status, in a stable order
    assert env.status is Status.CHANGED
    assert [(o.status.value, o.key.name) for o in env.objects] == [
        ("added", "new"),
        ("removed", "old"),
        ("changed", "web"),
    ]
    added = env.objects[0]
    assert added.changes == () and added.unified.count("\n+") > 3


def test_a_new_api_version_in_the_same_group_is_a_change_of_apiversion() -> None:
    # Given an object moved from v1beta2 to v1 of the same group
    base = [deployment("web", api_version="apps/v1beta2")]
    head = [deployment("web")]
    # When diffing
    [obj] = diff_environment("dev", base, head).objects
    # Then it is one changed field, not a removal and an addition
    assert lines(list(obj.changes)) == ["changed apiVersion: 'apps/v1beta2' -> 'apps/v1'"]


def test_environments_on_one_side_only_are_added_or_removed() -> None:
    # Given an environment only in base and one only in head
    envs = diff_environments({"old": [deployment("a")]}, {"new": [deployment("a")]})
    # When / Then both show, with all their objects
    assert [(e.name, e.status, e.count(Status.ADDED), e.count(Status.REMOVED)) for e in envs] == [
        ("new", Status.ADDED, 1, 0),
        ("old", Status.REMOVED, 0, 1),
    ]


def test_a_multi_line_value_diffs_line_by_line() -> None:
    # Given a ConfigMap whose config file changes in one line
    base, head = (
        config_file("maxmemory 100mb\nappendonly no\n"),
        config_file("maxmemory 200mb\nappendonly no\n"),
    )
    # When diffing
    diff = diff_object("dev", base, head)
    # Then the unified diff shows that line, not the whole value on one line
    assert diff is not None
    assert "-    maxmemory 100mb\n+    maxmemory 200mb\n     appendonly no\n" in diff.unified


def config_file(text: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "redis"},
        "data": {"redis.conf": text},
    }


def test_two_objects_with_one_identity_are_an_error() -> None:
    # Given an environment that renders the same object twice
    # When diffing / Then the user is told which object
    with pytest.raises(GuestbookError, match=r"dev: Deployment.apps/shop/a is rendered twice"):
        diff_environment("dev", [deployment("a"), deployment("a", replicas=2)], [])


# --- properties ----------------------------------------------------------------

KEYS = st.sampled_from(
    ["a", "b", "name", "image", "containers", "initContainers", "env", "ports", "value", "data"]
)
NAMES = st.sampled_from(["web", "db", "proxy", 80, 443])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.sampled_from([0.0, 1.0, 2.5, float("nan"), "", "web", "1", "true"]),
)


NAMED_ITEM = st.fixed_dictionaries(
    {"name": NAMES},
    optional={"image": SCALARS, "value": SCALARS, "containerPort": NAMES, "port": NAMES},
)
KEYED_LISTS = st.dictionaries(
    st.sampled_from(["containers", "initContainers", "env", "ports"]),
    st.lists(NAMED_ITEM, max_size=4, unique_by=lambda item: repr(item["name"])),
    max_size=2,
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(KEYS | st.integers(0, 1), children, max_size=5),
        st.lists(NAMED_ITEM, max_size=4),
        KEYED_LISTS,
    ),
    max_leaves=25,
)
"""JSON-like values shaped a bit like Kubernetes objects (named items under list keys)."""


@st.composite
def edited(draw: st.DrawFn, value: Any) -> Any:
    """``value`` with random edits: replaced leaves, dropped and added keys, shuffled lists."""
    action = draw(st.integers(0, 9))
    if action == 0:
        return draw(VALUES)
    if isinstance(value, dict):
        out = {k: draw(edited(v)) for k, v in value.items() if draw(st.integers(0, 5))}
        out.update(draw(st.dictionaries(KEYS, VALUES, max_size=1)))
        return out
    if isinstance(value, list):
        items = [draw(edited(item)) for item in value if draw(st.integers(0, 5))]
        items = list(draw(st.permutations(items)))
        return items + draw(st.lists(VALUES, max_size=1))
    return value


@st.composite
def pairs(draw: st.DrawFn) -> tuple[Any, Any]:
    """A base and a head that are often related (edited), sometimes unrelated."""
    base = draw(VALUES)
    head = draw(st.one_of(edited(base), VALUES))
    return base, head


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_property_diffing_a_value_with_itself_is_empty(value: Any) -> None:
    assert diff_values(value, value) == []
    assert diff_values(value, copy.deepcopy(value)) == []


@settings(max_examples=500, deadline=None)
@given(pairs())
def test_property_applying_the_changes_to_base_gives_head(pair: tuple[Any, Any]) -> None:
    base, head = pair
    changes = diff_values(base, head)
    result = apply_changes(base, changes)
    # Equal up to the order of keyed lists that Kubernetes merges by key
    assert same(canonical(result), canonical(head))
    assert diff_values(result, head) == []
    # And the base itself is left alone
    assert same(base, pair[0])


UNKEYED_ITEMS = st.lists(VALUES.filter(lambda v: isinstance(v, dict | list)), max_size=6)
"""Lists of objects (or lists) under a field with no merge key."""


@settings(max_examples=300, deadline=None)
@given(UNKEYED_ITEMS, st.data())
def test_property_one_inserted_or_removed_item_is_one_change(items: list[Any], data: Any) -> None:
    # Given a list of objects, and one more object inserted anywhere
    extra = data.draw(VALUES.filter(lambda v: isinstance(v, dict | list)))
    at = data.draw(st.integers(0, len(items)))
    longer = [*items[:at], extra, *items[at:]]
    # When diffing either way / Then it is one addition, or one removal, of a whole item
    for before, after, op in ((items, longer, Op.ADDED), (longer, items, Op.REMOVED)):
        [change] = diff_values({"destinations": before}, {"destinations": after})
        assert change.op is op
        assert change.path[0] == "destinations"
        assert same(change.after if op is Op.ADDED else change.before, extra)
        assert same(apply_changes({"destinations": before}, [change]), {"destinations": after})
