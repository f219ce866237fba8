"""Overlay loading: deep merge over the tutorial defaults, and one clear error per bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from guestbook.config import (
    GuestbookProps,
    OverlayProps,
    deep_merge,
    load_environments,
    overlay_json_schema,
)
from guestbook.errors import GuestbookError
from tests.conftest import FIXTURES, ROOT

OVERLAYS = FIXTURES / "overlays"


def _envs_with(tmp_path: Path, fixture: str, as_name: str = "dev") -> Path:
    envs = tmp_path / "environments"
    envs.mkdir()
    shutil.copy(OVERLAYS / fixture, envs / f"{as_name}.yaml")
    return envs


def test_deep_merge_merges_mappings_and_replaces_the_rest() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    assert deep_merge(base, {"a": {"c": [3]}, "e": 2}) == {"a": {"b": 1, "c": [3]}, "d": 1, "e": 2}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1}


def test_overlay_overrides_one_field_and_keeps_sibling_defaults(tmp_path: Path) -> None:
    # Given an overlay that sets only the memory request
    envs = tmp_path / "environments"
    envs.mkdir()
    (envs / "dev.yaml").write_text("frontend:\n  resources:\n    requests:\n      memory: 64Mi\n")
    # When it is loaded
    [env] = load_environments(envs)
    # Then the CPU request keeps its default and nothing else moves
    requests = env.props.frontend.resources.requests
    assert (requests.cpu, requests.memory) == ("100m", "64Mi")
    assert env.props.frontend.replicas == GuestbookProps().frontend.replicas
    assert env.namespace == "guestbook-dev"


def test_empty_overlay_gives_the_defaults(tmp_path: Path) -> None:
    envs = tmp_path / "environments"
    envs.mkdir()
    (envs / "tutorial.yaml").write_text("# nothing\n")
    [env] = load_environments(envs)
    assert env.props == OverlayProps()


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            "unknown_key.yaml",
            "dev.yaml:2: frontend.replica: unknown key 'replica' (did you mean 'replicas'?)",
        ),
        (
            "wrong_type.yaml",
            "dev.yaml:2: frontend.replicas: found 'three' (string), expected an integer",
        ),
        (
            "negative_replicas.yaml",
            "dev.yaml:3: redis.followers.replicas: found -1 (number), expected at least 0",
        ),
        (
            "bad_service_type.yaml",
            "dev.yaml:3: frontend.service.type: found 'Ingress' (string), expected one of "
            "'ClusterIP', 'NodePort' or 'LoadBalancer'",
        ),
        ("malformed.yaml", "dev.yaml:3: invalid YAML: did not find expected ',' or ']'"),
        (
            "duplicate_key.yaml",
            "dev.yaml:3: invalid YAML: duplicate key 'replicas' (first on line 2)",
        ),
        ("complex_key.yaml", "dev.yaml:2: invalid YAML: found unhashable key"),
        ("not_a_mapping.yaml", "dev.yaml:1: found a list at the top level, expected a mapping"),
        (
            "node_port_on_cluster_ip.yaml",
            "dev.yaml:2: frontend.service: found a mapping: "
            "nodePort is only allowed with type NodePort or LoadBalancer",
        ),
        (
            "bad_label_key.yaml",
            "dev.yaml:2: labels.team/: found 'team/' (string): has an empty name",
        ),
        (
            "bad_quantity.yaml",
            "dev.yaml:5: redis.leader.resources.requests.memory: found 'lots' (string): "
            "must be a Kubernetes quantity",
        ),
        (
            "section_not_a_mapping.yaml",
            "dev.yaml:1: frontend: found 5 (number), expected a mapping",
        ),
        (
            "bad_namespace.yaml",
            "dev.yaml:1: namespace: found 'Guestbook_Prod' (string): must be lower-case letters",
        ),
    ],
)
def test_bad_overlay_names_file_line_key_found_and_expected(
    tmp_path: Path, fixture: str, expected: str
) -> None:
    # Given an environments folder whose dev.yaml is the bad fixture
    envs = _envs_with(tmp_path, fixture)
    # When it is loaded, Then one GuestbookError says where, what was found and what is expected
    with pytest.raises(GuestbookError) as caught:
        load_environments(envs)
    assert expected in str(caught.value)
    assert str(envs / "dev.yaml") in str(caught.value)


def test_unknown_key_lists_the_keys_that_exist(tmp_path: Path) -> None:
    with pytest.raises(
        GuestbookError, match="expected one of: replicas, autoscaling, image, resources, service"
    ):
        load_environments(_envs_with(tmp_path, "unknown_key.yaml"))


def test_duplicate_environment_names_are_rejected(tmp_path: Path) -> None:
    envs = tmp_path / "environments"
    envs.mkdir()
    (envs / "dev.yaml").write_text("{}\n")
    (envs / "dev.yml").write_text("{}\n")
    with pytest.raises(GuestbookError, match=r"dev.yml: duplicate environment name 'dev'"):
        load_environments(envs)


def test_overlay_for_a_missing_file_is_named(tmp_path: Path) -> None:
    envs = tmp_path / "environments"
    envs.mkdir()
    (envs / "dev.yaml").write_text("{}\n")
    with pytest.raises(
        GuestbookError, match=r"qa.yaml: no overlay for environment 'qa'; expected one of: dev"
    ):
        load_environments(envs, ["qa"])


def test_missing_environments_folder(tmp_path: Path) -> None:
    with pytest.raises(GuestbookError, match="environments folder not found"):
        load_environments(tmp_path / "nope")


def test_environment_file_name_must_be_a_dns_label(tmp_path: Path) -> None:
    envs = tmp_path / "environments"
    envs.mkdir()
    (envs / "Prod_EU.yaml").write_text("{}\n")
    with pytest.raises(GuestbookError, match="environment name 'Prod_EU' \\(the file name\\)"):
        load_environments(envs)


def test_two_environments_cannot_share_a_namespace(tmp_path: Path) -> None:
    envs = tmp_path / "environments"
    envs.mkdir()
    (envs / "a.yaml").write_text("namespace: shared\n")
    (envs / "b.yaml").write_text("namespace: shared\n")
    with pytest.raises(
        GuestbookError, match="namespace 'shared' is already used by environment 'a'"
    ):
        load_environments(envs)


def test_committed_json_schema_is_current() -> None:
    # Given the schema editors use, Then it equals what the models generate (run `make synth`)
    committed = (ROOT / "environments" / "overlay.schema.json").read_text()
    assert committed == overlay_json_schema()


def test_schema_rejects_unknown_keys_and_documents_defaults() -> None:
    import json

    schema = json.loads(overlay_json_schema())
    assert schema["additionalProperties"] is False
    frontend = schema["$defs"]["FrontendProps"]["properties"]["replicas"]
    assert frontend["default"] == 3
    assert "Default: 3" in frontend["description"]
