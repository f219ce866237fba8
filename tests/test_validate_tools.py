"""Where the validation tools are found: $GUESTBOOK_TOOLS_DIR, else a project root's .tools/.

The error when no project has them is tested on the wheel in tests/test_packaging.py: this
checkout, which the tests import the package from, has its tools.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from guestbook.validate.tools import TOOLS_DIR_ENV, tools_dir

CHECKOUT_TOOLS = Path(__file__).resolve().parent.parent / ".tools"


@pytest.fixture
def outside(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty folder as the current directory, with no tools folder configured."""
    monkeypatch.delenv(TOOLS_DIR_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_setting_wins(outside: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given GUESTBOOK_TOOLS_DIR names a folder
    monkeypatch.setenv(TOOLS_DIR_ENV, str(outside / "shared-cache"))
    # Then that is the tools folder, wherever the command runs
    assert tools_dir() == outside / "shared-cache"


@pytest.mark.parametrize("marker", ["pyproject.toml", ".git"])
def test_a_project_roots_tools_are_found_from_a_folder_inside_it(
    outside: Path, monkeypatch: pytest.MonkeyPatch, marker: str
) -> None:
    # Given a project root (marked by pyproject.toml or .git) where `make setup` made .tools/
    (outside / "project" / ".tools" / "bin").mkdir(parents=True)
    (outside / "project" / marker).touch()
    (outside / "project" / "environments" / "nested").mkdir(parents=True)
    # When a command runs in a folder inside it
    monkeypatch.chdir(outside / "project" / "environments" / "nested")
    # Then the root's .tools is used
    assert tools_dir() == outside / "project" / ".tools"


def test_elsewhere_the_tools_of_the_checkout_the_package_runs_from_are_used(
    outside: Path,
) -> None:
    # Given a project without tools as the current directory (the package is imported from
    # this checkout, as an editable install is)
    (outside / "pyproject.toml").touch()
    # Then the checkout's tools are used
    assert tools_dir() == CHECKOUT_TOOLS
