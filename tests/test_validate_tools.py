"""Where the validation tools are found: $GUESTBOOK_TOOLS_DIR, else the project's .tools/."""

from __future__ import annotations

from pathlib import Path

import pytest

from guestbook.errors import GuestbookError
from guestbook.validate.tools import TOOLS_DIR_ENV, tools_dir


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


def test_a_project_without_tools_is_a_clear_error(outside: Path) -> None:
    # Given a project root where `make setup` never ran
    (outside / "pyproject.toml").touch()
    # When the tools are looked up, Then the message says both ways to provide them
    with pytest.raises(GuestbookError, match=r"run `make setup`.*set GUESTBOOK_TOOLS_DIR") as error:
        tools_dir()
    assert str(outside) in str(error.value)


def test_no_project_at_all_is_a_clear_error(outside: Path) -> None:
    # Given a folder in no project, When the tools are looked up, Then the same clear error
    with pytest.raises(GuestbookError, match=r"run `make setup`.*set GUESTBOOK_TOOLS_DIR"):
        tools_dir()
