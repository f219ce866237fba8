"""Validate rendered manifests: YAML, kubeconform schemas, then the rule layers.

Use it as a library::

    from guestbook.validate import validate

    report = validate(["dist/"], kubernetes_version="1.37.2")
    for finding in report.findings:
        print(finding.path, finding.line, finding.rule, finding.message)

or from the command line as ``guestbook validate``. See :mod:`.pipeline`.
"""

from guestbook.validate.model import Document, Finding, ObjectRef, Report, Severity
from guestbook.validate.pipeline import check_kubernetes_version, validate

__all__ = [
    "Document",
    "Finding",
    "ObjectRef",
    "Report",
    "Severity",
    "check_kubernetes_version",
    "validate",
]
