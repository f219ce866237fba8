"""A real OCI registry on loopback for tests, and crane to push images to it.

Both are built from go-containerregistry by ``make setup`` (``make registry-tools``)
into ``.tools/bin``. A registry binds 127.0.0.1 on a port the kernel picks, and is
stopped when its context ends; it also exits by itself if the test process dies,
since it watches its standard input.
"""

from __future__ import annotations

import hashlib
import io
import os
import selectors
import subprocess
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

TOOLS = ROOT / ".tools" / "bin"
REGISTRY = TOOLS / "test-registry"
CRANE = TOOLS / "crane"
START_TIMEOUT = 10.0
COMMAND_TIMEOUT = 30.0


@dataclass(frozen=True)
class LoopbackRegistry:
    """A running registry: its ``127.0.0.1:PORT`` and helpers that use crane against it."""

    host: str
    workdir: Path

    def _crane_bytes(self, *args: str) -> bytes:
        env = {**os.environ, "DOCKER_CONFIG": str(self.workdir / "docker-config")}
        result = subprocess.run(
            [str(CRANE), *args],
            capture_output=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
            env=env,
        )
        if result.returncode != 0:
            stderr = result.stderr.decode(errors="replace")
            raise AssertionError(f"crane {' '.join(args)} failed:\n{stderr}")
        return result.stdout

    def _crane(self, *args: str) -> str:
        return self._crane_bytes(*args).decode().strip()

    def push_image(self, repository: str, tag: str, content: str) -> str:
        """Push a one-layer image whose single file holds ``content``; return its digest."""
        data = content.encode()
        layer = self.workdir / f"layer-{hashlib.sha256(data).hexdigest()[:16]}.tar"
        with tarfile.open(layer, "w") as tar:
            info = tarfile.TarInfo("content.txt")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        self._crane("append", "--new_layer", str(layer), "--new_tag", self.ref(repository, tag))
        return self.digest(repository, tag)

    def push_index(self, repository: str, tag: str, *image_tags: str) -> str:
        """Push an image index over images already pushed to ``repository``; return its digest."""
        manifests = [arg for t in image_tags for arg in ("--manifest", self.ref(repository, t))]
        self._crane("index", "append", *manifests, "--tag", self.ref(repository, tag))
        return self.digest(repository, tag)

    def manifest(self, repository: str, tag: str) -> bytes:
        """The manifest (or index) the registry serves for the tag, byte for byte."""
        return self._crane_bytes("manifest", self.ref(repository, tag))

    def digest(self, repository: str, tag: str) -> str:
        """What ``crane digest`` says the registry serves for the tag."""
        return self._crane("digest", self.ref(repository, tag))

    def ref(self, repository: str, tag: str) -> str:
        """``HOST:PORT/repository:tag``."""
        return f"{self.host}/{repository}:{tag}"


def _require_tools() -> None:
    missing = [p.name for p in (REGISTRY, CRANE) if not p.is_file()]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not in {TOOLS}: run `make setup` (or `make registry-tools`)",
            pytrace=False,
        )


@contextmanager
def running_registry(workdir: Path, *flags: str) -> Iterator[LoopbackRegistry]:
    """Start ``test-registry`` on 127.0.0.1 with ``flags``; stop it when the block ends."""
    _require_tools()
    workdir.mkdir(parents=True, exist_ok=True)
    log = (workdir / "registry.log").open("w")
    process = subprocess.Popen(
        [str(REGISTRY), "-addr", "127.0.0.1:0", "-exit-on-stdin-eof", *flags],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        yield LoopbackRegistry(host=_wait_for_address(process, workdir), workdir=workdir)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        for stream in (process.stdin, process.stdout):
            if stream:
                stream.close()
        log.close()


def _wait_for_address(process: subprocess.Popen[str], workdir: Path) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if selector.select(timeout=deadline - time.monotonic()):
                line = process.stdout.readline()
                if line.startswith("listening on "):
                    return line.removeprefix("listening on ").strip()
                break
    log = (workdir / "registry.log").read_text()
    raise AssertionError(f"test-registry did not start within {START_TIMEOUT} s:\n{log}")
