"""Report writers, one module per format, all behind one small interface.

A writer is a function ``write(report, fail_on) -> str``: the whole output
for one report (``fail_on`` says which findings fail the run). Adding a format
is a new module here and one line in :data:`FORMATS`, the one list of formats:
``guestbook validate --format`` offers its keys, in both the Typer command and
the console script's fast path.
"""

from __future__ import annotations

from typing import Protocol

from guestbook.validate.model import Report, Severity
from guestbook.validate.output import github, json, junit, sarif, text


class Writer(Protocol):
    """Turns a report into the text of one output format."""

    def __call__(self, report: Report, fail_on: Severity) -> str: ...


FORMATS: dict[str, Writer] = {
    "text": text.write,
    "json": json.write,
    "junit": junit.write,
    "github": github.write,
    "sarif": sarif.write,
}
"""Output formats by name, as ``guestbook validate --format`` accepts them."""

DEFAULT_FORMAT = "text"


__all__ = ["DEFAULT_FORMAT", "FORMATS", "Writer"]
