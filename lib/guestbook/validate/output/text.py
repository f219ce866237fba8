"""Text for a terminal: one line per finding, its fix indented below, a summary last.

::

    dist/dev/service-frontend.yaml:9: error [schema] Service/guestbook-dev/frontend: ...
      hint: did you mean 'ports'?
    FAILED: 1 error, 0 warnings in 34 objects (34 files), Kubernetes 1.34.3
"""

from __future__ import annotations

from guestbook.validate.model import Report, Severity
from guestbook.validate.output.summary import summary


def write(report: Report, fail_on: Severity) -> str:
    """The text report."""
    lines: list[str] = []
    for f in report.findings:
        lines.append(
            f"{f.path.as_posix()}:{f.line}: {f.severity.value} [{f.rule}] {f.ref}: {f.message}"
        )
        if f.hint:
            lines.append(f"  hint: {f.hint}")
    lines.append(summary(report, fail_on))
    return "\n".join(lines) + "\n"
