"""Render environments into ``dist/<env>/``: one file per object, byte-for-byte reproducible.

Rendering happens in memory; :mod:`guestbook.output` writes the files to a
temporary folder beside the output and swaps them in only when every environment
rendered, so a failed render leaves ``dist/`` exactly as it was, and it refuses an
output folder that is not a render's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import cdk8s
from constructs import Construct

from guestbook.constructs.argocd import EnvironmentTarget, GuestbookArgoCd
from guestbook.constructs.guestbook import Guestbook
from guestbook.environments import ARGOCD_FOLDER, Environment
from guestbook.errors import GuestbookError
from guestbook.manifests.api_groups import group_of
from guestbook.output import GENERATED_BY, RenderedFile, check_output, write_output
from guestbook.settings import ArgoCdSettings
from guestbook.yamlio import to_yaml

Manifest = dict[str, Any]


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


def _group_kind(manifest: Manifest) -> tuple[str, str]:
    api_version = str(manifest["apiVersion"])
    return group_of(api_version), str(manifest["kind"])


def file_name(manifest: Manifest) -> str:
    """``<kind>-<name>.yaml``, lower-case: unique within one namespace."""
    return f"{manifest['kind'].lower()}-{manifest['metadata']['name']}.yaml"


def render_manifests(
    environments: Sequence[Environment], settings: ArgoCdSettings | None = None
) -> dict[str, list[Manifest]]:
    """Build each environment's chart and return its objects, keyed by output folder.

    With ``settings``, the Argo CD objects for these environments come under ``argocd``.
    Each chart gets an app of its own: the environments share nothing, and cdk8s
    resolves dependencies across the whole app on every ``to_json``, so one shared
    app would make a fleet's render grow with the square of its size.
    """
    rendered = {env.name: list(GuestbookChart(cdk8s.App(), env).to_json()) for env in environments}
    if settings is not None:
        kinds = {_group_kind(m) for manifests in rendered.values() for m in manifests}
        chart = ArgoCdChart(cdk8s.App(), settings, environments, kinds)
        rendered[ARGOCD_FOLDER] = list(chart.to_json())
    return rendered


def render_files(
    environments: Sequence[Environment], settings: ArgoCdSettings | None = None
) -> list[RenderedFile]:
    """Every output file of ``environments`` (and of Argo CD, with ``settings``), sorted."""
    files: list[RenderedFile] = []
    for folder, manifests in render_manifests(environments, settings).items():
        seen: set[str] = set()
        origin = "the Argo CD settings" if folder == ARGOCD_FOLDER else f"environment {folder!r}"
        header = f"{GENERATED_BY} from {origin}. Do not edit: run `make synth`.\n"
        for manifest in manifests:
            name = file_name(manifest)
            if name in seen:
                raise GuestbookError(
                    f"two objects render to {folder}/{name}; "
                    "object kinds and names must be unique in an environment"
                )
            seen.add(name)
            files.append(
                RenderedFile(f"{folder}/{name}", (header + to_yaml(manifest)).encode("utf-8"))
            )
    return sorted(files, key=lambda f: f.path)


def synth(
    environments: Sequence[Environment],
    outdir: Path,
    *,
    settings: ArgoCdSettings | None = None,
    partial: bool = False,
) -> int:
    """Render ``environments`` into ``outdir``; return the number of files written.

    With ``partial`` only those environments' folders are replaced and the rest
    of ``outdir`` (``argocd/`` included) is kept; otherwise ``outdir`` is replaced
    whole, so folders of removed environments disappear, and ``argocd/`` is
    rendered from ``settings`` (the defaults when None). Either way an ``outdir``
    that :func:`guestbook.output.check_output` refuses (the working directory, an
    environments folder, a folder with files a render did not write, ...) raises
    GuestbookError before anything is rendered or written.
    """
    # Refused before rendering, so a wrong -o costs no render; checked again under the lock.
    protected = sorted({env.source.parent for env in environments})
    check_output(outdir, protected=protected)
    if not partial:
        settings = settings or ArgoCdSettings()
    files = render_files(environments, None if partial else settings)
    only = [env.name for env in environments] if partial else None
    write_output(files, outdir, only, protected=protected)
    return len(files)
