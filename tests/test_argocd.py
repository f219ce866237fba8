"""Argo CD's objects: one Application per environment, projects, the app-of-apps root, waves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from guestbook.environments import load_environments
from guestbook.errors import GuestbookError
from guestbook.render import render_manifests
from guestbook.settings import ArgoCdSettings, load_argocd_settings
from tests.conftest import ROOT, by_kind_name, load_folder

SETTINGS = ArgoCdSettings.model_validate(
    {"repoURL": "https://git.example/gb.git", "revision": "v1", "namespace": "cd"}
)


@pytest.fixture
def argocd() -> dict[tuple[str, str], dict[str, Any]]:
    return by_kind_name(load_folder(ROOT / "dist" / "argocd"))


def _render(tmp_path: Path, overlays: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    envs = tmp_path / "environments"
    envs.mkdir()
    for name, text in overlays.items():
        (envs / f"{name}.yaml").write_text(text)
    return render_manifests(load_environments(envs), SETTINGS)


def test_one_application_per_environment_plus_the_root(argocd: dict[Any, Any]) -> None:
    apps = sorted(name for kind, name in argocd if kind == "Application")
    assert apps == [
        "guestbook-dev",
        "guestbook-prod",
        "guestbook-root",
        "guestbook-staging",
        "guestbook-tutorial",
    ]


def test_application_syncs_its_folder_into_its_namespace_with_retry(tmp_path: Path) -> None:
    # Given one environment, When rendered with repository settings
    [app] = [
        m
        for m in _render(tmp_path, {"dev": "{}"})["argocd"]
        if m["metadata"]["name"] == "guestbook-dev"
    ]
    spec = app["spec"]
    # Then it points at dist/dev in that repository and revision, plain directory, recursive
    assert app["metadata"]["namespace"] == "cd"
    assert spec["source"] == {
        "repoURL": "https://git.example/gb.git",
        "targetRevision": "v1",
        "path": "dist/dev",
        "directory": {"recurse": True},
    }
    assert spec["destination"] == {
        "server": "https://kubernetes.default.svc",
        "namespace": "guestbook-dev",
    }
    assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert "CreateNamespace=true" in spec["syncPolicy"]["syncOptions"]
    assert spec["syncPolicy"]["retry"]["backoff"]["factor"] == 2
    assert app["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]


def test_manual_sync_environment_has_no_automated_policy(tmp_path: Path) -> None:
    rendered = _render(tmp_path, {"prod": "argocd:\n  automated: false\n"})["argocd"]
    [app] = [m for m in rendered if m["metadata"]["name"] == "guestbook-prod"]
    assert "automated" not in app["spec"]["syncPolicy"]


def test_other_cluster_by_name_reaches_application_and_project(tmp_path: Path) -> None:
    rendered = by_kind_name(
        _render(tmp_path, {"eu": "argocd:\n  destination:\n    name: eu-west\n"})["argocd"]
    )
    destination = {"name": "eu-west", "namespace": "guestbook-eu"}
    assert rendered[("Application", "guestbook-eu")]["spec"]["destination"] == destination
    assert rendered[("AppProject", "guestbook")]["spec"]["destinations"] == [destination]


def test_destination_server_and_name_are_exclusive(tmp_path: Path) -> None:
    with pytest.raises(GuestbookError, match="set either server or name, not both"):
        _render(tmp_path, {"eu": "argocd:\n  destination:\n    name: a\n    server: https://b\n"})


def test_disabled_environment_gets_no_application(tmp_path: Path) -> None:
    rendered = _render(tmp_path, {"dev": "{}", "lab": "argocd:\n  enabled: false\n"})["argocd"]
    assert "guestbook-lab" not in {m["metadata"]["name"] for m in rendered}


def test_project_allows_only_this_repo_and_exactly_the_rendered_kinds(
    argocd: dict[Any, Any],
) -> None:
    spec = argocd[("AppProject", "guestbook")]["spec"]
    rendered = {
        (m["apiVersion"].rpartition("/")[0], m["kind"])
        for env in ("dev", "staging", "prod", "tutorial")
        for m in load_folder(ROOT / "dist" / env)
    }
    assert spec["sourceRepos"] == [load_argocd_settings(ROOT / "pyproject.toml").repo_url]
    assert {(k["group"], k["kind"]) for k in spec["namespaceResourceWhitelist"]} == rendered
    assert spec["clusterResourceWhitelist"] == [{"group": "", "kind": "Namespace"}]


def test_root_manages_only_argo_cd_objects_in_argo_cd_namespace(argocd: dict[Any, Any]) -> None:
    root = argocd[("Application", "guestbook-root")]["spec"]
    project = argocd[("AppProject", root["project"])]["spec"]
    assert root["source"]["path"] == "dist/argocd"
    assert project["destinations"] == [
        {"server": "https://kubernetes.default.svc", "namespace": "argocd"}
    ]
    assert {k["kind"] for k in project["namespaceResourceWhitelist"]} == {
        "Application",
        "AppProject",
    }
    assert project["clusterResourceWhitelist"] == []


@pytest.mark.parametrize(
    ("env", "waves"),
    [
        ("dev", {"redis-leader": "0", "redis-follower": "1", "frontend": "2"}),
        ("tutorial", {"redis-leader": None, "redis-follower": None, "frontend": None}),
    ],
)
def test_sync_waves_order_leader_followers_frontend(env: str, waves: dict[str, Any]) -> None:
    objects = by_kind_name(load_folder(ROOT / "dist" / env))
    for name, wave in waves.items():
        for kind in ("Deployment", "Service"):
            annotations = objects[(kind, name)]["metadata"].get("annotations", {})
            assert annotations.get("argocd.argoproj.io/sync-wave") == wave


def test_environment_named_argocd_is_reserved(tmp_path: Path) -> None:
    with pytest.raises(GuestbookError, match="'argocd' is reserved"):
        _render(tmp_path, {"argocd": "{}"})


def test_settings_come_from_pyproject_and_environment_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "pyproject.toml"
    project.write_text('[tool.guestbook.argocd]\nrepoURL = "https://a/x.git"\nrevision = "dev"\n')
    assert load_argocd_settings(project).repo_url == "https://a/x.git"
    monkeypatch.setenv("GUESTBOOK_REVISION", "release-1")
    assert load_argocd_settings(project).revision == "release-1"


def test_unknown_setting_is_a_clear_error(tmp_path: Path) -> None:
    project = tmp_path / "pyproject.toml"
    project.write_text('[tool.guestbook.argocd]\nrepo = "x"\n')
    with pytest.raises(
        GuestbookError, match=r"\[tool.guestbook.argocd\]: repo: unknown key 'repo'"
    ):
        load_argocd_settings(project)
