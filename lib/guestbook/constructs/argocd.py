"""Argo CD's own objects: one Application per environment, an AppProject, an app-of-apps root.

``kubectl apply -f dist/argocd/`` bootstraps everything: the root Application
then keeps ``dist/argocd/`` itself in sync, so adding an environment is a commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cdk8s
from constructs import Construct

from guestbook.constructs.custom import custom_object
from guestbook.constructs.labels import MANAGED_BY, PART_OF, SYNC_WAVE
from guestbook.props.argocd import ArgoCdProps
from guestbook.settings import ArgoCdSettings

API_VERSION = "argoproj.io/v1alpha1"
IN_CLUSTER = "https://kubernetes.default.svc"
# Deleting an Application also deletes what it deployed (cascade), as `argocd app delete` does.
CASCADE_FINALIZER = "resources-finalizer.argocd.argoproj.io"
RETRY = {"limit": 5, "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"}}


@dataclass(frozen=True, kw_only=True)
class EnvironmentTarget:
    """What Argo CD needs to know about one rendered environment."""

    name: str
    """Environment name; also its folder under ``dist/``."""
    namespace: str
    """Namespace its objects live in."""
    props: ArgoCdProps
    """How it is synced."""

    def destination(self) -> dict[str, str]:
        """The Application destination: cluster (by name or server) and namespace."""
        cluster = (
            {"name": self.props.destination.name}
            if self.props.destination.name
            else {"server": self.props.destination.server or IN_CLUSTER}
        )
        return {**cluster, "namespace": self.namespace}


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


class GuestbookApplication(Construct):
    """The Application that syncs ``dist/<env>/`` into the environment's namespace."""

    def __init__(
        self, scope: Construct, id: str, *, target: EnvironmentTarget, settings: ArgoCdSettings
    ) -> None:
        super().__init__(scope, id)
        self.name = f"guestbook-{target.name}"
        """Application name."""
        props = target.props
        self.application = _api_object(
            self,
            "Application",
            kind="Application",
            name=self.name,
            component="application",
            spec={
                "project": settings.project,
                "source": {
                    "repoURL": settings.repo_url,
                    "targetRevision": settings.revision,
                    "path": f"{settings.dist_path}/{target.name}",
                    "directory": {"recurse": True},
                },
                "destination": target.destination(),
                "syncPolicy": _sync_policy(props.automated, props.prune, props.self_heal),
            },
        )
        self.application.metadata.add_finalizers(CASCADE_FINALIZER)


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


class GuestbookArgoCd(Construct):
    """Everything in ``dist/argocd/``: both projects, the root and one Application per environment.

    ``kinds`` are the (API group, kind) pairs the environments render; the
    environments' project allows exactly those.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: ArgoCdSettings,
        targets: Sequence[EnvironmentTarget],
        kinds: Iterable[tuple[str, str]],
    ) -> None:
        super().__init__(scope, id)
        self.project = Project(
            self,
            "Project",
            name=settings.project,
            description="The guestbook environments rendered by guestbook-gitops.",
            repo_url=settings.repo_url,
            destinations=[t.destination() for t in targets],
            namespaced_kinds=kinds,
            # CreateNamespace=true needs Namespace; nothing else cluster-wide.
            cluster_kinds=[("", "Namespace")],
        )
        self.root_project = Project(
            self,
            "RootProject",
            name=f"{settings.project}-root",
            description="The app of apps: Argo CD objects in Argo CD's namespace only.",
            repo_url=settings.repo_url,
            destinations=[{"server": IN_CLUSTER, "namespace": settings.namespace}],
            namespaced_kinds=[("argoproj.io", "Application"), ("argoproj.io", "AppProject")],
        )
        self.root = RootApplication(self, "Root", settings=settings, project=self.root_project.name)
        self.applications = [
            GuestbookApplication(self, t.name, target=t, settings=settings) for t in targets
        ]
        """One Application per environment, in the order given."""
