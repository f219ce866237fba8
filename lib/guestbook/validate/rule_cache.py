"""The findings of the one-file rules, kept between runs (an edge module).

Most checks of :mod:`guestbook.validate.rules` judge each object on its own
(:data:`guestbook.validate.rules.PER_FILE`): what they find in a file depends on the
file's bytes, its name and the Kubernetes version, never on the other files. Their
findings are kept per file, under a key made of the file's name and content, in packs
(see :mod:`.packs`) under the tools folder::

    .tools/cache/findings/<context>/<shard>/<checksum>.json

``<context>`` is a digest of the Kubernetes version, the source of this package's modules
(the rules and what they use), the list of one-file checks and the folder the run's files are
in (so a run reads nothing kept for other folders). A later run
runs those checks only on the files it has nothing kept for; the checks over the whole set
(references, selections, duplicates, the guestbook's flows) always see every file. A file
whose state changed between :meth:`RuleCache.begin` (before it is read) and the end of the
rules is not kept. As with the verdicts, whatever goes wrong with the cache costs only time.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from guestbook.validate.model import Finding, ObjectRef, Severity
from guestbook.validate.packs import PackStore, SeenFiles, Shelf

FORMAT = 1
"""Of keys, entries and packs; part of every context."""
MAX_CACHE_BYTES = 32 * 1024 * 1024
"""All packs together; a fleet of 1,000 environments needs about 2 MiB."""
MAX_PACKS = 8
"""Per context: past it, all but the largest pack are merged into one, so a run reads a few."""

Entry = list[Any]
"""One finding, as stored: ``[rule, severity, message, line, kind, namespace, name, hint]``."""

_SEVERITIES = {s.value for s in Severity}


@dataclass(frozen=True)
class RuleCache:
    """The findings cache in ``folder``; :meth:`begin` opens it for one run."""

    folder: Path
    max_bytes: int = MAX_CACHE_BYTES
    max_packs: int = MAX_PACKS

    @classmethod
    def in_tools(cls, tools: Path) -> RuleCache:
        """The cache of the tools folder ``tools`` (``<tools>/cache/findings``)."""
        return cls(tools / "cache" / "findings")

    def begin(self, seen: SeenFiles) -> KeptFindings:
        """A run over the files ``seen`` names (with their states from before they were read)."""
        store = PackStore(self.folder, FORMAT, _valid_entries, self.max_bytes, self.max_packs)
        return KeptFindings(store, seen)


@dataclass
class KeptFindings:
    """One run's view of the cache: what is kept for its files, and what it adds."""

    store: PackStore
    seen: SeenFiles
    _shelf: Shelf | None = None
    _loaded: bool = False
    _stored: bool = False

    def load(self, kubernetes_version: str, per_file: Sequence[str]) -> None:
        """Read the packs of this context and key every file (once; the rules call it, the
        pipeline may call it earlier, while the files are read)."""
        if self._loaded:
            return
        self._loaded = True
        code = _code_digest()
        if code:
            scope = self.seen.scope()
            self._shelf = self.store.shelf(_context(kubernetes_version, per_file, code, scope))
        if self._shelf is not None:
            for name in self.seen.states:
                self._shelf.get(self._key(name))

    def _key(self, name: str) -> str | None:
        return self.seen.key(name, f"findings {FORMAT} {name}")

    def kept(self, path: Path) -> list[Finding] | None:
        """The findings kept for the file ``path``, or None."""
        if self._shelf is None:
            return None
        entries = self._shelf.get(self._key(str(path)))
        if entries is None:
            return None
        return [_finding(path, entry) for entry in entries]

    def keep(self, found: Mapping[str, Sequence[Finding]]) -> None:
        """Keep the findings of the files ``found`` names (each with all its findings), for
        those that did not change since the run began."""
        if self._shelf is None or self._stored:
            return
        self._stored = True
        new: dict[str, list[Entry]] = {}
        for name, findings in found.items():
            key = self._key(name)
            if key is not None and self.seen.unchanged(name):
                new[key] = [_entry(f) for f in findings]
        self._shelf.put(new)


@cache
def _code_digest() -> str:
    """The source of this package's modules (the rules and everything they use), and the
    Python that runs them; computed once per process; empty if a module cannot be read."""
    digest = hashlib.sha256(sys.version.encode())
    package = Path(__file__).resolve().parents[1]
    try:
        for path in sorted(package.rglob("*.py")):
            if "__pycache__" not in path.parts:
                digest.update(f"\0{path.relative_to(package).as_posix()}\0".encode())
                digest.update(path.read_bytes())
    except OSError:
        return ""
    return digest.hexdigest()


def _context(kubernetes_version: str, per_file: Sequence[str], code: str, scope: str) -> str:
    """Everything the kept findings depend on besides a file: the format, the Kubernetes
    version, this package's code and the one-file checks; and the folder of the run's files."""
    text = json.dumps([FORMAT, kubernetes_version, sorted(per_file), code, scope])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _entry(finding: Finding) -> Entry:
    ref = finding.ref
    return [
        finding.rule,
        finding.severity.value,
        finding.message,
        finding.line,
        ref.kind,
        ref.namespace,
        ref.name,
        finding.hint,
    ]


def _finding(path: Path, entry: Entry) -> Finding:
    rule, severity, message, line, kind, namespace, name, hint = entry
    return Finding(
        rule=rule,
        severity=Severity(severity),
        message=message,
        path=path,
        line=line,
        ref=ObjectRef(kind, namespace, name),
        hint=hint,
    )


def _valid_entries(entries: Any) -> bool:
    return isinstance(entries, list) and all(_valid_entry(e) for e in entries)


def _valid_entry(entry: Any) -> bool:
    if not (isinstance(entry, list) and len(entry) == 8):
        return False
    rule, severity, message, line, *texts = entry
    return (
        all(isinstance(t, str) for t in (rule, message, *texts))
        and severity in _SEVERITIES
        and type(line) is int
        and line >= 0
    )
