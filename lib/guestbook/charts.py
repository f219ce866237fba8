"""The cdk8s charts a render builds: one per environment, one per log collector, one for
Argo CD's objects.

Importing this module starts the jsii runtime (Node); :mod:`guestbook.render`
imports it only when something has to be rendered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import cdk8s
from constructs import Construct

from guestbook.constructs.argocd import EnvironmentTarget, GuestbookArgoCd
from guestbook.constructs.guestbook import Guestbook
from guestbook.constructs.labels import Identity
from guestbook.constructs.logging import NAMESPACE as COLLECTOR_NAMESPACE
from guestbook.constructs.logging import LogCollector
from guestbook.environments import ARGOCD_FOLDER, Environment, logging_folder
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


class LoggingChart(cdk8s.Chart):
    """The log collector an environment's overlay declares, in the collector's namespace."""

    def __init__(self, scope: Construct, environment: Environment) -> None:
        props = environment.props
        super().__init__(scope, f"{environment.name}-logging", namespace=COLLECTOR_NAMESPACE)
        identity = Identity(
            instance=f"{environment.name}-logging",
            extra_labels=props.labels,
            annotations=props.annotations,
        )
        self.collector = LogCollector(
            self,
            "LogCollector",
            props=props.logging.collector,
            identity=identity,
            dns_namespace=props.network_policy.dns_namespace,
        )


class ArgoCdChart(cdk8s.Chart):
    """Argo CD's objects for every environment, in Argo CD's namespace."""

    def __init__(
        self,
        scope: Construct,
        settings: ArgoCdSettings,
        environments: Sequence[Environment],
        kinds: Iterable[tuple[str, str]],
        collector_kinds: Iterable[tuple[str, str]] = (),
    ) -> None:
        super().__init__(scope, ARGOCD_FOLDER, namespace=settings.namespace)
        synced = [env for env in environments if env.props.argocd.enabled]
        targets = [
            EnvironmentTarget(name=env.name, namespace=env.namespace, props=env.props.argocd)
            for env in synced
        ]
        collectors = [
            EnvironmentTarget(
                name=f"{env.name}-logging",
                folder=logging_folder(env.name),
                namespace=COLLECTOR_NAMESPACE,
                props=env.props.argocd,
            )
            for env in synced
            if env.props.logging.collector.enabled
        ]
        self.argocd = GuestbookArgoCd(
            self,
            "ArgoCd",
            settings=settings,
            targets=targets,
            kinds=kinds,
            collectors=collectors,
            collector_kinds=collector_kinds,
        )
