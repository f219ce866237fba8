"""The ``guestbook`` console script: process-wide settings, then the command.

Process-wide effects live here, not in the library: jsii's Node end-of-life
switch, a rendering command re-run once under ``python -O``, and the cycle
collector paused while ``validate`` runs.

Plain ``guestbook validate`` runs without Typer's start-up.

Importing and starting Typer costs about 0.1 s of CPU (measured in
docs/benchmarks.md), which was half of validating a small tree. A ``validate``
call made of paths and plain options with valid values is parsed here from the
option table the Typer command is declared from
(:mod:`guestbook.validate.cli_options`) and runs the same function. Anything
else (``--help``, an unknown or malformed option, an invalid choice, ``--``,
``--server``, ``--explain``) goes to the Typer app, so help and error messages
are Typer's own.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, Any, TextIO, cast

if TYPE_CHECKING:
    from guestbook.validate.cli_options import ValidateCall

# Commands that render in this process (``diff`` renders in subprocesses, under -O too).
RENDERING_COMMANDS = frozenset({"synth"})


def parse_validate(args: Sequence[str]) -> ValidateCall | None:
    """The arguments after ``validate``, or None when only Typer should handle them."""
    from guestbook.validate.cli_options import parse

    return parse(args)


def _run_validate(call: ValidateCall) -> int:
    """Run ``guestbook validate`` as the Typer command does, from the same option table."""
    from guestbook.errors import user_errors
    from guestbook.validate.cli_options import run

    with user_errors():
        return run(call.paths, call.values)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Signals that unwind the command: Ctrl-C, what CI runners and ``timeout`` send, a closed
terminal."""


class Interrupted(BaseException):
    """A stop signal arrived: unwind (every ``finally`` runs), then exit 128 + signal.

    A BaseException that is not KeyboardInterrupt, so Click does not turn it into
    "Aborted!" with exit 1 (which means findings here) and library code that
    catches Exception does not swallow it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class OutputClosed(BaseException):
    """Whoever read stdout went away (``guestbook diff | head``): unwind, then exit quietly.

    A BaseException for the same reasons as :class:`Interrupted`; Click would turn the
    BrokenPipeError it replaces into exit 1.
    """


class _PipeGuard:
    """stdout, whose writes raise :class:`OutputClosed` when the reader is gone."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise OutputClosed from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise OutputClosed from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _interrupt(signum: int, _frame: object) -> None:
    raise Interrupted(signum)


def main() -> None:
    """Entry point of the ``guestbook`` console script.

    A stop signal (:data:`STOP_SIGNALS`) unwinds, so a render's staging folder, a
    diff's git worktree and any lock are cleaned up. A closed stdout ends the
    command quietly with 128 + SIGPIPE, the status of a pipeline's writer whose
    reader left.
    """
    # jsii prints a large end-of-life banner on every start under Node 20. Silence exactly
    # that banner (the switch names the Node major) before anything starts jsii, unless set.
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    _run_optimized(sys.argv[1:])
    for signum in STOP_SIGNALS:
        signal.signal(signum, _interrupt)
    stdout = sys.stdout
    sys.stdout = cast(TextIO, _PipeGuard(stdout))
    try:
        try:
            _main(sys.argv[1:])
        finally:
            sys.stdout.flush()  # a small output is still buffered: its reader may be gone too
    except Interrupted as stop:
        name = signal.Signals(stop.signum).name
        print(f"guestbook: interrupted by {name}; nothing half-written was kept", file=sys.stderr)
        raise SystemExit(128 + stop.signum) from None
    except OutputClosed:
        # What is still buffered goes nowhere, so the interpreter's last flush cannot fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())
        raise SystemExit(128 + signal.SIGPIPE) from None


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
    if args[:1] == ["synth"]:
        from guestbook import warm

        warm.start_early(warm.environments_option(args[1:]), args[1:])
    validating = args[:1] == ["validate"]
    with _no_cycle_collection() if validating else nullcontext():
        if validating:
            call = parse_validate(args[1:])
            if call is not None:
                raise SystemExit(_run_validate(call))
        from guestbook.cli import main as typer_main

        typer_main()
