"""Argo CD's objects: one Application per environment, projects, the app-of-apps root, waves."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from guestbook.environments import load_environments
from guestbook.errors import GuestbookError
from guestbook.render import render_files, render_manifests, synth
from guestbook.settings import ArgoCdSettings, load_argocd_settings
from guestbook.validate.model import Severity
from guestbook.validate.pipeline import validate
from guestbook.validate.settings import ValidateSettings
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
        "guestbook-prod-logging",  # prod's overlay renders the cluster's log collector
        "guestbook-root",
        "guestbook-staging",
        "guestbook-tutorial",
    ]


def test_application_syncs_its_folder_into_its_namespace_with_retry(tmp_path: Path) -> None:
    # Given one environment, When rendered with repository settings
    app = by_kind_name(_render(tmp_path, {"dev": "{}"})["argocd"])[("Application", "guestbook-dev")]
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
    app = by_kind_name(rendered)[("Application", "guestbook-prod")]
    assert "automated" not in app["spec"]["syncPolicy"]


def test_other_cluster_by_name_reaches_application_and_project(tmp_path: Path) -> None:
    rendered = by_kind_name(
        _render(tmp_path, {"eu": "argocd:\n  destination:\n    name: eu-west\n"})["argocd"]
    )
    destination = {"name": "eu-west", "namespace": "guestbook-eu"}
    assert rendered[("Application", "guestbook-eu")]["spec"]["destination"] == destination
    assert rendered[("AppProject", "guestbook-eu")]["spec"]["destinations"] == [destination]


def test_destination_server_and_name_are_exclusive(tmp_path: Path) -> None:
    with pytest.raises(GuestbookError, match="set either server or name, not both"):
        _render(tmp_path, {"eu": "argocd:\n  destination:\n    name: a\n    server: https://b\n"})


def test_disabled_environment_gets_no_application(tmp_path: Path) -> None:
    rendered = _render(tmp_path, {"dev": "{}", "lab": "argocd:\n  enabled: false\n"})["argocd"]
    assert "guestbook-lab" not in {m["metadata"]["name"] for m in rendered}


@pytest.mark.parametrize("env", ["dev", "staging", "prod", "tutorial"])
def test_each_environment_has_a_project_admitting_exactly_its_destination_and_kinds(
    argocd: dict[Any, Any], env: str
) -> None:
    # Given this repository's dist/, Then the environment's Application names its own
    # project, which admits this repository, its destination and the kinds the environments
    # render (all of them: a kind one environment stops rendering, say staging's
    # PodDisruptionBudgets, must stay admitted for Argo CD to prune it)
    app = argocd[("Application", f"guestbook-{env}")]
    assert app["spec"]["project"] == f"guestbook-{env}"
    project = argocd[("AppProject", f"guestbook-{env}")]
    spec = project["spec"]
    rendered = {
        (m["apiVersion"].rpartition("/")[0], m["kind"])
        for other in ("dev", "staging", "prod", "tutorial")
        for m in load_folder(ROOT / "dist" / other)
    }
    assert spec["sourceRepos"] == [load_argocd_settings(ROOT / "pyproject.toml").repo_url]
    assert spec["destinations"] == [app["spec"]["destination"]]
    assert {(k["group"], k["kind"]) for k in spec["namespaceResourceWhitelist"]} == rendered
    assert spec["clusterResourceWhitelist"] == [{"group": "", "kind": "Namespace"}]
    # And Argo CD's project finalizer keeps the project, once pruned with its Application,
    # until that Application's own finalizer has deleted what it deployed
    assert project["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]


def test_a_rollout_in_one_environment_is_admitted_by_every_environments_project(
    tmp_path: Path,
) -> None:
    # Given two environments, one rendering its frontend as an Argo Rollouts Rollout
    rendered = _render(
        tmp_path, {"dev": "{}", "lab": "frontend:\n  canary:\n    steps: [{setWeight: 50}]\n"}
    )
    # Then both projects admit the Rollout kind (and still the Deployment, Redis's kind)
    projects = [m for m in rendered["argocd"] if m["kind"] == "AppProject"]
    for name in ("guestbook-dev", "guestbook-lab"):
        [project] = [p for p in projects if p["metadata"]["name"] == name]
        kinds = project["spec"]["namespaceResourceWhitelist"]
        assert {"group": "argoproj.io", "kind": "Rollout"} in kinds
        assert {"group": "apps", "kind": "Deployment"} in kinds


def test_projects_admit_exactly_the_rendered_destinations(argocd: dict[Any, Any]) -> None:
    # Given this repository's dist/argocd, Then the projects of the environments admit,
    # together, exactly the environments' destinations, and the root's only Argo CD's
    apps = {name: obj for (kind, name), obj in argocd.items() if kind == "Application"}
    projects = {name: obj for (kind, name), obj in argocd.items() if kind == "AppProject"}
    assert sorted(projects) == sorted(app["spec"]["project"] for app in apps.values())
    for name, app in apps.items():
        assert projects[app["spec"]["project"]]["spec"]["destinations"] == [
            app["spec"]["destination"]
        ], name


def test_removed_environment_takes_its_project_with_it(tmp_path: Path) -> None:
    # Given two environments, When one of them is disabled
    both = by_kind_name(_render(tmp_path, {"dev": "{}", "qa": "{}"})["argocd"])
    (tmp_path / "environments" / "qa.yaml").write_text("argocd:\n  enabled: false\n")
    rendered = by_kind_name(
        render_manifests(load_environments(tmp_path / "environments"), SETTINGS)["argocd"]
    )
    # Then its Application and its project go, and nothing else changes
    gone = {("Application", "guestbook-qa"), ("AppProject", "guestbook-qa")}
    assert set(both) - set(rendered) == gone
    assert {key: both[key] for key in rendered} == rendered


def test_root_manages_only_argo_cd_objects_in_argo_cd_namespace(argocd: dict[Any, Any]) -> None:
    root = argocd[("Application", "guestbook-root")]["spec"]
    project = argocd[("AppProject", root["project"])]["spec"]
    assert root["source"]["path"] == "dist/argocd"
    assert project["destinations"] == [
        {"server": "https://kubernetes.default.svc", "namespace": "argocd"}
    ]
    # (the kinds of both Argo CD modes, so that a commit switching modes can sync)
    assert {k["kind"] for k in project["namespaceResourceWhitelist"]} == {
        "Application",
        "AppProject",
        "ApplicationSet",
        "ConfigMap",
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


def test_every_application_regenerates_only_for_changes_in_its_own_folder(
    argocd: dict[Any, Any],
) -> None:
    # Given this repository's dist/argocd, Then every Application (the root too) declares
    # that its manifests depend on its own source path only
    apps = [obj for (kind, _), obj in argocd.items() if kind == "Application"]
    assert len(apps) == 6
    for app in apps:
        annotations = app["metadata"]["annotations"]
        assert annotations == {"argocd.argoproj.io/manifest-generate-paths": "."}


# --- ApplicationSet mode -------------------------------------------------------------

FLEET = SETTINGS.model_copy(update={"mode": "applicationset"})
OVERLAYS = {
    "dev": "{}",
    "eu": "argocd:\n  destination:\n    name: eu-west\n",
    "us": "argocd:\n  destination:\n    server: https://us.example:6443\n",
    "prod": "argocd:\n  automated: false\n",
    "qa": "argocd:\n  prune: false\n  selfHeal: false\n",
    "lab": "argocd:\n  enabled: false\n",
}
EXPRESSION = re.compile(r"{{\s*(.*?)\s*}}")


def _go_template(text: str, params: dict[str, Any]) -> str:
    """Go's text/template for the only construct our templates may use: ``{{ .a.b }}``.

    Anything else (a pipeline, a function, a missing key) fails the test, so the rendered
    ApplicationSet stays within what this evaluator proves.
    """

    def lookup(match: re.Match[str]) -> str:
        path = match.group(1)
        assert re.fullmatch(r"(\.[A-Za-z_][A-Za-z0-9_]*)+", path), f"not a field lookup: {path}"
        value: Any = params
        for key in path.split(".")[1:]:
            value = value[key]  # missingkey=error
        assert isinstance(value, str)
        return value

    return EXPRESSION.sub(lookup, text)


def _substitute(node: Any, params: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        return {key: _substitute(value, params) for key, value in node.items()}
    if isinstance(node, list):
        return [_substitute(item, params) for item in node]
    return _go_template(node, params) if isinstance(node, str) else node


def _merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 merge patch (a strategic merge patch on Application, which has no list keys)."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = _merge_patch(merged.get(key), value)
    return merged


def _generate(rendered: dict[str, bytes]) -> list[dict[str, Any]]:
    """What the ApplicationSet controller makes of ``rendered`` (repository path to bytes):
    its git files generator, then template and template patch per file."""
    [appset] = [
        doc
        for path, content in rendered.items()
        if path.startswith("dist/argocd/")
        for doc in [yaml.safe_load(content)]
        if doc["kind"] == "ApplicationSet"
    ]
    spec = appset["spec"]
    assert spec["goTemplate"] is True
    assert spec["goTemplateOptions"] == ["missingkey=error"]
    [generator] = spec["generators"]
    [files] = generator["git"]["files"]
    apps = []
    for path in sorted(p for p in rendered if fnmatch.fnmatchcase(p, files["path"])):
        params = yaml.safe_load(rendered[path])
        app = _substitute(spec["template"], params)
        app = _merge_patch(app, yaml.safe_load(_go_template(spec["templatePatch"], params)))
        app["metadata"]["namespace"] = appset["metadata"]["namespace"]
        apps.append({"apiVersion": appset["apiVersion"], "kind": "Application", **app})
    return apps


def _repository(tmp_path: Path, settings: ArgoCdSettings) -> dict[str, bytes]:
    envs = tmp_path / "environments"
    envs.mkdir(exist_ok=True)
    for name, text in OVERLAYS.items():
        (envs / f"{name}.yaml").write_text(text)
    files = render_files(load_environments(envs), settings)
    return {f"dist/{f.path}": f.content for f in files}


def test_applicationset_generates_exactly_the_applications_of_applications_mode(
    tmp_path: Path,
) -> None:
    # Given environments with every kind of per-environment Argo CD setting
    # When rendered in both modes
    applications = _repository(tmp_path, SETTINGS)
    fleet = _repository(tmp_path, FLEET)
    # Then the ApplicationSet, applied by hand, generates exactly the rendered Applications
    expected = sorted(
        (yaml.safe_load(content) for path, content in applications.items()),
        key=lambda m: m["metadata"]["name"],
    )
    expected = [
        m
        for m in expected
        if m["kind"] == "Application" and m["metadata"]["name"] != "guestbook-root"
    ]
    generated = _generate(fleet)
    assert [a["metadata"]["name"] for a in generated] == [
        "guestbook-dev", "guestbook-eu", "guestbook-prod", "guestbook-qa", "guestbook-us",
    ]  # fmt: skip
    assert generated == expected


def test_applicationset_mode_keeps_the_projects_and_the_root(tmp_path: Path) -> None:
    # Given both modes rendered
    applications = by_kind_name(_render(tmp_path, {"dev": "{}", "eu": OVERLAYS["eu"]})["argocd"])
    fleet = by_kind_name(
        render_manifests(load_environments(tmp_path / "environments"), FLEET)["argocd"]
    )
    # Then both projects and the root are the same (the root's project admits the kinds of
    # both modes, so that switching modes is a commit like any other)
    for key in (
        ("AppProject", "guestbook-dev"),
        ("AppProject", "guestbook-eu"),
        ("AppProject", "guestbook-root"),
        ("Application", "guestbook-root"),
    ):
        assert fleet[key] == applications[key]
    assert sorted(name for kind, name in fleet if kind == "Application") == ["guestbook-root"]
    assert sorted(name for kind, name in fleet if kind == "ConfigMap") == [
        "guestbook-environment-dev",
        "guestbook-environment-eu",
    ]


def test_applicationset_mode_output_validates_as_a_complete_set(tmp_path: Path) -> None:
    # Given the fleet rendered in ApplicationSet mode (the ApplicationSet CRD schema is bundled)
    envs = tmp_path / "environments"
    envs.mkdir()
    for name, text in OVERLAYS.items():
        (envs / f"{name}.yaml").write_text(text)
    synth(load_environments(envs), tmp_path / "dist", settings=FLEET)
    # When validated as a complete set, Then there is no error
    report = validate([tmp_path / "dist"], settings=ValidateSettings(complete=True))
    errors = [f for f in report.findings if f.severity == Severity.ERROR]
    assert not errors, errors
    assert report.documents > 0


def test_mode_is_read_from_pyproject_and_checked(tmp_path: Path) -> None:
    project = tmp_path / "pyproject.toml"
    project.write_text('[tool.guestbook.argocd]\nmode = "applicationset"\n')
    assert load_argocd_settings(project).mode == "applicationset"
    project.write_text('[tool.guestbook.argocd]\nmode = "appset"\n')
    with pytest.raises(GuestbookError, match=r"pyproject.toml:2: \[tool.guestbook.argocd\]: mode"):
        load_argocd_settings(project)
