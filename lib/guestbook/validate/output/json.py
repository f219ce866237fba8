"""Machine-readable JSON. The keys are stable; new keys may be added, none renamed.

::

    {
      "format": 1,
      "kubernetesVersion": "1.34.3",
      "failed": true,                 # any finding at or above failOn
      "failOn": "error",
      "summary": {"files": 34, "objects": 34, "errors": 1, "warnings": 0},
      "findings": [
        {"file": "dist/dev/service-frontend.yaml", "line": 9,
         "severity": "error", "rule": "schema",
         "object": {"kind": "Service", "namespace": "guestbook-dev", "name": "frontend"},
         "message": "...", "hint": "..."}
      ]
    }

Findings are sorted by file, line, rule and message; ``hint`` may be ``""``
and the object's fields are ``""`` when the document has none.
"""

from __future__ import annotations

import json

from guestbook.validate.model import Finding, Report, Severity

FORMAT_VERSION = 1


def write(report: Report, fail_on: Severity) -> str:
    """The JSON report, indented, ending with a newline."""
    data = {
        "format": FORMAT_VERSION,
        "kubernetesVersion": report.kubernetes_version,
        "failed": report.failed(fail_on),
        "failOn": fail_on.value,
        "summary": {
            "files": report.files,
            "objects": report.documents,
            "errors": report.count(Severity.ERROR),
            "warnings": report.count(Severity.WARNING),
        },
        "findings": [_finding(f) for f in report.findings],
    }
    return json.dumps(data, indent=2) + "\n"


def _finding(finding: Finding) -> dict[str, object]:
    return {
        "file": finding.path.as_posix(),
        "line": finding.line,
        "severity": finding.severity.value,
        "rule": finding.rule,
        "object": {
            "kind": finding.ref.kind,
            "namespace": finding.ref.namespace,
            "name": finding.ref.name,
        },
        "message": finding.message,
        "hint": finding.hint,
    }
