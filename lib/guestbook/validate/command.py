"""``guestbook validate``: run the pipeline, print one format, choose the exit code."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path

from guestbook.validate.model import Severity
from guestbook.validate.output import FORMATS, text
from guestbook.validate.pipeline import validate
from guestbook.validate.progress import SlowProgress

EXIT_OK = 0
EXIT_FINDINGS = 1


class OutputFormat(StrEnum):
    """``--format`` choices (see :mod:`guestbook.validate.output`)."""

    TEXT = "text"
    JSON = "json"
    JUNIT = "junit"
    GITHUB = "github"


def run(
    paths: Sequence[Path],
    *,
    kubernetes_version: str,
    output_format: OutputFormat = OutputFormat.TEXT,
    fail_on: Severity = Severity.ERROR,
    quiet: bool = False,
    server: Path | None = None,
    crds: Sequence[Path] = (),
) -> int:
    """Validate ``paths``, print the report on stdout and return the exit code (0 or 1).

    Usage and setup problems raise :class:`guestbook.errors.GuestbookError`.
    """
    progress = SlowProgress(sys.stderr)
    try:
        report = validate(
            paths,
            kubernetes_version=kubernetes_version,
            progress=progress,
            server=server,
            crds=crds,
        )
    finally:
        progress.close()
    if quiet and output_format is OutputFormat.TEXT:
        sys.stdout.write(text.write(report, fail_on, only_failing=True))
    else:
        sys.stdout.write(FORMATS[output_format.value](report, fail_on))
    return EXIT_FINDINGS if report.failed(fail_on) else EXIT_OK
