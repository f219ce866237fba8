"""``guestbook validate``: read the configuration, run the pipeline, print one format, choose
the exit code; ``--explain`` prints one rule."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from guestbook.errors import GuestbookError
from guestbook.kubernetes import KUBERNETES_VERSION
from guestbook.validate.config_file import find_config
from guestbook.validate.model import Severity
from guestbook.validate.output import DEFAULT_FORMAT, FORMATS, text
from guestbook.validate.pipeline import validate
from guestbook.validate.progress import SlowProgress
from guestbook.validate.settings import ValidateSettings

EXIT_OK = 0
EXIT_FINDINGS = 1


def run(
    paths: Sequence[Path],
    *,
    kubernetes_version: str | None = None,
    output_format: str = DEFAULT_FORMAT,
    fail_on: Severity | None = None,
    quiet: bool = False,
    server: Path | None = None,
    complete: bool = False,
    config: Path | None = None,
    crds: Sequence[Path] = (),
    cache: bool = True,
) -> int:
    """Validate ``paths``, print the report on stdout and return the exit code (0 or 1).

    ``output_format`` is a key of :data:`guestbook.validate.output.FORMATS`;
    ``quiet`` applies to the text format only. ``config`` names the configuration
    file (default: the one found in the current folder, see
    :mod:`guestbook.validate.configuration`); ``kubernetes_version``, ``fail_on`` and
    ``complete`` override it when given, ``cache=False`` (``--no-cache``) turns off the
    verdict cache. Usage and setup problems raise
    :class:`guestbook.errors.GuestbookError`.
    """
    source = config if config is not None else find_config()
    if source is None:
        # What an empty configuration resolves to, without loading the configuration model.
        settings = ValidateSettings(complete=complete, cache=cache)
        version = kubernetes_version or KUBERNETES_VERSION
        threshold = fail_on or Severity.ERROR
    else:
        from guestbook.validate import configuration

        if not source.is_file():
            raise GuestbookError(f"{source}: no such configuration file")
        loaded = configuration.load_config(source)
        try:
            settings = configuration.resolve(loaded, source.parent, complete=complete, cache=cache)
        except GuestbookError as err:
            raise GuestbookError(f"{source}: {err}") from None
        version = kubernetes_version or loaded.kubernetes_version or KUBERNETES_VERSION
        threshold = fail_on or Severity(loaded.fail_on or Severity.ERROR)

    progress = SlowProgress(sys.stderr)
    try:
        report = validate(
            paths,
            kubernetes_version=version,
            progress=progress,
            server=server,
            settings=settings,
            crds=[*settings.crds, *crds],
        )
    finally:
        progress.close()
    if quiet and output_format == "text":
        sys.stdout.write(text.write(report, threshold, only_failing=True))
    else:
        sys.stdout.write(FORMATS[output_format](report, threshold))
    return EXIT_FINDINGS if report.failed(threshold) else EXIT_OK


def explain(rule_id: str) -> str:
    """What rule ``rule_id`` checks, why it has its severity, and how to fix its findings."""
    from guestbook.validate.rules import RULES, Layer, rule
    from guestbook.validate.rules.exceptions import ANNOTATION
    from guestbook.validate.rules.registry import unknown_rule

    try:
        found = rule(rule_id)
    except KeyError:
        raise GuestbookError(unknown_rule(rule_id, [r.id for r in RULES])) from None
    lines = [
        f"{found.id}: layer {int(found.layer)}, {found.severity_label}",
        f"checks:   {found.description}",
        f"severity: {found.reason}",
        f"fix:      {found.fix}",
    ]
    if found.needs_complete:
        lines.append(
            "in a set not declared complete (--complete, or the 'complete' setting) a "
            "finding that rests on objects outside the validated files is a warning"
        )
    if found.layer is not Layer.EXCEPTIONS:
        lines.append(
            f"skip it for one object: annotation {ANNOTATION}: '{found.id}: <reason>'; "
            f'for all: disable = ["{found.id}"] in the configuration'
        )
    return "\n".join(lines) + "\n"
