"""Per-file results kept between runs, in packs (an edge module).

The validator keeps three kinds of per-file results: kubeconform's verdicts (see
:mod:`.verdicts`), what guestbook-reader read (see :mod:`.read_cache`) and the findings of
the rules that look at one file only (see :mod:`.rule_cache`). All are stored the same way,
in a folder of the tools folder::

    <cache>/<context>/<shard>/<checksum>.json   # a pack: {"format": N, "entries": {key: entry}}

``<context>`` is a digest of everything a result depends on besides the file, so a run
with another context never reads these packs. A file's key is a digest of its content
(and whatever else its results depend on), computed by :meth:`SeenFiles.key`; its first
character names its ``<shard>``, and a run reads only the shards of its files' keys (see
:class:`Shelf`). Each run that computed new results writes one pack per shard: to a temporary
name, then renamed, so another process sees a whole pack or none. A pack whose bytes do not
hash to its name, or whose entries do not have the stored shape, is ignored and removed;
when a shard holds more than ``max_packs`` packs, all but the largest are merged into one
(so a run writes about what it adds), and the least recently used go once the cache is over
``max_bytes``. A result is kept only when its file did not change while it was computed
(:meth:`SeenFiles.unchanged`). Whatever goes wrong with the cache (a read-only or missing
folder, a file where a folder should be, a symbolic link, a corrupt pack) costs only time:
the results are then computed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guestbook.files import read_cache_file
from guestbook.validate.limits import MAX_FILE_BYTES

STALE_TEMPORARY_SECONDS = 3600
"""A temporary file this old was left by a process that died; it is removed."""
MAX_PACK_FILES = 512
"""Packs per cache, all contexts together, besides its bytes: every run that writes walks the
whole cache to keep it within its bounds, so the walk stays short even when many small runs
(one folder each, as a corpus validated file by file) leave tiny packs (a context of 1,000
environments has at most 16 shards of 8 packs)."""
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


def content_digest(name: str, state: FileState | None) -> str | None:
    """The SHA-256 of ``name``'s bytes, or None when it cannot be read whole.

    Read with the bare system calls: for a fleet of small files, an ``open()`` file
    object and its buffer cost more than the hash.
    """
    if state is None:
        return None
    digest = hashlib.sha256()
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
    return digest.hexdigest()


@dataclass
class SeenFiles:
    """The files of one run as they were before anything read them: each one's state, and its
    content's digest, computed once on first use and shared by every cache of the run."""

    states: dict[str, FileState | None]
    _digests: dict[str, str | None] = field(default_factory=dict)
    _keys: dict[tuple[str, str], str | None] = field(default_factory=dict)
    _scope: str | None = None

    @classmethod
    def now(cls, names: Iterable[str]) -> SeenFiles:
        """The states of ``names`` now."""
        return cls({name: file_state(name) for name in dict.fromkeys(names)})

    def key(self, name: str, salt: str) -> str | None:
        """A key of ``salt`` and ``name``'s content, or None when it cannot be read whole
        (made once per run: a cache asks for a file's key when it looks and when it keeps)."""
        asked = (name, salt)
        if asked in self._keys:
            return self._keys[asked]
        if name not in self._digests:
            self._digests[name] = content_digest(name, self.states.get(name))
        digest = self._digests[name]
        key = (
            None
            if digest is None
            else hashlib.sha256(f"{salt}\0{digest}".encode()).hexdigest()[:32]
        )
        self._keys[asked] = key
        return key

    def scope(self) -> str:
        """The folder every file of the run is in (absolute, links not resolved): caches that
        grow with every file keep one context per scope, so a run never reads what was kept for
        another project or another part of one."""
        if self._scope is None:
            # The names' common prefix, cut after its last separator (string comparisons only:
            # thousands of names), then made absolute once.
            prefix = os.path.commonprefix(list(self.states))  # noqa: RUF071 (cut below)
            self._scope = os.path.abspath(prefix[: prefix.rfind(os.sep) + 1] or os.curdir)
        return self._scope

    def unchanged(self, name: str) -> bool:
        """Whether ``name`` is as it was when the run began (a result of it may be kept)."""
        state = self.states.get(name)
        return state is not None and state == file_state(name)


def binary_identity(binary: Path) -> list[int]:
    """What tells that a program file was replaced or written over: device, inode, size,
    modification and change time (which no program can set back)."""
    try:
        status = binary.stat()
    except OSError:
        return []
    return [
        status.st_dev,
        status.st_ino,
        status.st_size,
        status.st_mtime_ns,
        status.st_ctime_ns,
    ]


class Raw(bytes):
    """An entry already encoded as JSON (as a program printed it): written into a pack as is.
    Read back, it is the decoded value, like any other entry."""


def _encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Pack:
    """One pack read whole: where it is, and its entries."""

    path: Path
    entries: dict[str, Any]
    size: int
    """Bytes."""


