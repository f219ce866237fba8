"""Report writers, one module per format; each turns a :class:`DiffReport` into text.

:data:`FORMATS` is the one list of formats: ``guestbook diff --format`` offers
its keys. Adding a format is a new module here and one line in it.
"""

from __future__ import annotations

import os
from typing import Protocol, TextIO

from guestbook.diff.model import DiffReport
from guestbook.diff.output.json import format_json
from guestbook.diff.output.markdown import format_markdown
from guestbook.diff.output.text import format_text


class Writer(Protocol):
    """Turns a diff report into the text of one output format."""

    def __call__(self, report: DiffReport, *, color: bool) -> str: ...


def _markdown(report: DiffReport, *, color: bool) -> str:
    return format_markdown(report)


def _json(report: DiffReport, *, color: bool) -> str:
    return format_json(report)


FORMATS: dict[str, Writer] = {
    "text": format_text,
    "markdown": _markdown,
    "json": _json,
}
"""Output formats by name, as ``guestbook diff --format`` accepts them; ``color`` is for text."""


def use_color(stream: TextIO) -> bool:
    """Color only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def format_report(report: DiffReport, output_format: str, *, color: bool = False) -> str:
    """``report`` in ``output_format``, a key of :data:`FORMATS`; ``color`` is for text only."""
    return FORMATS[output_format](report, color=color)


__all__ = [
    "FORMATS",
    "Writer",
    "format_json",
    "format_markdown",
    "format_report",
    "format_text",
    "use_color",
]
