"""JUnit XML for CI test reports: one test case per file read.

A file with findings at or above ``fail_on`` is a failed case (one
``<failure>`` listing them all); other findings go to its ``<system-out>``.
Characters XML 1.0 forbids are shown escaped (``\\x1b``), so the document stays valid.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from guestbook.validate.model import Finding, Report, Severity
from guestbook.validate.output.controls import XML_FORBIDDEN, escape_table
from guestbook.validate.output.summary import plural

_XML_SAFE = escape_table(XML_FORBIDDEN)
"""What XML 1.0 forbids (ESC, NUL, ... from a manifest's names or values), shown escaped."""


def write(report: Report, fail_on: Severity) -> str:
    """The JUnit XML document."""
    by_file: dict[Path, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_file[finding.path].append(finding)
    paths = list(dict.fromkeys([*report.paths, *by_file]))

    suites = ET.Element("testsuites", name="guestbook validate")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"guestbook validate (Kubernetes {report.kubernetes_version})",
        tests=str(len(paths)),
        errors="0",
        skipped="0",
    )
    failures = 0
    for path in paths:
        case = ET.SubElement(
            suite, "testcase", name=_xml(path.as_posix()), classname="guestbook.validate"
        )
        findings = by_file.get(path, [])
        failing = [f for f in findings if f.severity.rank >= fail_on.rank]
        if failing:
            failures += 1
            failure = ET.SubElement(
                case,
                "failure",
                message=_xml(f"{plural(len(failing), 'finding')}: {failing[0].message}"),
                type=failing[0].rule,
            )
            failure.text = "\n".join(_line(f) for f in failing)
        others = [f for f in findings if f not in failing]
        if others:
            ET.SubElement(case, "system-out").text = "\n".join(_line(f) for f in others)
    suite.set("failures", str(failures))
    suites.set("tests", str(len(paths)))
    suites.set("failures", str(failures))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _line(finding: Finding) -> str:
    hint = f" (hint: {finding.hint})" if finding.hint else ""
    return _xml(
        f"{finding.path.as_posix()}:{finding.line}: {finding.severity.value} "
        f"[{finding.rule}] {finding.ref}: {finding.message}{hint}"
    )


def _xml(text: str) -> str:
    return text.translate(_XML_SAFE)
