"""Read many manifest files at once with guestbook-reader, a small Go program (an edge module).

``guestbook tools install`` (which ``make setup`` runs) builds it from ``go-reader/``
(beside this file) into the tools folder's ``bin/``. It parses the files concurrently with
yaml.v3 and answers in JSON, which Python reads in a small fraction of PyYAML's time. For
each file it either gives exactly what
:func:`~guestbook.validate.documents.read_documents` gives (documents, objects, field
lines; such files have no findings) or says "fallback": anything unusual (YAML
errors, duplicate keys, anchors, tags, values other than plain strings, decimal
numbers, booleans and nulls, ...), and then that file is read by ``read_documents``,
which stays the reference. Without the binary (tools installed by hand, without
guestbook-reader) every file is read in Python; a binary that fails is a
:class:`GuestbookError`.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import ItemsView, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guestbook.errors import GuestbookError
from guestbook.validate.documents import expand_lists, read_documents
from guestbook.validate.model import Document, FieldPath, Finding
from guestbook.validate.tools import INSTALL_HINT

FileResult = tuple[list[Document], list[Finding]]
Entry = list[list[Any]]
"""One file as the reader sends it: ``[line, object, field lines]`` per document."""


@dataclass(frozen=True)
class Reader:
    """How to read manifest files: with the Go reader at ``binary`` when it exists."""

    binary: Path

    def start(self, files: Sequence[Path]) -> Reading:
        """Start reading ``files`` in the background; :meth:`Reading.results` waits.

        Without the binary nothing starts, and the results come from Python.
        """
        if not files or not self.binary.is_file():
            return Reading(list(files), None)
        names, writer = os.pipe()
        try:
            process = subprocess.Popen(
                [str(self.binary)], stdin=names, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as err:
            os.close(writer)
            raise GuestbookError(f"cannot run {self.binary}: {err}; {INSTALL_HINT}") from None
        finally:
            os.close(names)
        # The reader takes every name before it reads a file, so this blocks only briefly;
        # if it exits without them, results() reports how.
        with suppress(BrokenPipeError), open(writer, "wb") as pipe:
            pipe.write(b"".join(bytes(f) + b"\0" for f in files))
        return Reading(list(files), process)

    def read(self, files: Sequence[Path]) -> list[FileResult]:
        """Each file's documents and reading findings, in order."""
        return self.start(files).results()


@dataclass
class Reading:
    """Files being read by the Go reader (``process``), or by Python when it is ``None``."""

    files: list[Path]
    process: subprocess.Popen[bytes] | None

    def results(self) -> list[FileResult]:
        """Wait for the reader; each file's documents and findings, in order.

        Files the reader leaves to Python are read with ``read_documents``.
        """
        return [file_result(p, e) for p, e in zip(self.files, self.entries(), strict=True)]

    def entries(self) -> list[Entry | None]:
        """Wait for the reader; each file's entry (see :func:`file_result`), in order, or None
        for a file the reader leaves to Python."""
        return [entry for entry, _ in self.entries_and_json()]

    def entries_and_json(self) -> list[tuple[Entry | None, bytes | None]]:
        """As :meth:`entries`, each with the JSON the reader printed for it (its whole entry,
        ``{"documents": ...}``), or None where that cannot be told apart."""
        if self.process is None:
            return [(None, None)] * len(self.files)
        out, err = self.process.communicate()
        entries = _parse(out, err, self.process.returncode, len(self.files))
        printed = _lines(out, len(entries))
        return [
            (entry.get("documents"), text) for entry, text in zip(entries, printed, strict=True)
        ]

    def stop(self) -> None:
        """End the reader if it still runs (after an error elsewhere)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


def _parse(out: bytes, err: bytes, returncode: int, count: int) -> list[dict[str, Any]]:
    """The reader's entries, one per file; anything else is a :class:`GuestbookError`."""
    entries: Any = None
    if returncode == 0:
        try:
            entries = json.loads(out)
        except ValueError:
            entries = None
    valid = isinstance(entries, list) and len(entries) == count
    if not valid or not all(isinstance(e, dict) for e in entries):
        detail = err.decode("utf-8", "replace").strip() or "no error message"
        raise GuestbookError(
            f"guestbook-reader failed (exit {returncode}): {detail}; {INSTALL_HINT} to rebuild it"
        )
    return list(entries)


