"""The one exception type for problems a user can fix."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

EXIT_USAGE = 2
"""Exit code of usage and configuration errors."""


class GuestbookError(Exception):
    """A problem in the user's input or setup, with a message fit for a terminal.

    The CLI prints the message once and exits with code 2; so does a
    :class:`PermissionError` nothing handled (a path the user may not read or enter is theirs
    to fix). Anything else that escapes is a bug and keeps its traceback.
    """


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a :class:`GuestbookError`, or a :class:`PermissionError` naming a path, into one
    message on stderr and exit code 2."""
    try:
        yield
    except GuestbookError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None
    except PermissionError as err:
        if err.filename is None:
            raise
        print(f"error: {err.filename}: {err.strerror or err}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None
