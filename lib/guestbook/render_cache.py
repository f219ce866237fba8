"""Rendered output folders kept between runs, keyed by everything that can change them.

``guestbook synth`` (and ``main.py``, which ``guestbook diff`` runs on both sides)
renders only the folders whose key is not in the cache and copies the rest byte
for byte. A key is a SHA-256 over the render's fingerprint (this package's files,
the versions of cdk8s, cdk8s-plus-37, constructs, jsii, pydantic and PyYAML,
Python's and Node's versions, jsii's ``JSII_NODE``/``JSII_RUNTIME``) and the
folder's own inputs: for an environment its name, namespace and merged, validated
overlay (defaults included); for ``argocd/`` the Argo CD settings, every
environment's name, namespace and ``argocd`` props, and the object kinds rendered.

Entries are single files named by their key (content-addressed), written to a
temporary name and renamed into place, so a reader sees a whole entry or none;
each starts with a SHA-256 of the rest, checked on every read: an entry that
fails the check (or is not a regular file, or names a file outside its folder)
is ignored and written again. The cache is bounded (least recently used entries
go first) and lives in ``<tools folder>/cache/render`` (``GUESTBOOK_CACHE_DIR``
overrides). Any problem with the cache folder itself is one warning, and the
render goes on without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

from guestbook import warm
from guestbook.environments import Environment
from guestbook.files import read_cache_file
from guestbook.output import GENERATED_BY, RenderedFile
from guestbook.settings import ArgoCdSettings
from guestbook.tools import render_cache_dir

FORMAT = b"guestbook-render-cache 1\n"
"""First line of every entry; a new format is a new line (and a new key)."""
DEFAULT_MAX_BYTES = 256 << 20
"""Bound of the cache's total size: about 30 renders of a 300-environment fleet."""
ENTRY_MAX_BYTES = 64 << 20
"""An entry larger than this is not read (a render's folder is a few dozen kilobytes)."""
STALE_TEMPORARY_S = 3600.0
"""Age after which a temporary file is a killed writer's leftover and removed."""
DISTRIBUTIONS = ("cdk8s", "cdk8s-plus-37", "constructs", "jsii", "pydantic", "pydantic-core")
"""Installed packages whose version changes what a render writes."""
_ENTRY = re.compile(r"[0-9a-f]{64}")
_TEMPORARY = re.compile(r"\.[0-9a-f]{64}\.tmp-[0-9a-f]{8}")
_MARK = re.compile(re.escape(warm.HINT_PREFIX) + r"[0-9a-f]{64}")
MARKS_MAX = 256
"""Bound of :mod:`guestbook.warm`'s marks (empty files) kept beside the entries."""
_FILE_NAME = re.compile(r"[a-z0-9][a-z0-9.-]*\.yaml")

Kind = tuple[str, str]


@dataclass(frozen=True)
class RenderedFolder:
    """One output folder (an environment's, or ``argocd``) and the object kinds it holds."""

    name: str
    files: tuple[RenderedFile, ...]
    """Its files, paths under the output folder (``<name>/<kind>-<object>.yaml``), sorted."""
    kinds: frozenset[Kind]
    """(API group, kind) of every object in it."""


def _stderr(message: str) -> None:
    print(f"guestbook: warning: {message}", file=sys.stderr)


class RenderCache:
    """The cache folder; see the module's documentation. Never raises for the cache's sake."""

    def __init__(
        self,
        folder: Path,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        warn: Callable[[str], None] = _stderr,
    ) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self._warn = warn
        self._warned = False
        self._writable = True
        self._written = False

    @classmethod
    def for_project(cls, *, warn: Callable[[str], None] = _stderr) -> RenderCache | None:
        """The cache of the project in the current folder, or None when there is no tools folder.

        The folder is :func:`guestbook.tools.render_cache_dir`.
        """
        folder = render_cache_dir()
        return None if folder is None else cls(folder, warn=warn)

    def warn_once(self, message: str) -> None:
        """Report a problem of the cache folder, the first time only."""
        if not self._warned:
            self._warned = True
            self._warn(f"render cache {self.folder}: {message}; rendering without it")

    def get(self, key: str, name: str) -> RenderedFolder | None:
        """The entry ``key`` of output folder ``name``, if it is there and whole; else None."""
        path = self.folder / key
        data = read_cache_file(path, ENTRY_MAX_BYTES)
        if data is None:
            return None  # absent, a link, unreadable, too large: a miss, written again
        folder = decode_entry(data, name)
        if folder is not None:
            with contextlib.suppress(OSError):
                os.utime(path)  # recently used: evicted last
        return folder

    def put(self, key: str, folder: RenderedFolder) -> None:
        """Store ``folder`` under ``key``: written aside, then renamed into place."""
        if not self._writable:
            return
        data = encode_entry(folder)
        temporary = self.folder / f".{key}.tmp-{secrets.token_hex(4)}"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(temporary, self.folder / key)
            finally:
                with contextlib.suppress(OSError):
                    temporary.unlink()
        except OSError as err:
            self._writable = False
            self.warn_once(f"cannot write ({err.strerror or err})")
            return
        self._written = True

    def evict(self) -> None:
        """Bound the cache after this run wrote to it: the least recently used entries go
        first, and killed writers' temporary files are removed; of the marks
        :mod:`guestbook.warm` leaves, the :data:`MARKS_MAX` most recent are kept."""
        if not self._written:
            return
        entries: list[tuple[float, int, Path]] = []
        marks: list[tuple[float, Path]] = []
        now = time.time()
        try:
            for entry in os.scandir(self.folder):
                with contextlib.suppress(OSError):
                    info = entry.stat(follow_symlinks=False)
                    if _TEMPORARY.fullmatch(entry.name) and now - info.st_mtime > STALE_TEMPORARY_S:
                        os.unlink(entry.path)
                    elif _ENTRY.fullmatch(entry.name):
                        entries.append((info.st_mtime, info.st_size, Path(entry.path)))
                    elif _MARK.fullmatch(entry.name):
                        marks.append((info.st_mtime, Path(entry.path)))
        except OSError:
            return
        for _, path in sorted(marks, reverse=True)[MARKS_MAX:]:
            with contextlib.suppress(OSError):
                path.unlink()
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            with contextlib.suppress(OSError):
                path.unlink()
            total -= size


