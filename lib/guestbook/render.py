"""Render environments into ``dist/<env>/``: one file per object, byte-for-byte reproducible.

Rendering happens in memory: folders found in the render cache
(:mod:`guestbook.render_cache`) are taken from it, and many environments render in
several processes. :mod:`guestbook.output` writes the files to a temporary folder
beside the output and swaps them in only when every environment rendered, so a failed
render leaves ``dist/`` exactly as it was, and it refuses an output folder that is not a
render's own.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from guestbook import warm
from guestbook.environments import ARGOCD_FOLDER, LOGGING_SUFFIX, Environment, logging_folder
from guestbook.errors import GuestbookError
from guestbook.manifests.api_groups import group_of
from guestbook.output import GENERATED_BY, RenderedFile, check_output, write_output
from guestbook.render_cache import (
    Kind,
    RenderCache,
    RenderedFolder,
    argocd_key,
    collector_key,
    environment_key,
)
from guestbook.settings import ArgoCdSettings
from guestbook.yamlio import to_yaml

Manifest = dict[str, Any]
Unit = tuple[bool, Environment]
"""One folder to render: an environment's (False) or its log collector's (True)."""
MIN_ENVIRONMENTS_PER_PROCESS = 16
"""Fewest environments worth a worker process: each pays Python's and jsii's start-up
(about 1 CPU-second, the render of some 30 environments)."""


def _group_kind(manifest: Manifest) -> Kind:
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
    charts = {env.name: _environment_manifests(env) for env in environments}
    collectors = {
        logging_folder(env.name): _collector_manifests(env)
        for env in environments
        if env.props.logging.collector.enabled
    }
    rendered = {**charts, **collectors}
    if settings is not None:
        kinds = {_group_kind(m) for manifests in charts.values() for m in manifests}
        collector_kinds = {_group_kind(m) for manifests in collectors.values() for m in manifests}
        rendered[ARGOCD_FOLDER] = _argocd_manifests(settings, environments, kinds, collector_kinds)
    return rendered


def _folder(name: str, manifests: Sequence[Manifest]) -> RenderedFolder:
    """The files of one output folder, each with the header naming where it came from."""
    origin = "the Argo CD settings" if name == ARGOCD_FOLDER else f"environment {name!r}"
    if name.endswith(LOGGING_SUFFIX):
        origin = f"the log collector of environment {name.removesuffix(LOGGING_SUFFIX)!r}"
    header = f"{GENERATED_BY} from {origin}. Do not edit: run `make synth`.\n"
    files: dict[str, RenderedFile] = {}
    for manifest in manifests:
        path = f"{name}/{file_name(manifest)}"
        if path in files:
            raise GuestbookError(
                f"two objects render to {path}; "
                "object kinds and names must be unique in an environment"
            )
        files[path] = RenderedFile(path, (header + to_yaml(manifest)).encode("utf-8"))
    kinds = frozenset(_group_kind(m) for m in manifests)
    return RenderedFolder(name, tuple(files[path] for path in sorted(files)), kinds)


def _environment_manifests(environment: Environment) -> list[Manifest]:
    warm.wait()  # Node may be starting in a thread (see guestbook.warm)
    import cdk8s

    from guestbook.charts import GuestbookChart

    return list(GuestbookChart(cdk8s.App(), environment).to_json())


def _collector_manifests(environment: Environment) -> list[Manifest]:
    warm.wait()  # Node may be starting in a thread (see guestbook.warm)
    import cdk8s

    from guestbook.charts import LoggingChart

    return list(LoggingChart(cdk8s.App(), environment).to_json())


def _argocd_manifests(
    settings: ArgoCdSettings,
    environments: Sequence[Environment],
    kinds: Iterable[Kind],
    collector_kinds: Iterable[Kind],
) -> list[Manifest]:
    warm.wait()  # Node may be starting in a thread (see guestbook.warm)
    import cdk8s

    from guestbook.charts import ArgoCdChart

    chart = ArgoCdChart(cdk8s.App(), settings, environments, kinds, collector_kinds)
    return list(chart.to_json())


def render_environment(environment: Environment) -> RenderedFolder:
    """Render one environment's folder (starts the jsii runtime on first use)."""
    return _folder(environment.name, _environment_manifests(environment))


def render_collector(environment: Environment) -> RenderedFolder:
    """Render the folder of the log collector ``environment``'s overlay declares."""
    return _folder(logging_folder(environment.name), _collector_manifests(environment))


def render_argocd(
    settings: ArgoCdSettings,
    environments: Sequence[Environment],
    kinds: Iterable[Kind],
    collector_kinds: Iterable[Kind] = (),
) -> RenderedFolder:
    """Render ``argocd/``: Argo CD's objects for ``environments``, admitting ``kinds``
    (and ``collector_kinds`` to the log collectors' project)."""
    return _folder(ARGOCD_FOLDER, _argocd_manifests(settings, environments, kinds, collector_kinds))


def _render_unit(unit: Unit) -> RenderedFolder:
    collector, env = unit
    return render_collector(env) if collector else render_environment(env)


def _unit_name(unit: Unit) -> str:
    collector, env = unit
    return logging_folder(env.name) if collector else env.name