@dataclass(frozen=True)
class PackStore:
    """The packs under ``folder``, whose entries ``valid_entry`` accepts, in ``format``."""

    folder: Path
    format: int
    valid_entry: Callable[[Any], bool]
    max_bytes: int
    max_packs: int
    """Per shard."""
    max_files: int = MAX_PACK_FILES
    """Packs in all."""

    def shelf(self, context: str) -> Shelf | None:
        """The context's packs, its folder made if needed; None if the cache cannot be used."""
        folder = self.folder / context
        if not _own_folders(self.folder.parent, self.folder, folder):
            return None
        return Shelf(self, folder)

    def _read(self, folder: Path) -> list[Pack]:
        """The whole, intact packs of ``folder``; damaged ones are removed."""
        packs = []
        for entry in _scan(str(folder)):
            if _is_pack_name(entry.name):
                pack = self._read_pack(Path(entry.path))
                if pack is not None:
                    packs.append(pack)
        return packs

    def _store(self, folder: Path, packs: list[Pack], new: Mapping[str, Any]) -> None:
        """Write ``new`` as a pack into the shard ``folder`` whose packs are ``packs``; past
        :attr:`max_packs`, all but the largest pack are merged (a run writes about what it
        adds). Packs another process wrote meanwhile are left to it."""
        if len(packs) + 1 > self.max_packs:
            largest = max(packs, key=lambda pack: (pack.size, pack.path.name))
            merged: dict[str, Any] = {}
            for pack in packs:
                if pack is not largest:
                    merged.update(pack.entries)
            merged.update(new)
            if self._write_pack(folder, merged) is not None:
                for pack in packs:
                    if pack is not largest:
                        _remove(pack.path)
        elif new:
            self._write_pack(folder, new)

    def _bound(self) -> None:
        """Remove the least recently used packs (and dead temporaries) until the cache fits
        in :attr:`max_bytes` and :attr:`max_files`, then the shards and contexts left empty
        (else every context ever used would stay, and each run would walk them all)."""
        files: list[tuple[float, int, str]] = []
        now = time.time()
        folders: list[str] = []
        for context in _subfolders(str(self.folder)):
            for shard in _subfolders(context):
                for item in _scan(shard):
                    try:
                        status = item.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if item.name.startswith("."):
                        if now - status.st_mtime > STALE_TEMPORARY_SECONDS:
                            _remove(Path(item.path))
                    elif _is_pack_name(item.name) and stat.S_ISREG(status.st_mode):
                        files.append((status.st_mtime, status.st_size, item.path))
                folders.append(shard)
            folders.append(context)
        total, count = sum(size for _, size, _ in files), len(files)
        for _, size, path in sorted(files):
            if total <= self.max_bytes and count <= self.max_files:
                break
            _remove(Path(path))
            total, count = total - size, count - 1
        for folder in folders:  # shards before their context; one in use is not empty
            with contextlib.suppress(OSError):
                os.rmdir(folder)

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
        return Pack(path, entries, len(data))

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
        ordered = dict(sorted(entries.items()))
        if any(isinstance(value, Raw) for value in ordered.values()):
            body = b",".join(
                _encode(key) + b":" + (value if isinstance(value, Raw) else _encode(value))
                for key, value in ordered.items()
            )
        else:  # one call: the encoder's fast path
            body = _encode(ordered)[1:-1]
        data = b'{"format":%d,"entries":{%s}}' % (self.format, body)
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


@dataclass
class Shelf:
    """One context's packs as one run uses them. They are kept in shards, sub-folders named
    by a key's first character, so a run over a few files reads a few shards: what a run
    reads grows with the files it validates, not with the cache."""

    store: PackStore
    folder: Path
    _shards: dict[str, list[Pack]] = field(default_factory=dict)
    _known: dict[str, Any] = field(default_factory=dict)

    def empty(self) -> bool:
        """Whether no shard holds a pack (then a run need not hash its files first)."""
        return not any(
            _is_pack_name(entry.name)
            for shard in _subfolders(str(self.folder))
            for entry in _scan(shard)
        )

    def get(self, key: str | None) -> Any | None:
        """The entry kept under ``key``, or None."""
        if key is None:
            return None
        self._packs(key[:1])
        return self._known.get(key)

    def put(self, new: Mapping[str, Any]) -> None:
        """Keep ``new`` (key: entry), marking the packs read as used, and keep the cache within
        its bounds (walking it only when there is something to keep). Never raises: a cache not
        written costs time only."""
        by_shard: dict[str, dict[str, Any]] = {}
        for key, entry in new.items():
            by_shard.setdefault(key[:1], {})[key] = entry
        with contextlib.suppress(OSError):
            for shard, entries in sorted(by_shard.items()):
                folder = self.folder / shard
                if _own_folders(folder):
                    self.store._store(folder, self._packs(shard), entries)
            for packs in self._shards.values():
                for pack in packs:  # used now: the last to go when the cache is over its bound
                    with contextlib.suppress(OSError):
                        os.utime(pack.path)
            if new:  # only a run that writes can take the cache past its bounds
                self.store._bound()

    def _packs(self, shard: str) -> list[Pack]:
        if shard not in self._shards:
            packs = self.store._read(self.folder / shard)
            self._shards[shard] = packs
            for pack in packs:
                self._known.update(pack.entries)
        return self._shards[shard]


def _own_folders(*folders: Path) -> bool:
    """Make ``folders`` (each inside the one before) where missing; False if one is not a
    folder of its own (a link could send writes anywhere; a file is not ours)."""
    try:
        for folder in folders:
            folder.mkdir(mode=0o755, exist_ok=True)
            if not stat.S_ISDIR(folder.lstat().st_mode):
                return False
    except OSError:
        return False
    return True


def _scan(folder: str) -> list[os.DirEntry[str]]:
    """``folder``'s entries (none if it cannot be listed): a walk of many small folders costs
    one listing each, and a ``stat`` only where the kind is not known from it."""
    try:
        with os.scandir(folder) as listing:
            return list(listing)
    except OSError:
        return []


def _subfolders(folder: str) -> Iterator[str]:
    """The sub-folders of ``folder`` that are not links, as paths."""
    for entry in _scan(folder):
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                yield entry.path


def _is_pack_name(name: str) -> bool:
    """Whether ``name`` is a pack's (a temporary one starts with a dot)."""
    return name.endswith(_SUFFIX) and not name.startswith(".")


def _checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:40]


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
