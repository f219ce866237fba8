"""Fetch pinned Go module releases with ``go mod download`` (an edge module).

The Go toolchain verifies each module against go.sum's checksum database and
keeps it in the normal module cache, so a second run is offline and instant.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from guestbook.errors import GuestbookError


@dataclass(frozen=True)
class Module:
    """One downloaded module release: where its files are and its checksum."""

    path: str
    version: str
    dir: Path
    sum: str


def download(modules: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Module]:
    """Download ``(module path, version)`` pairs; return them keyed the same way."""
    go = shutil.which("go")
    if go is None:
        raise GuestbookError("go not found on PATH; schemas are generated from Go modules")
    wanted = [f"{path}@{version}" for path, version in dict.fromkeys(modules)]
    env = {**os.environ, "GOWORK": "off", "GO111MODULE": "on"}
    # Outside any module, so a go.mod or go.work around the caller cannot interfere.
    with tempfile.TemporaryDirectory(prefix="guestbook-gomod-") as cwd:
        proc = subprocess.run(
            [go, "mod", "download", "-json", *wanted],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    found: dict[tuple[str, str], Module] = {}
    errors: list[str] = []
    for info in _json_stream(proc.stdout):
        key = (str(info.get("Path", "")), str(info.get("Version", "")))
        if info.get("Error") or not info.get("Dir"):
            errors.append(f"{key[0]}@{key[1]}: {info.get('Error') or 'not downloaded'}")
            continue
        found[key] = Module(key[0], key[1], Path(info["Dir"]), str(info.get("Sum", "")))
    missing = [m for m in dict.fromkeys(modules) if m not in found]
    if errors or missing or proc.returncode != 0:
        detail = "; ".join(errors) or proc.stderr.strip() or "no output"
        names = ", ".join(f"{p}@{v}" for p, v in missing)
        raise GuestbookError(f"go mod download failed ({names or 'see below'}): {detail}")
    return found


def _json_stream(text: str) -> list[dict[str, str]]:
    """``go mod download -json`` prints one JSON object per module, back to back."""
    decoder = json.JSONDecoder()
    objects: list[dict[str, str]] = []
    index = 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            return objects
        obj, index = decoder.raw_decode(text, index)
        objects.append(obj)