def _render_share(units: Sequence[Unit]) -> list[RenderedFolder]:
    """A worker process's part of a render."""
    return [_render_unit(unit) for unit in units]


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the whole process group: the parent unwinds and ends the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def render_units(
    units: Sequence[Unit],
    jobs: int = 1,
    done: Callable[[RenderedFolder], None] = lambda folder: None,
) -> list[RenderedFolder]:
    """Render ``units`` with up to ``jobs`` processes; call ``done`` with each folder.

    Worker processes are started (fresh interpreters, each with its own jsii
    runtime) only for at least :data:`MIN_ENVIRONMENTS_PER_PROCESS` environments
    each; this process renders a share too. Every environment is rendered in an
    app of its own, so the bytes do not depend on which process renders it.
    """
    processes = max(1, min(jobs, len(units) // MIN_ENVIRONMENTS_PER_PROCESS))
    shares = [list(units[i::processes]) for i in range(processes)]
    rendered: list[RenderedFolder] = []

    def finished(folder: RenderedFolder) -> None:
        rendered.append(folder)
        done(folder)

    if processes == 1:
        for unit in units:
            finished(_render_unit(unit))
        return rendered
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes - 1, initializer=_ignore_interrupts) as pool:
        others = pool.map_async(_render_share, shares[1:])
        for unit in shares[0]:
            finished(_render_unit(unit))
        for share in others.get():
            for folder in share:
                finished(folder)
    return rendered


def render_folders(
    environments: Sequence[Environment],
    settings: ArgoCdSettings | None = None,
    *,
    cache: RenderCache | None = None,
    jobs: int = 1,
) -> list[RenderedFolder]:
    """Every output folder of ``environments`` (and ``argocd``, with ``settings``).

    With ``cache``, a folder whose key is in it is taken from it and the others are
    rendered (up to ``jobs`` processes) and stored; see :mod:`guestbook.render_cache`.
    """
    folders: dict[str, RenderedFolder] = {}
    keys: dict[str, str] = {}
    names: list[str] = []
    missing: list[Unit] = []
    for env in environments:
        units: list[Unit] = [(False, env)]
        if env.props.logging.collector.enabled:
            units.append((True, env))
        for unit in units:
            name = _unit_name(unit)
            names.append(name)
            hit = None
            if cache is not None:
                keys[name] = collector_key(env) if unit[0] else environment_key(env)
                hit = cache.get(keys[name], name)
            if hit is None:
                missing.append(unit)
            else:
                folders[name] = hit

    def store(folder: RenderedFolder) -> None:
        folders[folder.name] = folder
        if cache is not None:
            cache.put(keys[folder.name], folder)

    render_units(missing, jobs, store)
    ordered = [folders[name] for name in names]
    if settings is not None:
        kinds = {kind for f in ordered if not f.name.endswith(LOGGING_SUFFIX) for kind in f.kinds}
        collector_kinds = {
            kind for f in ordered if f.name.endswith(LOGGING_SUFFIX) for kind in f.kinds
        }
        key = (
            argocd_key(settings, environments, kinds, collector_kinds) if cache is not None else ""
        )
        argocd = cache.get(key, ARGOCD_FOLDER) if cache is not None else None
        if argocd is None:
            argocd = render_argocd(settings, environments, kinds, collector_kinds)
            if cache is not None:
                cache.put(key, argocd)
        ordered.append(argocd)
    if cache is not None:
        cache.evict()
    return ordered


def render_files(
    environments: Sequence[Environment],
    settings: ArgoCdSettings | None = None,
    *,
    cache: RenderCache | None = None,
    jobs: int = 1,
) -> list[RenderedFile]:
    """Every output file of ``environments`` (and of Argo CD, with ``settings``), sorted."""
    folders = render_folders(environments, settings, cache=cache, jobs=jobs)
    return sorted((file for folder in folders for file in folder.files), key=lambda f: f.path)


def synth(
    environments: Sequence[Environment],
    outdir: Path,
    *,
    settings: ArgoCdSettings | None = None,
    partial: bool = False,
    cache: RenderCache | None = None,
    jobs: int = 1,
) -> int:
    """Render ``environments`` into ``outdir``; return the number of files written.

    With ``partial`` only those environments' folders are replaced and the rest
    of ``outdir`` (``argocd/`` included) is kept; otherwise ``outdir`` is replaced
    whole, so folders of removed environments disappear, and ``argocd/`` is
    rendered from ``settings`` (the defaults when None). Either way an ``outdir``
    that :func:`guestbook.output.check_output` refuses (the working directory, an
    environments folder, a folder with files a render did not write, ...) raises
    GuestbookError before anything is rendered or written. ``cache`` and ``jobs``
    are :func:`render_folders`'s; without a cache everything is rendered.
    """
    # Refused before rendering, so a wrong -o costs no render; checked again under the lock.
    protected = sorted({env.source.parent for env in environments})
    check_output(outdir, protected=protected)
    if not partial:
        settings = settings or ArgoCdSettings()
    files = render_files(environments, None if partial else settings, cache=cache, jobs=jobs)
    only = None
    if partial:  # an environment's folder and its collector's (removed when not rendered)
        only = [env.name for env in environments]
        only += [logging_folder(name) for name in only]
    write_output(files, outdir, only, protected=protected)
    return len(files)
