"""Environments: the tutorial's defaults plus one overlay file per environment.

The defaults are the upstream tutorial. ``environments/<name>.yaml`` overrides
them by deep merge (mappings merge key by key; lists and scalars replace), and
the merged result is validated by :class:`OverlayProps`: the guestbook's props
(``guestbook.props``), the environment's namespace and how Argo CD syncs it. A
field is documented once and shows up in the constructs, the overlay files and
the generated JSON Schema alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from guestbook import names
from guestbook.constructs.labels import SYNC_WAVE
from guestbook.errors import GuestbookError
from guestbook.files import read_limited_text
from guestbook.props.argocd import ArgoCdProps
from guestbook.props.base import ANNOTATIONS_MAX_BYTES, DnsLabel, Resources, annotations_size
from guestbook.props.guestbook import GuestbookProps
from guestbook.validation_messages import (
    describe_found,
    describe_type,
    format_validation_error,
    line_of,
)
from guestbook.yamlio import (
    Lines,
    UniqueKeyLoader,
    YamlLimits,
    check_limits,
    construct_with_lines,
)

OVERLAY_SUFFIXES = (".yaml", ".yml")
SCHEMA_FILE = "overlay.schema.json"
ARGOCD_FOLDER = "argocd"
"""Output folder of the Argo CD objects."""
RESERVED_NAMES = frozenset({ARGOCD_FOLDER})
"""Output folders that are not environments."""
LOGGING_SUFFIX = ".logging"
"""Suffix of the folder of an environment's log collector: ``<env>.logging`` (no environment
name has a dot, so it never collides with one)."""


def logging_folder(environment: str) -> str:
    """Output folder of the log collector declared by ``environment``'s overlay."""
    return f"{environment}{LOGGING_SUFFIX}"


OVERLAY_LIMITS = YamlLimits()
"""Size, nesting and alias-expansion bounds of an overlay file."""


class OverlayProps(GuestbookProps):
    """One environment overlay file: its namespace, the guestbook's props, how Argo CD syncs it."""

    namespace: DnsLabel | None = None
    """Namespace of every object. Default: ``guestbook-<environment>``."""
    argocd: ArgoCdProps = ArgoCdProps()
    """Argo CD settings. Default: automated sync with prune and self-heal, in-cluster."""


@dataclass(frozen=True)
class Environment:
    """One deployable environment: its name (the overlay's file name) and its settings."""

    name: str
    source: Path
    props: OverlayProps
    lines: Lines = field(default_factory=dict, compare=False, repr=False)
    """Where the overlay sets each key; empty for an environment built in code."""

    @property
    def namespace(self) -> str:
        """The namespace objects render into."""
        return self.props.namespace or f"guestbook-{self.name}"

    def where(self, *path: str | int) -> str:
        """``file:line`` of ``path`` in the overlay (or of its nearest parent it sets)."""
        line = line_of(self.lines, path)
        return f"{self.source}:{line}" if line else str(self.source)


_MERGE_TAG = "tag:yaml.org,2002:merge"


def load_yaml_mapping(
    path: Path, limits: YamlLimits = OVERLAY_LIMITS
) -> tuple[dict[str, Any], Lines]:
    """Read one YAML document that must be a mapping, within ``limits``; also its key lines."""
    text = read_limited_text(path, limits.max_bytes, "an overlay file (one YAML mapping)")
    try:
        check_limits(text, limits, UniqueKeyLoader)
        loader = UniqueKeyLoader(text)
        try:
            node = loader.get_single_node()
            data, lines = construct_with_lines(loader, node) if node is not None else (None, {})
        finally:
            loader.dispose()
    except yaml.reader.ReaderError as err:
        line = text[: err.position].count("\n") + 1
        raise GuestbookError(
            f"{path}:{line}: invalid YAML: character {chr(err.character)!r} is not allowed in YAML"
        ) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = err.problem or str(err)
        if _MERGE_TAG in problem:
            problem = "merge keys (<<) are not supported in overlays; write the keys out"
        raise GuestbookError(f"{where}: invalid YAML: {problem}") from None
    except yaml.YAMLError as err:
        raise GuestbookError(f"{path}: invalid YAML: {err}") from None
    if data is None:
        return {}, lines
    if not isinstance(data, dict):
        raise GuestbookError(
            f"{path}:1: found a {describe_type(data)} at the top level, expected a mapping of keys"
        )
    return data, lines


