"""The validate configuration file: ``[tool.guestbook.validate]`` or ``.guestbook-validate.yaml``.

The configuration lives in ``[tool.guestbook.validate]`` of ``pyproject.toml``
or, for repositories without one, in ``.guestbook-validate.yaml`` (the same
keys at the top level), in the folder validate runs from; ``--config`` names
either explicitly. Paths in it are relative to the file's folder. Unknown keys
and unknown rule ids are errors with the closest known one.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError

from guestbook.errors import GuestbookError
from guestbook.props.base import Model
from guestbook.validate.config_file import PYPROJECT, TABLE, project_table
from guestbook.validate.model import Severity
from guestbook.validate.rules.registry import unknown_rule
from guestbook.validate.settings import ValidateSettings
from guestbook.yamlio import Lines


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class ValidateConfig(Model):
    """The keys of the validate configuration: kebab-case, like the command-line flags they
    stand for (otherwise as strict as an overlay)."""

    model_config = ConfigDict(alias_generator=_kebab)

    kubernetes_version: str | None = None
    """Validate against this Kubernetes version. Default: the project's target version."""
    fail_on: Literal["error", "warning"] | None = None
    """Exit 1 on findings this bad or worse. Default: error."""
    crds: list[str] = Field(default_factory=list)
    """Files or folders of CustomResourceDefinitions to validate custom objects with."""
    exclude: list[str] = Field(default_factory=list)
    """Globs of paths (relative to this file's folder) that are never validated; a matching
    folder excludes everything under it."""
    disable: list[str] = Field(default_factory=list)
    """Rule ids whose findings are dropped."""
    severity: dict[str, Literal["error", "warning"]] = Field(default_factory=dict)
    """Rule id to the severity its findings get instead of the registered one."""
    complete: list[str] = Field(default_factory=list)
    """Folders (globs allowed) that hold every object their references can name: there, a
    reference that does not resolve is an error. Counts only when all of a folder's
    manifests are validated."""
    cache: bool = True
    """Keep kubeconform's verdicts per file content in the tools folder, so a run checks only
    the files that changed (``--no-cache`` turns it off for one run). Default: true."""


def load_config(path: Path) -> ValidateConfig:
    """Read and check a configuration file (YAML, or ``pyproject.toml``'s table)."""
    from guestbook.environments import load_yaml_mapping

    if path.name == PYPROJECT or path.suffix == ".toml":
        table = project_table(path)
        where = f"{path}: {TABLE}"
        data: Mapping[str, Any] = table or {}
        node: Lines = {}
    else:
        data, node = load_yaml_mapping(path)
        where = str(path)
    try:
        config = ValidateConfig.model_validate(data)
    except ValidationError as err:
        raise GuestbookError(_problems(where, err, node)) from None
    _check_rule_ids(where, config, node)
    _check_kubernetes_version(where, config, node)
    return config


def _problems(where: str, err: ValidationError, node: Lines) -> str:
    from guestbook.validation_messages import describe_error, line_of

    known = [f.alias or n for n, f in ValidateConfig.model_fields.items()]
    lines = []
    for error in err.errors():
        loc = tuple(error["loc"])
        key = ".".join(str(p) for p in loc) or "(top level)"
        if error["type"] == "extra_forbidden" and len(loc) == 1:
            hint = difflib.get_close_matches(str(loc[0]), known, n=1)
            suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
            problem = f"unknown key {loc[0]!r}{suggestion}; expected one of: {', '.join(known)}"
        else:
            problem = describe_error(error, ValidateConfig)
        line = line_of(node, loc)
        lines.append(f"{where}{f':{line}' if line else ''}: {key}: {problem}")
    return "\n".join(dict.fromkeys(lines))


def _at(where: str, node: Lines, path: tuple[str | int, ...]) -> str:
    from guestbook.validation_messages import line_of

    line = line_of(node, path)
    return f"{where}:{line}" if line else where


def _check_rule_ids(where: str, config: ValidateConfig, node: Lines) -> None:
    from guestbook.validate.rules import RULES

    known = [r.id for r in RULES]
    named: list[tuple[str, str | int, str]] = [
        ("disable", index, rule_id) for index, rule_id in enumerate(config.disable)
    ]
    named += [("severity", rule_id, rule_id) for rule_id in config.severity]
    for key, item, rule_id in named:
        if rule_id not in known:
            place = _at(where, node, (key, item))
            raise GuestbookError(f"{place}: {key}: {unknown_rule(rule_id, known)}")


def _check_kubernetes_version(where: str, config: ValidateConfig, node: Lines) -> None:
    from guestbook.validate.pipeline import check_kubernetes_version

    if config.kubernetes_version is None:
        return
    try:
        check_kubernetes_version(config.kubernetes_version)
    except GuestbookError as err:
        place = _at(where, node, ("kubernetes-version",))
        raise GuestbookError(f"{place}: kubernetes-version: {err}") from None


def resolve(
    config: ValidateConfig, base: Path, *, complete: bool = False, cache: bool = True
) -> ValidateSettings:
    """The settings ``config`` (read from a file in ``base``) asks for; ``complete`` from the
    command line adds to them, ``cache=False`` (``--no-cache``) turns the cache off."""
    folders: list[Path] = []
    for pattern in config.complete:
        matches = (
            sorted(p for p in base.glob(pattern) if p.is_dir())
            if _is_glob(pattern)
            else [base / pattern]
        )
        if not _is_glob(pattern) and not matches[0].is_dir():
            raise GuestbookError(
                f"complete: {pattern!r} is not a folder (relative to {base.resolve()})"
            )
        folders.extend(m.resolve() for m in matches)
    return ValidateSettings(
        complete=complete,
        complete_folders=tuple(dict.fromkeys(folders)),
        exclude=tuple(config.exclude),
        disable=frozenset(config.disable),
        severity={rule: Severity(value) for rule, value in config.severity.items()},
        crds=tuple(base / p for p in config.crds),
        base=base,
        cache=config.cache and cache,
    )


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")
