"""kubeconform's verdicts per file, kept between runs (an edge module).

kubeconform judges each file on its own: its verdict depends on the file's bytes
(and name suffix), the Kubernetes version, the schemas (built-in, and the user's
CRDs), the flags and kubeconform itself, never on the other files. So a verdict
is kept under a key made of all of these, and a later run passes kubeconform
only the files it has no verdict for. The rules still see every file.

Layout, under the tools folder (``.tools/cache/kubeconform/``, gitignored)::

    <context>/<shard>/<checksum>.json   # a pack: {file key: results}, named by its SHA-256

``<context>`` is a digest of everything but the file (the kubeconform binary's identity:
device, inode, size, modification and change time, see :func:`~.packs.binary_identity`; its
command line without the files and ``-n``; the schema index), so runs against another
kubeconform or schema set never read these packs.
Each run that validated files writes one pack of the new verdicts (see :mod:`.packs`:
whole packs only, bounded by :data:`MAX_PACKS` and :data:`MAX_CACHE_BYTES`). A file
that changed while kubeconform read it is not kept. Whatever goes wrong with the
cache costs only time: kubeconform then checks the files itself.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from guestbook.validate.kubeconform import Kubeconform, Result, Run, SchemaError
from guestbook.validate.packs import PackStore, SeenFiles, Shelf, binary_identity
from guestbook.validate.schemas.store import INDEX_FILE

FORMAT = 3
"""Of keys and packs; part of every context, so a new format never reads an old pack."""
MAX_CACHE_BYTES = 32 * 1024 * 1024
"""All packs together; a fleet of 1,000 environments needs about 1 MiB."""
MAX_PACKS = 8
"""Per context: past it, all but the largest pack are merged into one, so a run reads a few."""

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

    @property
    def packs(self) -> PackStore:
        """Where the verdicts are kept."""
        return PackStore(self.folder, FORMAT, _valid_results, self.max_bytes, self.max_packs)

    def start(
        self, kubeconform: Kubeconform, files: Sequence[str], seen: SeenFiles | None = None
    ) -> Verdicts:
        """Results for ``files``: kept verdicts, and kubeconform started on the others.

        ``seen`` has the files' states from before anything read them (taken now if not
        given) and shares their digests with the run's other caches.
        """
        seen = seen or SeenFiles.now(files)  # before kubeconform reads
        shelf = self.packs.shelf(self._context(kubeconform))
        if shelf is None or shelf.empty():
            # Nothing to reuse: kubeconform starts at once; the files are hashed later, while it
            # runs (by the run's other caches, or when its results are kept).
            run = kubeconform.start(files) if files else None
            return _CachedRun(shelf, files, seen, files, run)
        missing = [name for name in files if shelf.get(_file_key(seen, name)) is None]
        run = kubeconform.start(missing) if missing else None
        return _CachedRun(shelf, files, seen, missing, run)

    def _context(self, kubeconform: Kubeconform) -> str:
        command = kubeconform.command([])
        workers = command.index("-n")
        del command[workers : workers + 2]  # more workers, the same verdicts
        try:
            index = (kubeconform.schemas.directory / INDEX_FILE).read_bytes()
        except OSError:
            index = b""
        identity = binary_identity(kubeconform.binary)
        digest = hashlib.sha256(json.dumps([FORMAT, identity, command]).encode())
        digest.update(index)
        return digest.hexdigest()[:32]


@dataclass
class _CachedRun:
    shelf: Shelf | None
    files: Sequence[str]
    seen: SeenFiles
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
            if name in fresh:
                results.extend(fresh[name])
                key = _file_key(self.seen, name) if self.shelf is not None else None
                if key is not None and self.seen.unchanged(name):
                    new[key] = [_entry(r) for r in fresh[name]]
            elif self.shelf is not None:
                kept = self.shelf.get(_file_key(self.seen, name))
                results.extend(_result(name, entry) for entry in kept or [])
        if self.shelf is not None and not self._done:
            self._done = True
            self.shelf.put(new)
        return results

    def stop(self) -> None:
        if self.run is not None:
            self.run.stop()


def _file_key(seen: SeenFiles, name: str) -> str | None:
    """The key of ``name``'s content and suffix, or None when it cannot be read whole."""
    return seen.key(name, f"verdict {FORMAT} {_suffix(name)}")


def _suffix(name: str) -> str:
    """``Path(name).suffix``, without building a path (one per file of the fleet)."""
    base = os.path.basename(name.rstrip("/"))
    dot = base.rfind(".")
    return base[dot:] if 0 < dot < len(base) - 1 else ""


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


def _valid_results(results: Any) -> bool:
    return isinstance(results, list) and all(_valid_entry(entry) for entry in results)


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
    kubeconform: Kubeconform,
    files: Sequence[str],
    cache: VerdictCache | None,
    seen: SeenFiles | None = None,
) -> Verdicts:
    """kubeconform's results for ``files``, from ``cache`` where it has them (``seen``: see
    :meth:`VerdictCache.start`)."""
    if cache is None:
        return without_cache(kubeconform, files)
    return cache.start(kubeconform, files, seen)
