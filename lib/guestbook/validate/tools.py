"""Where the project-local validation tools live: ``.tools/`` beside the sources.

``make setup`` installs kubeconform into ``.tools/bin``, builds guestbook-reader
(``go-reader/``, see :mod:`guestbook.validate.reader`) beside it and generates
schemas into ``.tools/schemas``. ``GUESTBOOK_TOOLS_DIR`` points elsewhere (for a
shared cache or a test); nothing is ever looked up on ``PATH`` or the network.
"""

from __future__ import annotations

import os
from pathlib import Path

TOOLS_DIR_ENV = "GUESTBOOK_TOOLS_DIR"

# lib/guestbook/validate/tools.py -> the checkout the package is installed from.
_PROJECT_ROOT = Path(__file__).resolve().parents[3]


def tools_dir() -> Path:
    """The tools folder: ``$GUESTBOOK_TOOLS_DIR``, else ``.tools`` in the project checkout."""
    configured = os.environ.get(TOOLS_DIR_ENV)
    return Path(configured) if configured else _PROJECT_ROOT / ".tools"


def kubeconform_binary(tools: Path | None = None) -> Path:
    """The pinned kubeconform that ``make setup`` installs."""
    return (tools or tools_dir()) / "bin" / "kubeconform"


def reader_binary(tools: Path | None = None) -> Path:
    """guestbook-reader, the fast manifest reader that ``make setup`` builds (optional)."""
    return (tools or tools_dir()) / "bin" / "guestbook-reader"


def schemas_root(tools: Path | None = None) -> Path:
    """The folder holding one schema folder per Kubernetes version."""
    return (tools or tools_dir()) / "schemas"
