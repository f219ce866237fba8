"""Where the project-local validation tools live: ``.tools/`` in the project root.

``make setup`` installs kubeconform into ``.tools/bin``, builds guestbook-reader
(``go-reader/``, see :mod:`guestbook.validate.reader`) beside it and generates
schemas into ``.tools/schemas``. ``GUESTBOOK_TOOLS_DIR`` points elsewhere (for a
shared cache, a test, or an installed package used outside the project); nothing
is ever looked up on ``PATH`` or the network.
"""

from __future__ import annotations

import os
from pathlib import Path

from guestbook.errors import GuestbookError

TOOLS_DIR_ENV = "GUESTBOOK_TOOLS_DIR"
# What marks a project root, and the folder in it that `make setup` fills.
_ROOT_MARKERS = ("pyproject.toml", ".git")
_TOOLS = ".tools"


def tools_dir() -> Path:
    """The tools folder: ``$GUESTBOOK_TOOLS_DIR``, else the nearest project root's ``.tools``.

    Project roots (a folder with ``pyproject.toml`` or ``.git``) are looked for upwards from
    the current directory, then from where this package lives (a checkout installed editable,
    or a project whose virtual environment holds the package); the first with ``.tools`` wins.
    """
    configured = os.environ.get(TOOLS_DIR_ENV)
    if configured:
        return Path(configured)
    here = Path.cwd()
    starts = (here, Path(__file__).resolve().parent)
    roots = [
        folder
        for start in starts
        for folder in (start, *start.parents)
        if any((folder / marker).exists() for marker in _ROOT_MARKERS)
    ]
    for root in roots:
        if (root / _TOOLS).is_dir():
            return root / _TOOLS
    where = f"project root {roots[0]}" if roots else f"{here} or any folder above it"
    raise GuestbookError(
        f"no validation tools: {where} has no {_TOOLS}/ folder; run `make setup` in the "
        f"guestbook-gitops checkout, or set {TOOLS_DIR_ENV} to a folder holding bin/kubeconform "
        "and schemas/"
    )


def kubeconform_binary(tools: Path | None = None) -> Path:
    """The pinned kubeconform that ``make setup`` installs."""
    return (tools or tools_dir()) / "bin" / "kubeconform"


def reader_binary(tools: Path | None = None) -> Path:
    """guestbook-reader, the fast manifest reader that ``make setup`` builds (optional)."""
    return (tools or tools_dir()) / "bin" / "guestbook-reader"


def schemas_root(tools: Path | None = None) -> Path:
    """The folder holding one schema folder per Kubernetes version."""
    return (tools or tools_dir()) / "schemas"
