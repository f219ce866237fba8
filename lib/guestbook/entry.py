"""The ``guestbook`` console script: process-wide settings, then the command.

Process-wide effects live here, not in the library: jsii's Node end-of-life
switch, a rendering command re-run once under ``python -O``, and the cycle
collector paused while ``validate`` runs.

Plain ``guestbook validate`` runs without Typer's start-up.

Typer resolves option values through pydantic when a command starts, about
0.1 s, which was half of validating a small tree. A ``validate`` call made of
paths and the documented options with valid values is parsed here and runs
the same code as the Typer command. Anything else (``--help``, an unknown or
malformed option, an invalid choice, ``--``) goes to the Typer app, so help
and error messages are Typer's own.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

# Commands that render in this process (``diff`` renders in subprocesses, under -O too).
RENDERING_COMMANDS = frozenset({"synth"})
VALUE_OPTIONS = ("--kubernetes-version", "--format", "--fail-on", "--config")
FLAG_OPTIONS = ("--quiet", "-q", "--complete", "--no-cache")
REPEATED_OPTIONS = ("--crd",)


@dataclass
class ValidateCall:
    """A ``guestbook validate`` call's arguments, as given (choices checked by the caller)."""

    paths: list[Path] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    quiet: bool = False
    complete: bool = False
    no_cache: bool = False
    crds: list[Path] = field(default_factory=list)


def parse_validate(args: Sequence[str]) -> ValidateCall | None:
    """The arguments after ``validate``, or None when only Typer should handle them."""
    call = ValidateCall()
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        name, equals, value = arg.partition("=")
        if arg == "--complete":
            call.complete = True
        elif arg == "--no-cache":
            call.no_cache = True
        elif arg in FLAG_OPTIONS:
            call.quiet = True
        elif name in REPEATED_OPTIONS and equals:
            call.crds.append(Path(value))
        elif arg in REPEATED_OPTIONS and rest and not rest[0].startswith("-"):
            call.crds.append(Path(rest.pop(0)))
        elif name in VALUE_OPTIONS and equals:
            call.values[name] = value
        elif arg in VALUE_OPTIONS and rest and not rest[0].startswith("-"):
            call.values[arg] = rest.pop(0)
        elif arg and not arg.startswith("-"):
            call.paths.append(Path(arg))
        else:
            return None
    return call


def _run_validate(call: ValidateCall) -> int | None:
    """Run ``guestbook validate`` like the Typer command; None when a choice is invalid."""
    from guestbook.errors import user_errors
    from guestbook.validate.command import run
    from guestbook.validate.model import Severity
    from guestbook.validate.output import DEFAULT_FORMAT, FORMATS

    severities = {s.value: s for s in Severity}
    output_format = call.values.get("--format", DEFAULT_FORMAT)
    fail_on = call.values.get("--fail-on")
    if output_format not in FORMATS or (fail_on is not None and fail_on not in severities):
        return None
    config = call.values.get("--config")
    with user_errors():
        return run(
            call.paths or [Path("dist")],
            kubernetes_version=call.values.get("--kubernetes-version"),
            output_format=output_format,
            fail_on=severities[fail_on] if fail_on is not None else None,
            quiet=call.quiet,
            complete=call.complete,
            config=Path(config) if config is not None else None,
            crds=call.crds,
            cache=not call.no_cache,
        )


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: unwind (every ``finally`` runs), then exit 128 + signal.

    A BaseException that is not KeyboardInterrupt, so Click does not turn it into
    "Aborted!" with exit 1 (which means findings here) and library code that
    catches Exception does not swallow it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _interrupt(signum: int, _frame: object) -> None:
    raise Interrupted(signum)


def main() -> None:
    """Entry point of the ``guestbook`` console script.

    SIGTERM (what CI runners and ``timeout`` send) unwinds like Ctrl-C, so a
    render's staging folder, a diff's git worktree and any lock are cleaned up.
    """
    # jsii prints a large end-of-life banner on every start under Node 20. Silence exactly
    # that banner (the switch names the Node major) before anything starts jsii, unless set.
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    _run_optimized(sys.argv[1:])
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)
    try:
        _main(sys.argv[1:])
    except Interrupted as stop:
        name = signal.Signals(stop.signum).name
        print(f"guestbook: interrupted by {name}; nothing half-written was kept", file=sys.stderr)
        raise SystemExit(128 + stop.signum) from None


def _run_optimized(args: Sequence[str]) -> None:
    """Re-run a rendering command once under ``python -O`` (replacing this process).

    jsii's generated argument checks (typeguard, ~40 % of a render) are guarded by
    ``__debug__``, which is jsii's documented way to skip them (jsii/_type_checking.py).
    The constructs are type-checked by mypy --strict against the same signatures, so the
    checks repeat what is proven. ``-P`` keeps the current folder off ``sys.path``.
    """
    if args[:1] and args[0] in RENDERING_COMMANDS and not sys.flags.optimize and sys.executable:
        os.execv(sys.executable, [sys.executable, "-O", "-P", "-m", "guestbook", *args])


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector: reading manifests makes ~100,000 dicts and lists
    without a cycle among them, which it would walk several times (~10 ms on the fleet)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _main(args: list[str]) -> None:
    validating = args[:1] == ["validate"]
    with _no_cycle_collection() if validating else nullcontext():
        if validating:
            call = parse_validate(args[1:])
            code = _run_validate(call) if call is not None else None
            if code is not None:
                raise SystemExit(code)
        from guestbook.cli import main as typer_main

        typer_main()
