"""GitHub Actions workflow commands: each finding annotates its file and line.

::

    ::error file=dist/dev/svc.yaml,line=9,title=schema (Service/dev/frontend)::unknown field ...

The summary line follows as plain log output.
"""

from __future__ import annotations

from guestbook.validate.model import Finding, Report, Severity
from guestbook.validate.output.summary import summary


def write(report: Report, fail_on: Severity) -> str:
    """One workflow command per finding, then the summary."""
    lines = [_annotation(f) for f in report.findings]
    lines.append(summary(report, fail_on))
    return "\n".join(lines) + "\n"


def _annotation(finding: Finding) -> str:
    command = "error" if finding.severity is Severity.ERROR else "warning"
    message = finding.message + (f"\nhint: {finding.hint}" if finding.hint else "")
    properties = ",".join(
        f"{key}={_property(value)}"
        for key, value in (
            ("file", finding.path.as_posix()),
            ("line", str(finding.line)),
            ("title", f"{finding.rule} ({finding.ref})"),
        )
    )
    return f"::{command} {properties}::{_data(message)}"


def _data(text: str) -> str:
    """Escape a workflow command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    """Escape a workflow command's property value."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")
