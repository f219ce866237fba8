"""``guestbook graph`` given hostile or careless input: exit 2 with one message, nothing lost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from guestbook.graph import README_END, README_START

ROOT = Path(__file__).resolve().parents[2]
GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))
START, END = README_START.format(env="prod"), README_END.format(env="prod")


def graph(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [GUESTBOOK, "graph", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        check=False,
        timeout=60,
    )


def assert_usage_error(run: subprocess.CompletedProcess[bytes], says: str) -> None:
    assert run.returncode == 2, run.stdout + run.stderr
    assert says.encode() in run.stderr
    assert b"Traceback" not in run.stderr


def test_a_readme_that_is_not_utf8_is_exit_2_and_left_alone(tmp_path: Path) -> None:
    # Given a README in Latin-1 with the markers
    readme = tmp_path / "README.md"
    original = f"caf\xe9\n{START}\n{END}\n".encode("latin-1")
    readme.write_bytes(original)
    # When the diagram is written into it
    run = graph("prod", "--readme", readme)
    # Then it is a usage error naming the file, and the file is unchanged
    assert_usage_error(run, f"{readme}: not UTF-8")
    assert readme.read_bytes() == original


def test_markers_out_of_order_are_exit_2_and_the_readme_is_left_alone(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"{END}\nkeep me\n{START}\n", encoding="utf-8")
    run = graph("prod", "--readme", readme)
    assert_usage_error(run, "markers for 'prod'")
    assert readme.read_text(encoding="utf-8") == f"{END}\nkeep me\n{START}\n"


def test_an_empty_environment_name_is_a_usage_error() -> None:
    # Given "" (which would otherwise mean dist/ itself, every environment at once)
    run = graph("")
    # Then it is refused
    assert_usage_error(run, "environment")
    assert run.stdout == b""


def test_a_readme_with_crlf_line_endings_keeps_them(tmp_path: Path) -> None:
    # Given a README written on Windows
    readme = tmp_path / "README.md"
    readme.write_bytes(f"# Title\r\n{START}\r\n{END}\r\nend\r\n".encode())
    # When the diagram is written into it
    run = graph("prod", "--readme", readme)
    # Then every line of the result ends with CRLF
    assert run.returncode == 0, run.stderr
    data = readme.read_bytes()
    assert b"flowchart LR" in data
    assert data.count(b"\n") == data.count(b"\r\n")
