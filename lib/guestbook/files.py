"""Reading a file within bounds: a user's, with one clear error for anything else; a cache's,
where anything odd is a miss."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from guestbook.errors import GuestbookError


def read_limited_text(path: Path, max_bytes: int, expected: str) -> str:
    """The UTF-8 text of a regular file of at most ``max_bytes``, or a GuestbookError.

    Anything else (a dangling or looping symbolic link, a folder, a FIFO, a device)
    is refused by name. The file is opened without blocking and checked before it
    is read, so a FIFO never hangs the reader.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as err:
        link = f" (a symbolic link to {os.readlink(path)})" if path.is_symlink() else ""
        raise GuestbookError(
            f"{path}: cannot read{link}: {err.strerror}; expected {expected}"
        ) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = (
                "is a folder"
                if stat.S_ISDIR(mode)
                else "is not a regular file (a FIFO, socket or device)"
            )
            raise GuestbookError(f"{path}: {kind}; expected {expected}")
        with os.fdopen(fd, "rb", closefd=False) as file:
            data = file.read(max_bytes + 1)
    except OSError as err:
        raise GuestbookError(f"{path}: cannot read: {err.strerror}") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        line = data[:max_bytes].count(b"\n") + 1
        raise GuestbookError(
            f"{path}:{line}: file is larger than {max_bytes} bytes, the limit for {expected}"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise GuestbookError(
            f"{path}:{line}: not UTF-8 text (byte 0x{data[err.start]:02x}); "
            f"expected {expected} in UTF-8"
        ) from None


def read_cache_file(path: Path, max_bytes: int) -> bytes | None:
    """The bytes of the regular file ``path``, or None when it is absent, a link, not a
    regular file (a FIFO is never waited on), larger than ``max_bytes`` or unreadable: how
    the caches read their entries, where anything odd is a miss."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(max_bytes + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return data if len(data) <= max_bytes else None
