"""``guestbook tools install``: the validation tools, built with the Go toolchain (an edge module).

One code path for everyone: ``make setup`` runs this command for a checkout's ``.tools/``,
and a pip-installed guestbook runs it for the per-user folder
(:func:`guestbook.validate.tools.user_tools_dir`). It installs, into ``<tools>/bin`` and
``<tools>/schemas``:

* kubeconform at :data:`KUBECONFORM_VERSION`, with ``go install`` from the Go module proxy;
* guestbook-reader and guestbook-cel, built from their Go modules in this package
  (``go-reader/``, ``go-cel/``) with the dependencies their ``go.sum`` pins;
* the offline schemas of every selectable Kubernetes version
  (:mod:`guestbook.validate.schemas`).

Each part is skipped when it is current: kubeconform when its build information names the
pinned version, a helper when the digest of the sources it was built from is unchanged, a
schema folder when its fingerprint matches. A binary is built beside its place and moved
in whole, so an interrupted install leaves the old one or none.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from guestbook.errors import GuestbookError
from guestbook.kubernetes import SELECTABLE_KUBERNETES_VERSIONS
from guestbook.validate.schemas.generate import ensure
from guestbook.validate.schemas.store import SchemaStore

KUBECONFORM_MODULE = "github.com/yannh/kubeconform"
KUBECONFORM_VERSION = "v0.8.0"
"""The kubeconform release every tools folder gets."""
GO_BUILD_TIMEOUT = 1800.0
"""Seconds one ``go`` command may take (guestbook-cel's cold build is about 3 CPU-minutes)."""

Log = Callable[[str], None]


@dataclass(frozen=True)
class Helper:
    """One of our own Go programs, built from a module folder of this package."""

    binary: str
    source: Path

    def digest(self) -> str:
        """What the binary is built from: go.mod, go.sum and the non-test Go files."""
        files = sorted(
            p
            for p in self.source.iterdir()
            if p.name in ("go.mod", "go.sum")
            or (p.suffix == ".go" and not p.name.endswith("_test.go"))
        )
        digest = hashlib.sha256()
        for path in files:
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()


HELPERS = (
    Helper("guestbook-reader", Path(__file__).resolve().parent / "go-reader"),
    Helper("guestbook-cel", Path(__file__).resolve().parent / "go-cel"),
)


def go_binary() -> str:
    """The ``go`` command on PATH."""
    go = shutil.which("go")
    if go is None:
        raise GuestbookError(
            "go not found on PATH: `guestbook tools install` builds kubeconform and guestbook's "
            "helpers with the Go toolchain (https://go.dev/dl/)"
        )
    return go


def install(tools: Path, *, force: bool = False, log: Log = lambda _: None) -> list[str]:
    """Install every tool missing or stale in ``tools``; return what was installed."""
    go = go_binary()
    bin_dir = tools / "bin"
    try:
        bin_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise GuestbookError(f"{bin_dir}: cannot create: {err.strerror}") from None
    done: list[str] = []
    if force or not kubeconform_is_current(go, bin_dir / "kubeconform"):
        log(f"kubeconform {KUBECONFORM_VERSION}: go install into {bin_dir}")
        install_kubeconform(go, bin_dir)
        done.append("kubeconform")
    for helper in HELPERS:
        if force or not helper_is_current(helper, bin_dir):
            log(f"{helper.binary}: go build into {bin_dir}")
            build_helper(go, helper, bin_dir)
            done.append(helper.binary)
    stores = [SchemaStore(tools / "schemas", v) for v in SELECTABLE_KUBERNETES_VERSIONS]
    generated = ensure(stores, force=force, log=lambda line: log(f"schemas: {line}"))
    done += [f"schemas {s.kubernetes_version}" for s in generated]
    return done


def kubeconform_is_current(go: str, binary: Path) -> bool:
    """Whether ``binary`` is kubeconform at the pinned version (by its Go build information)."""
    if not binary.is_file():
        return False
    proc = subprocess.run(
        [go, "version", "-m", str(binary)], capture_output=True, text=True, check=False
    )
    pinned = rf"^\s+mod\s+{re.escape(KUBECONFORM_MODULE)}\s+{re.escape(KUBECONFORM_VERSION)}\s"
    return proc.returncode == 0 and re.search(pinned, proc.stdout, re.MULTILINE) is not None


def install_kubeconform(go: str, bin_dir: Path) -> None:
    """``go install`` the pinned kubeconform into ``bin_dir``."""
    with tempfile.TemporaryDirectory(prefix=".build-kubeconform-", dir=bin_dir) as build:
        _go(
            [go, "install", "-trimpath",
             "-ldflags", f"-s -w -X main.version={KUBECONFORM_VERSION}",
             f"{KUBECONFORM_MODULE}/cmd/kubeconform@{KUBECONFORM_VERSION}"],
            env={"GOBIN": build},
            cwd=Path(build),
            what=f"kubeconform {KUBECONFORM_VERSION}",
        )  # fmt: skip
        os.replace(Path(build) / "kubeconform", bin_dir / "kubeconform")


def _stamp(helper: Helper, bin_dir: Path) -> Path:
    return bin_dir / f".{helper.binary}.sha256"


def helper_is_current(helper: Helper, bin_dir: Path) -> bool:
    """Whether ``helper``'s binary was built from the sources this package holds."""
    stamp = _stamp(helper, bin_dir)
    if not (bin_dir / helper.binary).is_file() or not stamp.is_file():
        return False
    return stamp.read_text(encoding="utf-8").strip() == helper.digest()


def build_helper(go: str, helper: Helper, bin_dir: Path) -> None:
    """``go build`` one helper into ``bin_dir``, then record the digest it was built from."""
    with tempfile.TemporaryDirectory(prefix=f".build-{helper.binary}-", dir=bin_dir) as build:
        built = Path(build) / helper.binary
        _go(
            [go, "build", "-trimpath", "-o", str(built), "."],
            env={"GOFLAGS": "-mod=readonly -buildvcs=false"},
            cwd=helper.source,
            what=helper.binary,
        )
        os.replace(built, bin_dir / helper.binary)
    _stamp(helper, bin_dir).write_text(helper.digest() + "\n", encoding="utf-8")


def _go(command: list[str], *, env: dict[str, str], cwd: Path, what: str) -> None:
    """Run a ``go`` command outside any workspace; a failure is one message with Go's words."""
    try:
        proc = subprocess.run(
            command,
            cwd=cwd,
            env={**os.environ, "GOWORK": "off", "GO111MODULE": "on", **env},
            capture_output=True,
            text=True,
            check=False,
            timeout=GO_BUILD_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise GuestbookError(f"building {what} took over {GO_BUILD_TIMEOUT:.0f} s") from None
    if proc.returncode != 0:
        detail = "\n".join(proc.stderr.strip().splitlines()[-10:]) or "no output"
        raise GuestbookError(f"building {what} failed (go exit {proc.returncode}):\n{detail}")
