"""kubeconform's verdicts per file, kept between runs (an edge module).

kubeconform judges each file on its own: its verdict depends on the file's bytes
(and name suffix), the Kubernetes version, the schemas (built-in, and the user's
CRDs), the flags and kubeconform itself, never on the other files. So a verdict
is kept under a key made of all of these, and a later run passes kubeconform
only the files it has no verdict for. The rules still see every file.

Layout, under the tools folder (``.tools/cache/kubeconform/``, gitignored)::

    <context>/<checksum>.json   # a pack: {file key: results}, named by its own SHA-256

``<context>`` is a digest of everything but the file (kubeconform's ``-v`` and the
binary's identity, its command line without the files and ``-n``, the schema
index), so runs against another version or schema set never read these packs.
Each run that validated files writes one pack of the new verdicts: to a temporary
name, then renamed, so another process sees a whole pack or none. A pack whose
bytes do not hash to its name is ignored and removed; when a context holds more
than :data:`MAX_PACKS` packs they are merged into one, and the least recently used go
once the cache is over :data:`MAX_CACHE_BYTES`. A file that changed while
kubeconform read it is not kept. Whatever goes wrong with the cache (a read-only
or missing folder, a file where a folder should be, a symbolic link, a corrupt
pack) costs only time: kubeconform then checks the files itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from guestbook.files import read_cache_file
from guestbook.validate.kubeconform import Kubeconform, Result, Run, SchemaError
from guestbook.validate.limits import MAX_FILE_BYTES
from guestbook.validate.schemas.store import INDEX_FILE

FORMAT = 1
"""Of keys and packs; part of every context, so a new format never reads an old pack."""
MAX_CACHE_BYTES = 32 * 1024 * 1024
"""All packs together; a fleet of 1,000 environments needs about 1 MiB."""
MAX_PACKS = 8
"""Per context: more are merged into one, so a run reads a few files."""
STALE_TEMPORARY_SECONDS = 3600
"""A temporary file this old was left by a process that died; it is removed."""
_SUFFIX = ".json"
_READ_CHUNK = 1 << 20

Entry = list[Any]
"""One result, as stored: ``[kind, name, apiVersion, status, message, [[pointer, message]]]``."""


class Verdicts(Protocol):
    """kubeconform's results for a list of files, once they are ready."""

    def results(self) -> list[Result]:
        """Wait for the results."""

    def stop(self) -> None:
        """End whatever still runs (after an error elsewhere)."""


@dataclass(frozen=True)
class VerdictCache:
    """The verdict cache in ``folder``; :meth:`start` is kubeconform with it."""

    folder: Path
    max_bytes: int = MAX_CACHE_BYTES
    max_packs: int = MAX_PACKS

    @classmethod
    def in_tools(cls, tools: Path) -> VerdictCache:
        """The cache of the tools folder ``tools`` (``<tools>/cache/kubeconform``)."""
        return cls(tools / "cache" / "kubeconform")

    def start(self, kubeconform: Kubeconform, files: Sequence[str]) -> Verdicts:
        """Results for ``files``: kept verdicts, and kubeconform started on the others."""
        version = _Version.start(kubeconform.binary)
        states = {name: _state(name) for name in dict.fromkeys(files)}  # before kubeconform reads
        folder = self._usable(self._context(kubeconform, version.text()))
        packs = _read_packs(folder) if folder is not None else []
        if not packs:
            # Nothing to reuse: kubeconform starts at once, the files are hashed while it runs.
            run = kubeconform.start(files) if files else None
            keys = {n: _file_key(n, s) if folder else None for n, s in states.items()}
            return _CachedRun(self, folder, packs, files, states, keys, {}, files, run)
        keys = {name: _file_key(name, state) for name, state in states.items()}
        known: dict[str, list[Entry]] = {}
        for pack in packs:
            known.update(pack.entries)
        missing = [name for name in files if keys[name] is None or keys[name] not in known]
        run = kubeconform.start(missing) if missing else None
        return _CachedRun(self, folder, packs, files, states, keys, known, missing, run)

    def _context(self, kubeconform: Kubeconform, version: str) -> str:
        command = kubeconform.command([])
        workers = command.index("-n")
        del command[workers : workers + 2]  # more workers, the same verdicts
        try:
            index = (kubeconform.schemas.directory / INDEX_FILE).read_bytes()
        except OSError:
            index = b""
        identity = _identity(kubeconform.binary)
        digest = hashlib.sha256(json.dumps([FORMAT, version, identity, command]).encode())
        digest.update(index)
        return digest.hexdigest()[:32]

    def _usable(self, context: str) -> Path | None:
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

    def _store(self, folder: Path, packs: list[_Pack], new: dict[str, list[Entry]]) -> None:
        """Write ``new`` as a pack, or with the packs read if there are many; keep the cache
        bounded. Packs another process wrote meanwhile are left to it."""
        if len(packs) + 1 > self.max_packs:
            merged: dict[str, list[Entry]] = {}
            for pack in packs:
                merged.update(pack.entries)
            merged.update(new)
            if _write_pack(folder, merged) is not None:
                for pack in packs:
                    _remove(pack.path)
        else:
            if new:
                _write_pack(folder, new)
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


