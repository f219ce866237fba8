"""Per-object exceptions: an annotation naming the rules an object skips, each with its reason.

.. code-block:: yaml

    metadata:
      annotations:
        guestbook.validate/skip: |
          run-as-non-root: Apache binds port 80 as root, then drops to www-data
          read-only-root-filesystem: Apache writes its lock and pid files under /var/run

An exception removes the findings of its rule about that object (reported on
it). An exception without a reason, for an unknown rule, or that matches no
finding is itself a finding, so exceptions cannot go stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from guestbook.constructs.labels import VALIDATE_SKIP
from guestbook.manifests.fields import as_map, get
from guestbook.manifests.inventory import Check
from guestbook.validate.model import Document, Finding, ObjectRef
from guestbook.validate.rules.registry import Layer, Rule, error, unknown_rule

ANNOTATION = VALIDATE_SKIP

EXCEPTION_INVALID = error(
    "exception-invalid",
    Layer.EXCEPTIONS,
    f"a {ANNOTATION} line that is not 'rule-id: reason', names an unknown rule, or gives no reason",
    reason="a skip without its reason, or of a rule that does not exist, hides findings "
    "for no stated cause",
    fix="write one 'rule-id: reason' line per skipped rule, with a registered rule id",
)
EXCEPTION_STALE = error(
    "exception-stale",
    Layer.EXCEPTIONS,
    f"a {ANNOTATION} entry whose rule finds nothing on the object",
    reason="a stale skip would silently hide the next real finding (as the checkov gate "
    "fails its stale skips)",
    fix="remove the line: the finding it was written for is gone",
)
RULES = (EXCEPTION_INVALID, EXCEPTION_STALE)
CHECKS: tuple[Check, ...] = ()
"""None: :func:`apply` runs after every other check, over their findings."""


@dataclass(frozen=True)
class Skip:
    """One rule an object skips."""

    doc: Document
    rule: str
    reason: str
    line: int


MAX_INVALID_REPORTED = 10
"""Invalid lines reported one by one per object; the rest are counted in one finding."""
_INVALID_HINT = "write 'rule-id: why it does not apply here'; the reason is required"


def _entries(doc: Document, known: set[str]) -> Iterator[Skip | Finding]:
    value = get(doc.obj, "metadata", "annotations", ANNOTATION)
    if value is None:
        return
    path = ("metadata", "annotations", ANNOTATION)
    if not isinstance(value, str):
        yield EXCEPTION_INVALID.at(
            doc,
            f"{ANNOTATION} must be text, one 'rule-id: reason' per line",
            field_path=path,
            hint="write one line per skipped rule: 'rule-id: why it does not apply here'",
        )
        return
    invalid = 0
    for text in value.splitlines():
        if not text.strip():
            continue
        rule_id, colon, reason = (part.strip() for part in text.partition(":"))
        if colon and reason and rule_id in known:
            yield Skip(doc, rule_id, reason, doc.line_of(*path))
            continue
        invalid += 1
        if invalid > MAX_INVALID_REPORTED:
            continue  # counted below: a hostile annotation must not cost a finding per line
        if not colon or not reason:
            problem = f"{ANNOTATION} line {text.strip()[:80]!r} gives no reason"
        else:
            problem = f"{ANNOTATION}: {unknown_rule(rule_id[:80], sorted(known))}"
        yield EXCEPTION_INVALID.at(doc, problem, field_path=path, hint=_INVALID_HINT)
    if invalid > MAX_INVALID_REPORTED:
        yield EXCEPTION_INVALID.at(
            doc,
            f"{ANNOTATION}: {invalid - MAX_INVALID_REPORTED} more invalid lines",
            field_path=path,
            hint=_INVALID_HINT,
        )


def apply(
    documents: Sequence[Document], findings: Iterable[Finding], rules: Iterable[Rule]
) -> list[Finding]:
    """``findings`` without those the objects' exceptions skip, plus the exceptions' own."""
    known = {r.id for r in rules} - {r.id for r in RULES}
    skips: dict[tuple[str, ObjectRef, str], Skip] = {}
    problems: list[Finding] = []
    for doc in documents:
        if as_map(as_map(doc.obj.get("metadata")).get("annotations")).get(ANNOTATION) is None:
            continue
        for entry in _entries(doc, known):
            if isinstance(entry, Finding):
                problems.append(entry)
            else:
                skips[(doc.path.as_posix(), doc.ref, entry.rule)] = entry
    if not skips:
        return [*findings, *problems]
    used: set[tuple[str, ObjectRef, str]] = set()
    kept = []
    for finding in findings:
        key = (finding.path.as_posix(), finding.ref, finding.rule)
        if key in skips:
            used.add(key)
        else:
            kept.append(finding)
    for key, entry in skips.items():
        if key not in used:
            problems.append(
                EXCEPTION_STALE.at(
                    entry.doc,
                    f"{ANNOTATION} skips {entry.rule} ({entry.reason}), which finds nothing "
                    f"on {entry.doc.ref}",
                    field_path=("metadata", "annotations", ANNOTATION),
                    hint="remove the line: the finding it was for is gone",
                )
            )
    return [*kept, *problems]
