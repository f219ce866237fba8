"""Render a source tree with its own code, in a subprocess, and read the objects back.

The contract is cdk8s's: ``main.py`` in the tree renders every environment into
``$CDK8S_OUTDIR/<env>/``. The diff runs it with the current Python under ``-O``
(jsii's argument checks off, as for ``guestbook synth``), with
``PYTHONPATH=<tree>/lib`` (so the tree's own ``guestbook`` package wins over the
installed one) and the tree as working directory, then parses every YAML file
per environment folder. Objects are matched later by identity, not by file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from guestbook.diff.model import Manifest
from guestbook.errors import GuestbookError

RENDER_TIMEOUT_S = 600
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
_STDERR_LINES = 20

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def render_tree(tree: Path, what: str, *, write_bytecode: bool = True) -> dict[str, list[Manifest]]:
    """Render ``tree`` (a project checkout) and return each environment's objects.

    ``what`` names the side in error messages (``base main (1a2b3c)``). With
    ``write_bytecode`` off, Python writes no ``__pycache__`` into the tree.
    """
    if not (tree / "main.py").is_file():
        raise GuestbookError(f"cannot render {what}: it has no main.py")
    with tempfile.TemporaryDirectory(prefix="guestbook-diff-render-") as scratch:
        outdir = Path(scratch) / "dist"
        env = _environment(tree, outdir, write_bytecode=write_bytecode)
        try:
            done = subprocess.run(
                [sys.executable, "-O", "main.py"],
                cwd=tree,
                env=env,
                capture_output=True,
                text=True,
                timeout=RENDER_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise GuestbookError(
                f"cannot render {what}: main.py took longer than {RENDER_TIMEOUT_S} s"
            ) from None
        if done.returncode != 0:
            tail = "\n".join(
                f"  {line}" for line in done.stderr.strip().splitlines()[-_STDERR_LINES:]
            )
            raise GuestbookError(
                f"cannot render {what}: main.py exited with {done.returncode}"
                + (f":\n{tail}" if tail else "")
            )
        return read_rendered(outdir, what)


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


def read_rendered(outdir: Path, what: str) -> dict[str, list[Manifest]]:
    """Every object under ``outdir/<env>/``, per environment, in file order."""
    if not outdir.is_dir():
        raise GuestbookError(f"cannot render {what}: main.py wrote nothing to $CDK8S_OUTDIR")
    rendered: dict[str, list[Manifest]] = {}
    for folder in sorted(p for p in outdir.iterdir() if p.is_dir()):
        objects: list[Manifest] = []
        for path in sorted(folder.rglob("*")):
            if path.suffix in MANIFEST_SUFFIXES and path.is_file():
                objects.extend(_read_objects(path, outdir, what))
        rendered[folder.name] = objects
    return rendered


def _read_objects(path: Path, outdir: Path, what: str) -> list[Manifest]:
    where = path.relative_to(outdir)
    try:
        documents = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_Loader))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise GuestbookError(f"cannot read {what} output {where}: {err}") from None
    objects = [doc for doc in documents if doc is not None]
    for doc in objects:
        if not isinstance(doc, dict):
            raise GuestbookError(f"{what} output {where}: a document is not a Kubernetes object")
    return objects
