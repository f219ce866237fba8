"""Argo CD's own objects: per environment an Application and an AppProject, an app-of-apps root.

``kubectl apply -f dist/argocd/`` bootstraps everything: the root Application
then keeps ``dist/argocd/`` itself in sync, so adding an environment is a commit.
In ``applicationset`` mode one ApplicationSet stands in for the per-environment
Applications: its git files generator reads one parameter ConfigMap per environment
from ``dist/argocd/`` and its template renders the same Application for each.

Each environment's AppProject admits exactly its destination and the kinds the environments
render, and carries Argo CD's project finalizer: removing an environment prunes its
Application and its project together, and the project stays until the Application's
finalizer has deleted what the Application deployed (a project that no longer admits a
destination lets nothing there be deleted).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cdk8s
from constructs import Construct

from guestbook.constructs.custom import custom_object
from guestbook.constructs.labels import MANAGED_BY, PART_OF, SYNC_WAVE
from guestbook.environments import ARGOCD_FOLDER
from guestbook.manifests.inventory import CLUSTER_SCOPED_KINDS
from guestbook.props.argocd import ArgoCdProps
from guestbook.settings import ArgoCdSettings

API_VERSION = "argoproj.io/v1alpha1"
IN_CLUSTER = "https://kubernetes.default.svc"
# Deleting an Application also deletes what it deployed (cascade), as `argocd app delete` does.
# On an AppProject the same name keeps the project until no Application names it.
CASCADE_FINALIZER = "resources-finalizer.argocd.argoproj.io"
RETRY = {"limit": 5, "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"}}
# A commit that changes nothing under an Application's own path reuses its manifests
# (and, with a webhook, does not even refresh it): each environment is exactly its folder.
MANIFEST_GENERATE_PATHS = "argocd.argoproj.io/manifest-generate-paths"
APPLICATIONSET = "guestbook"
PARAMETERS_PREFIX = "guestbook-environment-"
"""Name prefix of the per-environment parameter ConfigMaps the ApplicationSet reads."""


@dataclass(frozen=True, kw_only=True)
class EnvironmentTarget:
    """What Argo CD needs to know about one rendered environment."""

    name: str
    """Environment name; also its folder under ``dist/`` unless ``folder`` says otherwise."""
    namespace: str
    """Namespace its objects live in."""
    props: ArgoCdProps
    """How it is synced."""
    folder: str | None = None
    """Its folder under ``dist/``. Default: ``name``."""

    @property
    def path(self) -> str:
        """Its folder under ``dist/``."""
        return self.folder or self.name

    def destination(self) -> dict[str, str]:
        """The Application destination: cluster (by name or server) and namespace."""
        return {**self.cluster(), "namespace": self.namespace}

    def cluster(self) -> dict[str, str]:
        """The destination cluster alone: ``{"name": ...}`` or ``{"server": ...}``."""
        if self.props.destination.name:
            return {"name": self.props.destination.name}
        return {"server": self.props.destination.server or IN_CLUSTER}

    def sync_policy(self) -> dict[str, Any]:
        """The Application's syncPolicy."""
        return _sync_policy(self.props.automated, self.props.prune, self.props.self_heal)


def _labels(component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "guestbook",
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }


def _api_object(
    scope: Construct, id: str, *, kind: str, name: str, component: str, spec: Mapping[str, Any]
) -> cdk8s.ApiObject:
    return custom_object(
        scope,
        id,
        api_version=API_VERSION,
        kind=kind,
        name=name,
        labels=_labels(component),
        spec=spec,
    )


def _sync_policy(automated: bool, prune: bool, self_heal: bool) -> dict[str, Any]:
    policy: dict[str, Any] = {}
    if automated:
        policy["automated"] = {"prune": prune, "selfHeal": self_heal}
    policy["syncOptions"] = ["CreateNamespace=true", "PruneLast=true"]
    policy["retry"] = RETRY
    return policy


def environment_project(settings: ArgoCdSettings, environment: str) -> str:
    """The name of one environment's AppProject: ``<project>-<environment>``."""
    return f"{settings.project}-{environment}"


def _application_spec(
    settings: ArgoCdSettings,
    folder: str,
    destination: Mapping[str, str],
    sync_policy: Mapping[str, Any],
    project: str | None = None,
) -> dict[str, Any]:
    """An environment Application's spec (also the ApplicationSet's template, with
    template expressions for ``folder`` and the destination); ``project`` defaults to the
    environment's own project (:func:`environment_project` of ``folder``)."""
    return {
        "project": project or environment_project(settings, folder),
        "source": {
            "repoURL": settings.repo_url,
            "targetRevision": settings.revision,
            "path": f"{settings.dist_path}/{folder}",
            "directory": {"recurse": True},
        },
        "destination": dict(destination),
        "syncPolicy": dict(sync_policy),
    }


