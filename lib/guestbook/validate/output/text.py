"""Text for a terminal: one line per finding, its fix indented below, a summary last.

Control characters in names and messages are shown escaped (``\\n``), so each finding
stays on its line and nothing from a manifest reaches the terminal as a command.

::

    dist/dev/service-frontend.yaml:9: error [schema] Service/guestbook-dev/frontend: ...
      hint: did you mean 'ports'?
    FAILED: 1 error, 0 warnings in 34 objects (34 files), Kubernetes 1.34.3
"""

from __future__ import annotations

from guestbook.validate.model import Report, Severity
from guestbook.validate.output.controls import CONTROLS, LINE_BREAKS, escape_table
from guestbook.validate.output.summary import summary

_BREAKING = escape_table((*CONTROLS, *LINE_BREAKS))
"""Control characters and line breaks, which would split a finding or color the terminal."""


def _escaped(text: str) -> str:
    return text.translate(_BREAKING)


def write(report: Report, fail_on: Severity, *, only_failing: bool = False) -> str:
    """The text report; ``only_failing`` counts findings below ``fail_on`` without listing them."""
    lines: list[str] = []
    shown = [f for f in report.findings if not only_failing or f.severity.rank >= fail_on.rank]
    for f in shown:
        where = f"{f.path.as_posix()}:{f.line}: {f.severity.value} [{f.rule}] {f.ref}"
        lines.append(_escaped(f"{where}: {f.message}"))
        if f.hint:
            lines.append(f"  hint: {_escaped(f.hint)}")
    hidden = len(report.findings) - len(shown)
    note = (
        f" ({hidden} below --fail-on not listed; run without --quiet to see them)" if hidden else ""
    )
    lines.append(summary(report, fail_on) + note)
    return "\n".join(lines) + "\n"
