"""The e2e tool pins are read from go.mod the same way by the Makefile and the harness."""

from __future__ import annotations

import subprocess

import pytest

from e2e.tools import COMPONENT_MODULES, component_version, required_version
from tests.conftest import ROOT


def test_required_version_reads_single_and_block_requires() -> None:
    go_mod = (
        "module x\n\nrequire k8s.io/kubernetes v1.34.12\n\n"
        "require (\n\tfoo.io/bar v0.1.0 // indirect\n)\n"
    )
    assert required_version(go_mod, "k8s.io/kubernetes") == "v1.34.12"
    assert required_version(go_mod, "foo.io/bar") == "v0.1.0"
    with pytest.raises(ValueError):
        required_version(go_mod, "k8s.io/api")


def test_the_makefile_builds_the_versions_the_harness_runs() -> None:
    # Given the bin folders make would build
    out = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "--eval=print-e2e:\n\t@echo $(E2E_BIN_DIRS)", "print-e2e"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    # Then they are the harness's, component by component
    assert out == [
        f"{ROOT}/.tools/e2e/{c}-{component_version(c)}/bin".replace(f"{ROOT}/", "")
        for c in COMPONENT_MODULES
    ]
