"""``guestbook tools install`` (guestbook.validate.install): what it builds and what it skips.

The helpers are built for real with the Go toolchain (seconds with a warm Go build cache);
the whole install from a wheel, outside any checkout, is tests/test_packaging.py's
network test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from guestbook.errors import GuestbookError
from guestbook.validate import install
from guestbook.validate.install import (
    HELPERS,
    KUBECONFORM_VERSION,
    Helper,
    build_helper,
    go_binary,
    helper_is_current,
    kubeconform_is_current,
)
from guestbook.validate.tools import tools_dir

GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))
READER = next(h for h in HELPERS if h.binary == "guestbook-reader")


@pytest.fixture
def reader(tmp_path: Path) -> Helper:
    """guestbook-reader's module, copied (its tests too), so that a test may change it."""
    source = tmp_path / "go-reader"
    shutil.copytree(READER.source, source)
    return Helper("guestbook-reader", source)


def test_a_helper_is_built_once_and_again_when_its_sources_change(
    reader: Helper, tmp_path: Path
) -> None:
    # Given an empty bin folder
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    assert not helper_is_current(reader, bin_dir)
    # When the helper is built
    build_helper(go_binary(), reader, bin_dir)
    # Then it runs, is current, and no build folder is left beside it
    assert (bin_dir / "guestbook-reader").is_file()
    assert helper_is_current(reader, bin_dir)
    assert sorted(p.name for p in bin_dir.iterdir()) == [
        ".guestbook-reader.sha256",
        "guestbook-reader",
    ]
    # And a change to its tests does not make it stale, while a change to its code does
    test_file = next(reader.source.glob("*_test.go"))
    test_file.write_text(test_file.read_text() + "\n// changed\n")
    assert helper_is_current(reader, bin_dir)
    main = reader.source / "main.go"
    main.write_text(main.read_text() + "\n// changed\n")
    assert not helper_is_current(reader, bin_dir)


def test_a_helper_that_does_not_compile_is_one_message_with_gos_words(
    reader: Helper, tmp_path: Path
) -> None:
    # Given a helper with a syntax error, and its earlier binary in place
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "guestbook-reader").write_text("earlier")
    (reader.source / "main.go").write_text("package main\nfunc main( {\n")
    # When it is built
    with pytest.raises(GuestbookError) as raised:
        build_helper(go_binary(), reader, bin_dir)
    # Then the message names it and quotes the compiler, and the earlier binary stays
    assert "building guestbook-reader failed" in str(raised.value)
    assert "main.go:2" in str(raised.value)
    assert (bin_dir / "guestbook-reader").read_text() == "earlier"
    assert not helper_is_current(reader, bin_dir)


def test_kubeconform_is_current_only_at_the_pinned_version(tmp_path: Path) -> None:
    go = go_binary()
    # The project's kubeconform is the pinned one (`make setup` runs the same install)
    assert kubeconform_is_current(go, tools_dir() / "bin" / "kubeconform")
    # Another Go program, a file that is no program, and no file are not
    assert not kubeconform_is_current(go, tools_dir() / "bin" / "guestbook-reader")
    (tmp_path / "kubeconform").write_text("#!/bin/sh\n")
    assert not kubeconform_is_current(go, tmp_path / "kubeconform")
    assert not kubeconform_is_current(go, tmp_path / "missing")
    assert KUBECONFORM_VERSION.startswith("v")


def test_without_go_the_install_says_what_it_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GuestbookError, match=r"go not found on PATH.*https://go.dev/dl/"):
        install.install(tmp_path / "tools")
    assert not (tmp_path / "tools").exists()


def test_the_command_without_go_exits_2_with_one_message(tmp_path: Path) -> None:
    # Given no Go toolchain on PATH
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}
    env |= {k: v for k, v in os.environ.items() if k == "PYTHONPATH"}
    # When the tools are to be installed
    run = subprocess.run(
        [GUESTBOOK, "tools", "install", "--dir", str(tmp_path / "tools")],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    # Then it exits 2 with the reason, no traceback
    assert run.returncode == 2
    assert run.stderr.startswith("error: go not found on PATH")
    assert "Traceback" not in run.stderr
