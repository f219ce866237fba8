"""Markdown for a pull-request comment: a summary table, then collapsible sections.

The comment starts with :data:`MARKER`, an HTML comment the workflow uses to
find and update its own comment. GitHub rejects comments over
:data:`COMMENT_LIMIT` characters; a longer report keeps its header and
summary, leaves out whole objects from the end, and says which.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from guestbook.diff.model import DiffReport, EnvironmentDiff, ObjectDiff, Status
from guestbook.diff.output.values import SIGNS, describe

MARKER = "<!-- guestbook-diff -->"
COMMENT_LIMIT = 65_536
"""GitHub's limit on a comment body, in characters (counted as UTF-16 code units)."""
LISTED_LEFT_OUT = 30
"""At most this many left-out objects are named in the truncation note."""

_STATUSES = (Status.ADDED, Status.CHANGED, Status.REMOVED)
_OBJECT_SIGNS = {Status.ADDED: "+", Status.REMOVED: "-", Status.CHANGED: "~"}


def comment_size(text: str) -> int:
    """Length as GitHub counts it (JavaScript string length: UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _code(text: str) -> str:
    return f"<code>{html.escape(text, quote=False)}</code>"


def _fence(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _counts(env: EnvironmentDiff) -> str:
    parts = [f"{env.count(s)} {s.value}" for s in _STATUSES if env.count(s)]
    return ", ".join(parts) or "no changes"


def _header(report: DiffReport) -> str:
    lines = [
        MARKER,
        "### Rendered manifest diff",
        "",
        f"Base {_code(str(report.base))} → head {_code(str(report.head))}.",
        "",
        "| Environment | Added | Changed | Removed |",
        "| --- | ---: | ---: | ---: |",
    ]
    for env in report.environments:
        counts = " | ".join(str(env.count(s)) for s in _STATUSES)
        lines.append(f"| {html.escape(env.title)} | {counts} |")
    totals = " | ".join(f"**{report.total(s)}**" for s in _STATUSES)
    lines.append(f"| **Total** | {totals} |")
    lines.append("")
    if not report.has_changes:
        lines.append(f"No changes to the rendered manifests of {report.folders_compared()}.")
        lines.append("")
    return "\n".join(lines) + "\n"


def _env_open(env: EnvironmentDiff) -> str:
    title = f"<b>{html.escape(env.title)}</b>: {_counts(env)}"
    return f"<details>\n<summary>{title}</summary>\n\n"


_ENV_CLOSE = "</details>\n\n"


def _object(obj: ObjectDiff) -> str:
    sign = _OBJECT_SIGNS[obj.status]
    parts = [f"<details>\n<summary>{sign} {_code(str(obj.key))} ({obj.status.value})</summary>\n\n"]
    if obj.changes:
        parts.append("".join(f"- {SIGNS[c.op]} {_code(describe(c))}\n" for c in obj.changes))
        parts.append("\n")
    if obj.unified:
        fence = _fence(obj.unified)
        parts.append(f"{fence}diff\n{obj.unified.rstrip(chr(10))}\n{fence}\n\n")
    parts.append("</details>\n\n")
    return "".join(parts)


@dataclass(frozen=True)
class _Block:
    env: EnvironmentDiff
    obj: ObjectDiff
    text: str


def _note(left_out: list[_Block], limit: int) -> str:
    if not left_out:
        return ""
    per_env: dict[str, int] = {}
    for block in left_out:
        per_env[block.env.name] = per_env.get(block.env.name, 0) + 1
    where = ", ".join(f"{name}: {count}" for name, count in per_env.items())
    named = ", ".join(
        _code(f"{block.env.name}/{block.obj.key}") for block in left_out[:LISTED_LEFT_OUT]
    )
    more = len(left_out) - LISTED_LEFT_OUT
    if more > 0:
        named += f" and {more} more"
    return (
        f"> [!NOTE]\n> Cut to GitHub's {limit:,}-character comment limit: "
        f"{len(left_out)} objects left out ({where}): {named}. "
        "The table counts everything; run `guestbook diff` for the full diff.\n"
    )


def format_markdown(report: DiffReport, *, limit: int = COMMENT_LIMIT) -> str:
    """The report as one PR comment of at most ``limit`` characters."""
    header = _header(report)
    blocks = [_Block(env, obj, _object(obj)) for env in report.environments for obj in env.objects]
    # The largest prefix of objects that fits together with the note about the rest.
    sizes = [comment_size(block.text) for block in blocks]
    open_size = {
        env.name: comment_size(_env_open(env)) + len(_ENV_CLOSE) for env in report.environments
    }
    used = comment_size(header)
    fits = 0
    for count in range(len(blocks) + 1):
        if count:
            env = blocks[count - 1].env
            starts_env = count == 1 or blocks[count - 2].env is not env
            used += sizes[count - 1] + (open_size[env.name] if starts_env else 0)
        note = _note(blocks[count:], limit)
        if used + (comment_size(note) + 1 if note else 0) <= limit:
            fits = count
    note = _note(blocks[fits:], limit)
    return _cut(_assemble(header + (note + "\n" if note else ""), blocks[:fits]), limit)


def _assemble(header: str, blocks: list[_Block]) -> str:
    parts = [header]
    for index, block in enumerate(blocks):
        if index == 0 or blocks[index - 1].env is not block.env:
            if index:
                parts.append(_ENV_CLOSE)
            parts.append(_env_open(block.env))
        parts.append(block.text)
    if blocks:
        parts.append(_ENV_CLOSE)
    return "".join(parts)


def _cut(text: str, limit: int) -> str:
    """Last resort when even the summary is too long: cut the text and say so."""
    if comment_size(text) <= limit:
        return text
    suffix = "\n\n… (cut: the summary alone is longer than a GitHub comment)\n"
    keep = limit - comment_size(suffix)
    while comment_size(text[:keep]) > limit - comment_size(suffix):
        keep -= 1
    return text[:keep] + suffix
