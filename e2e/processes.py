"""Processes in a network namespace of their own: start them, stop them, prove they are gone.

The namespace has only ``lo``, so nothing the test starts can reach or be reached from
outside the machine. ``ip netns exec`` also bind-mounts ``/etc/netns/<name>/hosts`` over
``/etc/hosts`` for the processes it starts; that is how ``kubernetes.default.svc`` resolves
to the test API server for Argo CD (see :mod:`e2e.cluster`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

NETNS_RUN = Path("/run/netns")
NETNS_ETC = Path("/etc/netns")


class CommandError(RuntimeError):
    """A short command exited non-zero; the message has its output."""


@dataclass
class NetworkNamespace:
    """A named network namespace with only loopback up, and its own /etc/hosts."""

    name: str
    hosts: str = "127.0.0.1 localhost\n::1 localhost\n"
    inode: int = 0
    """The namespace's inode, known once created (to find every process inside)."""

    def create(self) -> None:
        """Create it; refuse to reuse a namespace of the same name."""
        if (NETNS_RUN / self.name).exists():
            raise RuntimeError(f"network namespace {self.name} already exists")
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        self.inode = os.stat(NETNS_RUN / self.name).st_ino
        (NETNS_ETC / self.name).mkdir(parents=True, exist_ok=True)
        (NETNS_ETC / self.name / "hosts").write_text(self.hosts, encoding="utf-8")
        subprocess.run([*self.prefix, "ip", "link", "set", "lo", "up"], check=True)

    @property
    def prefix(self) -> list[str]:
        """Put this before a command to run it inside."""
        return ["ip", "netns", "exec", self.name]

    def pids(self) -> list[int]:
        """Every process (of any parent) whose network namespace is this one."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if os.stat(entry / "ns" / "net").st_ino == self.inode and alive(int(entry.name)):
                    found.append(int(entry.name))
            except OSError:
                continue  # exited meanwhile, or a kernel thread
        return sorted(found)

    def listeners(self) -> list[str]:
        """``ss -ltnp`` lines of TCP sockets listening inside (empty when none)."""
        out = subprocess.run(
            [*self.prefix, "ss", "-Hltnp"], capture_output=True, text=True, check=True
        ).stdout
        return [line for line in out.splitlines() if line.strip()]

    def delete(self) -> None:
        """Remove the namespace and its /etc/netns folder (idempotent)."""
        if (NETNS_RUN / self.name).exists():
            subprocess.run(["ip", "netns", "del", self.name], check=False)
        hosts = NETNS_ETC / self.name / "hosts"
        hosts.unlink(missing_ok=True)
        if (NETNS_ETC / self.name).exists():
            (NETNS_ETC / self.name).rmdir()

    @property
    def exists(self) -> bool:
        """Whether the named namespace is still there."""
        return (NETNS_RUN / self.name).exists()


def alive(pid: int) -> bool:
    """Whether any thread of the process still runs (a zombie leader may have live threads)."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return False
    for task in tasks:
        try:
            state = (task / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in ("Z", "X"):
            return True
    return False


def wait_gone(pids: Sequence[int], timeout: float) -> list[int]:
    """Wait up to ``timeout`` seconds for ``pids`` to exit; return those still alive."""
    deadline = time.monotonic() + timeout
    left = [p for p in pids if alive(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = [p for p in left if alive(p)]
    return left


def kill(pids: Sequence[int], timeout: float = 10.0) -> list[int]:
    """SIGTERM ``pids``, then SIGKILL what is left after ``timeout``; return survivors."""
    left = list(pids)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        left = wait_gone(left, timeout)
        if not left:
            return []
    return left


@dataclass
class Supervisor:
    """Starts long-running processes inside a namespace, with logs, and stops all of them."""

    netns: NetworkNamespace
    log_dir: Path
    env: Mapping[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(
        self,
        name: str,
        argv: Sequence[str | Path],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start ``argv`` inside the namespace; its output goes to ``<log_dir>/<name>.log``."""
        log = (self.log_dir / f"{name}.log").open("ab")
        with log:
            process = subprocess.Popen(
                [*self.netns.prefix, *map(str, argv)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**self.env, **(env or {})},
                cwd=cwd,
                start_new_session=True,  # a Ctrl-C in the terminal reaches only pytest
            )
        self.processes[name] = process
        return process

    def check_running(self) -> None:
        """Raise if a process has exited, naming it and its log."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {process.returncode}; see {self.log_dir / name}.log"
                )

    def stop_all(self, timeout: float = 10.0) -> None:
        """Stop every started process, newest first; reap them."""
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                kill([process.pid], timeout)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=timeout)

    def run(
        self,
        argv: Sequence[str | Path],
        *,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float = 120.0,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run a short command inside the namespace and return its output."""
        words = [str(a) for a in argv]
        proc = subprocess.run(
            [*self.netns.prefix, *words],
            input=input,
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            cwd=cwd,
            timeout=timeout,
            check=False,
        )
        if check and proc.returncode != 0:
            raise CommandError(
                f"{' '.join(words)} exited with {proc.returncode}:\n{proc.stderr or proc.stdout}"
            )
        return proc
