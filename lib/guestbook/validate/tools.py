"""Where the validation tools live, and the command that installs them.

kubeconform, guestbook-reader (``go-reader/``, see :mod:`guestbook.validate.reader`),
guestbook-cel (``go-cel/``, see :mod:`guestbook.validate.cel`) and the offline schemas
live in one tools folder, which ``guestbook tools install`` fills
(:mod:`guestbook.validate.install`; ``make setup`` runs the same command for a checkout's
``.tools/``). Nothing is ever looked up on ``PATH`` or the network when validating.
"""

from __future__ import annotations

from pathlib import Path

from guestbook.tools import (
    INSTALL_HINT,
    TOOLS_DIR_ENV,
    install_dir,
    tools_dir,
    user_tools_dir,
)

__all__ = [
    "INSTALL_HINT",
    "TOOLS_DIR_ENV",
    "install_dir",
    "kubeconform_binary",
    "reader_binary",
    "schemas_root",
    "tools_dir",
    "user_tools_dir",
]


def kubeconform_binary(tools: Path | None = None) -> Path:
    """The pinned kubeconform that ``guestbook tools install`` installs."""
    return (tools or tools_dir()) / "bin" / "kubeconform"


def reader_binary(tools: Path | None = None) -> Path:
    """guestbook-reader, the fast manifest reader (optional: Python reads without it)."""
    return (tools or tools_dir()) / "bin" / "guestbook-reader"


def schemas_root(tools: Path | None = None) -> Path:
    """The folder holding one schema folder per Kubernetes version."""
    return (tools or tools_dir()) / "schemas"
