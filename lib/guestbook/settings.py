"""Repository-wide settings, from ``[tool.guestbook.argocd]`` and ``[tool.guestbook.synth]``
in pyproject.toml."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import Field, ValidationError

from guestbook.errors import GuestbookError
from guestbook.files import read_limited_text
from guestbook.props.base import DnsLabel, Model
from guestbook.validation_messages import describe_error, describe_found

PROJECT_FILE_MAX_BYTES = 1 << 20
"""Size bound of pyproject.toml, read for ``[tool.guestbook.argocd]``."""


class ArgoCdSettings(Model):
    """Repository-wide Argo CD settings, from ``[tool.guestbook.argocd]`` in pyproject.toml."""

    repo_url: str = Field(
        default="https://github.com/example/guestbook-gitops.git", alias="repoURL"
    )
    """Git URL Argo CD pulls ``dist/`` from (env ``GUESTBOOK_REPO_URL`` overrides)."""
    revision: str = "main"
    """Branch, tag or commit to sync (env ``GUESTBOOK_REVISION`` overrides). Default: main."""
    namespace: DnsLabel = "argocd"
    """Namespace Argo CD runs in; Applications and the AppProjects go there."""
    project: DnsLabel = "guestbook"
    """Name prefix of the AppProjects: ``<project>-<env>`` fences one environment's
    Application, ``<project>-root`` the app of apps."""
    dist_path: str = "dist"
    """Path of the rendered output inside the repository. Default: dist."""
    mode: Literal["applications", "applicationset"] = "applications"
    """How environments become Applications: ``applications`` renders one Application per
    environment; ``applicationset`` renders one ApplicationSet whose git files generator
    reads one parameter ConfigMap per environment from ``dist/argocd/``. Default:
    applications."""


ARGOCD_TABLE = ("tool", "guestbook", "argocd")
SYNTH_TABLE = ("tool", "guestbook", "synth")
JOBS_MAX = 1024
"""The most worker processes a render starts, whatever is asked for."""


class SynthSettings(Model):
    """How ``guestbook synth`` renders, from ``[tool.guestbook.synth]`` in pyproject.toml."""

    jobs: int | None = Field(default=None, ge=1, le=JOBS_MAX)
    """Processes that render environments at once when many must be rendered (``--jobs``
    overrides). Default: the cores this process may run on."""

    def effective_jobs(self, requested: int | None = None) -> int:
        """``requested`` (``--jobs``), else the setting, else the cores available."""
        return requested or self.jobs or len(os.sched_getaffinity(0))


def load_argocd_settings(project_file: Path = Path("pyproject.toml")) -> ArgoCdSettings:
    """Read ``[tool.guestbook.argocd]``; ``GUESTBOOK_REPO_URL``/``GUESTBOOK_REVISION`` override.

    A missing file or section means the defaults; a file that is there but cannot be
    read (a dangling link, a folder, too large, not TOML) is an error, never the defaults.
    """
    table, text = _read_table(project_file, ARGOCD_TABLE)
    overrides = {"repoURL": "GUESTBOOK_REPO_URL", "revision": "GUESTBOOK_REVISION"}
    for key, variable in overrides.items():
        if os.environ.get(variable):
            table[key] = os.environ[variable]
    return _validated(ArgoCdSettings, table, project_file, text, ARGOCD_TABLE)


def load_synth_settings(project_file: Path = Path("pyproject.toml")) -> SynthSettings:
    """Read ``[tool.guestbook.synth]`` (missing file or section: the defaults)."""
    table, text = _read_table(project_file, SYNTH_TABLE)
    return _validated(SynthSettings, table, project_file, text, SYNTH_TABLE)


def _read_table(project_file: Path, path: tuple[str, ...]) -> tuple[dict[str, Any], str]:
    """The table at ``path`` in ``project_file`` (empty if either is missing), and the text."""
    if not os.path.lexists(project_file):
        return {}, ""
    text = read_limited_text(project_file, PROJECT_FILE_MAX_BYTES, "a TOML file")
    try:
        data: Any = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise GuestbookError(f"{project_file}: invalid TOML: {err}") from None
    except RecursionError:
        raise GuestbookError(
            f"{project_file}: invalid TOML: arrays or tables nested too deeply"
        ) from None
    except ValueError:  # int() of more than 4,300 digits (TOMLDecodeError is caught above)
        raise GuestbookError(
            f"{project_file}: invalid TOML: a number too long to read (at most 4300 digits)"
        ) from None
    for depth, key in enumerate(path):
        data = data.get(key, {})
        if not isinstance(data, dict):
            name = ".".join(path[: depth + 1])
            raise GuestbookError(
                f"{project_file}:{_toml_line(text, name)}: [{name}]: "
                f"found {describe_found(data)}, expected a table"
            )
    return dict(data), text


ModelT = TypeVar("ModelT", bound=Model)


def _validated(
    model: type[ModelT],
    table: dict[str, Any],
    project_file: Path,
    text: str,
    path: tuple[str, ...],
) -> ModelT:
    try:
        return model.model_validate(table)
    except ValidationError as err:
        section = ".".join(path)
        problems = []
        for error in err.errors():
            key = ".".join(map(str, error["loc"]))
            line = _toml_line(text, section, str(error["loc"][0]) if error["loc"] else "")
            problem = describe_error(error, model)
            problems.append(f"{project_file}:{line}: [{section}]: {key}: {problem}")
        raise GuestbookError("\n".join(problems)) from None


def _toml_line(text: str, table: str, key: str = "") -> int:
    """The line of ``key`` in ``[table]`` (or of the table's header) in TOML text; 1 if unknown.

    tomllib keeps no positions; a plain scan finds the usual layout, one key a line.
    """
    header = f"[{table}]"
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == header), None)
    if start is None:
        return 1
    for index in range(start + 1, len(lines)):
        line = lines[index].strip()
        if line.startswith("["):
            break
        if key and line.partition("=")[0].strip().strip("\"'") == key:
            return index + 1
    return start + 1
