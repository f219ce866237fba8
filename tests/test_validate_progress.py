"""Progress on stderr: silent unless the run is slow and on a terminal."""

from __future__ import annotations

import io
import time

from guestbook.validate.progress import SlowProgress


def test_nothing_is_printed_when_not_on_a_terminal() -> None:
    stream = io.StringIO()  # not a TTY
    progress = SlowProgress(stream, after=0.0)
    time.sleep(0.05)
    progress("reading 1 file")
    progress.close()
    assert stream.getvalue() == ""


def test_a_fast_run_prints_nothing_even_on_a_terminal() -> None:
    stream = io.StringIO()
    progress = SlowProgress(stream, after=60.0, force=True)
    progress("reading 1 file")
    progress.close()
    assert stream.getvalue() == ""


def test_a_slow_run_shows_its_stages_then_the_time() -> None:
    # Given a run that outlasts the delay
    stream = io.StringIO()
    progress = SlowProgress(stream, after=0.01, force=True)
    progress("kubeconform: 786 files")
    deadline = time.monotonic() + 10
    while not stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    progress("rules: 786 objects")
    progress.close()
    # Then the current stage appears when the delay passes, later ones at once
    lines = stream.getvalue().splitlines()
    assert [line.split("] ", 1)[1] for line in lines[:2]] == [
        "kubeconform: 786 files",
        "rules: 786 objects",
    ]
    assert lines[2].split("] ", 1)[1].startswith("done in ")
