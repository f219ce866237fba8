"""Two halves of a computation on two cores: the same result as one process, whatever happens."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from guestbook.validate.forked import in_two


@pytest.fixture
def forking() -> None:
    if (os.cpu_count() or 1) < 2 or threading.active_count() > 1:
        pytest.skip("one core, or other threads running: in_two computes both halves here")


def test_the_second_half_runs_in_another_process(forking: None) -> None:
    # When each half says which process it ran in
    here, there = in_two(lambda: [os.getpid()], lambda: [os.getpid()])
    # Then the first ran here and the second in a child, and both came back in order
    assert here == os.getpid()
    assert there != here


def test_a_child_that_fails_leaves_its_half_to_this_process(forking: None) -> None:
    # Given a second half that fails in any process but this one
    parent = os.getpid()

    def there() -> list[str]:
        if os.getpid() != parent:
            raise RuntimeError("the child cannot compute it")
        return ["computed here"]

    # Then the result is whole: this process computed the half itself
    assert in_two(lambda: ["first"], there) == ["first", "computed here"]


def write_pid(pid_file: Path) -> None:
    """This process's id in ``pid_file``, whole or not at all."""
    partial = pid_file.with_suffix(".partial")
    partial.write_text(str(os.getpid()))
    partial.replace(pid_file)


def reaped(pid_file: Path) -> None:
    """The child that wrote ``pid_file`` has ended and was waited for (no zombie)."""
    with pytest.raises(ChildProcessError):
        os.waitpid(int(pid_file.read_text()), os.WNOHANG)


def test_an_error_in_a_half_is_raised_as_in_one_process(forking: None, tmp_path: Path) -> None:
    # Given a second half that always fails
    parent, pid_file = os.getpid(), tmp_path / "child.pid"

    def there() -> list[int]:
        if os.getpid() != parent:
            write_pid(pid_file)
        raise ValueError("a bug in a check")

    # Then its error is raised here, with no child left behind
    with pytest.raises(ValueError, match="a bug in a check"):
        in_two(lambda: [1], there)
    reaped(pid_file)


def test_a_first_half_that_stops_ends_the_child(forking: None, tmp_path: Path) -> None:
    # Given a first half interrupted while the second one runs for a long time
    pid_file = tmp_path / "child.pid"

    def here() -> list[int]:
        while not pid_file.exists():
            threading.Event().wait(0.01)
        raise KeyboardInterrupt

    def there() -> list[int]:
        write_pid(pid_file)
        threading.Event().wait(60)
        return [2]

    # Then the interruption comes through at once and the child is ended and reaped
    with pytest.raises(KeyboardInterrupt):
        in_two(here, there)
    reaped(pid_file)
