"""Run the pinned kubeconform binary and read its results (an edge module).

kubeconform always runs ``-strict``, against one Kubernetes version, with the
local schema cache as its only schema location, so it never reaches for the
network and a kind without a schema is an error. Its JSON output becomes
:class:`Result` objects; turning them into findings is :mod:`.schema_layer`'s job.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from guestbook.errors import GuestbookError
from guestbook.validate.schemas import SETUP_HINT, SchemaStore
from guestbook.validate.tools import INSTALL_HINT

KUBECONFORM_DEFAULT_WORKERS = 4
"""kubeconform's own ``-n`` when none is given (``kubeconform -h``): what a user running it gets."""
DEFAULT_WORKERS = max(KUBECONFORM_DEFAULT_WORKERS, os.cpu_count() or 1)
"""kubeconform goroutines: at least kubeconform's own default, and one per core, so the
schema layer uses every core the reader and the rules leave idle (the operating system
shares the cores while both run; one worker fewer left a core idle once the rules were done)."""


@dataclass(frozen=True)
class SchemaError:
    """One schema violation inside a resource."""

    pointer: tuple[str, ...]
    """Where in the object, as JSON pointer tokens (``("spec", "replicas")``)."""
    message: str
    """What kubeconform's JSON Schema library says, e.g. ``got string, want integer``."""


@dataclass(frozen=True)
class Result:
    """kubeconform's verdict on one resource that is not valid."""

    file: str
    """The file name exactly as it was passed to kubeconform."""
    kind: str
    name: str
    api_version: str
    status: str
    """``invalid`` (schema violations) or ``error`` (no schema, unreadable, ...)."""
    message: str
    errors: tuple[SchemaError, ...] = ()


GO_GC_PERCENT = "400"
"""kubeconform's ``GOGC`` unless the caller's environment sets one: Go's collector runs when
the heap has grown 400 % over what the last collection kept, not Go's default 100 %. At
13,454 files that is 9 % less CPU (3.2 to 2.9 CPU-seconds) for 140 MB of memory instead of
50 MB (docs/benchmarks.md); kubeconform keeps little alive between files, so the heap stays
a small multiple of one worker's schemas and file."""


def child_environment() -> dict[str, str]:
    """The environment kubeconform runs in: this one, with :data:`GO_GC_PERCENT` as ``GOGC``
    when this one sets none (a ``GOGC`` of the caller's is left as it is)."""
    if "GOGC" in os.environ:
        return dict(os.environ)
    return {**os.environ, "GOGC": GO_GC_PERCENT}


MIN_ARGUMENT_BYTES = 100_000
"""A command line's budget when the system does not say (every Unix allows more)."""
MAX_ARGUMENT_BYTES = 2 * 1024 * 1024
"""At most what Linux allows with its default 8 MiB stack (a quarter of the stack)."""
_POINTER_BYTES = 8
"""Each argument and environment string also costs its pointer in the new process."""


def argument_budget() -> int:
    """Bytes one command line may take: the system's limit for arguments and environment
    together (``ARG_MAX``, at most :data:`MAX_ARGUMENT_BYTES`), less kubeconform's
    environment (:func:`child_environment`).

    One kubeconform process per fleet matters: each process loads and compiles the
    schemas again (nine processes for 13,000 files cost 1.5 times the CPU of one).
    """
    try:
        limit = os.sysconf("SC_ARG_MAX")
    except (ValueError, OSError):
        limit = -1
    if limit <= 0:
        return MIN_ARGUMENT_BYTES
    environment = sum(
        len(os.fsencode(key)) + len(os.fsencode(value)) + 2 + _POINTER_BYTES
        for key, value in child_environment().items()
    )
    return max(MIN_ARGUMENT_BYTES, min(limit, MAX_ARGUMENT_BYTES) - environment)


