"""Overlay loading: deep merge over the tutorial defaults, and one clear error per bad input."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from guestbook.constructs.labels import RESERVED_LABEL_KEYS
from guestbook.environments import (
    Environment,
    OverlayProps,
    deep_merge,
    load_environments,
    overlay_json_schema,
)
from guestbook.errors import GuestbookError
from guestbook.props.base import MAX_ENTRIES
from guestbook.props.guestbook import GuestbookProps
from guestbook.settings import load_argocd_settings
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


def test_an_overlay_changes_no_default_of_the_environments_loaded_after_it(
    tmp_path: Path,
) -> None:
    # Given an overlay setting keys deep inside the defaults and lists, then an empty one
    envs = tmp_path / "environments"
    envs.mkdir()
    (envs / "a.yaml").write_text(
        "frontend:\n  resources:\n    requests:\n      memory: 64Mi\n"
        "  service:\n    annotations:\n      x: y\nannotations:\n  team: a\n"
    )
    (envs / "b.yaml").write_text("{}\n")
    # When both are loaded (the defaults are built once and shared)
    _, b = load_environments(envs)
    load_environments(envs)
    # Then the empty one has exactly the defaults
    assert b.props == OverlayProps()


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
        # Values the API server would reject (or store changed) are refused before rendering.
        (
            "replicas_beyond_int32.yaml",
            "dev.yaml:2: frontend.replicas: found 2147483648 (number), expected at most 2147483647",
        ),
        (
            "replicas_beyond_float_precision.yaml",
            "dev.yaml:3: redis.followers.replicas: found 9007199254740993 (number), "
            "expected at most 2147483647",
        ),
        (
            "max_replicas_beyond_int32.yaml",
            "dev.yaml:4: frontend.autoscaling.maxReplicas: found 99999999999 (number), "
            "expected at most 2147483647",
        ),
        (
            "quantity_written_as_huge_float.yaml",
            "dev.yaml:4: frontend.resources.limits.memory: found 1e+29 (number): "
            "write a large quantity as a string",
        ),
        (
            "quantity_beyond_int64.yaml",
            "dev.yaml:4: frontend.resources.limits.memory: found '9000Ei' (string): "
            "is beyond the largest quantity the API server stores (2^63-1)",
        ),
        (
            "storage_class_not_dns.yaml",
            "dev.yaml:5: redis.leader.persistence.storageClass: found 'Fast_SSD' (string): "
            "must be lower-case letters, digits, '-' and '.'",
        ),
        (
            "negative_cpu.yaml",
            "dev.yaml:5: redis.leader.resources.requests.cpu: found '-100m' (string): "
            "must not be negative",
        ),
        (
            "pvc_size_zero.yaml",
            "dev.yaml:5: redis.leader.persistence.size: found 0 (number): "
            "must be greater than zero",
        ),
        (
            "pvc_size_negative.yaml",
            "dev.yaml:5: redis.leader.persistence.size: found '-1Gi' (string): "
            "must be greater than zero",
        ),
        (
            "requests_above_limits.yaml",
            "dev.yaml:4: frontend.resources.requests.cpu: found '500m' (string): "
            "must not exceed the limit '250m' (frontend.resources.limits.cpu)",
        ),
        (
            "bad_cidr.yaml",
            "dev.yaml:5: networkPolicy.clientCidrs.1: found '10.0.0.0/33' (string): "
            "must be a CIDR such as 10.0.0.0/8",
        ),
        (
            "canary_without_image.yaml",
            "dev.yaml:2: frontend.canary: found a mapping: set image (a second Deployment, "
            "frontend-canary) or steps (an Argo Rollouts Rollout)",
        ),
        (
            "canary_both_forms.yaml",
            "dev.yaml:2: frontend.canary: found a mapping: image belongs to the "
            "two-Deployments canary and steps to the Argo Rollouts one",
        ),
        (
            "canary_steps_with_replicas.yaml",
            "dev.yaml:2: frontend.canary: found a mapping: replicas belongs to the "
            "two-Deployments canary",
        ),
        (
            "canary_steps_empty.yaml",
            "dev.yaml:3: frontend.canary.steps: found a list, expected at least one item",
        ),
        (
            "canary_step_weight_above_100.yaml",
            "dev.yaml:4: frontend.canary.steps.0.setWeight: found 101 (number), "
            "expected at most 100",
        ),
        (
            "canary_step_unknown_key.yaml",
            "dev.yaml:5: frontend.canary.steps.1.analysis: unknown key 'analysis'; "
            "expected one of: setWeight, pause",
        ),
        (
            "canary_step_two_keys.yaml",
            "dev.yaml:4: frontend.canary.steps.0: found a mapping: a step has exactly one of "
            "setWeight and pause",
        ),
        (
            "canary_pause_bad_duration.yaml",
            "dev.yaml:5: frontend.canary.steps.0.pause.duration: found '5 minutes' (string): "
            "must be a number of seconds or a duration such as 30s, 5m or 1h",
        ),
        (
            "canary_negative_replicas.yaml",
            "dev.yaml:4: frontend.canary.replicas: found -1 (number), expected at least 0",
        ),
        (
            "canary_on_the_stable_image.yaml",
            "dev.yaml:1: frontend: found a mapping: canary.image is the stable image "
            "(registry.example/gb-frontend:v6); to promote the canary, set image to its image "
            "and remove canary",
        ),
        # Labels and annotations guestbook sets itself are refused, not silently replaced.
        (
            "reserved_label.yaml",
            "dev.yaml:3: labels.app: found 'app' (string): is set by guestbook itself",
        ),
        (
            "reserved_service_monitor_label.yaml",
            "dev.yaml:4: monitoring.serviceMonitorLabels.app.kubernetes.io/instance: "
            "found 'app.kubernetes.io/instance' (string): is set by guestbook itself",
        ),
        (
            "sync_wave_annotation.yaml",
            "dev.yaml:2: annotations.argocd.argoproj.io/sync-wave: found '5' (string): "
            "guestbook sets this annotation on every object while argocd.syncWaves is true",
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


def _write(envs: Path, overlays: dict[str, str]) -> Path:
    envs.mkdir(exist_ok=True)
    for name, text in overlays.items():
        (envs / f"{name}.yaml").write_text(text)
    return envs


def test_own_sync_waves_are_honoured_when_guestbook_sets_none(
    render_overlay: Callable[..., dict[tuple[str, str], dict[str, Any]]],
) -> None:
    # Given an overlay that turns guestbook's sync waves off and sets its own
    objects = render_overlay(
        'annotations:\n  argocd.argoproj.io/sync-wave: "5"\nargocd:\n  syncWaves: false\n'
    )
    # Then every object carries the overlay's wave
    waves = {o["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] for o in objects.values()}
    assert waves == {"5"}


def test_reserved_label_keys_are_every_key_the_constructs_set(
    render_overlay: Callable[..., dict[tuple[str, str], dict[str, Any]]],
) -> None:
    # Given an environment with every optional part on and no labels of its own
    objects = render_overlay(
        "monitoring:\n  enabled: true\nnetworkPolicy:\n  enabled: true\n"
        "availability:\n  disruptionBudgets: true\n"
        "redis:\n  leader:\n    persistence:\n      enabled: true\n"
        "frontend:\n  canary:\n    image: registry.example/gb-frontend:v6\n"
    )
    # Then every label key guestbook writes (on objects and pod templates) is reserved
    written: set[str] = set()
    for obj in objects.values():
        written |= set(obj["metadata"].get("labels", {}))
        template = obj.get("spec", {}).get("template", {})
        written |= set(template.get("metadata", {}).get("labels", {}))
    assert written <= RESERVED_LABEL_KEYS
    assert written >= {"app", "tier", "track", "app.kubernetes.io/instance"}


def test_namespace_collision_is_found_when_rendering_one_environment(tmp_path: Path) -> None:
    # Given prod in its default namespace and dev writing the same namespace on line 2
    envs = _write(
        tmp_path / "environments",
        {"dev": "labels:\n  team: x\nnamespace: guestbook-prod\n", "prod": "{}\n"},
    )
    # When only prod is loaded (as `synth --env prod` does)
    with pytest.raises(GuestbookError) as caught:
        load_environments(envs, ["prod"])
    # Then the error names dev.yaml at the line that sets the namespace, and prod as the owner
    assert str(caught.value).startswith(
        f"{envs / 'dev.yaml'}:3: namespace 'guestbook-prod' is already used by environment "
        f"'prod' ({envs / 'prod.yaml'})"
    )


def test_namespace_collision_names_the_later_file_when_both_set_it(tmp_path: Path) -> None:
    envs = _write(
        tmp_path / "environments", {"a": "namespace: shared\n", "b": "namespace: shared\n"}
    )
    with pytest.raises(GuestbookError) as caught:
        load_environments(envs, ["a"])
    assert str(caught.value).startswith(
        f"{envs / 'b.yaml'}:1: namespace 'shared' is already used by environment 'a' "
        f"({envs / 'a.yaml'}:1)"
    )


def test_environment_name_too_long_for_its_namespace(tmp_path: Path) -> None:
    # Given a 60-character file name: a valid label, but guestbook-<name> has 70 characters
    name = "e" * 60
    envs = _write(tmp_path / "environments", {name: "{}\n"})
    with pytest.raises(
        GuestbookError, match=r"gives the namespace 'guestbook-e+' \(70 characters\)"
    ):
        load_environments(envs)
    # And setting a namespace is the way out
    (envs / f"{name}.yaml").write_text("namespace: short\n")
    [env] = load_environments(envs)
    assert env.namespace == "short"


def test_annotations_beyond_the_api_servers_total_are_refused(tmp_path: Path) -> None:
    # Given 300 KB of annotation values (each fine alone)
    values = "".join(f"  note-{i}: {'x' * 3000}\n" for i in range(100))
    envs = _write(tmp_path / "environments", {"dev": "annotations:\n" + values})
    # Then the total is refused at the annotations key, with the API server's limit
    with pytest.raises(GuestbookError) as caught:
        load_environments(envs)
    message = str(caught.value)
    assert f"{envs / 'dev.yaml'}:1: annotations: found a mapping: keys and values total" in message
    assert "at most 262144 (256 KiB)" in message


def test_common_and_service_annotations_together_beyond_the_limit(tmp_path: Path) -> None:
    # Given 135 KB of common annotations and 135 KB on the Service: each fits, together not
    def notes(prefix: str, indent: str) -> str:
        return "".join(f"{indent}{prefix}-{i}: {'x' * 3000}\n" for i in range(45))

    text = (
        "annotations:\n"
        + notes("a", "  ")
        + "frontend:\n  service:\n    annotations:\n"
        + notes("b", "      ")
    )
    envs = _write(tmp_path / "environments", {"dev": text})
    # Then the Service's annotations are refused, at their line (49)
    with pytest.raises(
        GuestbookError, match=r"dev.yaml:49: frontend.service.annotations: .*256 KiB"
    ):
        load_environments(envs)


def test_thousands_of_labels_are_refused_with_the_limit(tmp_path: Path) -> None:
    # Given 8,000 labels (rendering time grows with their square)
    labels = "".join(f"  l{i}: v\n" for i in range(8000))
    envs = _write(tmp_path / "environments", {"dev": "labels:\n" + labels})
    # Then the overlay is refused before rendering, with the limit
    with pytest.raises(
        GuestbookError, match=r"dev.yaml:1: labels: found 8000 entries, expected at most 256"
    ):
        load_environments(envs)


def test_the_label_limit_is_reachable(tmp_path: Path) -> None:
    labels = "".join(f"  l{i}: v\n" for i in range(MAX_ENTRIES))
    envs = _write(tmp_path / "environments", {"dev": "labels:\n" + labels})
    [env] = load_environments(envs)
    assert len(env.props.labels) == MAX_ENTRIES


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.5", "0.5"), ("1", "1"), ("2.5e+3", "2500.0"), ("1.0e-3", "0.001")],
)
def test_numeric_quantities_keep_their_value(tmp_path: Path, value: str, expected: str) -> None:
    envs = _write(
        tmp_path / "environments",
        {"dev": f"frontend:\n  resources:\n    requests:\n      cpu: {value}\n"},
    )
    [env] = load_environments(envs)
    assert env.props.frontend.resources.requests.cpu == expected


def test_pyproject_that_cannot_be_read_is_an_error_not_the_defaults(tmp_path: Path) -> None:
    # Given a pyproject.toml that is a dangling symbolic link
    project = tmp_path / "pyproject.toml"
    project.symlink_to(tmp_path / "nowhere.toml")
    # Then reading the Argo CD settings fails instead of falling back to the example repository
    with pytest.raises(GuestbookError, match=r"pyproject.toml: cannot read \(a symbolic link to"):
        load_argocd_settings(project)


def test_pyproject_setting_error_names_its_line(tmp_path: Path) -> None:
    project = tmp_path / "pyproject.toml"
    project.write_text('[project]\nname = "x"\n\n[tool.guestbook.argocd]\nnamespace = "Argo_CD"\n')
    with pytest.raises(
        GuestbookError,
        match=r"pyproject.toml:5: \[tool.guestbook.argocd\]: namespace: found 'Argo_CD'",
    ):
        load_argocd_settings(project)


def test_pyproject_table_that_is_not_a_table(tmp_path: Path) -> None:
    project = tmp_path / "pyproject.toml"
    project.write_text("[tool]\nguestbook = 3\n")
    with pytest.raises(
        GuestbookError, match=r"\[tool.guestbook\]: found 3 \(number\), expected a table"
    ):
        load_argocd_settings(project)


def test_namespace_on_guestbook_props_is_refused_not_ignored() -> None:
    # Given a library user who sets a namespace on the construct's props, as a new user would
    # When the props are built
    # Then they are refused by name: the enclosing chart's namespace decides, never silence
    with pytest.raises(ValidationError, match=r"namespace\n  Extra inputs are not permitted"):
        GuestbookProps.model_validate({"namespace": "team-a"})
    # And the overlay still sets an environment's namespace
    assert OverlayProps.model_validate({"namespace": "team-a"}).namespace == "team-a"


def test_loading_overlays_and_settings_does_not_start_jsii() -> None:
    # Given a fresh interpreter
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "import guestbook.cli\n"
        "from guestbook.environments import load_environments, overlay_json_schema\n"
        "from guestbook.settings import load_argocd_settings\n"
        "load_environments(Path('environments'))\n"
        "load_argocd_settings(Path('pyproject.toml'))\n"
        "overlay_json_schema()\n"
        "print(sorted(m for m in ('jsii', 'constructs', 'cdk8s') if m in sys.modules))\n"
    )
    # When it loads every environment, the settings and the overlay schema
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # Then neither cdk8s nor the jsii runtime was imported (guestbook validate stays light)
    assert result.stdout == "[]\n"


def _load_pause(tmp_path: Path, duration: int | str) -> list[Environment]:
    """Load an environment whose canary steps are one pause of ``duration``."""
    envs = tmp_path / "environments"
    envs.mkdir()
    (envs / "dev.yaml").write_text(
        f"frontend:\n  canary:\n    steps:\n      - pause: {{duration: {duration!r}}}\n"
    )
    return load_environments(envs)


@pytest.mark.parametrize("duration", [0, 30, "30", "30s", "5m", "1h", "1h30m", "1.5h", "500ms"])
def test_a_pause_takes_seconds_or_a_go_duration_as_argo_rollouts_reads_them(
    tmp_path: Path, duration: int | str
) -> None:
    # Given canary steps with a pause of this duration, When loaded
    [env] = _load_pause(tmp_path, duration)
    # Then the step keeps the duration exactly as written
    canary = env.props.frontend.canary
    assert canary is not None and canary.steps is not None
    assert [s.to_k8s() for s in canary.steps] == [{"pause": {"duration": duration}}]


@pytest.mark.parametrize("duration", [-1, "-5s", "5 m", "1d", "", "5s ", "h"])
def test_a_pause_of_a_negative_or_unknown_duration_is_refused(
    tmp_path: Path, duration: int | str
) -> None:
    with pytest.raises(GuestbookError, match=r"frontend\.canary\.steps\.0\.pause\.duration"):
        _load_pause(tmp_path, duration)
