"""Fail on any checkov finding not accepted in .ci/checkov-skips.yaml, and on stale entries.

Usage: checkov -d dist/prod --framework kubernetes -o json | python .ci/checkov_gate.py SKIPS
(the reports of several checkov runs, one after the other, are read together).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml


def main() -> int:
    skips_file = Path(sys.argv[1])
    accepted = {
        (entry["check"], resource): entry["reason"]
        for entry in yaml.safe_load(skips_file.read_text())
        for resource in entry["resources"]
    }
    reports = []
    text, position, decoder = sys.stdin.read(), 0, json.JSONDecoder()
    while text[position:].strip():
        report, position = decoder.raw_decode(text, len(text) - len(text[position:].lstrip()))
        reports.extend(report if isinstance(report, list) else [report])
    failed = {
        (check["check_id"], check["resource"]): check["check_name"]
        for rep in reports
        for check in rep.get("results", {}).get("failed_checks", [])
    }
    passed = sum(rep.get("summary", {}).get("passed", 0) for rep in reports)
    unexpected = sorted(set(failed) - set(accepted))
    stale = sorted(set(accepted) - set(failed))
    for check, resource in unexpected:
        print(f"checkov: {check} {failed[(check, resource)]!r} fails for {resource}")
    for check, resource in stale:
        print(f"checkov: {skips_file}: {check} for {resource} no longer fails; remove the entry")
    print(
        f"checkov: {passed} passed, {len(failed)} failed "
        f"({len(failed) - len(unexpected)} accepted in {skips_file})"
    )
    return 1 if unexpected or stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
