"""Validation layers 2 to 6: rules over the rendered objects, after the schema layer.

:func:`run` is the one entry point the validation pipeline calls; :data:`RULES`
lists every rule (id, layer, severity, description) for docs and tests. See
``README.md`` next to this file for the table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from guestbook.validate.rule_cache import KeptFindings

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

PER_FILE: frozenset[Check] = frozenset(
    {
        *containers.CHECKS,
        *data.CHECKS,
        metadata.check_names,
        metadata.check_labels,
        metadata.check_annotations,
        *network.CHECKS,
        *rbac.CHECKS,
        *resources.CHECKS,
        *selectors.CHECKS,
        services.check_port_values,
        services.check_port_names,
        services.check_types,
        *storage.CHECKS,
        *versions.CHECKS,
        *volumes.CHECKS,
        *workloads.CHECKS,
        *hardening.CHECKS,
        policy.check_probes,
        policy.check_resources,
        policy.check_image_tags,
    }
)
"""The checks that judge each object on its own: what they find in a file depends only on that
file's objects and the Kubernetes version, so their findings can be kept per file (see
:mod:`guestbook.validate.rule_cache`). Every other check sees the whole set each run: a check
not listed here is never cached. tests/test_validate_rule_cache.py checks, on real manifests,
that each listed check finds in the whole set exactly what it finds file by file."""

TWO_CORES_FROM = 2000
"""Objects from which the checks run in two processes (see :mod:`guestbook.validate.forked`);
below, forking costs more than it saves. Every check is linear in the objects (1,000
environments: 13,454 objects, 1.6 CPU-s of checks, which split about evenly). With kept
findings, the one-file checks count only the objects of the files they run on."""

Task = tuple[Inventory, Check]


def run(
    documents: Sequence[Document],
    *,
    complete: bool | Callable[[Path], bool] = False,
    kubernetes_version: str = KUBERNETES_VERSION,
    kept: KeptFindings | None = None,
) -> list[Finding]:
    """Every finding of layers 2-6 over ``documents`` (all files of one run), sorted.

    ``complete`` says which files are in a set declared complete (True: all of
    them): there, a reference the documents cannot resolve is an error; elsewhere
    it is a warning that it cannot be verified. ``kubernetes_version`` is the release
    the API-server rules judge by. ``kept`` holds the :data:`PER_FILE` checks' findings
    of earlier runs: those checks then run only on the files it has nothing for, and what
    they find there is added to it. Objects' exceptions (see :mod:`.exceptions`) are
    applied last.
    """
    predicate = complete if callable(complete) else (lambda _: complete)

    def inventory_of(docs: Sequence[Document]) -> Inventory:
        return Inventory(tuple(docs), complete=predicate, kubernetes_version=kubernetes_version)

    everything = inventory_of(documents)
    if kept is None:
        findings = [f for _, f in _findings([(everything, c) for c in CHECKS])]
    else:
        load(kept, kubernetes_version)
        findings = []
        found: dict[str, list[Finding]] = {}
        fresh: list[Document] = []
        for path, docs in _by_file(documents).items():
            previous = kept.kept(path)
            if previous is None:
                found[str(path)] = []
                fresh.extend(docs)
            else:
                findings.extend(previous)
        changed = inventory_of(fresh)
        tasks = [(changed if c in PER_FILE else everything, c) for c in CHECKS]
        for per_file, finding in _findings(tasks):
            findings.append(finding)
            if per_file:
                found[str(finding.path)].append(finding)
        kept.keep(found)
    findings = exceptions.apply(documents, findings, RULES)
    return sorted(set(findings), key=lambda f: (*f.sort_key(), str(f.ref)))


def load(kept: KeptFindings, kubernetes_version: str) -> None:
    """Read what ``kept`` holds for the :data:`PER_FILE` checks (:func:`run` does it if it was
    not done before)."""
    kept.load(kubernetes_version, sorted(_name(c) for c in PER_FILE))


def _findings(tasks: Sequence[Task]) -> list[tuple[bool, Finding]]:
    """The tasks' findings, each with whether its check is one of :data:`PER_FILE`; in two
    processes when they check as many objects as all checks on :data:`TWO_CORES_FROM`."""
    if sum(len(inventory.documents) for inventory, _ in tasks) < TWO_CORES_FROM * len(CHECKS):
        return _run_tasks(tasks)
    return in_two(lambda: _run_tasks(tasks[1::2]), lambda: _run_tasks(tasks[::2]))


def _run_tasks(tasks: Sequence[Task]) -> list[tuple[bool, Finding]]:
    return [
        (check in PER_FILE, finding) for inventory, check in tasks for finding in check(inventory)
    ]


def _by_file(documents: Sequence[Document]) -> dict[Path, list[Document]]:
    files: dict[Path, list[Document]] = {}
    for doc in documents:
        files.setdefault(doc.path, []).append(doc)
    return files


def _name(check: Check) -> str:
    return f"{check.__module__}.{check.__qualname__}"


def rule(rule_id: str) -> Rule:
    """The rule with ``rule_id``; KeyError if there is none."""
    for candidate in RULES:
        if candidate.id == rule_id:
            return candidate
    raise KeyError(rule_id)


__all__ = ["RULES", "Layer", "Rule", "rule", "run"]
