"""Where the validate configuration is: the file in the folder validate runs from.

Finding it needs no more than ``tomllib``: without a configuration file, ``guestbook
validate`` never loads :mod:`.configuration` (pydantic and the overlay model, about a
third of its start-up).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from guestbook.errors import GuestbookError

CONFIG_FILE = ".guestbook-validate.yaml"
PYPROJECT = "pyproject.toml"
TABLE = "[tool.guestbook.validate]"


def find_config(directory: Path = Path()) -> Path | None:
    """The configuration file of ``directory``: ``.guestbook-validate.yaml``, or a
    ``pyproject.toml`` with a ``[tool.guestbook.validate]`` table; None if neither.

    Both at once is an error: one place decides.
    """
    standalone = directory / CONFIG_FILE
    project = directory / PYPROJECT
    in_project = project.is_file() and project_table(project) is not None
    if standalone.is_file() and in_project:
        raise GuestbookError(
            f"{standalone} and {project} {TABLE} both configure guestbook validate; keep one"
        )
    if standalone.is_file():
        return standalone
    return project if in_project else None


def project_table(path: Path) -> dict[str, Any] | None:
    """``[tool.guestbook.validate]`` of the ``pyproject.toml`` at ``path``, or None."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise GuestbookError(f"{path}: cannot read: {err.strerror}") from None
    except tomllib.TOMLDecodeError as err:
        raise GuestbookError(f"{path}: invalid TOML: {err}") from None
    table = data.get("tool", {}).get("guestbook", {}).get("validate")
    if table is not None and not isinstance(table, dict):
        raise GuestbookError(f"{path}: {TABLE} must be a table")
    return table
