"""SARIF 2.1.0 for code scanning (``github/codeql-action/upload-sarif`` and other viewers).

One run; its tool lists every rule (the pipeline's own layers first, then
:data:`guestbook.validate.rules.RULES`) with its description, layer and default
level, so a ``ruleIndex`` and a rule's metadata never depend on what was found.
Each finding is a result::

    {"ruleId": "service-selects-nothing", "ruleIndex": 47, "level": "error",
     "message": {"text": "... \\nhint: ..."},
     "locations": [{"physicalLocation": {
         "artifactLocation": {"uri": "dist/dev/service-frontend.yaml", "uriBaseId": "%SRCROOT%"},
         "region": {"startLine": 9}},
       "logicalLocations": [{"fullyQualifiedName": "Service/guestbook-dev/frontend", ...}]}],
     "partialFingerprints": {"guestbookFinding/v1": "<sha256 hex>"}}

Relative paths are relative to ``%SRCROOT%``, the folder ``guestbook validate``
ran in (run it from the repository root for code scanning); absolute paths
become ``file://`` URIs. The folder itself is not written, so the output is the
same on every machine. The fingerprint hashes rule, file, object and message
(not the line), so an alert survives lines moving above it. ``results`` is
always present, empty when nothing was found.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from contextlib import suppress
from pathlib import Path
from urllib.parse import quote

from guestbook.validate.model import Finding, Report, Severity

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT = "guestbookFinding/v1"

PIPELINE_RULES = (
    ("yaml", "the file is not valid YAML (syntax error, duplicate key) or cannot be read"),
    ("schema", "the object does not match its kind's OpenAPI schema (kubeconform -strict)"),
    ("api-version", "the apiVersion is not served for this kind by the Kubernetes version"),
    ("schema-missing", "no schema is known for the object's kind (an unknown kind or a CRD)"),
    ("server", "the API server refused the object in a dry-run apply (--server only)"),
)
"""Rule ids of the layers that are not in the rule registry, with what they catch."""

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning"}


def write(report: Report, fail_on: Severity) -> str:
    """The SARIF log, indented, ending with a newline."""
    rules = _rules()
    index = {str(rule["id"]): i for i, rule in enumerate(rules)}
    for finding in report.findings:
        if finding.rule not in index:  # a rule id no table knows: still a valid ruleIndex
            index[finding.rule] = len(rules)
            rules.append(_rule(finding.rule, "", finding.severity))
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": _driver(rules)},
                "results": _results(report.findings, index),
                "properties": {
                    "kubernetesVersion": report.kubernetes_version,
                    "failOn": fail_on.value,
                    "failed": report.failed(fail_on),
                },
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _driver(rules: list[dict[str, object]]) -> dict[str, object]:
    driver: dict[str, object] = {"name": "guestbook validate"}
    # Imported here: no other format needs importlib.metadata, which is slow to import.
    from importlib.metadata import PackageNotFoundError, version

    with suppress(PackageNotFoundError):  # run from a source tree that was never installed
        driver["version"] = version("guestbook-gitops")
    driver["rules"] = rules
    return driver


def _rules() -> list[dict[str, object]]:
    from guestbook.validate.rules import RULES

    return [
        *(_rule(rule_id, text, Severity.ERROR) for rule_id, text in PIPELINE_RULES),
        *(_rule(r.id, r.description, r.severity, layer=int(r.layer)) for r in RULES),
    ]


def _rule(
    rule_id: str, description: str, severity: Severity, *, layer: int | None = None
) -> dict[str, object]:
    text = description or f"findings of rule {rule_id}"
    where = f" (layer {layer})" if layer is not None else ""
    properties: dict[str, object] = {"tags": ["kubernetes"]}
    if layer is not None:
        properties["layer"] = layer
    return {
        "id": rule_id,
        "shortDescription": {"text": _sentence(text)},
        "fullDescription": {"text": _sentence(f"{text}{where}")},
        "help": {
            "text": f"guestbook validate rule {rule_id}{where}: {text}. "
            "A result's message ends with a hint on how to fix it, where one is known.",
        },
        "defaultConfiguration": {"level": _LEVELS[severity]},
        "properties": properties,
    }


def _results(findings: tuple[Finding, ...], index: dict[str, int]) -> list[dict[str, object]]:
    seen: Counter[str] = Counter()
    results = []
    for finding in findings:
        key = _fingerprint(finding)
        seen[key] += 1
        if seen[key] > 1:  # the same finding twice in one file: keep the alerts apart
            key = _digest(f"{key}\0{seen[key]}")
        results.append(
            {
                "ruleId": finding.rule,
                "ruleIndex": index[finding.rule],
                "level": _LEVELS[finding.severity],
                "message": {"text": _message(finding)},
                "locations": [_location(finding)],
                "partialFingerprints": {FINGERPRINT: key},
            }
        )
    return results


def _message(finding: Finding) -> str:
    return finding.message + (f"\nhint: {finding.hint}" if finding.hint else "")


def _location(finding: Finding) -> dict[str, object]:
    location: dict[str, object] = {
        "physicalLocation": {
            "artifactLocation": _artifact(finding.path),
            "region": {"startLine": max(1, finding.line)},
        }
    }
    if finding.ref.kind or finding.ref.name:
        location["logicalLocations"] = [
            {
                "name": finding.ref.name,
                "fullyQualifiedName": str(finding.ref),
                "kind": "resource",
            }
        ]
    return location


def _artifact(path: Path) -> dict[str, str]:
    if path.is_absolute():
        return {"uri": path.as_uri()}
    return {"uri": quote(path.as_posix(), safe="/"), "uriBaseId": SRCROOT}


def _fingerprint(finding: Finding) -> str:
    ref = finding.ref
    return _digest(
        "\0".join(
            (
                finding.rule,
                finding.path.as_posix(),
                ref.kind,
                ref.namespace,
                ref.name,
                finding.message,
            )
        )
    )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
