"""The one-line summary every human-facing format ends with."""

from __future__ import annotations

from guestbook.validate.model import Report, Severity


def plural(count: int, noun: str) -> str:
    """``1 error``, ``2 errors``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def summary(report: Report, fail_on: Severity) -> str:
    """e.g. ``FAILED: 2 errors, 1 warning in 34 objects (34 files), Kubernetes 1.34.3``."""
    errors = report.count(Severity.ERROR)
    warnings = report.count(Severity.WARNING)
    verdict = "FAILED" if report.failed(fail_on) else "ok"
    return (
        f"{verdict}: {plural(errors, 'error')}, {plural(warnings, 'warning')} in "
        f"{plural(report.documents, 'object')} ({plural(report.files, 'file')}), "
        f"Kubernetes {report.kubernetes_version}"
    )
