"""`guestbook graph`: the environment as a Mermaid diagram, traffic from the real policies."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from guestbook.errors import GuestbookError
from guestbook.graph import README_END, README_START, environment_graph, replace_block
from tests.conftest import ROOT


def test_docs_show_the_current_prod_diagram() -> None:
    # Given docs/tutorial.md and dist/prod, Then the document's diagram is the generated one
    readme = (ROOT / "docs" / "tutorial.md").read_text()
    expected = replace_block(readme, "prod", environment_graph(ROOT / "dist", "prod"))
    assert readme == expected, "docs/tutorial.md diagram is stale: run `make synth`"


def test_prod_diagram_draws_exactly_the_allowed_flows() -> None:
    diagram = environment_graph(ROOT / "dist", "prod")
    flows = {line.strip() for line in diagram.splitlines() if " -. " in line}
    assert "outside -. TCP 80 .-> Deployment_frontend" in flows
    assert "Deployment_frontend -. TCP 6379 .-> Deployment_redis_leader" in flows
    assert "Deployment_redis_follower -. TCP 6379 .-> Deployment_redis_leader" in flows
    assert "Deployment_redis_follower -. UDP 53 .-> dns" in flows
    # Nothing from outside or other namespaces reaches Redis itself, and the leader sends nothing
    assert not [f for f in flows if "6379" in f and f.startswith(("outside", "other_"))]
    assert not [f for f in flows if f.startswith("Deployment_redis_leader")]


def test_diagram_shows_claims_services_and_autoscaling() -> None:
    prod = environment_graph(ROOT / "dist", "prod")
    staging = environment_graph(ROOT / "dist", "staging")
    assert "PVC_redis_leader_data[(PVC redis-leader-data<br/>10Gi)]" in prod
    assert "Deployment_redis_leader --- PVC_redis_leader_data" in prod
    assert "Service_frontend{{Service frontend<br/>LoadBalancer :80}}" in prod
    assert "Service_frontend --> Deployment_frontend" in prod
    assert "Deployment frontend<br/>2 to 4 pods (HPA)" in staging


def test_a_rollout_frontend_is_drawn_as_the_deployment_was(
    render_overlay: Callable[..., dict[tuple[str, str], dict[str, Any]]], tmp_path: Path
) -> None:
    # Given staging rendered with its frontend as an Argo Rollouts Rollout
    staging = (ROOT / "environments" / "staging.yaml").read_text()
    overlay = staging.replace("frontend:\n  ", "frontend:\n  canary: {steps: [pause: {}]}\n  ", 1)
    folder = tmp_path / "dist" / "staging"
    folder.mkdir(parents=True)
    for (kind, name), obj in render_overlay(overlay, "staging").items():
        (folder / f"{kind}-{name}.yaml").write_text(yaml.safe_dump(obj))
    # When it is drawn
    diagram = environment_graph(tmp_path / "dist", "staging")
    # Then the Rollout takes the Deployment's place: autoscaled, behind the Service, to Redis
    assert "Rollout frontend<br/>2 to 4 pods (HPA)" in diagram
    assert "Service_frontend --> Rollout_frontend" in diagram
    assert "Rollout_frontend -. TCP 6379 .-> Deployment_redis_leader" in diagram
    assert "Deployment_frontend" not in diagram


def test_without_network_policies_the_diagram_says_everything_is_open() -> None:
    diagram = environment_graph(ROOT / "dist", "dev")
    assert "outside -. no NetworkPolicy: any traffic .-> namespace" in diagram
    assert "6379 .->" not in diagram


def test_unknown_environment_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(GuestbookError, match="no rendered environment 'qa'"):
        environment_graph(tmp_path, "qa")


def test_replace_block_needs_its_markers() -> None:
    with pytest.raises(GuestbookError, match="markers for 'prod' not found"):
        replace_block("# no markers\n", "prod", "flowchart LR\n")
    text = f"a\n{README_START.format(env='prod')}\nold\n{README_END.format(env='prod')}\nb\n"
    assert "old" not in replace_block(text, "prod", "flowchart LR\n")
    assert replace_block(text, "prod", "flowchart LR\n").startswith("a\n")


def test_replace_block_refuses_markers_out_of_order_or_repeated() -> None:
    # Given the end marker before the start marker, or a start marker twice
    start, end = README_START.format(env="prod"), README_END.format(env="prod")
    for text in (f"{end}\n{start}\n", f"{start}\n{start}\n{end}\n"):
        # When the block is replaced, Then it is a user error naming the markers
        with pytest.raises(GuestbookError, match="markers for 'prod'"):
            replace_block(text, "prod", "flowchart LR\n")


def test_replace_block_keeps_windows_line_endings() -> None:
    # Given a README with CRLF line endings
    start, end = README_START.format(env="prod"), README_END.format(env="prod")
    text = f"a\r\n{start}\r\nold\r\n{end}\r\nb\r\n"
    # When the block is replaced
    new = replace_block(text, "prod", "flowchart LR\n  x --> y\n")
    # Then every line still ends with CRLF
    assert new.replace("\r\n", "").count("\n") == 0
    assert new.startswith("a\r\n") and new.endswith(f"{end}\r\nb\r\n")


@pytest.mark.parametrize("env", ["", ".", "..", "prod/..", "/etc"])
def test_an_environment_that_is_not_a_folder_name_is_a_user_error(env: str) -> None:
    with pytest.raises(GuestbookError, match="environment"):
        environment_graph(ROOT / "dist", env)
