"""Validation layers 2 to 6: rules over the rendered objects, after the schema layer.

:func:`run` is the one entry point the validation pipeline calls; :data:`RULES`
lists every rule (id, layer, severity, description) for docs and tests. See
``README.md`` next to this file for the table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from guestbook.kubernetes import KUBERNETES_VERSION
from guestbook.manifests.inventory import Check, Inventory
from guestbook.validate.forked import in_two
from guestbook.validate.model import Document, Finding
from guestbook.validate.rules import (
    exceptions,
    guestbook,
    hardening,
    policy,
    references,
    selection,
)
from guestbook.validate.rules.apiserver import (
    containers,
    data,
    metadata,
    network,
    rbac,
    resources,
    selectors,
    services,
    storage,
    versions,
    volumes,
    workloads,
)
from guestbook.validate.rules.registry import Layer, Rule

_MODULES = (
    versions,
    metadata,
    selectors,
    containers,
    resources,
    volumes,
    workloads,
    services,
    network,
    rbac,
    storage,
    data,
    selection,
    references,
    guestbook,
    policy,
    hardening,
    exceptions,
)

RULES: tuple[Rule, ...] = tuple(rule for module in _MODULES for rule in module.RULES)
"""Every rule, in layer order."""

CHECKS: tuple[Check, ...] = tuple(check for module in _MODULES for check in module.CHECKS)

TWO_CORES_FROM = 2000
"""Objects from which the checks run in two processes (see :mod:`guestbook.validate.forked`);
below, forking costs more than it saves. Every check is linear in the objects (1,000
environments: 13,454 objects, 1.6 CPU-s of checks, which split about evenly)."""


def run(
    documents: Sequence[Document],
    *,
    complete: bool | Callable[[Path], bool] = False,
    kubernetes_version: str = KUBERNETES_VERSION,
) -> list[Finding]:
    """Every finding of layers 2-6 over ``documents`` (all files of one run), sorted.

    ``complete`` says which files are in a set declared complete (True: all of
    them): there, a reference the documents cannot resolve is an error; elsewhere
    it is a warning that it cannot be verified. ``kubernetes_version`` is the release
    the API-server rules judge by. Objects' exceptions (see :mod:`.exceptions`) are
    applied last.
    """
    predicate = complete if callable(complete) else (lambda _: complete)
    inventory = Inventory(
        tuple(documents), complete=predicate, kubernetes_version=kubernetes_version
    )
    findings = (
        in_two(
            lambda: _findings(inventory, CHECKS[1::2]), lambda: _findings(inventory, CHECKS[::2])
        )
        if len(documents) >= TWO_CORES_FROM
        else _findings(inventory, CHECKS)
    )
    findings = exceptions.apply(documents, findings, RULES)
    return sorted(set(findings), key=lambda f: (*f.sort_key(), str(f.ref)))


def _findings(inventory: Inventory, checks: Sequence[Check]) -> list[Finding]:
    return [finding for check in checks for finding in check(inventory)]


def rule(rule_id: str) -> Rule:
    """The rule with ``rule_id``; KeyError if there is none."""
    for candidate in RULES:
        if candidate.id == rule_id:
            return candidate
    raise KeyError(rule_id)


__all__ = ["RULES", "Layer", "Rule", "rule", "run"]
