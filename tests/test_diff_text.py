"""Terminal text: a line per environment, objects with field changes and diffs, color on a TTY."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from guestbook.diff.differ import diff_environments
from guestbook.diff.model import DiffReport, Revision
from guestbook.diff.output.text import format_text
from guestbook.tutorial import FRONTEND_IMAGE


def report_of(base: dict[str, list[Any]], head: dict[str, list[Any]]) -> DiffReport:
    return DiffReport(
        Revision("main", "b" * 40), Revision("working tree"), diff_environments(base, head)
    )


def deployment(replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "frontend", "namespace": "shop"},
        "spec": {"replicas": replicas},
    }


def test_a_change_shows_its_environment_object_field_and_diff() -> None:
    # Given replicas going from 5 to 12 in prod, dev unchanged
    report = report_of(
        {"dev": [deployment(1)], "prod": [deployment(5)]},
        {"dev": [deployment(1)], "prod": [deployment(12)]},
    )
    # When writing text without color
    text = format_text(report)
    # Then it reads top-down: sides, environments, object, field, diff, summary
    assert text.splitlines()[0] == "Manifest diff: base main (bbbbbbbbbbbb) → head working tree"
    assert "dev: no changes\nprod: 1 changed\n  ~ Deployment.apps/shop/frontend\n" in text
    assert "      ~ spec.replicas: 5 → 12\n" in text
    assert "      -  replicas: 5\n      +  replicas: 12\n" in text
    assert text.endswith("Summary: 0 objects added, 1 changed, 0 removed.\n")
    assert "\033[" not in text


def test_added_and_removed_environments_are_named_as_such() -> None:
    # Given an environment only in head and one only in base
    report = report_of({"old": [deployment(1)]}, {"new": [deployment(1)]})
    # When writing text / Then both are marked
    text = format_text(report)
    assert "new (new environment): 1 added\n  + Deployment.apps/shop/frontend\n" in text
    assert "old (removed environment): 1 removed\n  - Deployment.apps/shop/frontend\n" in text
    assert "Summary: 1 environment added, 1 removed; 1 object added, 0 changed, 1 removed." in text


def test_no_change_says_so() -> None:
    # Given identical sides / When writing text / Then one line says nothing changed
    text = format_text(report_of({"dev": [deployment(1)]}, {"dev": [deployment(1)]}))
    assert text.endswith("dev: no changes\n\nNo changes in 1 environment.\n")


def test_argocd_folder_is_named_for_what_it_holds_and_not_counted_as_an_environment() -> None:
    # Given the environments and Argo CD's folder, unchanged / Then argocd/ is not an environment
    same = {"argocd": [deployment(1)], "dev": [deployment(1)], "prod": [deployment(1)]}
    text = format_text(report_of(same, same))
    assert "argocd (Argo CD objects): no changes\n" in text
    assert text.endswith("No changes in 2 environments and argocd/.\n")
    # And when the Argo CD folder is new, only it says so, with no environment added
    text = format_text(report_of({"dev": [deployment(1)]}, {**same, "dev": [deployment(1)]}))
    assert "argocd (Argo CD objects, new): 1 added\n" in text
    assert "Summary: 1 environment added, 0 removed;" in text  # prod; argocd/ is not counted


def test_color_only_when_asked() -> None:
    # Given a change / When writing with color / Then added and removed lines are green and red
    report = report_of({"dev": [deployment(1)]}, {"dev": [deployment(2)]})
    text = format_text(report, color=True)
    assert "\033[32m+  replicas: 2\033[0m" in text
    assert "\033[31m-  replicas: 1\033[0m" in text


def test_every_field_change_stays_on_one_line() -> None:
    # Given a multi-line config value that changes
    def config(text: str) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "c"},
            "data": {"f": text},
        }

    report = report_of({"dev": [config("a: 1\nb: 2\n")]}, {"dev": [config("a: 1\nb: 3\n")]})
    # When writing text / Then the change line escapes the newlines
    assert '      ~ data.f: "a: 1\\nb: 2\\n" → "a: 1\\nb: 3\\n"\n' in format_text(report)


def test_promoting_a_canary_reads_as_a_new_stable_image_and_the_canary_removed(
    tmp_path: Path,
) -> None:
    # Given prod rendered with a canary, and rendered again after the promotion commit
    # (frontend.image set to the canary's image, frontend.canary removed)
    from guestbook.environments import load_environments
    from guestbook.render import render_manifests

    old, new = FRONTEND_IMAGE, "registry.example/gb-frontend:v6"
    canary = f"frontend:\n  replicas: 3\n  canary:\n    image: {new}\n    replicas: 1\n"
    promoted = f"frontend:\n  replicas: 3\n  image: {new}\n"

    def render(overlay: str, side: str) -> list[Any]:
        envs = tmp_path / side
        envs.mkdir()
        (envs / "prod.yaml").write_text(overlay)
        return list(render_manifests(load_environments(envs))["prod"])

    report = report_of({"prod": render(canary, "base")}, {"prod": render(promoted, "head")})
    # When writing text
    text = format_text(report)
    # Then it says: the stable frontend's image moves to the canary's, its pods lose the
    # track label and its validator skip goes; the canary's Deployment and ServiceAccount go
    assert "prod: 1 changed, 2 removed\n" in text
    assert "  ~ Deployment.apps/guestbook-prod/frontend\n" in text
    assert f"      ~ spec.template.spec.containers[name=php-redis].image: {old} → {new}\n" in text
    assert "      - spec.template.metadata.labels.track: stable\n" in text
    assert (
        '      - metadata.annotations["guestbook.validate/skip"]: "deployment-selector-overlap: '
        in text
    )
    assert "  - Deployment.apps/guestbook-prod/frontend-canary\n" in text
    assert "  - ServiceAccount/guestbook-prod/frontend-canary\n" in text
    assert text.endswith("Summary: 0 objects added, 1 changed, 2 removed.\n")


def test_a_new_image_for_a_rollout_frontend_reads_as_one_field_of_the_rollout(
    tmp_path: Path,
) -> None:
    # Given prod with its frontend as an Argo Rollouts Rollout, rendered before and after a
    # commit changing frontend.image (the change the Rollout's steps then roll out)
    from guestbook.environments import load_environments
    from guestbook.render import render_manifests

    old, new = FRONTEND_IMAGE, "registry.example/gb-frontend:v6"
    steps = "  canary:\n    steps: [{setWeight: 25}, {pause: {}}]\n"

    def render(image: str, side: str) -> list[Any]:
        envs = tmp_path / side
        envs.mkdir()
        (envs / "prod.yaml").write_text(f"frontend:\n  image: {image}\n{steps}")
        return list(render_manifests(load_environments(envs))["prod"])

    report = report_of({"prod": render(old, "base")}, {"prod": render(new, "head")})
    # When writing text
    text = format_text(report)
    # Then it is the Rollout's one image field, and nothing else
    assert "prod: 1 changed\n  ~ Rollout.argoproj.io/guestbook-prod/frontend\n" in text
    assert f"      ~ spec.template.spec.containers[name=php-redis].image: {old} → {new}\n" in text
    assert text.endswith("Summary: 0 objects added, 1 changed, 0 removed.\n")