def _lines(out: bytes, count: int) -> list[bytes | None]:
    """Each entry's JSON as the reader prints it, one per line inside the array; all None if
    the output does not have that shape (a reader built before it printed one per line)."""
    lines = out.rstrip(b"\n").split(b"\n")
    if len(lines) != count or not lines[0].startswith(b"[") or not lines[-1].endswith(b"]"):
        return [None] * count
    lines[0], lines[-1] = lines[0][1:], lines[-1][:-1]
    texts: list[bytes | None] = [line[:-1] for line in lines[:-1]]
    texts.append(lines[-1])
    return texts


def file_result(path: Path, entry: Entry | None) -> FileResult:
    """The documents of the file ``path`` from its reader entry; read by Python if None."""
    if entry is None:
        return read_documents(path)
    documents = [
        Document(path=path, line=line, obj=obj, lines=FieldLines(obj, order))
        for line, obj, order in entry
    ]
    return expand_lists(documents)


def valid_entry(entry: Any) -> bool:
    """Whether ``entry`` has the shape of a reader entry, ``[line, object, field lines]`` per
    document (the shape only: how a kept entry, checksummed, is checked before use)."""
    return type(entry) is list and all(
        type(doc) is list
        and len(doc) == 3
        and type(doc[0]) is int
        and type(doc[1]) is dict
        and type(doc[2]) is list
        for doc in entry
    )


class FieldLines(Mapping[FieldPath, int]):
    """A document's field lines as the Go reader sends them, made a dict on first use.

    The reader sends the line of every field in depth-first order (mapping entries in
    key order, sequence items by index); most documents never need their lines, so
    they are paired with the object's paths only when asked for. The mapping is the
    one ``read_documents`` builds: path tuple to 1-based line.
    """

    __slots__ = ("_lines", "_obj", "_order")

    def __init__(self, obj: Any, order: Sequence[int]) -> None:
        self._obj = obj
        self._order = order
        self._lines: dict[FieldPath, int] | None = None

    def _built(self) -> dict[FieldPath, int]:
        if self._lines is None:
            self._lines = {}
            _pair(self._lines, (), self._obj, iter(self._order))
        return self._lines

    def __getitem__(self, path: FieldPath) -> int:
        return self._built()[path]

    def get(self, path: FieldPath, default: Any = None) -> Any:
        return self._built().get(path, default)

    def __iter__(self) -> Iterator[FieldPath]:
        return iter(self._built())

    def items(self) -> ItemsView[FieldPath, int]:
        return self._built().items()  # the dict's own view: Mapping's looks each key up again

    def item_lines(self) -> list[tuple[int, Mapping[FieldPath, int]]]:
        """For a List (``items`` a list), each item's line and field lines (see
        :func:`~guestbook.validate.documents.list_items`): each item gets its stretch of the
        order, and pairs it with paths only if asked, as a document does."""
        position = 0
        for key, value in self._obj.items():
            if key == "items":
                break
            position += 1 + _count(value)
        position += 1  # the line of items itself
        split: list[tuple[int, Mapping[FieldPath, int]]] = []
        for item in self._obj["items"]:
            size = _count(item)
            stretch = self._order[position + 1 : position + 1 + size]
            split.append((self._order[position], FieldLines(item, stretch)))
            position += 1 + size
        return split

    def __len__(self) -> int:
        return len(self._built())

    def __repr__(self) -> str:
        return repr(self._built())


def _count(node: Any) -> int:
    """How many lines of the order the fields under ``node`` take (as :func:`_pair` pairs)."""
    if type(node) is dict:
        children: Any = node.values()
    elif type(node) is list:
        children = node
    else:
        return 0
    return sum(1 + _count(child) for child in children)


def _pair(lines: dict[FieldPath, int], path: FieldPath, node: Any, order: Iterator[int]) -> None:
    """Give each field under ``node`` the next line of ``order`` (depth first)."""
    children = node.items() if type(node) is dict else enumerate(node)
    for key, value in children:
        child = (*path, key)
        lines[child] = next(order)
        if type(value) is dict or type(value) is list:
            _pair(lines, child, value, order)
