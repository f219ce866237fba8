"""Start jsii's runtime while ``guestbook synth`` is still loading, when it will likely render.

Before the first environment renders, Node must start and load the cdk8s, cdk8s-plus
and constructs assemblies (about 0.4 s on the benchmark machine); reading the
overlays and computing the render cache's keys needs pydantic, which takes about as
long to import. :func:`start_early` overlaps the two: a thread imports the
constructs' libraries while the command goes on. The command waits only until the
thread has imported jsii's Python side (about 0.08 s), the one step of the thread
that needs Python's interpreter lock throughout: from there Node starts, and the
thread mostly waits for it.

Whether anything will render is only known once the keys are computed, so this is
a guess, and only ever a matter of speed: the render is the same with or without
it. The guess is "no" when a synth with the same inputs (the environments folder
and its files, the ``--env`` selection, ``pyproject.toml``, the variables that change
the render) finished before: :func:`remember` marks that by an empty file named after
the inputs' digest in the render cache's folder. Otherwise Node starts early; if
nothing renders after all (nothing changed, or an error), it was started for nothing
(on the other core), and the command waits for it to finish starting before it exits.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path

from guestbook.tools import render_cache_dir

HINT_PREFIX = "seen-"
"""Name prefix of the marks in the render cache's folder (evicted with its entries)."""
_VARIABLES = ("GUESTBOOK_ENVIRONMENTS_DIR", "GUESTBOOK_REPO_URL", "GUESTBOOK_REVISION")
"""What the inputs' digest covers beside the files and the command line (not the
output folder: where a render goes does not change what renders)."""
_FILE_MAX_BYTES = 1 << 20
"""A larger file in the environments folder is not hashed: the guess is then "render"."""

_JSII_WAIT_S = 2.0
"""The longest the command waits for the thread to import jsii (then it goes on anyway)."""
_jsii_imported = threading.Event()
_threads: list[threading.Thread] = []
_pending: list[Path] = []
"""The mark :func:`remember` leaves for the inputs :func:`start_early` saw (one at most)."""


def start_early(environments: Path, arguments: Sequence[str]) -> None:
    """Start jsii in a thread unless a synth with these inputs finished before."""
    _pending.clear()
    if "--help" in arguments:
        return
    folder = None if "--no-cache" in arguments else render_cache_dir()
    digest = None if folder is None else _inputs_digest(environments, arguments)
    if folder is not None and digest is not None:
        mark = folder / f"{HINT_PREFIX}{digest}"
        _pending.append(mark)
        if mark.is_file():
            return  # everything is likely in the cache: Node may not be needed at all
    _jsii_imported.clear()
    # Not a daemon: Python joins it at exit before the exit handlers, among them jsii's
    # stop(), which would cut Node off while it starts (Node then prints "Error on jsii
    # API channel to child process: read ECONNRESET" after a command's own message).
    thread = threading.Thread(target=_load_constructs, name="guestbook-jsii-start")
    _threads.append(thread)
    thread.start()
    _jsii_imported.wait(timeout=_JSII_WAIT_S)


def wait() -> None:
    """Wait for the thread :func:`start_early` started, if any, to finish its imports.

    The render calls this before it imports the constructs' libraries itself: cdk8s and
    cdk8s-plus replace their module in ``sys.modules`` before its import is complete
    (``publication.publish()``), so a second thread importing at the same time could get
    it half made (``cdk8s_plus_37.k8s`` missing).
    """
    while _threads:
        _threads.pop().join()


def remember() -> None:
    """Mark the inputs :func:`start_early` saw as rendered (after a successful synth)."""
    for mark in _pending:
        with contextlib.suppress(OSError):
            os.close(os.open(mark, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o666))
            os.utime(mark)  # recently used: evicted last


def environments_option(arguments: Sequence[str]) -> Path:
    """The environments folder ``guestbook synth arguments`` names (a guess: Typer parses)."""
    values = _option_values(arguments, "--environments-dir", "-e")
    return Path(
        values[-1] if values else os.environ.get("GUESTBOOK_ENVIRONMENTS_DIR") or "environments"
    )


def _option_values(arguments: Sequence[str], name: str, short: str = "") -> list[str]:
    """The values given to option ``name`` (or ``short``) in ``arguments``, in order."""
    values = []
    for index, argument in enumerate(arguments):
        if argument == "--":
            break
        if argument in (name, short) and index + 1 < len(arguments):
            values.append(arguments[index + 1])
        elif argument.startswith(f"{name}="):
            values.append(argument.partition("=")[2])
        elif short and argument.startswith(short) and len(argument) > len(short):
            values.append(argument[len(short) :])
    return values


def _load_constructs() -> None:
    # Importing these starts Node and loads the three assemblies. Any failure (Node
    # missing, interrupted at exit) shows up again, as a clear error, where the render
    # imports them itself; here it is silent.
    with contextlib.suppress(BaseException):
        try:
            import jsii  # noqa: F401
        finally:
            _jsii_imported.set()
        import cdk8s  # noqa: F401
        import cdk8s_plus_37  # noqa: F401
        import constructs  # noqa: F401


def _inputs_digest(environments: Path, arguments: Sequence[str]) -> str | None:
    """SHA-256 over the inputs, or None when one cannot be read (the guess is "render")."""
    digest = hashlib.sha256(b"guestbook-synth-inputs 1\0")
    for name in _option_values(arguments, "--env"):
        digest.update(b"env " + os.fsencode(name) + b"\0")
    digest.update(b"folder " + os.fsencode(environments) + b"\0")
    for variable in _VARIABLES:
        digest.update(f"{variable}={os.environ.get(variable, '')}\0".encode())
    try:
        for path in (Path("pyproject.toml"), *sorted(environments.iterdir())):
            if path.is_file():
                if path.stat().st_size > _FILE_MAX_BYTES:
                    return None
                digest.update(os.fsencode(path) + b"\0" + path.read_bytes() + b"\0")
    except OSError:
        return None
    return digest.hexdigest()
