"""Two halves of a pure computation on two cores: one here, one in a forked child (an edge module).

The child starts as a copy of this process, so it needs nothing sent to it: it runs
its half, sends the pickled result back through a pipe and exits without running
anything else of the parent's (no ``finally``, no ``atexit``, no flush). Whatever goes
wrong in the child, or with forking (no ``os.fork``, one core, other threads running,
whose locks a child could inherit held), costs only time: the half is then computed
here, so the result never depends on where it was computed.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_READ_CHUNK = 1 << 20


def in_two(here: Callable[[], list[T]], there: Callable[[], list[T]]) -> list[T]:
    """``here() + there()``, with ``there`` run in a forked child while ``here`` runs."""
    if not _can_fork():
        return here() + there()
    reader, writer = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(reader)
        os.close(writer)
        return here() + there()
    if pid == 0:  # the child
        _run_child(there, reader, writer)
    os.close(writer)
    sent: bytes | None = None
    try:
        mine = here()
        sent = _read_all(reader)
    finally:
        os.close(reader)
        succeeded = _reap(pid, done=sent is not None)
    if succeeded and sent:
        theirs: list[T] = pickle.loads(sent)  # our own child's bytes
        return mine + theirs
    return mine + there()


def _can_fork() -> bool:
    return (
        hasattr(os, "fork")
        and (os.cpu_count() or 1) > 1
        and threading.active_count() == 1  # a child would inherit other threads' locks
    )


def _run_child(task: Callable[[], list[T]], reader: int, writer: int) -> None:
    """Run ``task``, write its pickled result to ``writer`` and exit; never returns."""
    code = 1
    try:
        os.close(reader)
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)  # the parent unwinds and ends the child
        data = memoryview(pickle.dumps(task(), protocol=pickle.HIGHEST_PROTOCOL))
        while data:
            data = data[os.write(writer, data) :]
        code = 0
    except BaseException:
        pass  # the parent computes the half itself
    finally:
        os._exit(code)


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, _READ_CHUNK):
        chunks.append(chunk)
    return b"".join(chunks)


def _reap(pid: int, *, done: bool) -> bool:
    """Wait for the child (ended first if the parent stopped early); whether it succeeded."""
    if not done:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return False
    return os.waitstatus_to_exitcode(status) == 0
