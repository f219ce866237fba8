"""GitHub Actions workflow commands: each finding annotates its file and line.

::

    ::error file=dist/dev/svc.yaml,line=9,title=schema (Service/dev/frontend)::unknown field ...

The summary line follows as plain log output. Control characters from manifests are
shown escaped (``\\x1b``), so none reaches the log as a terminal sequence.
"""

from __future__ import annotations

from guestbook.validate.model import Finding, Report, Severity
from guestbook.validate.output.controls import CONTROLS, escape_table
from guestbook.validate.output.summary import summary

_SHOWN = escape_table(c for c in CONTROLS if chr(c) not in "\n\r")
"""Control characters (ESC starts a terminal sequence in the log) other than the line breaks
the workflow command encodes itself (%0A, %0D)."""


def write(report: Report, fail_on: Severity) -> str:
    """One workflow command per finding, then the summary."""
    lines = [_annotation(f) for f in report.findings]
    lines.append(summary(report, fail_on))
    return "\n".join(lines) + "\n"


def _annotation(finding: Finding) -> str:
    command = "error" if finding.severity is Severity.ERROR else "warning"
    message = finding.message.translate(_SHOWN)
    if finding.hint:
        message += f"\nhint: {finding.hint.translate(_SHOWN)}"
    properties = ",".join(
        f"{key}={_property(value)}"
        for key, value in (
            ("file", finding.path.as_posix().translate(_SHOWN)),
            ("line", str(finding.line)),
            ("title", f"{finding.rule} ({finding.ref})".translate(_SHOWN)),
        )
    )
    return f"::{command} {properties}::{_data(message)}"


def _data(text: str) -> str:
    """Escape a workflow command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    """Escape a workflow command's property value."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")
