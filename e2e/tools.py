"""Where ``make e2e-tools`` put the binaries, and which versions they are.

Each component's version is the one its ``e2e/tools/<component>/go.mod`` requires, read
here the same way the Makefile reads it, so the pin lives in one place.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS_MODULES = ROOT / "e2e" / "tools"

COMPONENT_MODULES = {
    "kubernetes": "k8s.io/kubernetes",
    "etcd": "go.etcd.io/etcd/server/v3",
    "argocd": "github.com/argoproj/argo-cd/v3",
    "kwok": "sigs.k8s.io/kwok",
    "metrics-server": "sigs.k8s.io/metrics-server",
    "argo-rollouts": "github.com/argoproj/argo-rollouts",
}
"""The e2e component folders and the Go module each one pins."""


class ToolsMissingError(RuntimeError):
    """A binary the test needs is not built; the message says how to build it."""


def required_version(go_mod: str, module: str) -> str:
    """The version ``go_mod`` (the file's text) requires of ``module``."""
    pattern = rf"^(?:require)?\s*{re.escape(module)} (v\S+)"
    match = re.search(pattern, go_mod, flags=re.MULTILINE)
    if match is None:
        raise ValueError(f"go.mod does not require {module}")
    return match.group(1)


def component_version(component: str) -> str:
    """The pinned version of one e2e component."""
    go_mod = (TOOLS_MODULES / component / "go.mod").read_text(encoding="utf-8")
    return required_version(go_mod, COMPONENT_MODULES[component])


@dataclass(frozen=True)
class Tools:
    """The binaries of one ``make e2e-tools`` build and the programs taken from the system."""

    root: Path
    """``.tools/e2e``."""

    def bin(self, component: str) -> Path:
        """The bin folder of ``component`` at its pinned version."""
        return self.root / f"{component}-{component_version(component)}" / "bin"

    def binary(self, component: str, name: str) -> Path:
        """One binary; :class:`ToolsMissingError` if it was not built."""
        path = self.bin(component) / name
        if not path.exists():
            raise ToolsMissingError(f"{path} is missing: run `make e2e-tools`")
        return path

    @property
    def kubectl(self) -> Path:
        """kubectl of the pinned Kubernetes release (never the one on PATH)."""
        return self.binary("kubernetes", "kubectl")

    @property
    def path_prefix(self) -> list[Path]:
        """Folders to put first on PATH: kwokctl looks up kubectl there."""
        return [self.bin("kubernetes"), self.bin("kwok"), self.bin("argocd")]

    def check(self) -> None:
        """Fail early, with one message, when anything is missing."""
        if os.geteuid() != 0:
            raise ToolsMissingError("the e2e test needs root (it creates a network namespace)")
        for component, name in (
            ("kubernetes", "kube-apiserver"),
            ("kubernetes", "kubectl"),
            ("etcd", "etcd"),
            ("kwok", "kwokctl"),
            ("kwok", "kwok"),
            ("metrics-server", "metrics-server"),
            ("argocd", "argocd"),
            ("argo-rollouts", "rollouts-controller"),
            ("argo-rollouts", "kubectl-argo-rollouts"),
        ):
            self.binary(component, name)
        for program in ("redis-server", "git", "ip", "ss"):
            if shutil.which(program) is None:
                raise ToolsMissingError(f"{program} not found on PATH: run `make e2e-tools`")


def default_tools() -> Tools:
    """The project's ``.tools/e2e``."""
    return Tools(ROOT / ".tools" / "e2e")