class GuestbookApplication(Construct):
    """The Application that syncs ``dist/<env>/`` into the environment's namespace (or, with
    ``project``, a log collector's folder into its namespace)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        target: EnvironmentTarget,
        settings: ArgoCdSettings,
        project: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.name = f"guestbook-{target.name}"
        """Application name."""
        self.application = _api_object(
            self,
            "Application",
            kind="Application",
            name=self.name,
            component="application",
            spec=_application_spec(
                settings, target.path, target.destination(), target.sync_policy(), project
            ),
        )
        self.application.metadata.add_finalizers(CASCADE_FINALIZER)
        self.application.metadata.add_annotation(MANIFEST_GENERATE_PATHS, ".")


def parameters(target: EnvironmentTarget) -> dict[str, str]:
    """What the ApplicationSet's template needs of one environment (ConfigMap data).

    The per-environment parts of the Application: its name, namespace, cluster, and the
    automated sync policy, the last two as JSON (``null``: manual sync), which the
    template patch inserts as they are (JSON is YAML).
    """
    automated = target.sync_policy().get("automated")
    return {
        "environment": target.name,
        "namespace": target.namespace,
        "cluster": json.dumps(target.cluster(), separators=(",", ":")),
        "automated": json.dumps(automated, separators=(",", ":")),
    }


# Only field lookups, so the template reads the same in Go's text/template and to a person.
TEMPLATE_PATCH = """\
spec:
  destination: {{ .data.cluster }}
  syncPolicy:
    automated: {{ .data.automated }}
