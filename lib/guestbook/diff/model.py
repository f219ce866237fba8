"""The diff data model: object identity, field-level changes and the report.

Everything here is plain, immutable data. The differ produces it, the
writers in :mod:`guestbook.diff.output` read it, and nothing in it holds a
Secret's values (the differ masks them before comparing).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from guestbook.environments import ARGOCD_FOLDER
from guestbook.manifests.api_groups import group_of

Manifest = Mapping[str, Any]
"""One Kubernetes object as parsed from YAML."""

Scalar = str | int | float | bool | None


class Status(StrEnum):
    """What happened to an environment or an object between base and head."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


class Op(StrEnum):
    """What happened to one field."""

    ADDED = "added"
    """The field (or list item) exists only in head; ``after`` is its value."""
    REMOVED = "removed"
    """The field (or list item) exists only in base; ``before`` is its value."""
    CHANGED = "changed"
    """The value differs; ``before`` and ``after`` are the two values."""
    REORDERED = "reordered"
    """Same items in another order, where order matters; values are the item keys in order."""


@dataclass(frozen=True)
class ObjectKey:
    """The identity of an object: apiVersion group (not version), kind, namespace, name.

    The version is left out so that moving to a new API version shows as a
    change of ``apiVersion`` rather than a removal and an addition.
    """

    group: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, manifest: Manifest) -> ObjectKey:
        """The key of ``manifest``; missing parts are empty strings."""
        api_version = str(manifest.get("apiVersion") or "")
        metadata = manifest.get("metadata")
        metadata = metadata if isinstance(metadata, Mapping) else {}
        return cls(
            group=group_of(api_version),
            kind=str(manifest.get("kind") or ""),
            namespace=str(metadata.get("namespace") or ""),
            name=str(metadata.get("name") or ""),
        )

    @property
    def sort_key(self) -> tuple[str, str, str, str]:
        """Order objects by namespace, kind, name, then group."""
        return (self.namespace, self.kind, self.name, self.group)

    def __str__(self) -> str:
        kind = f"{self.kind}.{self.group}" if self.group else self.kind
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{kind}/{where}{self.name}"


@dataclass(frozen=True)
class ItemKey:
    """A list item picked by the value of one of its fields: ``containers[name=web]``.

    Used for the lists Kubernetes merges by key (containers, env, ports, ...),
    so that reordering such a list is not reported as a change of every item.
    """

    field: str
    value: Scalar

    def __str__(self) -> str:
        return f"[{self.field}={_scalar(self.value)}]"


PathPart = str | int | ItemKey
"""A mapping key, a list index, or a list item picked by key."""

FieldPath = tuple[PathPart, ...]

_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")


def _scalar(value: Scalar) -> str:
    if isinstance(value, str) and value and "]" not in value and value.strip() == value:
        return value
    return json.dumps(value)


def format_path(path: FieldPath) -> str:
    """Render a path: ``spec.containers[name=web].image``, odd keys quoted: ``labels["a/b"]``."""
    out = ""
    for part in path:
        if isinstance(part, ItemKey):
            out += str(part)
        elif isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out


@dataclass(frozen=True)
class FieldChange:
    """One field-level difference inside an object, enough to be applied (see ``apply_changes``).

    For Secrets, ``before`` and ``after`` under ``data`` and ``stringData`` are
    placeholders (``<redacted>``), never the values, and ``redacted`` is set.
    """

    op: Op
    path: FieldPath
    before: Any = None
    """The base value; ``None`` for :attr:`Op.ADDED`."""
    after: Any = None
    """The head value; ``None`` for :attr:`Op.REMOVED`."""
    redacted: bool = False
    """The values are Secret data, replaced by placeholders."""

    @property
    def path_text(self) -> str:
        """The path as text (see :func:`format_path`)."""
        return format_path(self.path)


@dataclass(frozen=True)
class ObjectDiff:
    """One object that was added, removed or changed in an environment."""

    key: ObjectKey
    status: Status
    api_version: str
    """The head's apiVersion (the base's for a removed object)."""
    changes: tuple[FieldChange, ...]
    """Field-level changes; empty for added and removed objects."""
    unified: str
    """A unified diff of the object's YAML (Secret values masked)."""


@dataclass(frozen=True)
class EnvironmentDiff:
    """The differences of one environment; ``status`` says whether it is new or gone."""

    name: str
    status: Status
    objects: tuple[ObjectDiff, ...]

    @property
    def is_argocd(self) -> bool:
        """Whether this is the ``argocd/`` folder (Argo CD's own objects), not an environment."""
        return self.name == ARGOCD_FOLDER

    @property
    def title(self) -> str:
        """The folder's name as the reports show it: ``dev``, ``qa (new environment)``, ..."""
        if self.is_argocd:
            state = {Status.ADDED: ", new", Status.REMOVED: ", removed"}.get(self.status, "")
            return f"{self.name} (Argo CD objects{state})"
        if self.status is Status.ADDED:
            return f"{self.name} (new environment)"
        if self.status is Status.REMOVED:
            return f"{self.name} (removed environment)"
        return self.name

    def count(self, status: Status) -> int:
        """How many objects have ``status``."""
        return sum(1 for obj in self.objects if obj.status is status)


@dataclass(frozen=True)
class Revision:
    """One side of the comparison, as shown to the reader."""

    label: str
    """What was compared, e.g. ``origin/main`` or ``working tree``."""
    commit: str | None = None
    """The full commit id, when the side is a commit."""

    def __str__(self) -> str:
        return f"{self.label} ({self.commit[:12]})" if self.commit else self.label


@dataclass(frozen=True)
class DiffReport:
    """Every environment compared, in name order, with what changed."""

    base: Revision
    head: Revision
    environments: tuple[EnvironmentDiff, ...]

    def folders_compared(self) -> str:
        """``4 environments``, or ``4 environments and argocd/`` when Argo CD's folder was too."""
        envs = sum(1 for env in self.environments if not env.is_argocd)
        text = f"{envs} environment" if envs == 1 else f"{envs} environments"
        if any(env.is_argocd for env in self.environments):
            text += f" and {ARGOCD_FOLDER}/"
        return text

    @property
    def has_changes(self) -> bool:
        """Whether anything differs (an environment or an object)."""
        return any(env.status is not Status.UNCHANGED for env in self.environments)

    def total(self, status: Status) -> int:
        """How many objects have ``status``, over all environments."""
        return sum(env.count(status) for env in self.environments)
