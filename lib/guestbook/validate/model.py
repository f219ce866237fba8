"""The data every validation layer shares: documents in, findings out.

A layer is a function over :class:`Document` objects that returns
:class:`Finding` objects; writers turn a :class:`Report` into text, JSON,
JUnit or GitHub annotations. Adding a rule or a format touches one file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

FieldPath = tuple[str | int, ...]
"""A path inside an object (``("spec", "ports", 0)``), as :meth:`Document.line_of` takes it."""


class Severity(StrEnum):
    """How bad a finding is: errors fail validation, warnings only with ``--fail-on warning``."""

    ERROR = "error"
    WARNING = "warning"

    @property
    def rank(self) -> int:
        """Higher is worse."""
        return {Severity.WARNING: 1, Severity.ERROR: 2}[self]


@dataclass(frozen=True, order=True)
class ObjectRef:
    """Which Kubernetes object a finding is about."""

    kind: str = ""
    namespace: str = ""
    name: str = ""

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{where}{self.name}" if self.kind else "(document)"


def _scalar_text(value: Any) -> str:
    """A kind, namespace or name as text; a list or mapping there names nothing."""
    return "" if value is None or isinstance(value, Mapping | list) else str(value)


@dataclass(frozen=True)
class Document:
    """One YAML document of a manifest file, parsed, with where it came from.

    ``lines`` maps a field path inside the object (``("spec", "replicas")``,
    list items by index) to its 1-based line, so a rule can point at the exact
    field; :meth:`line_of` falls back to the nearest parent that has a line.
    """

    path: Path
    line: int
    """1-based line where the document starts."""
    obj: Mapping[str, Any]
    lines: Mapping[FieldPath, int] = field(default_factory=dict)

    @cached_property
    def ref(self) -> ObjectRef:
        """Kind, namespace and name of the object (empty strings where missing).

        Computed once: the rules ask for it tens of times per object.
        """
        meta = self.obj.get("metadata")
        meta = meta if isinstance(meta, Mapping) else {}
        return ObjectRef(
            kind=_scalar_text(self.obj.get("kind")),
            namespace=_scalar_text(meta.get("namespace")),
            name=_scalar_text(meta.get("name")),
        )

    @property
    def api_version(self) -> str:
        """The object's apiVersion, or an empty string."""
        return str(self.obj.get("apiVersion") or "")

    def line_of(self, *path: str | int) -> int:
        """The line of ``path`` in this document, or of its deepest parent found."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return self.line


@dataclass(frozen=True)
class Finding:
    """One problem found in one document (or file, when it could not be parsed)."""

    rule: str
    """Stable rule id, e.g. ``schema``, ``selector-matches-template``."""
    severity: Severity
    message: str
    """What is wrong, in one sentence."""
    path: Path
    line: int
    ref: ObjectRef = ObjectRef()
    hint: str = ""
    """How to fix it, in one sentence."""

    @classmethod
    def at(
        cls,
        doc: Document,
        rule: str,
        message: str,
        *,
        field_path: Iterable[str | int] = (),
        hint: str = "",
        severity: Severity = Severity.ERROR,
    ) -> Finding:
        """A finding about ``doc``, pointing at ``field_path`` inside it."""
        return cls(
            rule=rule,
            severity=severity,
            message=message,
            path=doc.path,
            line=doc.line_of(*field_path),
            ref=doc.ref,
            hint=hint,
        )

    def sort_key(self) -> tuple[str, int, str, str]:
        """Order findings by file, line, rule and message."""
        return (self.path.as_posix(), self.line, self.rule, self.message)


@dataclass(frozen=True)
class Report:
    """The result of one validation run."""

    findings: tuple[Finding, ...]
    files: int
    """How many files were read."""
    documents: int
    """How many objects were checked."""
    kubernetes_version: str
    paths: tuple[Path, ...] = ()
    """The files that were read, in order."""

    def count(self, severity: Severity) -> int:
        """How many findings have ``severity``."""
        return sum(1 for f in self.findings if f.severity is severity)

    def failed(self, fail_on: Severity = Severity.ERROR) -> bool:
        """Whether any finding is at least as bad as ``fail_on``."""
        return any(f.severity.rank >= fail_on.rank for f in self.findings)
