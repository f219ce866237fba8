"""What a rule is: a stable id, its layer, its severity, why, and what it catches.

The severity principle (also at the top of the rules table):

- **error**: the API server rejects it, or, in a set declared complete, the
  application cannot work as rendered;
- **warning**: it works, but exceeds least privilege or best practice, or it
  cannot be verified from the validated files.

Rules create their findings through :meth:`Rule.at`, so a finding's id and
severity always agree with the registry that docs and tests list.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum

from guestbook.validate.model import Document, Finding, Severity

UNVERIFIED = "cannot verify: not in the validated files"
"""Said of a reference the validated set cannot resolve when the set is not declared complete."""

API_SERVER_REJECTS = "the API server rejects it"


class Layer(IntEnum):
    """The validation layers of issue 3 that these rules implement (layer 1 is the schema)."""

    API_SERVER = 2
    """What the API server rejects though the schema allows it."""
    REFERENCES = 3
    """References between objects."""
    GUESTBOOK = 4
    """The guestbook images' own contracts."""
    POLICY = 5
    """Good practice; warnings."""
    EXCEPTIONS = 6
    """The per-object exceptions themselves (see :mod:`.exceptions`)."""


@dataclass(frozen=True)
class Rule:
    """One check, as listed in the rules table."""

    id: str
    """Stable kebab-case id, shown with every finding."""
    layer: Layer
    severity: Severity
    """The severity of a finding; for :attr:`needs_complete` rules, in a set declared complete."""
    description: str
    """What the rule catches, in one line."""
    reason: str
    """Why it has this severity, in one line (the principle above, applied)."""
    fix: str = ""
    """How to fix a finding, in one line (``--explain``)."""
    needs_complete: bool = False
    """Whether a finding can rest on objects missing from the validated files: then it is an
    error only where the set is declared complete, and a warning (``cannot verify``) elsewhere."""

    def at(
        self,
        doc: Document,
        message: str,
        *,
        field_path: Iterable[str | int] = (),
        hint: str,
        complete: bool = True,
    ) -> Finding:
        """A finding of this rule about ``doc``, pointing at ``field_path``.

        ``complete`` says whether the evidence is all there: for a
        :attr:`needs_complete` rule, False makes the finding a warning that says it
        could not be verified.
        """
        severity = self.severity
        if self.needs_complete and not complete:
            severity = Severity.WARNING
            message = f"{message} ({UNVERIFIED})"
            hint = f"{hint}; if the set is complete, validate it with --complete"
        return Finding.at(
            doc, self.id, message, field_path=field_path, hint=hint, severity=severity
        )

    @property
    def severity_label(self) -> str:
        """The severity as the rules table shows it."""
        if self.needs_complete:
            return f"{self.severity.value} if complete, else warning"
        return self.severity.value


API_SERVER_FIX = (
    "change the field the finding points at as its hint says; "
    "until then the API server refuses the object"
)


def error(
    id: str,
    layer: Layer,
    description: str,
    *,
    reason: str = API_SERVER_REJECTS,
    fix: str = API_SERVER_FIX,
) -> Rule:
    """A rule whose findings are errors (by default: because the API server rejects them)."""
    return Rule(id, layer, Severity.ERROR, description, reason, fix)


def unresolved(id: str, layer: Layer, description: str, *, reason: str, fix: str) -> Rule:
    """A rule about references: an error in a set declared complete, else a warning."""
    return Rule(id, layer, Severity.ERROR, description, reason, fix, needs_complete=True)


def warning(id: str, layer: Layer, description: str, *, reason: str, fix: str) -> Rule:
    """A rule whose findings are warnings: it works, but ``reason``."""
    return Rule(id, layer, Severity.WARNING, description, reason, fix)


def unknown_rule(rule_id: str, known: Sequence[str]) -> str:
    """The message for a rule id that is not registered, with the closest one."""
    hint = difflib.get_close_matches(rule_id, known, n=1)
    suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
    return f"unknown rule {rule_id!r}{suggestion}"
