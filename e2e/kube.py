"""kubectl against the test cluster, from inside the namespace (the one edge to the API)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from e2e.processes import CommandError, Supervisor

T = TypeVar("T")

Obj = dict[str, Any]


class WaitTimeoutError(AssertionError):
    """A bounded wait ran out; the message says what was awaited and what was last seen."""


def wait_for(
    what: str,
    probe: Callable[[], T | None],
    *,
    timeout: float,
    interval: float = 1.0,
    describe: Callable[[], str] | None = None,
) -> T:
    """Call ``probe`` until it returns something other than None, at most ``timeout`` seconds.

    On timeout, raise :class:`WaitTimeoutError` naming ``what`` and, when given, ``describe()``
    (the state worth seeing: an Application's status, the pods).
    """
    deadline = time.monotonic() + timeout
    last_error = ""
    while True:
        try:
            result = probe()
        except CommandError as err:  # the API may be briefly unavailable; keep the message
            result, last_error = None, str(err)
        if result is not None:
            return result
        if time.monotonic() >= deadline:
            state = describe() if describe else last_error
            raise WaitTimeoutError(f"timed out after {timeout:.0f} s waiting for {what}\n{state}")
        time.sleep(interval)


@dataclass(frozen=True)
class Kubectl:
    """The pinned kubectl with the cluster's kubeconfig, run inside the namespace."""

    supervisor: Supervisor
    binary: Path
    kubeconfig: Path

    def __call__(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 120.0
    ) -> str:
        """Run ``kubectl ARGS`` and return standard output."""
        proc = self.supervisor.run(
            [self.binary, "--kubeconfig", self.kubeconfig, *args],
            input=input,
            check=check,
            timeout=timeout,
        )
        return proc.stdout

    def result(self, *args: str, input: str | None = None) -> tuple[int, str]:
        """Exit code and combined output of ``kubectl ARGS`` (for commands expected to fail)."""
        proc = self.supervisor.run(
            [self.binary, "--kubeconfig", self.kubeconfig, *args], input=input, check=False
        )
        return proc.returncode, (proc.stdout + proc.stderr).strip()

    def get(self, kind: str, name: str = "", namespace: str = "") -> Obj:
        """One object (or a List) as a dict."""
        args = ["get", kind, *([name] if name else []), "-o", "json"]
        if namespace:
            args += ["-n", namespace]
        result: Obj = json.loads(self(*args))
        return result

    def items(self, kind: str, namespace: str = "", selector: str = "") -> list[Obj]:
        """The objects of a kind (all namespaces when ``namespace`` is empty)."""
        args = ["get", kind, "-o", "json"]
        args += ["-n", namespace] if namespace else ["-A"]
        if selector:
            args += ["-l", selector]
        items: list[Obj] = json.loads(self(*args))["items"]
        return items

    def apply(self, objects: Sequence[Obj] | str, *, server_side: bool = False) -> None:
        """Apply objects (dicts or YAML text)."""
        text = objects if isinstance(objects, str) else yaml.safe_dump_all(list(objects))
        args = ["apply", "-f", "-"]
        if server_side:
            args += ["--server-side", "--force-conflicts"]
        self(*args, input=text)

    def apply_files(self, paths: Sequence[Path], *, server_side: bool = False) -> None:
        """Apply manifest files."""
        args = ["apply"]
        for path in paths:
            args += ["-f", str(path)]
        if server_side:
            args += ["--server-side", "--force-conflicts"]
        self(*args)
