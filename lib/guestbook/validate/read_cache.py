"""What guestbook-reader read, kept per file content between runs (an edge module).

guestbook-reader's entry for a file (its documents, objects and field lines, see
:mod:`.reader`) depends only on the file's bytes and on the reader itself. So it is kept,
in packs (see :mod:`.packs`) under the tools folder::

    .tools/cache/reader/<context>/<shard>/<checksum>.json

``<context>`` is a digest of the format, the reader binary's identity (device, inode, size,
modification and change time) and the folder the run's files are in
(:meth:`~.packs.SeenFiles.scope`): a rebuilt reader never reads these packs, and a run reads
nothing kept for other folders.
A later run starts the reader only on the files it has no entry for. Files the reader leaves
to Python (YAML it does not take) are read by Python every run and not kept. As with the
other caches, whatever goes wrong with it costs only time, and an entry is kept only for a
file that did not change while it was read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from guestbook.validate.packs import PackStore, Raw, SeenFiles, Shelf, binary_identity
from guestbook.validate.reader import Entry, FileResult, Reader, Reading, file_result, valid_entry

FORMAT = 2
"""Of keys and packs; part of every context."""
MAX_CACHE_BYTES = 96 * 1024 * 1024
"""All packs together; a fleet of 1,000 environments needs about 14 MiB."""
MAX_PACKS = 8
"""Per context: past it, all but the largest pack are merged into one, so a run reads a few."""


@dataclass(frozen=True)
class ReadCache:
    """The reader's cache in ``folder``; :meth:`start` is the reader with it."""

    folder: Path
    max_bytes: int = MAX_CACHE_BYTES
    max_packs: int = MAX_PACKS

    @classmethod
    def in_tools(cls, tools: Path) -> ReadCache:
        """The cache of the tools folder ``tools`` (``<tools>/cache/reader``)."""
        return cls(tools / "cache" / "reader")

    def start(self, reader: Reader, files: Sequence[Path], seen: SeenFiles) -> CachedReading:
        """``files`` being read: kept entries, and the reader started on the other files.

        Without the reader's binary nothing is kept (Python reads every file)."""
        store = PackStore(self.folder, FORMAT, _valid, self.max_bytes, self.max_packs)
        shelf = store.shelf(_context(reader, seen)) if reader.binary.is_file() else None
        if shelf is None or shelf.empty():  # the reader starts at once; hashing comes later
            return CachedReading(shelf, files, seen, reader.start(files))
        missing = [f for f in files if shelf.get(_key(seen, f)) is None]
        return CachedReading(shelf, files, seen, reader.start(missing))


@dataclass
class CachedReading:
    """Files being read, some from kept entries; as :class:`~.reader.Reading`."""

    shelf: Shelf | None
    files: Sequence[Path]
    seen: SeenFiles
    reading: Reading
    _done: bool = field(default=False)

    def results(self) -> list[FileResult]:
        """Wait for the reader; each file's documents and findings, in order."""
        fresh = dict(zip(self.reading.files, self.reading.entries_and_json(), strict=True))
        entries: list[Entry | None] = []
        new: dict[str, object] = {}
        for path in self.files:
            if path in fresh:
                entry, printed = fresh[path]
                key = _key(self.seen, path) if self.shelf is not None else None
                if key is not None and entry is not None and self.seen.unchanged(str(path)):
                    new[key] = Raw(printed) if printed is not None else {"documents": entry}
            else:
                kept = self.shelf.get(_key(self.seen, path)) if self.shelf is not None else None
                entry = kept["documents"] if kept is not None else None
            entries.append(entry)
        results = [file_result(p, e) for p, e in zip(self.files, entries, strict=True)]
        if self.shelf is not None and not self._done:
            self._done = True
            self.shelf.put(new)
        return results

    def stop(self) -> None:
        """End the reader if it still runs (after an error elsewhere)."""
        self.reading.stop()


def _key(seen: SeenFiles, path: Path) -> str | None:
    return seen.key(str(path), f"reader {FORMAT}")


def _valid(kept: object) -> bool:
    """A kept entry is the reader's whole entry for a file it read: ``{"documents": ...}``."""
    return type(kept) is dict and kept.keys() == {"documents"} and valid_entry(kept["documents"])


def _context(reader: Reader, seen: SeenFiles) -> str:
    text = json.dumps([FORMAT, binary_identity(reader.binary), seen.scope()])
    return hashlib.sha256(text.encode()).hexdigest()[:32]
