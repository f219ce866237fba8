"""The cdk8s charts a render builds: one per environment, one for Argo CD's objects.

Importing this module starts the jsii runtime (Node); :mod:`guestbook.render`
imports it only when something has to be rendered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import cdk8s
from constructs import Construct

from guestbook.constructs.argocd import EnvironmentTarget, GuestbookArgoCd
from guestbook.constructs.guestbook import Guestbook
from guestbook.environments import ARGOCD_FOLDER, Environment
from guestbook.settings import ArgoCdSettings


class GuestbookChart(cdk8s.Chart):
    """A chart holding one environment's guestbook, in the environment's namespace."""

    def __init__(self, scope: Construct, environment: Environment) -> None:
        super().__init__(scope, environment.name, namespace=environment.namespace)
        self.guestbook = Guestbook(
            self,
            "Guestbook",
            props=environment.props,
            instance=environment.name,
            sync_waves=environment.props.argocd.sync_waves,
        )


class ArgoCdChart(cdk8s.Chart):
    """Argo CD's objects for every environment, in Argo CD's namespace."""

    def __init__(
        self,
        scope: Construct,
        settings: ArgoCdSettings,
        environments: Sequence[Environment],
        kinds: Iterable[tuple[str, str]],
    ) -> None:
        super().__init__(scope, ARGOCD_FOLDER, namespace=settings.namespace)
        targets = [
            EnvironmentTarget(name=env.name, namespace=env.namespace, props=env.props.argocd)
            for env in environments
            if env.props.argocd.enabled
        ]
        self.argocd = GuestbookArgoCd(
            self, "ArgoCd", settings=settings, targets=targets, kinds=kinds
        )
