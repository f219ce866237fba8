"""What ``guestbook validate`` applies beyond its defaults, resolved from configuration and flags.

:mod:`guestbook.validate.configuration` reads the configuration file into these
settings; command-line flags override it. Pure data, no file reading here.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from guestbook.validate.model import Finding, Severity


@dataclass(frozen=True)
class ValidateSettings:
    """The configuration resolved against its folder: what the pipeline applies."""

    complete: bool = False
    """Every validated file is in a complete set (``--complete``)."""
    complete_folders: tuple[Path, ...] = ()
    """Absolute folders declared complete."""
    exclude: tuple[str, ...] = ()
    """Globs, relative to :attr:`base`."""
    disable: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    crds: tuple[Path, ...] = ()
    """Reserved for CRD schemas; passed on where the pipeline accepts them."""
    base: Path = Path()
    """The folder relative paths of the configuration start from."""
    cache: bool = True
    """Keep kubeconform's verdicts per file content between runs (``--no-cache``: False)."""

    def excluded(self, path: Path) -> bool:
        """Whether ``path`` (or a folder above it) matches an ``exclude`` glob."""
        if not self.exclude:
            return False
        try:
            parts = path.resolve().relative_to(self.base.resolve()).parts
        except ValueError:
            return False
        prefixes = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]
        return any(fnmatch.fnmatchcase(p, glob) for p in prefixes for glob in self.exclude)

    def completeness(
        self, files: Sequence[Path], folder_files: Callable[[Path], Iterable[Path]]
    ) -> Callable[[Path], bool]:
        """Which validated files are in a complete set.

        A folder declared complete counts only when every manifest under it
        (``folder_files``, minus excluded ones) is among ``files``: a subset of a
        complete folder is not complete.
        """
        if self.complete:
            return lambda _: True
        if not self.complete_folders:
            return lambda _: False  # without resolving every file name
        chosen = {f.resolve() for f in files}
        folders = [
            folder
            for folder in self.complete_folders
            if all(f.resolve() in chosen for f in folder_files(folder) if not self.excluded(f))
        ]
        if not folders:
            return lambda _: False
        cache: dict[Path, bool] = {}

        def complete(path: Path) -> bool:
            if path not in cache:
                resolved = path.resolve()
                cache[path] = any(resolved.is_relative_to(folder) for folder in folders)
            return cache[path]

        return complete

    def adjust(self, findings: Iterable[Finding]) -> list[Finding]:
        """``findings`` without disabled rules, with severity overrides applied."""
        return [
            replace(f, severity=self.severity.get(f.rule, f.severity))
            for f in findings
            if f.rule not in self.disable
        ]


DEFAULTS = ValidateSettings()
"""No configuration: nothing excluded, disabled or overridden, no set declared complete."""
