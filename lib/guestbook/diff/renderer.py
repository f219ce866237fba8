"""Render a source tree with its own code, in a subprocess, and read the objects back.

The contract is cdk8s's: ``main.py`` in the tree renders every environment into
``$CDK8S_OUTDIR/<env>/``. The diff runs it with the current Python under ``-O``
(jsii's argument checks off, as for ``guestbook synth``), with
``PYTHONPATH=<tree>/lib`` (so the tree's own ``guestbook`` package wins over the
installed one) and the tree as working directory, then parses every YAML file
per environment folder. Objects are matched later by identity, not by file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from guestbook.diff.model import Manifest
from guestbook.errors import GuestbookError
from guestbook.tools import CACHE_DIR_ENV

RENDER_TIMEOUT_S = 600
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
_STDERR_LINES = 20

AT_TOP = PurePosixPath(".")
"""A project at the top of its tree (not in a monorepo's subfolder)."""

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

ParsedFiles = dict[bytes, list[Manifest]]
"""File contents already parsed, and their objects."""

RenderedFiles = dict[str, dict[str, bytes]]
"""Each environment folder's manifest files: path under the folder, content."""


class RenderJob:
    """A render running in the background; :meth:`result` waits for it and reads its output."""

    def __init__(self, process: subprocess.Popen[bytes], scratch: Path, what: str) -> None:
        self._process = process
        self._scratch = scratch
        self._what = what
        self._deadline = time.monotonic() + RENDER_TIMEOUT_S

    def finished(self) -> bool:
        """Whether ``main.py`` has exited (without waiting)."""
        return self._process.poll() is not None

    def files(self) -> RenderedFiles:
        """Each environment folder's files, once ``main.py`` has finished (unparsed)."""
        what = self._what
        try:
            code = self._process.wait(timeout=max(0.0, self._deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise GuestbookError(
                f"cannot render {what}: main.py took longer than {RENDER_TIMEOUT_S} s"
            ) from None
        if code != 0:
            stderr = (self._scratch / "stderr").read_text(encoding="utf-8", errors="replace")
            tail = "\n".join(f"  {line}" for line in stderr.strip().splitlines()[-_STDERR_LINES:])
            raise GuestbookError(
                f"cannot render {what}: main.py exited with {code}" + (f":\n{tail}" if tail else "")
            )
        return read_files(self._scratch / "dist", what)

    def result(self, parsed: ParsedFiles | None = None) -> dict[str, list[Manifest]]:
        """Each environment's objects, once ``main.py`` has finished (see :func:`read_rendered`
        for ``parsed``)."""
        return parse_rendered(self.files(), self._what, parsed)

    def stop(self) -> None:
        """Kill the render and everything it started (jsii's node), if it still runs."""
        if self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()


@contextmanager
def start_render(
    tree: Path,
    what: str,
    scratch: Path,
    *,
    project: PurePosixPath = AT_TOP,
    write_bytecode: bool = True,
    cache_dir: Path | None = None,
) -> Iterator[RenderJob]:
    """Start rendering the project in ``tree`` (a checkout) into the new folder ``scratch``.

    ``project`` is the project's folder inside ``tree`` (a monorepo's subfolder).
    ``what`` names the side in error messages (``base main (1a2b3c)``). With
    ``write_bytecode`` off, Python writes no ``__pycache__`` into the tree.
    ``cache_dir`` is the render cache both sides share (``$GUESTBOOK_CACHE_DIR``);
    a tree whose code has no render cache ignores it.
    Leaving the block stops a render that still runs (an error on the other
    side, Ctrl-C, SIGTERM); ``scratch`` is the caller's to remove.
    """
    main = project / "main.py"
    if not (tree / main).is_file():
        raise GuestbookError(f"cannot render {what}: it has no {main}")
    tree = tree / project
    scratch.mkdir()
    env = _environment(tree, scratch / "dist", write_bytecode=write_bytecode)
    if cache_dir is not None:
        env[CACHE_DIR_ENV] = str(cache_dir)
    with (scratch / "stderr").open("wb") as stderr:
        # A session of its own: a terminal's Ctrl-C reaches us only, and stop() ends the group.
        process = subprocess.Popen(
            [sys.executable, "-O", "main.py"],
            cwd=tree,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    job = RenderJob(process, scratch, what)
    try:
        yield job
    finally:
        job.stop()


def render_tree(tree: Path, what: str, *, write_bytecode: bool = True) -> dict[str, list[Manifest]]:
    """Render ``tree`` and return each environment's objects (see :func:`start_render`)."""
    with (
        tempfile.TemporaryDirectory(prefix="guestbook-diff-render-") as scratch,
        start_render(tree, what, Path(scratch) / "render", write_bytecode=write_bytecode) as job,
    ):
        return job.result()


def _environment(tree: Path, outdir: Path, *, write_bytecode: bool) -> dict[str, str]:
    env = dict(os.environ)
    inherited = env.get("PYTHONPATH")
    lib = str(tree / "lib")
    env["PYTHONPATH"] = f"{lib}{os.pathsep}{inherited}" if inherited else lib
    env["CDK8S_OUTDIR"] = str(outdir)
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    if not write_bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def read_rendered(
    outdir: Path, what: str, parsed: ParsedFiles | None = None
) -> dict[str, list[Manifest]]:
    """Every object under ``outdir/<env>/``, per environment, in file order.

    ``parsed`` maps file contents already parsed (by the other side of a diff) to their
    objects, and gets this side's: a file that is the same on both sides, as most are, is
    parsed once. The objects are shared, so nothing may change them.
    """
    return parse_rendered(read_files(outdir, what), what, parsed)


def read_files(outdir: Path, what: str) -> RenderedFiles:
    """The manifest files of every folder ``outdir/<env>/``, in file order, unparsed."""
    if not outdir.is_dir():
        raise GuestbookError(f"cannot render {what}: main.py wrote nothing to $CDK8S_OUTDIR")
    rendered: RenderedFiles = {}
    for folder in sorted(p for p in outdir.iterdir() if p.is_dir()):
        files: dict[str, bytes] = {}
        for path in sorted(folder.rglob("*")):
            if path.suffix in MANIFEST_SUFFIXES and path.is_file():
                try:
                    files[path.relative_to(folder).as_posix()] = path.read_bytes()
                except OSError as err:
                    where = path.relative_to(outdir)
                    raise GuestbookError(f"cannot read {what} output {where}: {err}") from None
        rendered[folder.name] = files
    return rendered


def parse_rendered(
    rendered: RenderedFiles, what: str, parsed: ParsedFiles | None = None
) -> dict[str, list[Manifest]]:
    """Every folder's objects (see :func:`read_rendered` for ``parsed``)."""
    known: ParsedFiles = {} if parsed is None else parsed
    return {name: parse_folder(name, files, what, known) for name, files in rendered.items()}


def parse_folder(
    name: str, files: Mapping[str, bytes], what: str, known: ParsedFiles
) -> list[Manifest]:
    """The objects of one folder's files, in file order; ``known`` as in :func:`read_rendered`."""
    objects: list[Manifest] = []
    for path, content in files.items():
        objects.extend(_parse(content, f"{name}/{path}", what, known))
    return objects


def _parse(content: bytes, where: str, what: str, known: ParsedFiles) -> list[Manifest]:
    if content in known:
        return known[content]
    try:
        documents = list(yaml.load_all(content.decode("utf-8"), Loader=_Loader))
    except (UnicodeDecodeError, yaml.YAMLError) as err:
        raise GuestbookError(f"cannot read {what} output {where}: {err}") from None
    objects = [doc for doc in documents if doc is not None]
    for doc in objects:
        if not isinstance(doc, dict):
            raise GuestbookError(f"{what} output {where}: a document is not a Kubernetes object")
    known[content] = objects
    return objects
