"""Report writers, one module per format; each turns a :class:`DiffReport` into text."""

from __future__ import annotations

import os
from typing import Literal, TextIO

from guestbook.diff.model import DiffReport
from guestbook.diff.output.json import format_json
from guestbook.diff.output.markdown import format_markdown
from guestbook.diff.output.text import format_text

OutputFormat = Literal["text", "markdown", "json"]


def use_color(stream: TextIO) -> bool:
    """Color only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def format_report(report: DiffReport, output_format: OutputFormat, *, color: bool = False) -> str:
    """``report`` in ``output_format``; ``color`` applies to text only."""
    if output_format == "json":
        return format_json(report)
    if output_format == "markdown":
        return format_markdown(report)
    return format_text(report, color=color)


__all__ = [
    "OutputFormat",
    "format_json",
    "format_markdown",
    "format_report",
    "format_text",
    "use_color",
]
