"""Per-file results kept between runs, in packs (an edge module).

The validator keeps two kinds of per-file results: kubeconform's verdicts (see
:mod:`.verdicts`) and the findings of the rules that look at one file only (see
:mod:`.rules.cached`). Both are stored the same way, in a folder of the tools folder::

    <cache>/<context>/<checksum>.json   # a pack: {"format": N, "entries": {file key: entry}}

``<context>`` is a digest of everything a result depends on besides the file, so a run
with another context never reads these packs. A file's key is a digest of its content
(and whatever else its results depend on), computed by :func:`content_key`. Each run that
computed new results writes one pack: to a temporary name, then renamed, so another
process sees a whole pack or none. A pack whose bytes do not hash to its name, or whose
entries do not have the stored shape, is ignored and removed; when a context holds more
than ``max_packs`` packs they are merged into one, and the least recently used go once the
cache is over ``max_bytes``. A result is kept only when its file did not change while it
was computed (:func:`file_state` before and after). Whatever goes wrong with the cache (a
read-only or missing folder, a file where a folder should be, a symbolic link, a corrupt
pack) costs only time: the results are then computed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guestbook.files import read_cache_file
from guestbook.validate.limits import MAX_FILE_BYTES

STALE_TEMPORARY_SECONDS = 3600
"""A temporary file this old was left by a process that died; it is removed."""
_SUFFIX = ".json"
_READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileState:
    """What tells that a file changed: identity, size and modification time."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int


def file_state(name: str) -> FileState | None:
    """``name``'s state, or None when it is not a regular file within the size bound."""
    try:
        status = os.stat(name)
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_FILE_BYTES:
        return None
    return FileState(
        status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns
    )


def content_key(name: str, state: FileState | None, salt: str) -> str | None:
    """A digest of ``salt`` and ``name``'s bytes, or None when it cannot be read whole.

    Read with the bare system calls: for a fleet of small files, an ``open()`` file
    object and its buffer cost more than the hash.
    """
    if state is None:
        return None
    digest = hashlib.sha256(salt.encode())
    try:
        fd = os.open(name, os.O_RDONLY)
    except OSError:
        return None
    try:
        while chunk := os.read(fd, _READ_CHUNK):
            digest.update(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    return digest.hexdigest()[:32]


@dataclass(frozen=True)
class Pack:
    """One pack read whole: where it is, and its entries."""

    path: Path
    entries: dict[str, Any]


@dataclass(frozen=True)
class PackStore:
    """The packs under ``folder``, whose entries ``valid_entry`` accepts, in ``format``."""

    folder: Path
    format: int
    valid_entry: Callable[[Any], bool]
    max_bytes: int
    max_packs: int

    def context(self, context: str) -> Path | None:
        """The context's folder, made if needed; None if the cache cannot be used there."""
        folder = self.folder / context
        try:
            for part in (self.folder.parent, self.folder, folder):
                part.mkdir(mode=0o755, exist_ok=True)
                # A link could send writes anywhere; a file or anything else is not ours.
                if not stat.S_ISDIR(part.lstat().st_mode):
                    return None
        except OSError:
            return None
        return folder

    def read(self, folder: Path) -> list[Pack]:
        """The whole, intact packs of ``folder``; damaged ones are removed."""
        packs = []
        for path in _entries(folder):
            if path.suffix != _SUFFIX or path.name.startswith("."):
                continue
            pack = self._read_pack(path)
            if pack is not None:
                packs.append(pack)
        return packs

    def store(self, folder: Path, packs: list[Pack], new: Mapping[str, Any]) -> None:
        """Write ``new`` as a pack, or with the packs read if there are many; keep the cache
        bounded. Packs another process wrote meanwhile are left to it. Never raises."""
        with contextlib.suppress(OSError):  # a cache not written costs time only
            self._store(folder, packs, new)

    def _store(self, folder: Path, packs: list[Pack], new: Mapping[str, Any]) -> None:
        if len(packs) + 1 > self.max_packs:
            merged: dict[str, Any] = {}
            for pack in packs:
                merged.update(pack.entries)
            merged.update(new)
            if self._write_pack(folder, merged) is not None:
                for pack in packs:
                    _remove(pack.path)
        else:
            if new:
                self._write_pack(folder, new)
            for pack in packs:  # used now: the last to go when the cache is over its bound
                with contextlib.suppress(OSError):
                    os.utime(pack.path)
        self._bound()

    def _bound(self) -> None:
        """Remove the least recently used packs (and dead temporaries) until the cache fits."""
        files: list[tuple[float, int, Path]] = []
        now = time.time()
        for path in _entries(self.folder):
            if not path.is_dir() or path.is_symlink():
                continue
            for item in _entries(path):
                try:
                    status = item.lstat()
                except OSError:
                    continue
                if item.name.startswith(".") and now - status.st_mtime > STALE_TEMPORARY_SECONDS:
                    _remove(item)
                elif item.suffix == _SUFFIX and stat.S_ISREG(status.st_mode):
                    files.append((status.st_mtime, status.st_size, item))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self.max_bytes:
                break
            _remove(path)
            total -= size

    def _read_pack(self, path: Path) -> Pack | None:
        data = read_cache_file(path, self.max_bytes)
        if data is None:
            return None  # gone (merged by another run), a link, unreadable, too large
        if _checksum(data) != path.stem:
            _remove(path)
            return None
        try:
            entries = self._valid_entries(json.loads(data))
        except (ValueError, TypeError):
            entries = None
        if entries is None:
            _remove(path)
            return None
        return Pack(path, entries)

    def _valid_entries(self, data: Any) -> dict[str, Any] | None:
        """The pack's entries if every one has the stored shape, else None."""
        if not isinstance(data, dict) or data.get("format") != self.format:
            return None
        entries = data.get("entries")
        if not isinstance(entries, dict):
            return None
        if not all(isinstance(k, str) and self.valid_entry(v) for k, v in entries.items()):
            return None
        return entries

    def _write_pack(self, folder: Path, entries: Mapping[str, Any]) -> Path | None:
        """Write ``entries`` as a pack named by its checksum; None if it could not be written."""
        data = json.dumps(
            {"format": self.format, "entries": dict(sorted(entries.items()))},
            separators=(",", ":"),
        ).encode()
        path = folder / f"{_checksum(data)}{_SUFFIX}"
        try:
            fd, temporary = tempfile.mkstemp(dir=folder, prefix=".pack-")
        except OSError:
            return None
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)  # the same name holds the same bytes: a race is harmless
        except OSError:
            _remove(Path(temporary))
            return None
        return path


def _entries(folder: Path) -> Iterator[Path]:
    try:
        yield from folder.iterdir()
    except OSError:
        return


def _checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:40]


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
