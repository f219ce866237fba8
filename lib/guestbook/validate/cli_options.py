"""The options of ``guestbook validate``, declared once.

The Typer command (:mod:`guestbook.cli`) declares its parameters from this table
(names, help, metavar), and the console script's fast path
(:mod:`guestbook.entry`) parses a plain call with it without starting Typer
(whose start-up is about 0.1 s of CPU, see docs/benchmarks.md). Both then call
:func:`run`. A test checks that the options Typer parses are exactly these.
This module imports no Typer and nothing heavy.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from guestbook.kubernetes import KUBERNETES_VERSION
from guestbook.validate.model import Severity
from guestbook.validate.output import DEFAULT_FORMAT, FORMATS

DEFAULT_PATH = Path("dist")


@dataclass(frozen=True)
class Option:
    """One option: how it is spelt, what it takes, its help."""

    param: str
    """The Typer parameter it fills, and the key of the values :func:`run` takes."""
    names: tuple[str, ...]
    kind: Literal["flag", "value", "repeated"]
    """A flag takes no value; a repeated option collects its values in a list."""
    help: str
    metavar: str | None = None
    choices: tuple[str, ...] = ()
    """The values allowed, when they are a fixed set (Typer shows and checks them too)."""
    convert: Callable[[str], Any] = str
    """The fast path's conversion of a value (Typer converts from the parameter's type)."""
    fast: bool = True
    """Whether the fast path handles it; otherwise a call with it goes to Typer."""


OPTIONS: tuple[Option, ...] = (
    Option(
        "kubernetes_version",
        ("--kubernetes-version",),
        "value",
        "Validate against this Kubernetes version (one of the supported ones). "
        f"Default: the configuration's, else {KUBERNETES_VERSION}.",
    ),
    Option(
        "output_format",
        ("--format",),
        "value",
        "Report format.",
        choices=tuple(FORMATS),
    ),
    Option(
        "fail_on",
        ("--fail-on",),
        "value",
        "Exit 1 on findings this bad or worse. Default: the configuration's, else error.",
        choices=tuple(s.value for s in Severity),
        convert=Severity,
    ),
    Option(
        "quiet", ("--quiet", "-q"), "flag", "Text format: list only findings at or above --fail-on."
    ),
    Option(
        "server",
        ("--server",),
        "value",
        "Also send every object to this kubeconfig's API server as a dry-run "
        "server-side apply (findings with rule id 'server'). Nothing is persisted.",
        metavar="KUBECONFIG",
        convert=Path,
        fast=False,  # talks to a cluster: Typer's start-up does not matter
    ),
    Option(
        "complete",
        ("--complete",),
        "flag",
        "The given files hold every object their references can name: a reference "
        "they cannot resolve is an error (default: a warning, 'cannot verify').",
    ),
    Option(
        "config",
        ("--config",),
        "value",
        "Configuration file: a .guestbook-validate.yaml or a pyproject.toml with "
        "[tool.guestbook.validate]. Default: the one in the current folder, if any.",
        metavar="FILE",
        convert=Path,
    ),
    Option(
        "no_cache",
        ("--no-cache",),
        "flag",
        "Read, run kubeconform and run every rule on every file instead of reusing what "
        "guestbook-reader read, kubeconform's verdicts and the one-file rules' findings on "
        "files unchanged since an earlier run (kept in the tools folder).",
    ),
    Option(
        "explain",
        ("--explain",),
        "value",
        "Print what rule RULE checks, why it has its severity and how to fix it; validate nothing.",
        metavar="RULE",
        fast=False,  # its error for an unknown rule is Typer's exit path
    ),
    Option(
        "crd",
        ("--crd",),
        "repeated",
        "A CustomResourceDefinition file, or a folder of them (repeatable): validate "
        "the custom resources it defines against it, CEL rules included. CRDs among the "
        "manifests are used without it.",
        metavar="PATH",
        convert=Path,
    ),
)

BY_PARAM: Mapping[str, Option] = {o.param: o for o in OPTIONS}
_BY_NAME: Mapping[str, Option] = {name: o for o in OPTIONS for name in o.names}


@dataclass
class ValidateCall:
    """A plain ``guestbook validate`` call: its paths and its options' converted values."""

    paths: list[Path]
    values: dict[str, Any]


def parse(args: Sequence[str]) -> ValidateCall | None:
    """The arguments after ``validate``, or None when only Typer should handle them.

    None for ``--help``, ``--``, an unknown option, a missing value, a value outside
    the option's choices, or an option the fast path leaves to Typer; so every
    message about a call comes from Typer.
    """
    call = ValidateCall(paths=[], values={})
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg and not arg.startswith("-"):
            call.paths.append(Path(arg))
            continue
        name, equals, value = arg.partition("=")
        option = _BY_NAME.get(name)
        if option is None or not option.fast or (equals and option.kind == "flag"):
            return None
        if option.kind == "flag":
            call.values[option.param] = True
            continue
        if not equals:
            if not rest or rest[0].startswith("-"):
                return None
            value = rest.pop(0)
        if option.choices and value not in option.choices:
            return None
        if option.kind == "repeated":
            call.values.setdefault(option.param, []).append(option.convert(value))
        else:
            call.values[option.param] = option.convert(value)
    return call


def run(paths: Sequence[Path], values: Mapping[str, Any]) -> int:
    """Run ``guestbook validate`` with ``values`` keyed by :attr:`Option.param`; the exit code.

    Usage and setup problems raise :class:`guestbook.errors.GuestbookError`.
    """
    from guestbook.validate import command

    if values.get("explain") is not None:
        sys.stdout.write(command.explain(values["explain"]))
        return command.EXIT_OK
    return command.run(
        list(paths) or [DEFAULT_PATH],
        kubernetes_version=values.get("kubernetes_version"),
        output_format=values.get("output_format") or DEFAULT_FORMAT,
        fail_on=values.get("fail_on"),
        quiet=bool(values.get("quiet")),
        server=values.get("server"),
        complete=bool(values.get("complete")),
        config=values.get("config"),
        crds=values.get("crd") or [],
        cache=not values.get("no_cache"),
    )
