"""Replica counts, rollout strategies, autoscalers and disruption budgets."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from guestbook.manifests.fields import as_int, as_map, get, is_kind
from guestbook.manifests.inventory import REPLICATED_KINDS, Check, Inventory
from guestbook.validate.model import Document, FieldPath, Finding
from guestbook.validate.rules.registry import Layer, error

REPLICA_COUNT = error(
    "replica-count",
    Layer.API_SERVER,
    "negative replicas (or Job parallelism/completions)",
)
ROLLING_UPDATE = error(
    "rolling-update",
    Layer.API_SERVER,
    "rolling update with maxSurge and maxUnavailable both 0, malformed or above 100%, "
    "or set with the Recreate strategy",
)
HPA_REPLICAS = error(
    "hpa-replicas",
    Layer.API_SERVER,
    "HorizontalPodAutoscaler minReplicas above maxReplicas, or either below 1",
)
PDB_BUDGET = error(
    "pdb-budget",
    Layer.API_SERVER,
    "PodDisruptionBudget with both minAvailable and maxUnavailable, or a malformed budget",
)
RULES = (REPLICA_COUNT, ROLLING_UPDATE, HPA_REPLICAS, PDB_BUDGET)

_PERCENT = re.compile(r"^([0-9]+)%$")


def int_or_percent(value: object) -> tuple[int, bool] | None:
    """``3`` → (3, False), ``"25%"`` → (25, True); None if malformed or negative."""
    number = as_int(value)
    if number is not None:
        return (number, False) if number >= 0 else None
    match = _PERCENT.match(value) if isinstance(value, str) else None
    return (int(match.group(1)), True) if match else None


def check_replicas(inventory: Inventory) -> Iterator[Finding]:
    """``replica-count``."""
    for pod in inventory.pods:
        doc = pod.doc
        fields: list[FieldPath] = []
        if pod.kind in REPLICATED_KINDS:
            fields.append(("spec", "replicas"))
        job_spec: FieldPath = (
            ("spec", "jobTemplate", "spec") if pod.kind == "CronJob" else ("spec",)
        )
        if pod.kind in ("Job", "CronJob"):
            fields += [(*job_spec, "parallelism"), (*job_spec, "completions")]
        for path in fields:
            number = as_int(get(doc.obj, *path))
            if number is not None and number < 0:
                yield REPLICA_COUNT.at(
                    doc,
                    f"{path[-1]} is {number}; it must be 0 or more",
                    field_path=path,
                    hint=f"set {path[-1]} to 0 or more",
                )


_DEFAULTS = {"Deployment": ("25%", "25%"), "DaemonSet": (0, 1)}
"""maxSurge and maxUnavailable when not set."""


def _rolling_update_problem(
    strategy: Mapping[str, Any], defaults: tuple[object, object]
) -> tuple[str, str] | None:
    """The offending field and message, or None."""
    params = strategy.get("rollingUpdate")
    kind = strategy.get("type", "RollingUpdate")
    if params is not None and kind == "Recreate":
        return "rollingUpdate", "rollingUpdate may not be set with the Recreate strategy"
    params = as_map(params)
    values = {}
    for field, default in zip(("maxSurge", "maxUnavailable"), defaults, strict=True):
        raw = params.get(field, default)
        parsed = int_or_percent(raw)
        if parsed is None:
            return field, f"{field} {raw!r} is not a count of 0 or more or a percentage like 25%"
        if field == "maxUnavailable" and parsed[1] and parsed[0] > 100:
            return field, f"maxUnavailable {raw!r} is above 100%"
        values[field] = parsed[0]
    if kind == "RollingUpdate" and values["maxSurge"] == 0 and values["maxUnavailable"] == 0:
        return (
            "maxUnavailable",
            "maxSurge and maxUnavailable are both 0, so a rollout can never replace a pod",
        )
    return None


def check_rolling_update(inventory: Inventory) -> Iterator[Finding]:
    """``rolling-update`` for Deployments and DaemonSets."""
    for doc in inventory.documents:
        if is_kind(doc, "Deployment", "apps", "extensions"):
            base: FieldPath = ("spec", "strategy")
        elif is_kind(doc, "DaemonSet", "apps", "extensions"):
            base = ("spec", "updateStrategy")
        else:
            continue
        problem = _rolling_update_problem(as_map(get(doc.obj, *base)), _DEFAULTS[doc.ref.kind])
        if problem:
            field, message = problem
            path = (*base, field) if field == "rollingUpdate" else (*base, "rollingUpdate", field)
            yield ROLLING_UPDATE.at(
                doc,
                f"{doc.ref.kind} {message}",
                field_path=path,
                hint="allow at least one extra or one unavailable pod, e.g. maxSurge: 1",
            )


def check_hpa(inventory: Inventory) -> Iterator[Finding]:
    """``hpa-replicas``."""
    for doc in inventory.of_kind("HorizontalPodAutoscaler", "autoscaling"):
        minimum = get(doc.obj, "spec", "minReplicas")
        low = 1 if minimum is None else as_int(minimum)
        high = as_int(get(doc.obj, "spec", "maxReplicas"))
        problem = None
        if low is not None and low < 1:
            problem = ("minReplicas", f"minReplicas is {low}; it must be at least 1")
        elif high is not None and high < 1:
            problem = ("maxReplicas", f"maxReplicas is {high}; it must be at least 1")
        elif low is not None and high is not None and low > high:
            problem = ("minReplicas", f"minReplicas {low} is above maxReplicas {high}")
        if problem:
            field, message = problem
            yield HPA_REPLICAS.at(
                doc,
                message,
                field_path=("spec", field),
                hint="keep 1 <= minReplicas <= maxReplicas",
            )


def _budget_problem(doc: Document) -> tuple[str, str] | None:
    spec = as_map(doc.obj.get("spec"))
    if "minAvailable" in spec and "maxUnavailable" in spec:
        return "maxUnavailable", "sets both minAvailable and maxUnavailable"
    for field in ("minAvailable", "maxUnavailable"):
        if field not in spec:
            continue
        parsed = int_or_percent(spec[field])
        if parsed is None or (parsed[1] and parsed[0] > 100):
            return field, f"{field} {spec[field]!r} is not a count of 0 or more or 0%-100%"
    return None


def check_pdb(inventory: Inventory) -> Iterator[Finding]:
    """``pdb-budget``."""
    for doc in inventory.of_kind("PodDisruptionBudget", "policy"):
        problem = _budget_problem(doc)
        if problem:
            field, message = problem
            yield PDB_BUDGET.at(
                doc,
                f"PodDisruptionBudget {message}",
                field_path=("spec", field),
                hint="set exactly one of minAvailable or maxUnavailable, as a count or percentage",
            )


CHECKS: tuple[Check, ...] = (check_replicas, check_rolling_update, check_hpa, check_pdb)