@dataclass(frozen=True)
class Kubeconform:
    """How to run kubeconform: which binary, which schemas, how many workers."""

    binary: Path
    schemas: SchemaStore
    workers: int = DEFAULT_WORKERS
    max_argument_bytes: int = field(default_factory=argument_budget)
    """A command line's bytes, the binary's and flags' included (names, NULs and pointers);
    longer file lists are split over several kubeconform processes."""
    custom_locations: tuple[str, ...] = ()
    """Schema locations of the user's CRDs (``--crd``), searched before :attr:`schemas`."""

    def command(self, files: Sequence[str]) -> list[str]:
        """The full command line for ``files``."""
        return [
            str(self.binary),
            "-strict",
            "-kubernetes-version",
            self.schemas.kubernetes_version,
            *(arg for location in self.custom_locations for arg in ("-schema-location", location)),
            "-schema-location",
            self.schemas.location,
            "-output",
            "json",
            "-n",
            str(self.workers),
            "--",  # a file named like a flag is still a file
            *files,
        ]

    def start(self, files: Sequence[str]) -> Run:
        """Start validating ``files`` in the background; :meth:`Run.results` waits.

        A very long file list is split over several processes, so that no
        command line exceeds what the operating system accepts.
        """
        if not self.binary.is_file():
            raise GuestbookError(f"kubeconform not found at {self.binary}; {INSTALL_HINT}")
        processes = []
        room = self.max_argument_bytes - _command_bytes(self.command([]))
        try:
            for batch in batches(files, room):
                processes.append(
                    subprocess.Popen(
                        self.command(batch),
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        stdin=subprocess.DEVNULL,
                        text=True,
                        env=child_environment(),
                    )
                )
        except OSError as err:
            for process in processes:
                process.kill()
                process.communicate()
            raise GuestbookError(f"cannot run {self.binary}: {err}; {INSTALL_HINT}") from None
        return Run(processes)

    def run(self, files: Sequence[str]) -> list[Result]:
        """Validate ``files`` and wait for the results."""
        return self.start(files).results() if files else []


def batches(files: Sequence[str], limit: int) -> list[list[str]]:
    """``files`` in order, cut into lists that cost at most ``limit`` bytes as arguments
    (see :func:`_command_bytes`); a name longer than that still gets a list of its own."""
    cut: list[list[str]] = [[]]
    size = 0
    for name in files:
        cost = _command_bytes((name,))
        if cut[-1] and size + cost > limit:
            cut.append([])
            size = 0
        cut[-1].append(name)
        size += cost
    return cut


def _command_bytes(arguments: Sequence[str]) -> int:
    """What ``arguments`` cost a new process: their bytes, a NUL and a pointer each."""
    return sum(len(os.fsencode(a)) + 1 + _POINTER_BYTES for a in arguments)


@dataclass
class Run:
    """Running kubeconform processes (usually one)."""

    processes: list[subprocess.Popen[str]]

    def results(self) -> list[Result]:
        """Wait for kubeconform and parse its output (exit code 1 just means findings)."""
        results: list[Result] = []
        for process in self.processes:
            results.extend(_read(process))
        return results

    def stop(self) -> None:
        """End processes still running (after an error elsewhere); finished ones are left."""
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.communicate()


def _read(process: subprocess.Popen[str]) -> list[Result]:
    out, err = process.communicate()
    try:
        resources = json.loads(out)["resources"]
    except (ValueError, KeyError, TypeError):
        detail = (err or out).strip().splitlines()
        raise GuestbookError(
            f"kubeconform failed (exit {process.returncode}): "
            f"{detail[0] if detail else 'no output'}; {SETUP_HINT}"
        ) from None
    return [parse_result(item) for item in resources]


_STATUS = {"statusInvalid": "invalid", "statusError": "error"}


def parse_result(item: dict[str, object]) -> Result:
    """One entry of kubeconform's JSON ``resources`` list."""
    message = str(item.get("msg") or "")
    errors = leaf_errors(message)
    if not errors:
        errors = tuple(
            SchemaError(pointer_tokens(str(e.get("path", ""))), str(e.get("msg", "")))
            for e in item.get("validationErrors") or ()  # type: ignore[attr-defined]
        )
    return Result(
        file=str(item.get("filename", "")),
        kind=str(item.get("kind", "")),
        name=str(item.get("name", "")),
        api_version=str(item.get("version", "")),
        status=_STATUS.get(str(item.get("status")), str(item.get("status"))),
        message=message,
        errors=errors,
    )


# kubeconform flattens the library's error tree onto one line: each cause
# starts with a space (the newline), two spaces per level, then "- at '<ptr>': ".
_CAUSE = re.compile(r" ((?:  )*)- at '((?:[^'\\]|\\.)*)': ")


def leaf_errors(message: str) -> tuple[SchemaError, ...]:
    """The innermost errors of kubeconform's one-line error tree, where the problems are.

    kubeconform's own ``validationErrors`` list only the first level of the
    tree, which says "validation failed" for an object with several problems.
    """
    matches = list(_CAUSE.finditer(message))
    errors: list[SchemaError] = []
    for index, match in enumerate(matches):
        depth = len(match.group(1))
        following = matches[index + 1] if index + 1 < len(matches) else None
        if following is not None and len(following.group(1)) > depth:
            continue  # a group: its causes say what is wrong
        end = following.start() if following is not None else len(message)
        pointer = _unquote(match.group(2))
        errors.append(SchemaError(pointer_tokens(pointer), message[match.end() : end].strip()))
    return tuple(errors)


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def pointer_tokens(pointer: str) -> tuple[str, ...]:
    """``/spec/ports/0`` as ``("spec", "ports", "0")`` (RFC 6901 unescaping)."""
    if not pointer:
        return ()
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in pointer.lstrip("/").split("/"))
