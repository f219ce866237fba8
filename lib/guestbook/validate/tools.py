"""Where the validation tools live, and the command that installs them.

kubeconform, guestbook-reader (``go-reader/``, see :mod:`guestbook.validate.reader`),
guestbook-cel (``go-cel/``, see :mod:`guestbook.validate.cel`) and the offline schemas
live in one tools folder, which ``guestbook tools install`` fills
(:mod:`guestbook.validate.install`; ``make setup`` runs the same command for a checkout's
``.tools/``). Nothing is ever looked up on ``PATH`` or the network when validating.
"""

from __future__ import annotations

import os
from pathlib import Path

from guestbook.errors import GuestbookError

TOOLS_DIR_ENV = "GUESTBOOK_TOOLS_DIR"
INSTALL_HINT = "run `guestbook tools install`"
"""What every message about missing or broken tools tells the user to do."""
# What marks a project root, and the folder in it that `make setup` fills.
_ROOT_MARKERS = ("pyproject.toml", ".git")
_TOOLS = ".tools"


def user_tools_dir() -> Path:
    """The per-user tools folder: ``$XDG_CACHE_HOME/guestbook/tools`` (``~/.cache`` by default)."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "guestbook" / "tools"


def _configured_or_project() -> tuple[Path | None, list[Path]]:
    """``$GUESTBOOK_TOOLS_DIR``, else the nearest project root's ``.tools``; the roots seen."""
    configured = os.environ.get(TOOLS_DIR_ENV)
    if configured:
        return Path(configured), []
    starts = (Path.cwd(), Path(__file__).resolve().parent)
    roots = [
        folder
        for start in starts
        for folder in (start, *start.parents)
        if any((folder / marker).exists() for marker in _ROOT_MARKERS)
    ]
    for root in roots:
        if (root / _TOOLS).is_dir():
            return root / _TOOLS, roots
    return None, roots


def install_dir() -> Path:
    """Where ``guestbook tools install`` installs by default: where :func:`tools_dir` looks."""
    found, _ = _configured_or_project()
    return found or user_tools_dir()


def tools_dir() -> Path:
    """The tools folder: ``$GUESTBOOK_TOOLS_DIR``, a project root's ``.tools``, else the user's.

    Project roots (a folder with ``pyproject.toml`` or ``.git``) are looked for upwards from
    the current directory, then from where this package lives (a checkout installed editable,
    or a project whose virtual environment holds the package); the first with ``.tools`` wins.
    Without one, the per-user folder (:func:`user_tools_dir`) is used when it exists.
    """
    found, roots = _configured_or_project()
    if found is not None:
        return found
    user = user_tools_dir()
    if user.is_dir():
        return user
    where = f"project root {roots[0]} has no {_TOOLS}/ folder" if roots else "none found"
    raise GuestbookError(
        f"no validation tools ({where}, nor {user}); {INSTALL_HINT} to build them into {user} "
        f"with the Go toolchain, or set {TOOLS_DIR_ENV} to a folder holding bin/kubeconform "
        "and schemas/"
    )


def kubeconform_binary(tools: Path | None = None) -> Path:
    """The pinned kubeconform that ``guestbook tools install`` installs."""
    return (tools or tools_dir()) / "bin" / "kubeconform"


def reader_binary(tools: Path | None = None) -> Path:
    """guestbook-reader, the fast manifest reader (optional: Python reads without it)."""
    return (tools or tools_dir()) / "bin" / "guestbook-reader"


def schemas_root(tools: Path | None = None) -> Path:
    """The folder holding one schema folder per Kubernetes version."""
    return (tools or tools_dir()) / "schemas"