@dataclass
class _CachedRun:
    cache: VerdictCache
    folder: Path | None
    packs: list[_Pack]
    files: Sequence[str]
    states: Mapping[str, _State | None]
    keys: Mapping[str, str | None]
    known: Mapping[str, list[Entry]]
    missing: Sequence[str]
    run: Run | None = None
    _done: bool = field(default=False)

    def results(self) -> list[Result]:
        fresh: dict[str, list[Result]] = {name: [] for name in self.missing}
        if self.run is not None:
            for result in self.run.results():
                fresh.setdefault(result.file, []).append(result)
        results: list[Result] = []
        new: dict[str, list[Entry]] = {}
        for name in self.files:
            key = self.keys[name]
            if name in fresh:
                results.extend(fresh[name])
                if key is not None and self.states[name] == _state(name):
                    new[key] = [_entry(r) for r in fresh[name]]
            elif key is not None:
                results.extend(_result(name, entry) for entry in self.known[key])
        if self.folder is not None and not self._done:
            self._done = True
            with contextlib.suppress(OSError):  # a cache not written costs time only
                self.cache._store(self.folder, self.packs, new)
        return results

    def stop(self) -> None:
        if self.run is not None:
            self.run.stop()


@dataclass(frozen=True)
class _State:
    """What tells that a file changed: identity, size and modification time."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int


def _state(name: str) -> _State | None:
    try:
        status = os.stat(name)
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_FILE_BYTES:
        return None
    return _State(
        status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns
    )


def _file_key(name: str, state: _State | None) -> str | None:
    """The key of ``name``'s content and suffix, or None when it cannot be read whole.

    Read with the bare system calls: for a fleet of small files, an ``open()`` file
    object and its buffer cost more than the hash.
    """
    if state is None:
        return None
    digest = hashlib.sha256(f"{FORMAT}\0{_suffix(name)}\0".encode())
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


def _suffix(name: str) -> str:
    """``Path(name).suffix``, without building a path (one per file of the fleet)."""
    base = os.path.basename(name.rstrip("/"))
    dot = base.rfind(".")
    return base[dot:] if 0 < dot < len(base) - 1 else ""


def _identity(binary: Path) -> list[int]:
    try:
        status = binary.stat()
    except OSError:
        return []
    return [status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns]


@dataclass
class _Version:
    """``kubeconform -v``, asked while the files are hashed."""

    process: subprocess.Popen[str] | None

    @classmethod
    def start(cls, binary: Path) -> _Version:
        try:
            process = subprocess.Popen(
                [str(binary), "-v"],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
                text=True,
            )
        except OSError:
            return cls(None)
        return cls(process)

    def text(self) -> str:
        if self.process is None:
            return ""
        try:
            out, _ = self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            return ""
        return out.strip()


def _entry(result: Result) -> Entry:
    return [
        result.kind,
        result.name,
        result.api_version,
        result.status,
        result.message,
        [[list(e.pointer), e.message] for e in result.errors],
    ]


def _result(name: str, entry: Entry) -> Result:
    kind, resource, api_version, status, message, errors = entry
    return Result(
        file=name,
        kind=kind,
        name=resource,
        api_version=api_version,
        status=status,
        message=message,
        errors=tuple(SchemaError(tuple(pointer), text) for pointer, text in errors),
    )


@dataclass(frozen=True)
class _Pack:
    path: Path
    entries: dict[str, list[Entry]]


def _entries(folder: Path) -> Iterator[Path]:
    try:
        yield from folder.iterdir()
    except OSError:
        return


def _read_packs(folder: Path) -> list[_Pack]:
    """The whole, intact packs of ``folder``; damaged ones are removed."""
    packs = []
    for path in _entries(folder):
        if path.suffix != _SUFFIX or path.name.startswith("."):
            continue
        pack = _read_pack(path)
        if pack is not None:
            packs.append(pack)
    return packs


def _read_pack(path: Path) -> _Pack | None:
    data = read_cache_file(path, MAX_CACHE_BYTES)
    if data is None:
        return None  # gone (merged by another run), a link, unreadable, too large
    if _checksum(data) != path.stem:
        _remove(path)
        return None
    try:
        entries = _valid_entries(json.loads(data))
    except (ValueError, TypeError):
        entries = None
    if entries is None:
        _remove(path)
        return None
    return _Pack(path, entries)


def _valid_entries(data: Any) -> dict[str, list[Entry]] | None:
    """The pack's entries if every one has the stored shape, else None."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    entries = data.get("entries")
    if not isinstance(entries, dict):
        return None
    for key, results in entries.items():
        if not isinstance(key, str) or not isinstance(results, list):
            return None
        if not all(_valid_entry(entry) for entry in results):
            return None
    return entries


def _valid_entry(entry: Any) -> bool:
    if not (isinstance(entry, list) and len(entry) == 6):
        return False
    *texts, errors = entry
    return (
        all(isinstance(t, str) for t in texts)
        and isinstance(errors, list)
        and all(
            isinstance(e, list)
            and len(e) == 2
            and isinstance(e[0], list)
            and all(isinstance(token, str) for token in e[0])
            and isinstance(e[1], str)
            for e in errors
        )
    )


def _checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:40]


def _write_pack(folder: Path, entries: Mapping[str, list[Entry]]) -> Path | None:
    """Write ``entries`` as a pack named by its checksum; None if it could not be written."""
    data = json.dumps(
        {"format": FORMAT, "entries": dict(sorted(entries.items()))}, separators=(",", ":")
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


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def without_cache(kubeconform: Kubeconform, files: Sequence[str]) -> Verdicts:
    """kubeconform on every file, nothing kept."""
    return _Plain(kubeconform.start(files) if files else None)


@dataclass
class _Plain:
    run: Run | None

    def results(self) -> list[Result]:
        return self.run.results() if self.run is not None else []

    def stop(self) -> None:
        if self.run is not None:
            self.run.stop()


def verdicts(
    kubeconform: Kubeconform, files: Sequence[str], cache: VerdictCache | None
) -> Verdicts:
    """kubeconform's results for ``files``, from ``cache`` where it has them."""
    if cache is None:
        return without_cache(kubeconform, files)
    return cache.start(kubeconform, files)