def deep_merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``overlay`` onto ``base``: mappings merge recursively, anything else replaces."""
    merged = dict(base)
    for key, value in overlay.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged


@cache
def _defaults() -> dict[str, Any]:
    # Built once (a fresh OverlayProps deep-copies every default: ~40 % of loading a fleet)
    # and shared: deep_merge copies each mapping it changes, and validation mutates nothing.
    return OverlayProps().model_dump(by_alias=True, mode="python")


def parse_environment(path: Path) -> Environment:
    """Load, merge and validate one overlay file into an :class:`Environment`."""
    overlay, lines = load_yaml_mapping(path)
    try:
        props = OverlayProps.model_validate(deep_merge(_defaults(), overlay))
    except ValidationError as err:
        raise GuestbookError(format_validation_error(path, err, lines, OverlayProps)) from None
    environment = Environment(name=path.stem, source=path, props=props, lines=lines)
    problems = [
        f"{environment.where(*loc)}: {'.'.join(map(str, loc))}: "
        f"found {describe_found(value)}: {message}"
        for loc, value, message in _cross_field_problems(props)
    ]
    if names.dns1123_label_error(environment.namespace):
        problems.append(
            f"{path}: environment name {environment.name!r} gives the namespace "
            f"{environment.namespace!r} ({len(environment.namespace)} characters), which "
            f"{names.dns1123_label_error(environment.namespace)}; "
            "shorten the file name or set namespace:"
        )
    if problems:
        raise GuestbookError("\n".join(problems))
    return environment


_RESOURCES = (("frontend",), ("redis", "leader"), ("redis", "followers"))


def _cross_field_problems(
    props: OverlayProps,
) -> Iterator[tuple[tuple[str, ...], object, str]]:
    """What the API server (or guestbook itself) would reject across fields: (key, value, why)."""
    for path in _RESOURCES:
        part: Any = props
        for name in path:
            part = getattr(part, name)
        resources: Resources = part.resources
        requests, limits = resources.requests.to_k8s(), resources.limits.to_k8s()
        for kind in sorted(requests.keys() & limits.keys()):
            request, limit = requests[kind], limits[kind]
            if (names.quantity_value(request) or 0) > (names.quantity_value(limit) or 0):
                yield (
                    (*path, "resources", "requests", kind),
                    request,
                    f"must not exceed the limit {limit!r} "
                    f"({'.'.join(path)}.resources.limits.{kind})",
                )
    service = props.frontend.service
    if props.argocd.sync_waves:
        for where, annotations in (
            (("annotations",), props.annotations),
            (("frontend", "service", "annotations"), service.annotations),
        ):
            if SYNC_WAVE in annotations:
                yield (
                    (*where, SYNC_WAVE),
                    annotations[SYNC_WAVE],
                    "guestbook sets this annotation on every object while argocd.syncWaves is "
                    "true; set argocd.syncWaves: false to set your own waves",
                )
    waves = {SYNC_WAVE: "0"} if props.argocd.sync_waves else {}
    size = annotations_size({**props.annotations, **service.annotations, **waves})
    if service.annotations and size > ANNOTATIONS_MAX_BYTES:
        yield (
            ("frontend", "service", "annotations"),
            service.annotations,
            f"with the common annotations the Service's total {size} bytes; the API server "
            f"allows at most {ANNOTATIONS_MAX_BYTES} (256 KiB)",
        )


def discover_overlays(directory: Path) -> dict[str, Path]:
    """Map environment name to overlay file, rejecting a name defined twice.

    Every entry named ``*.yaml`` or ``*.yml`` is an overlay, whatever it is (a
    dangling link or a folder fails when read): none is skipped silently.
    """
    if not directory.is_dir():
        raise GuestbookError(
            f"{directory}: environments folder not found; expected one <name>.yaml per environment"
        )
    try:
        entries = sorted(directory.iterdir())
    except OSError as err:
        raise GuestbookError(
            f"{directory}: cannot list the environments folder: {err.strerror}"
        ) from None
    found: dict[str, Path] = {}
    for path in entries:
        if not path.name.lower().endswith(OVERLAY_SUFFIXES):
            continue
        if path.suffix not in OVERLAY_SUFFIXES or not path.stem:
            raise GuestbookError(
                f"{path}: not an overlay name; expected <name>.yaml or <name>.yml (lower case)"
            )
        if path.stem in found:
            raise GuestbookError(
                f"{path}: duplicate environment name {path.stem!r}, "
                f"already defined by {found[path.stem]}; keep one file per environment"
            )
        if path.stem in RESERVED_NAMES:
            raise GuestbookError(
                f"{path}: {path.stem!r} is reserved for the Argo CD objects in dist/{path.stem}/; "
                "rename the file"
            )
        problem = names.dns1123_label_error(path.stem)
        if problem:
            raise GuestbookError(
                f"{path}: environment name {path.stem!r} (the file name) {problem}"
            )
        found[path.stem] = path
    if not found:
        raise GuestbookError(f"{directory}: no environment overlays (*.yaml) found")
    return found


def load_environments(directory: Path, only: Iterable[str] = ()) -> list[Environment]:
    """Load the environments named in ``only`` (default: all) from ``directory``, sorted by name.

    Every overlay is read and checked even when ``only`` names a few: a namespace
    is known only from its overlay, and a file that cannot be read stops the render
    instead of dropping its environment.
    """
    overlays = discover_overlays(directory)
    wanted = list(dict.fromkeys(only)) or list(overlays)
    for name in wanted:
        if name not in overlays:
            raise GuestbookError(
                f"{directory / (name + '.yaml')}: no overlay for environment {name!r}; "
                f"expected one of: {', '.join(overlays)}"
            )
    environments = [parse_environment(overlays[name]) for name in sorted(overlays)]
    _check_unique_namespaces(environments)
    _check_one_collector_per_cluster(environments)
    _check_collector_names(environments)
    return [env for env in environments if env.name in wanted]


def _check_unique_namespaces(environments: list[Environment]) -> None:
    owners: dict[str, Environment] = {}
    for env in environments:
        other = owners.setdefault(env.namespace, env)
        if other is env:
            continue
        # Blame the overlay that writes the namespace (the other one takes its default).
        sets_it = ("namespace",) in other.lines and ("namespace",) not in env.lines
        culprit, first = (other, env) if sets_it else (env, other)
        raise GuestbookError(
            f"{culprit.where('namespace')}: namespace {env.namespace!r} is already used by "
            f"environment {first.name!r} ({first.where('namespace')}); "
            "each environment needs its own namespace"
        )


def _check_one_collector_per_cluster(environments: list[Environment]) -> None:
    """A log collector reads every pod's log on its nodes: two on one cluster ship each
    line twice (and their cluster-wide RBAC objects would collide)."""
    owners: dict[tuple[str | None, str | None], Environment] = {}
    for env in environments:
        if not env.props.logging.collector.enabled:
            continue
        destination = env.props.argocd.destination
        cluster = (destination.server, destination.name)
        if cluster == (None, None):
            cluster = ("https://kubernetes.default.svc", None)
        first = owners.setdefault(cluster, env)
        if first is not env:
            where = destination.name or cluster[0]
            raise GuestbookError(
                f"{env.where('logging', 'collector', 'enabled')}: environment {first.name!r} "
                f"({first.where('logging', 'collector', 'enabled')}) already runs the log "
                f"collector of cluster {where!r}; one collector per cluster (it reads every "
                "pod's log), so turn it off in one of them"
            )


def _check_collector_names(environments: list[Environment]) -> None:
    """A log collector is named ``<env>-logging`` in Argo CD (its Application and project):
    an environment of that name would give two Applications and two projects one name."""
    by_name = {env.name: env for env in environments}
    for env in environments:
        clash = by_name.get(f"{env.name}-logging")
        if clash is None or not env.props.logging.collector.enabled:
            continue
        raise GuestbookError(
            f"{clash.source}: environment name {clash.name!r} is the name of the log collector "
            f"of environment {env.name!r} ({env.where('logging', 'collector', 'enabled')}), "
            "whose Argo CD Application and AppProject it would share; rename the file"
        )


def overlay_json_schema() -> str:
    """The JSON Schema of an overlay file, for editors (yaml-language-server and others)."""
    schema = OverlayProps.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "guestbook-gitops environment overlay"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
