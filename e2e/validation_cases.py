"""The validator's test manifests, each with the validation layer it belongs to.

Every ``*.yaml`` directly in a folder of :data:`FOLDERS` is a case. Its layer comes from,
first match wins:

1. a header line ``# layer: N``;
2. a header line ``# expect: <rule ids>`` (the rules' fixtures): the lowest layer of the
   rules it names, from ``guestbook.validate.rules.RULES`` (``schema`` and ``yaml`` are
   layer 1); ``# expect: nothing`` marks a valid manifest;
3. the folder's default.

Layers 1 and 2 are what the API server itself checks, so for them (and for valid
manifests) ``guestbook validate`` and the server must agree; layers 3 to 5 go beyond the
server, which must accept those manifests. ``# with: a, b`` names fixtures the case builds
on; they are validated with it (only the case's own findings count).

The real CRDs' folders (tests/fixtures/crds/<project>/) add their projects' own examples
(valid everywhere) and own invalid examples (layer 1: the API server rejects them), each
validated with ``--crd`` on the project's ``crds/`` folder, which the cluster has installed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from e2e.tools import ROOT

HEADER_LINES = 5
"""How many leading lines may carry markers."""


@dataclass(frozen=True)
class Folder:
    """A folder of cases and the layer of those without a marker (None: must say)."""

    path: Path
    default_layer: int | None
    crds: Path | None = None
    """The folder of CRDs the cases are custom resources of (given with ``--crd``)."""
    valid: bool = False
    """Every case is a valid manifest (a project's own examples), whatever its header."""

    @property
    def name(self) -> str:
        """What the ids of its cases start with: the folder's name, after its project's."""
        return f"{self.path.parent.name}/{self.path.name}" if self.crds else self.path.name


FIXTURES = ROOT / "tests" / "fixtures"
CRD_PROJECTS = (
    FIXTURES / "crds" / "gateway-api-v1.4.0",
    FIXTURES / "crds" / "argo-rollouts-v1.8.3",
)
"""Real CRDs with their projects' own examples (see tests/fixtures/crds/README.md)."""

FOLDERS = (
    Folder(FIXTURES / "validate", default_layer=1),  # schema cases
    Folder(FIXTURES / "rules", default_layer=None),  # rule cases (# expect:)
    *(Folder(p / "examples", None, crds=p / "crds", valid=True) for p in CRD_PROJECTS),
    *(Folder(p / "invalid-examples", default_layer=1, crds=p / "crds") for p in CRD_PROJECTS),
)


@dataclass(frozen=True)
class Case:
    """One manifest file and what the API server should make of it."""

    path: Path
    layer: int | None
    """1-5, or None for a manifest that should be valid everywhere."""
    with_files: tuple[Path, ...] = ()
    crds: Path | None = None
    """The CRD folder of the case's custom resources."""

    @property
    def must_agree(self) -> bool:
        """Layers 1-2 and valid manifests: offline and server verdicts must be the same."""
        return self.layer is None or self.layer <= 2

    @property
    def id(self) -> str:
        """A short test id: folder/name (project/folder/name for custom resources)."""
        folder = self.path.parent
        prefix = f"{folder.parent.name}/{folder.name}" if self.crds else folder.name
        return f"{prefix}/{self.path.stem}"


def rule_layers() -> dict[str, int]:
    """Rule id -> layer, from the rules registry when it has one."""
    from guestbook.validate import rules

    layers = {"schema": 1, "yaml": 1}
    for rule in getattr(rules, "RULES", ()):
        layers[str(rule.id)] = int(rule.layer)
    return layers


def layer_of(header: Iterable[str], default: int | None, layers: Mapping[str, int]) -> int | None:
    """The layer a case's header lines give it (see the module docstring)."""
    lines = [line.strip() for line in header]
    for line in lines:
        if match := re.fullmatch(r"#\s*layer:\s*(\d)", line):
            return int(match.group(1))
    for line in lines:
        if match := re.fullmatch(r"#\s*expect:\s*(.+)", line):
            ids = [i.strip() for i in match.group(1).split(",")]
            if ids == ["nothing"]:
                return None
            unknown = [i for i in ids if i not in layers]
            if unknown:
                raise ValueError(f"expects unknown rules {unknown}")
            return min(layers[i] for i in ids)
    if default is None:
        raise ValueError("no '# layer: N' or '# expect: ...' line")
    return default


def with_names(header: Iterable[str]) -> list[str]:
    """The fixture names of a ``# with: a, b`` line."""
    for line in header:
        if match := re.fullmatch(r"#\s*with:\s*(.+)", line.strip()):
            return [n.strip() for n in match.group(1).split(",")]
    return []


def collect(folders: Iterable[Folder] = FOLDERS) -> list[Case]:
    """Every case in the folders that exist, sorted by folder and name."""
    layers = rule_layers()
    cases = []
    for folder in folders:
        if not folder.path.is_dir():
            continue
        for path in sorted(folder.path.glob("*.yaml")):
            header = path.read_text(encoding="utf-8").splitlines()[:HEADER_LINES]
            try:
                layer = None if folder.valid else layer_of(header, folder.default_layer, layers)
            except ValueError as err:
                raise ValueError(f"{path}: {err}") from None
            extra = tuple(folder.path / f"{name}.yaml" for name in with_names(header))
            cases.append(Case(path, layer, extra, folder.crds))
    return cases
