"""Two halves of a computation on two cores: the same result as one process, whatever happens.

Each situation runs in a fresh interpreter (:func:`in_fresh_interpreter`): a test before may
have started a thread that stays (the jsii kernel's), and then ``in_two`` rightly never forks.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from guestbook.validate.forked import in_two
from tests.conftest import in_fresh_interpreter


def pids() -> tuple[list[int], int]:
    return in_two(lambda: [os.getpid()], lambda: [os.getpid()]), os.getpid()


def test_the_second_half_runs_in_another_process() -> None:
    # When each half says which process it ran in
    (here, there), process = in_fresh_interpreter(pids)
    # Then the first ran in the process and the second in a child, and both came back in order
    assert here == process
    assert there != here


def _fails_in_a_child(parent: int) -> list[str]:
    if os.getpid() != parent:
        raise RuntimeError("the child cannot compute it")
    return ["computed here"]


def failing_child() -> list[str]:
    parent = os.getpid()
    return in_two(lambda: ["first"], lambda: _fails_in_a_child(parent))


def test_a_child_that_fails_leaves_its_half_to_this_process() -> None:
    # Given a second half that fails in any process but the parent
    # Then the result is whole: the parent computed the half itself
    assert in_fresh_interpreter(failing_child) == ["first", "computed here"]


def write_pid(pid_file: Path) -> None:
    """This process's id in ``pid_file``, whole or not at all."""
    partial = pid_file.with_suffix(".partial")
    partial.write_text(str(os.getpid()))
    partial.replace(pid_file)


def reaped(pid_file: Path) -> bool:
    """Whether the child that wrote ``pid_file`` has ended and was waited for (no zombie)."""
    try:
        os.waitpid(int(pid_file.read_text()), os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def _always_fails(parent: int, pid_file: Path) -> list[int]:
    if os.getpid() != parent:
        write_pid(pid_file)
    raise ValueError("a bug in a check")


def failing_half(pid_file: Path) -> tuple[str, bool]:
    parent = os.getpid()
    try:
        in_two(lambda: [1], lambda: _always_fails(parent, pid_file))
    except ValueError as err:
        return str(err), reaped(pid_file)
    return "no error", reaped(pid_file)


def test_an_error_in_a_half_is_raised_as_in_one_process(tmp_path: Path) -> None:
    # Given a second half that always fails
    # Then its error is raised in the parent, with no child left behind
    assert in_fresh_interpreter(failing_half, tmp_path / "child.pid") == ("a bug in a check", True)


def _waits_for_the_child(pid_file: Path) -> list[int]:
    while not pid_file.exists():
        threading.Event().wait(0.01)
    raise KeyboardInterrupt


def _runs_long(pid_file: Path) -> list[int]:
    write_pid(pid_file)
    threading.Event().wait(60)
    return [2]


def stopped_first_half(pid_file: Path) -> tuple[str, bool]:
    try:
        in_two(lambda: _waits_for_the_child(pid_file), lambda: _runs_long(pid_file))
    except KeyboardInterrupt:
        return "interrupted", reaped(pid_file)
    return "finished", reaped(pid_file)


def test_a_first_half_that_stops_ends_the_child(tmp_path: Path) -> None:
    # Given a first half interrupted while the second one runs for a long time
    # Then the interruption comes through at once and the child is ended and reaped
    assert in_fresh_interpreter(stopped_first_half, tmp_path / "child.pid") == ("interrupted", True)


def test_with_other_threads_running_both_halves_run_here() -> None:
    # Given another thread running (a child could inherit its locks held)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        # Then both halves run in this process
        assert in_two(lambda: [os.getpid()], lambda: [os.getpid()]) == [os.getpid()] * 2
    finally:
        stop.set()
        other.join()
