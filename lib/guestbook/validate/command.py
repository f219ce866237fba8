"""``guestbook validate``: run the pipeline, print one format, choose the exit code."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from guestbook.validate.model import Severity
from guestbook.validate.output import DEFAULT_FORMAT, FORMATS, text
from guestbook.validate.pipeline import validate
from guestbook.validate.progress import SlowProgress

EXIT_OK = 0
EXIT_FINDINGS = 1


def run(
    paths: Sequence[Path],
    *,
    kubernetes_version: str,
    output_format: str = DEFAULT_FORMAT,
    fail_on: Severity = Severity.ERROR,
    quiet: bool = False,
    server: Path | None = None,
) -> int:
    """Validate ``paths``, print the report on stdout and return the exit code (0 or 1).

    ``output_format`` is a key of :data:`guestbook.validate.output.FORMATS`;
    ``quiet`` applies to the text format only.

    Usage and setup problems raise :class:`guestbook.errors.GuestbookError`.
    """
    progress = SlowProgress(sys.stderr)
    try:
        report = validate(
            paths, kubernetes_version=kubernetes_version, progress=progress, server=server
        )
    finally:
        progress.close()
    if quiet and output_format == "text":
        sys.stdout.write(text.write(report, fail_on, only_failing=True))
    else:
        sys.stdout.write(FORMATS[output_format](report, fail_on))
    return EXIT_FINDINGS if report.failed(fail_on) else EXIT_OK
