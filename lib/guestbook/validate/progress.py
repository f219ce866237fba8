"""Progress on stderr, only when a run is slow and someone is watching.

Nothing is printed for a run that ends within ``after`` seconds, or when the
stream is not a terminal (CI logs, pipes); after that, each stage is shown.
"""

from __future__ import annotations

import threading
import time
from typing import TextIO


class SlowProgress:
    """A :data:`guestbook.validate.pipeline.Progress` that speaks up after ``after`` seconds."""

    def __init__(self, stream: TextIO, *, after: float = 2.0, force: bool = False) -> None:
        self._stream = stream
        self._enabled = force or stream.isatty()
        self._after = after
        self._start = time.monotonic()
        self._stage = ""
        self._live = False
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        if self._enabled:
            self._timer = threading.Timer(after, self._wake)
            self._timer.daemon = True
            self._timer.start()

    def __call__(self, stage: str) -> None:
        with self._lock:
            self._stage = stage
            if self._live:
                self._print(stage)

    def close(self) -> None:
        """Stop the timer; say how long it took if progress was shown."""
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            if self._live:
                self._print(f"done in {time.monotonic() - self._start:.1f} s")

    def _wake(self) -> None:
        with self._lock:
            self._live = True
            if self._stage:
                self._print(self._stage)

    def _print(self, text: str) -> None:
        elapsed = time.monotonic() - self._start
        self._stream.write(f"[{elapsed:5.1f} s] {text}\n")
        self._stream.flush()
