"""The wheel other projects install: every module of the package, its typing marker, the CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_holds_every_module_the_typing_marker_and_the_console_script(
    tmp_path: Path,
) -> None:
    # When a copy of the project's packaging inputs is built as a wheel (a copy, since the
    # build writes build/ and *.egg-info beside its sources; offline: the build tools are in
    # the dev extra)
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "lib", source / "lib", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [
            sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
            "--no-build-isolation", "--wheel-dir", str(tmp_path), str(source),
        ],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )  # fmt: skip
    [wheel] = tmp_path.glob("guestbook_gitops-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        scripts = archive.read(entry_points).decode()
    # Then it holds exactly the package's modules (a `packages.find` that leaves out a
    # subpackage, e.g. `include = ["guestbook"]` without "guestbook.*", fails here) and
    # py.typed, and installs the `guestbook` command
    package = source / "lib"
    modules = {p.relative_to(package).as_posix() for p in package.rglob("*.py")}
    assert {n for n in names if n.endswith(".py")} == modules
    assert "guestbook/py.typed" in names
    assert "guestbook = guestbook.entry:main" in scripts
