"""What a rule is: a stable id, its layer, its severity and one line on what it catches.

Rules create their findings through :meth:`Rule.at`, so a finding's id and
severity always agree with the registry that docs and tests list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from guestbook.validate.model import Document, Finding, Severity


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


@dataclass(frozen=True)
class Rule:
    """One check, as listed in the rules table."""

    id: str
    """Stable kebab-case id, shown with every finding."""
    layer: Layer
    severity: Severity
    description: str
    """What the rule catches, in one line."""

    def at(
        self,
        doc: Document,
        message: str,
        *,
        field_path: Iterable[str | int] = (),
        hint: str,
    ) -> Finding:
        """A finding of this rule about ``doc``, pointing at ``field_path``."""
        return Finding.at(
            doc, self.id, message, field_path=field_path, hint=hint, severity=self.severity
        )


def error(id: str, layer: Layer, description: str) -> Rule:
    """A rule whose findings are errors."""
    return Rule(id, layer, Severity.ERROR, description)


def warning(id: str, layer: Layer, description: str) -> Rule:
    """A rule whose findings are warnings."""
    return Rule(id, layer, Severity.WARNING, description)
