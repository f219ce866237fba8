"""Where the tools folder is: the project's ``.tools``, ``$GUESTBOOK_TOOLS_DIR`` or the user's.

It holds the validation tools (:mod:`guestbook.validate.tools`) and the render cache
(:mod:`guestbook.render_cache`). This module imports nothing heavy, so a command can
find the folder before it loads the validator or the renderer.
"""

from __future__ import annotations

import os
from pathlib import Path

from guestbook.errors import GuestbookError

TOOLS_DIR_ENV = "GUESTBOOK_TOOLS_DIR"
CACHE_DIR_ENV = "GUESTBOOK_CACHE_DIR"
"""Environment variable naming the render cache's folder (see :func:`render_cache_dir`)."""
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


def render_cache_dir() -> Path | None:
    """The render cache's folder: ``$GUESTBOOK_CACHE_DIR``, else ``cache/render`` in the tools
    folder (:func:`tools_dir`, git-ignored); None when there is no tools folder."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured)
    try:
        return tools_dir() / "cache" / "render"
    except GuestbookError:
        return None  # not in a set-up project: nothing to keep a cache in
