"""JSON for machines: the same data as the other formats, with stable, documented keys.

Top level (``format`` is ``guestbook-diff/v1``; keys are only ever added)::

    {"format": "guestbook-diff/v1",
     "base": {"label": str, "commit": str | null},
     "head": {"label": str, "commit": str | null},
     "has_changes": bool,
     "totals": {"added": int, "changed": int, "removed": int},
     "environments": [Environment, ...]}                  # sorted by name

    Environment = {"name": str,
                   "status": "added" | "removed" | "changed" | "unchanged",
                   "totals": {"added": int, "changed": int, "removed": int},
                   "objects": [Object, ...]}             # only objects that differ

    Object = {"status": "added" | "removed" | "changed",
              "api_version": str, "group": str, "kind": str, "namespace": str, "name": str,
              "changes": [Change, ...],                  # empty unless "changed"
              "diff": str}                               # unified diff of the YAML

    Change = {"op": "added" | "removed" | "changed" | "reordered",
              "path": str,                               # spec.containers[name=web].image
              "path_parts": [str | int | {"key": str, "value": scalar}, ...],
              "before": any, "after": any,               # null when absent
              "redacted": bool}                          # Secret data: values are placeholders

For ``reordered``, ``before`` and ``after`` list the items' key values in order.
"""

from __future__ import annotations

import json
from typing import Any

from guestbook.diff.model import (
    DiffReport,
    EnvironmentDiff,
    FieldChange,
    ItemKey,
    ObjectDiff,
    Revision,
    Status,
)

FORMAT = "guestbook-diff/v1"
_STATUSES = (Status.ADDED, Status.CHANGED, Status.REMOVED)


def _value(value: Any) -> Any:
    if isinstance(value, ItemKey):
        return value.value
    if isinstance(value, tuple | list):
        return [_value(item) for item in value]
    return value


def _change(change: FieldChange) -> dict[str, Any]:
    return {
        "op": change.op.value,
        "path": change.path_text,
        "path_parts": [
            {"key": p.field, "value": p.value} if isinstance(p, ItemKey) else p for p in change.path
        ],
        "before": _value(change.before),
        "after": _value(change.after),
        "redacted": change.redacted,
    }


def _object(obj: ObjectDiff) -> dict[str, Any]:
    return {
        "status": obj.status.value,
        "api_version": obj.api_version,
        "group": obj.key.group,
        "kind": obj.key.kind,
        "namespace": obj.key.namespace,
        "name": obj.key.name,
        "changes": [_change(c) for c in obj.changes],
        "diff": obj.unified,
    }


def _environment(env: EnvironmentDiff) -> dict[str, Any]:
    return {
        "name": env.name,
        "status": env.status.value,
        "totals": {s.value: env.count(s) for s in _STATUSES},
        "objects": [_object(obj) for obj in env.objects],
    }


def _revision(revision: Revision) -> dict[str, Any]:
    return {"label": revision.label, "commit": revision.commit}


def report_data(report: DiffReport) -> dict[str, Any]:
    """The report as JSON-ready data (see the module docstring for the keys)."""
    return {
        "format": FORMAT,
        "base": _revision(report.base),
        "head": _revision(report.head),
        "has_changes": report.has_changes,
        "totals": {s.value: report.total(s) for s in _STATUSES},
        "environments": [_environment(env) for env in report.environments],
    }


def format_json(report: DiffReport) -> str:
    """The report as indented JSON."""
    return json.dumps(report_data(report), indent=2, ensure_ascii=False, default=str) + "\n"
