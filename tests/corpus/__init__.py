"""The real-world corpus: Kubernetes manifests of well-known projects, at pinned releases.

``sources.toml`` (beside this file) is the one place that says what is in it: each source is
a Go module release (module, version, licence), the files selected in it (``include`` and
``exclude`` globs over paths inside the module: ``*`` stays within a folder, ``**/`` spans
folders) and the files a real API server refuses, each with its reason (``[source.invalid]``);
every other selected file is valid. ``[source.false-errors]`` names valid files the validator
still reports an error on, with why. ``make corpus`` downloads the releases with ``go mod
download`` into the Go module cache (checksummed by the Go module system) and writes
``.tools/corpus/index.json``, where each release's folder is; nothing is copied into the
repository. ``tests/test_corpus.py`` validates the files one at a time;
``e2e/test_corpus.py`` re-checks the verdicts against the end-to-end API server.
"""

from __future__ import annotations

import argparse
import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = Path(__file__).with_name("sources.toml")
INDEX = ROOT / ".tools" / "corpus" / "index.json"


@dataclass(frozen=True)
class Source:
    """One pinned Go module release and the files taken from it."""

    module: str
    version: str
    licence: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    invalid: dict[str, str]
    """Path inside the module -> why the API server refuses the file."""
    false_errors: dict[str, str]
    """Path inside the module -> why the validator reports an error on this valid file."""

    @property
    def pin(self) -> str:
        return f"{self.module}@{self.version}"

    def selects(self, path: str) -> bool:
        """Whether ``path`` (inside the module, with ``/``) is in the corpus."""
        return any(_glob(p).fullmatch(path) for p in self.include) and not any(
            _glob(p).fullmatch(path) for p in self.exclude
        )


@dataclass(frozen=True)
class CorpusFile:
    """One selected file and its expected verdict."""

    source: Source
    path: str
    """Inside the module, e.g. ``hack/testdata/pod.yaml``."""
    file: Path
    """Where it is in the Go module cache."""

    @property
    def id(self) -> str:
        return f"{self.source.pin}/{self.path}"

    @property
    def reason(self) -> str | None:
        """Why the API server refuses it, or None for a valid file."""
        return self.source.invalid.get(self.path)

    @property
    def valid(self) -> bool:
        return self.reason is None

    @property
    def false_error(self) -> str | None:
        """Why the validator reports an error on this valid file (a known defect), or None."""
        return self.source.false_errors.get(self.path)


@cache
def _glob(pattern: str) -> re.Pattern[str]:
    """A glob as a regular expression: ``**/`` any folders (or none), ``*`` and ``?`` within
    one path segment."""
    out = ""
    for part in re.split(r"(\*\*/|\*|\?)", pattern):
        out += {"**/": "(?:[^/]+/)*", "*": "[^/]*", "?": "[^/]"}.get(part, re.escape(part))
    return re.compile(out)


def load_sources(path: Path = SOURCES) -> list[Source]:
    """The sources of ``sources.toml``."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        Source(
            module=s["module"],
            version=s["version"],
            licence=s["licence"],
            include=tuple(s["include"]),
            exclude=tuple(s.get("exclude", ())),
            invalid=dict(s.get("invalid", {})),
            false_errors=dict(s.get("false-errors", {})),
        )
        for s in data["source"]
    ]


def select(source: Source, folder: Path) -> list[CorpusFile]:
    """The files of ``source`` (downloaded into ``folder``) that the corpus takes, sorted."""
    found = []
    for file in sorted(folder.rglob("*")):
        rel = file.relative_to(folder).as_posix()
        if file.is_file() and source.selects(rel):
            found.append(CorpusFile(source, rel, file))
    return found


def corpus(index: Path = INDEX, sources: Sequence[Source] | None = None) -> list[CorpusFile] | None:
    """Every corpus file, or None when ``make corpus`` has not run (or ran for other pins)."""
    if not index.is_file():
        return None
    folders: dict[str, str] = json.loads(index.read_text(encoding="utf-8"))
    files = []
    for source in load_sources() if sources is None else sources:
        folder = folders.get(source.pin)
        if folder is None or not Path(folder).is_dir():
            return None
        files += select(source, Path(folder))
    return files


def fetch(index: Path = INDEX) -> dict[str, str]:
    """Download every source release (``go mod download``); write and return the index."""
    from guestbook.validate.schemas.gomod import download

    sources = load_sources()
    modules = download([(s.module, s.version) for s in sources])
    folders = {f"{m.path}@{m.version}": str(m.dir) for m in modules.values()}
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_text(json.dumps(folders, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return folders


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.corpus", description=__doc__)
    parser.add_argument("--index", type=Path, default=INDEX)
    args = parser.parse_args(argv)
    fetch(args.index)
    files = corpus(args.index) or []
    valid = sum(f.valid for f in files)
    print(f"corpus: {len(files)} files ({valid} valid) from {len(load_sources())} releases")