"""


class EnvironmentParameters(Construct):
    """One environment's parameters for the ApplicationSet: a ConfigMap in Argo CD's
    namespace, read from git by the generator (and applied by the root, so the fleet's
    settings can be listed in the cluster too)."""

    def __init__(self, scope: Construct, id: str, *, target: EnvironmentTarget) -> None:
        super().__init__(scope, id)
        self.name = f"{PARAMETERS_PREFIX}{target.name}"
        """ConfigMap name."""
        self.config_map = cdk8s.ApiObject(
            self,
            "ConfigMap",
            api_version="v1",
            kind="ConfigMap",
            metadata=cdk8s.ApiObjectMetadata(name=self.name, labels=_labels("environment")),
        )
        self.config_map.add_json_patch(cdk8s.JsonPatch.add("/data", parameters(target)))


class GuestbookApplicationSet(Construct):
    """One ApplicationSet generating every environment's Application from git.

    A git files generator over the parameter ConfigMaps in ``dist/argocd/``; the template is
    the Applications mode's Application with ``{{ .data.* }}`` for what differs, and the
    template patch sets the cluster and the automated policy.
    """

    def __init__(self, scope: Construct, id: str, *, settings: ArgoCdSettings) -> None:
        super().__init__(scope, id)
        self.name = APPLICATIONSET
        """ApplicationSet name."""
        template_spec = _application_spec(
            settings,
            "{{ .data.environment }}",
            {"namespace": "{{ .data.namespace }}"},
            # The shared part; the template patch adds `automated` per environment.
            _sync_policy(automated=False, prune=False, self_heal=False),
        )
        self.application_set = _api_object(
            self,
            "ApplicationSet",
            kind="ApplicationSet",
            name=self.name,
            component="applicationset",
            spec={
                "goTemplate": True,
                "goTemplateOptions": ["missingkey=error"],
                "generators": [
                    {
                        "git": {
                            "repoURL": settings.repo_url,
                            "revision": settings.revision,
                            "files": [{"path": parameters_glob(settings)}],
                        }
                    }
                ],
                "template": {
                    "metadata": {
                        "name": "guestbook-{{ .data.environment }}",
                        "labels": _labels("application"),
                        "annotations": {MANIFEST_GENERATE_PATHS: "."},
                        "finalizers": [CASCADE_FINALIZER],
                    },
                    "spec": template_spec,
                },
                "templatePatch": TEMPLATE_PATCH,
            },
        )


def parameters_glob(settings: ArgoCdSettings) -> str:
    """The generator's path glob: the parameter ConfigMaps' files in ``dist/argocd/``."""
    return f"{settings.dist_path}/{ARGOCD_FOLDER}/configmap-{PARAMETERS_PREFIX}*.yaml"


class Project(Construct):
    """An AppProject fencing Applications to one repository, some destinations and some kinds.

    Created in sync wave -1, before the Applications that name it.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        description: str,
        repo_url: str,
        destinations: Sequence[Mapping[str, str]],
        namespaced_kinds: Iterable[tuple[str, str]],
        cluster_kinds: Iterable[tuple[str, str]] = (),
    ) -> None:
        super().__init__(scope, id)
        self.name = name
        """AppProject name."""

        def kinds(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
            return [{"group": group, "kind": kind} for group, kind in sorted(set(pairs))]

        self.project = _api_object(
            self,
            "AppProject",
            kind="AppProject",
            name=name,
            component="project",
            spec={
                "description": description,
                "sourceRepos": [repo_url],
                "destinations": [dict(d) for d in destinations],
                "clusterResourceWhitelist": kinds(cluster_kinds),
                "namespaceResourceWhitelist": kinds(namespaced_kinds),
                "orphanedResources": {"warn": True},
            },
        )
        self.project.metadata.add_annotation(SYNC_WAVE, "-1")


class RootApplication(Construct):
    """App of apps: syncs ``dist/argocd/`` (the Applications and the project) from git."""

    def __init__(
        self, scope: Construct, id: str, *, settings: ArgoCdSettings, project: str
    ) -> None:
        super().__init__(scope, id)
        self.name = "guestbook-root"
        """Application name."""
        self.application = _api_object(
            self,
            "Application",
            kind="Application",
            name=self.name,
            component="root",
            spec={
                "project": project,
                "source": {
                    "repoURL": settings.repo_url,
                    "targetRevision": settings.revision,
                    "path": f"{settings.dist_path}/argocd",
                },
                "destination": {"server": IN_CLUSTER, "namespace": settings.namespace},
                "syncPolicy": _sync_policy(automated=True, prune=True, self_heal=True),
            },
        )
        self.application.metadata.add_annotation(MANIFEST_GENERATE_PATHS, ".")


class GuestbookArgoCd(Construct):
    """Everything in ``dist/argocd/``: one project per environment, the root and its project
    and, per ``settings.mode``, one Application per environment or one ApplicationSet and a
    parameter ConfigMap each.

    ``kinds`` are the (API group, kind) pairs the environments render; every environment's
    project allows exactly those (all environments', not its own: a kind an environment
    stops rendering must stay admitted for Argo CD to prune it, as long as any renders it).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: ArgoCdSettings,
        targets: Sequence[EnvironmentTarget],
        kinds: Iterable[tuple[str, str]],
        collectors: Sequence[EnvironmentTarget] = (),
        collector_kinds: Iterable[tuple[str, str]] = (),
    ) -> None:
        super().__init__(scope, id)
        kinds = list(kinds)
        self.projects = [
            self._target_project(
                settings,
                t,
                f"The guestbook environment {t.name}, rendered by guestbook-gitops.",
                kinds,
                # CreateNamespace=true needs Namespace; nothing else cluster-wide.
                [("", "Namespace")],
            )
            for t in targets
        ]
        """One AppProject per environment: its destination only."""
        fleet = settings.mode == "applicationset"
        self.root_project = Project(
            self,
            "RootProject",
            name=f"{settings.project}-root",
            description="The app of apps: Argo CD objects in Argo CD's namespace only.",
            repo_url=settings.repo_url,
            destinations=[{"server": IN_CLUSTER, "namespace": settings.namespace}],
            # The kinds of both modes, whichever is rendered: Argo CD checks a sync against
            # the project as it is before the sync, so a commit switching modes could never
            # sync if the project admitted only the kinds of the mode it leaves.
            namespaced_kinds=[
                ("argoproj.io", "Application"),
                ("argoproj.io", "AppProject"),
                ("argoproj.io", "ApplicationSet"),
                ("", "ConfigMap"),
            ],
        )
        self.root = RootApplication(self, "Root", settings=settings, project=self.root_project.name)
        self.applications = (
            []
            if fleet
            else [GuestbookApplication(self, t.name, target=t, settings=settings) for t in targets]
        )
        """Applications mode: one Application per environment, in the order given."""
        self.application_set = (
            GuestbookApplicationSet(self, "ApplicationSet", settings=settings) if fleet else None
        )
        """ApplicationSet mode: the ApplicationSet."""
        self.parameters = (
            [EnvironmentParameters(self, f"{t.name}-parameters", target=t) for t in targets]
            if fleet
            else []
        )
        """ApplicationSet mode: one parameter ConfigMap per environment."""
        self.logging_projects: list[Project] = []
        """One project per log collector, the only ones admitting cluster-wide RBAC; pruned
        with its Application, as an environment's is."""
        self.collectors: list[GuestbookApplication] = []
        """One Application per log collector (in both modes: it is not an environment)."""
        collector_kinds = set(collector_kinds)
        cluster_scoped = {k for k in collector_kinds if k[1] in CLUSTER_SCOPED_KINDS}
        for t in collectors:
            project = self._target_project(
                settings,
                t,
                f"The log collector {t.name}: its namespace and its RBAC.",
                collector_kinds - cluster_scoped,
                [("", "Namespace"), *cluster_scoped],
            )
            self.logging_projects.append(project)
            self.collectors.append(
                GuestbookApplication(
                    self, t.name, target=t, settings=settings, project=project.name
                )
            )

    def _target_project(
        self,
        settings: ArgoCdSettings,
        target: EnvironmentTarget,
        description: str,
        namespaced_kinds: Iterable[tuple[str, str]],
        cluster_kinds: Iterable[tuple[str, str]],
    ) -> Project:
        """The AppProject of one environment or collector: its destination only.

        Pruned with its Application, the project stays until that Application's finalizer
        has deleted what it deployed (Argo CD deletes only what it admits).
        """
        project = Project(
            self,
            f"{target.name}-project",
            name=environment_project(settings, target.name),
            description=description,
            repo_url=settings.repo_url,
            destinations=[target.destination()],
            namespaced_kinds=namespaced_kinds,
            cluster_kinds=cluster_kinds,
        )
        project.project.metadata.add_finalizers(CASCADE_FINALIZER)
        return project
