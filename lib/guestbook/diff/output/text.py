"""Plain text for a terminal: colored when the caller says so (on a TTY)."""

from __future__ import annotations

from guestbook.diff.model import DiffReport, EnvironmentDiff, ObjectDiff, Status
from guestbook.diff.output.values import SIGNS, describe

_RESET = "\033[0m"
_STYLES = {"bold": "\033[1m", "red": "\033[31m", "green": "\033[32m", "cyan": "\033[36m"}
_OBJECT_SIGNS = {Status.ADDED: "+", Status.REMOVED: "-", Status.CHANGED: "~"}


class _Painter:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, *styles: str) -> str:
        if not self.color or not styles:
            return text
        return "".join(_STYLES[s] for s in styles) + text + _RESET

    def diff_line(self, line: str) -> str:
        if line.startswith(("+++", "---")):
            return self(line, "bold")
        if line.startswith("@@"):
            return self(line, "cyan")
        if line.startswith("+"):
            return self(line, "green")
        if line.startswith("-"):
            return self(line, "red")
        return line


def _counts(env: EnvironmentDiff) -> str:
    parts = [
        f"{env.count(status)} {status.value}"
        for status in (Status.ADDED, Status.CHANGED, Status.REMOVED)
        if env.count(status)
    ]
    return ", ".join(parts) or "no changes"


def _headline(env: EnvironmentDiff) -> str:
    return f"{env.title}: {_counts(env)}"


def _object(obj: ObjectDiff, paint: _Painter) -> list[str]:
    sign = _OBJECT_SIGNS[obj.status]
    colour = {"+": "green", "-": "red", "~": "bold"}[sign]
    lines = [paint(f"  {sign} {obj.key}", colour)]
    lines.extend(f"      {SIGNS[c.op]} {describe(c)}" for c in obj.changes)
    lines.extend(f"      {paint.diff_line(line)}" for line in obj.unified.splitlines())
    return lines


def format_text(report: DiffReport, *, color: bool = False) -> str:
    """The report for a terminal: a line per environment, then its objects and their diffs."""
    paint = _Painter(color)
    lines = [f"Manifest diff: base {report.base} → head {report.head}", ""]
    for env in report.environments:
        lines.append(paint(_headline(env), "bold"))
        for obj in env.objects:
            lines.extend(_object(obj, paint))
    if not report.environments:
        lines.append("No environments rendered on either side.")
    lines.append("")
    lines.append(_summary(report))
    return "\n".join(lines) + "\n"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _summary(report: DiffReport) -> str:
    if not report.has_changes:
        return f"No changes in {report.folders_compared()}."
    environments = [env for env in report.environments if not env.is_argocd]
    new = sum(1 for env in environments if env.status is Status.ADDED)
    gone = sum(1 for env in environments if env.status is Status.REMOVED)
    envs = f"{_count(new, 'environment')} added, {gone} removed; " if new or gone else ""
    return (
        f"Summary: {envs}{_count(report.total(Status.ADDED), 'object')} added, "
        f"{report.total(Status.CHANGED)} changed, {report.total(Status.REMOVED)} removed."
    )