def encode_entry(folder: RenderedFolder) -> bytes:
    """An entry's bytes: format line, SHA-256 of the rest, a JSON index line, the contents."""
    prefix = f"{folder.name}/"
    index = {
        "folder": folder.name,
        "kinds": sorted(folder.kinds),
        "files": [[f.path.removeprefix(prefix), len(f.content)] for f in folder.files],
    }
    body = json.dumps(index, separators=(",", ":")).encode() + b"\n"
    body += b"".join(f.content for f in folder.files)
    return FORMAT + hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def decode_entry(data: bytes, name: str) -> RenderedFolder | None:
    """The folder an entry holds, or None when it is not a whole, valid entry of ``name``."""
    if not data.startswith(FORMAT):
        return None
    checksum, newline, body = data[len(FORMAT) :].partition(b"\n")
    if not newline or hashlib.sha256(body).hexdigest().encode() != checksum:
        return None
    head, newline, contents = body.partition(b"\n")
    try:
        index = json.loads(head)
        kinds = frozenset((str(group), str(kind)) for group, kind in index["kinds"])
        sizes = [(str(file), int(size)) for file, size in index["files"]]
    except (ValueError, TypeError, KeyError):
        return None
    if index.get("folder") != name or sum(size for _, size in sizes) != len(contents):
        return None
    files = []
    offset = 0
    header = GENERATED_BY.encode()
    for file, size in sizes:
        content = contents[offset : offset + size]
        offset += size
        if not _FILE_NAME.fullmatch(file) or not content.startswith(header):
            return None
        files.append(RenderedFile(f"{name}/{file}", content))
    return RenderedFolder(name, tuple(files), kinds)


@cache
def fingerprint() -> str:
    """What every render in this process shares: this package's files, the versions that
    shape the output, Python's and Node's. Computed once per process."""
    digest = hashlib.sha256(FORMAT)
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        digest.update(f"\0file {path.relative_to(package).as_posix()}\0".encode())
        digest.update(path.read_bytes())
    for distribution in DISTRIBUTIONS:
        try:
            version = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"\0{distribution} {version}".encode())
    import yaml

    digest.update(f"\0PyYAML {yaml.__version__} libyaml {yaml.__with_libyaml__}".encode())
    digest.update(f"\0python {sys.version} {sys.implementation.cache_tag}".encode())
    for variable in ("JSII_NODE", "JSII_RUNTIME"):
        digest.update(f"\0{variable}={os.environ.get(variable, '')}".encode())
    digest.update(f"\0node {_node_version()}".encode())
    return digest.hexdigest()


def _node_version() -> str:
    """``node --version`` of the Node jsii starts (``$JSII_NODE``, else ``node``)."""
    node = os.environ.get("JSII_NODE", "node")
    try:
        done = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return "unavailable"
    return done.stdout.strip() or f"exit {done.returncode}"


def _key(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def environment_key(environment: Environment) -> str:
    """The key of an environment's folder: the fingerprint and what its render reads."""
    return _key(
        fingerprint(),
        "environment",
        environment.name,
        environment.namespace,
        environment.props.model_dump_json(by_alias=True),
    )


def collector_key(environment: Environment) -> str:
    """The key of the folder of the log collector ``environment``'s overlay declares."""
    return _key(
        fingerprint(),
        "collector",
        environment.name,
        environment.props.model_dump_json(by_alias=True),
    )


def argocd_key(
    settings: ArgoCdSettings,
    environments: Sequence[Environment],
    kinds: Iterable[Kind],
    collector_kinds: Iterable[Kind] = (),
) -> str:
    """The key of ``argocd/``: the fingerprint, the settings, each environment's sync props
    and whether it renders a log collector, and the kinds each project admits."""
    targets = [
        [
            env.name,
            env.namespace,
            env.props.argocd.model_dump(mode="json", by_alias=True),
            env.props.logging.collector.enabled,
        ]
        for env in environments
    ]
    return _key(
        fingerprint(),
        "argocd",
        settings.model_dump_json(by_alias=True),
        json.dumps(targets, separators=(",", ":")),
        json.dumps(sorted(kinds)),
        json.dumps(sorted(collector_kinds)),
    )
