"""The one exception type for problems a user can fix."""

from __future__ import annotations


class GuestbookError(Exception):
    """A problem in the user's input or setup, with a message fit for a terminal.

    The CLI prints the message once and exits with code 2. Anything else that
    escapes is a bug and keeps its traceback.
    """
