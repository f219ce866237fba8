"""``guestbook validate`` given hostile or careless input: a real process, bounded, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from guestbook.validate.limits import MAX_DEPTH, MAX_FILE_BYTES
from guestbook.validate.tools import reader_binary
from tests.conftest import as_a_user
from tests.test_validate_documents import alias_bomb

ROOT = Path(__file__).resolve().parents[2]
GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))
BOUND = 60
"""Seconds after which a run counts as hung (a guard, not a measurement)."""
BROKEN = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: 1\n"
"""A manifest kubeconform rejects (a ConfigMap value that is not a string)."""
NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n"


def validate(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GUESTBOOK, "validate", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=BOUND,
    )


def assert_clean_failure(run: subprocess.CompletedProcess[str], code: int = 1) -> None:
    assert run.returncode == code, run.stdout + run.stderr
    assert "Traceback" not in run.stderr


def validate_failing(manifest: Path, text: str) -> str:
    """Write ``text`` to ``manifest``, validate it, check it fails cleanly; the output."""
    manifest.write_text(text, encoding="utf-8")
    run = validate(manifest)
    assert_clean_failure(run)
    return run.stdout


def test_the_same_folder_given_twice_is_read_once() -> None:
    # Given dist/ and, again, dist/prod by its absolute path
    # When both are validated
    run = validate("dist", ROOT / "dist" / "prod")
    # Then every file is read once: no object is reported as its own duplicate
    assert run.returncode == 0, run.stdout
    assert "duplicate-object" not in run.stdout
    once = validate("dist")
    assert run.stdout.splitlines()[-1] == once.stdout.splitlines()[-1]


def test_a_fifo_given_directly_is_a_finding_not_a_hang(tmp_path: Path) -> None:
    # Given a FIFO that nobody writes to
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    # When it is validated
    run = validate(fifo)
    # Then it is one finding naming it, and the run ends
    assert_clean_failure(run)
    assert f"{fifo}:1: error [yaml]" in run.stdout
    assert "FIFO" in run.stdout


def test_a_fifo_and_a_dangling_symlink_in_a_folder_are_findings(tmp_path: Path) -> None:
    # Given a folder with a good manifest, a FIFO and a symlink to a deleted file
    (tmp_path / "ok.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n", encoding="utf-8"
    )
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "deleted.yaml")
    # When the folder is validated
    run = validate(tmp_path)
    # Then both are reported by name (neither skipped silently), the good file is read
    assert_clean_failure(run)
    assert f"{tmp_path / 'pipe.yaml'}:1: error [yaml]" in run.stdout
    assert f"{tmp_path / 'gone.yaml'}:1: error [yaml]" in run.stdout
    assert "no such file" not in run.stdout + run.stderr
    assert "(3 files)" in run.stdout


def test_a_dangling_symlink_given_directly_is_a_finding(tmp_path: Path) -> None:
    link = tmp_path / "gone.yaml"
    link.symlink_to(tmp_path / "deleted.yaml")
    run = validate(link)
    assert_clean_failure(run)
    assert "symbolic link" in run.stdout
    assert "no such file" not in run.stdout + run.stderr


def test_the_go_reader_does_not_hang_on_a_fifo(tmp_path: Path) -> None:
    # Given a FIFO that nobody writes to, named to guestbook-reader
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    # When the reader runs, Then it leaves the file to Python instead of waiting
    run = subprocess.run(
        [str(reader_binary())],
        input=bytes(fifo) + b"\0",
        capture_output=True,
        check=True,
        timeout=BOUND,
    )
    assert b'"fallback"' in run.stdout


def test_a_line_break_in_a_name_stays_inside_its_finding(tmp_path: Path) -> None:
    # Given a ConfigMap whose name holds a line break and a terminal escape
    manifest = tmp_path / "odd.yaml"
    text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "a\\nb\\e[2J"\ndata: {}\n'
    # When it is validated
    out = validate_failing(manifest, text)
    # Then every finding is one line starting with the file, the name shown escaped
    lines = [line for line in out.splitlines() if not line.startswith(("  hint:", "FAILED"))]
    assert lines and all(line.startswith(f"{manifest}:4: ") for line in lines), out
    assert "ConfigMap/a\\nb\\x1b[2J" in out
    assert "\x1b" not in out


def test_a_terminal_escape_in_a_name_reaches_neither_junit_nor_the_ci_log(tmp_path: Path) -> None:
    # Given a ConfigMap whose name holds a terminal escape and a NUL
    manifest = tmp_path / "odd.yaml"
    manifest.write_text(
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "a\\e[2Jb\\0"\ndata: {}\n',
        encoding="utf-8",
    )
    for output_format in ("junit", "github"):
        # When it is validated for CI
        run = validate("--format", output_format, manifest)
        # Then it fails cleanly, the name shown escaped, no control character written
        assert_clean_failure(run)
        assert "ConfigMap/a\\x1b[2Jb\\x00" in run.stdout, run.stdout
        assert not any(ord(c) < 0x20 and c not in "\n\r\t" for c in run.stdout)
    # and the JUnit document is one an XML parser reads
    ET.fromstring(validate("--format", "junit", manifest).stdout)


def test_a_kind_that_is_a_list_is_reported_at_its_line(tmp_path: Path) -> None:
    manifest = tmp_path / "kind.yaml"
    out = validate_failing(manifest, "apiVersion: v1\nmetadata:\n  name: x\nkind: [a]\n")
    assert f"{manifest}:4: error [schema] (document): kind: got array, want string" in out


def test_an_alias_bomb_is_one_finding_naming_file_and_line(tmp_path: Path) -> None:
    # Given 500 bytes of YAML that expand to 387 million values (nine levels of nine aliases)
    bomb = tmp_path / "bomb.yaml"
    # When it is validated (kubeconform refuses it too: "excessive aliasing")
    out = validate_failing(bomb, alias_bomb(9, 9))
    # Then it is one yaml finding at the first value over the bound, not a hang or a crash
    assert f"{bomb}:12: error [yaml] (document): invalid YAML: aliases expand" in out
    assert out.count("error [") == 1


def test_a_recursive_alias_is_a_finding(tmp_path: Path) -> None:
    manifest = tmp_path / "loop.yaml"
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: loop\ndata: &d {a: *d}\n"
    out = validate_failing(manifest, text)
    assert f"{manifest}:5: error [yaml]" in out
    assert "itself" in out


def test_nesting_beyond_the_bound_is_a_finding_not_a_traceback(tmp_path: Path) -> None:
    # Given a list nested 990 levels deep (Python's recursion limit is about 1000)
    manifest = tmp_path / "deep.yaml"
    levels = 990
    out = validate_failing(
        manifest,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\n"
        f"data:\n  a: {'[' * levels}{']' * levels}\n",
    )
    assert f"{manifest}:6: error [yaml]" in out
    assert f"more than {MAX_DEPTH} levels" in out


def test_a_file_over_the_size_bound_is_a_finding_and_not_read(tmp_path: Path) -> None:
    # Given a sparse file one byte over the bound (reading it all would cost its size in memory)
    big = tmp_path / "big.yaml"
    with big.open("wb") as file:
        file.truncate(MAX_FILE_BYTES + 1)
    # When it is validated, Then it is one finding at line 1 saying why
    run = validate(big)
    assert_clean_failure(run)
    assert f"{big}:1: error [yaml]" in run.stdout
    assert f"more than the {MAX_FILE_BYTES}" in run.stdout


def test_configmap_data_over_one_mebibyte_is_an_error(tmp_path: Path) -> None:
    # Given a ConfigMap holding 1 MiB and one byte of text (the API server's limit is 1 MiB)
    manifest = tmp_path / "big-configmap.yaml"
    out = validate_failing(
        manifest,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n  namespace: shop\n"
        f"data:\n  blob: {'x' * (1024 * 1024 + 1)}\n",
    )
    assert f"{manifest}:1: error [data-size]" in out


def test_a_symlink_loop_in_a_folder_ends_and_reads_each_file_once(tmp_path: Path) -> None:
    # Given a folder whose subfolder links back to it
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to("..")
    (tmp_path / "ns.yaml").write_text(NAMESPACE, encoding="utf-8")
    # When it is validated
    run = validate(tmp_path)
    # Then the run ends, each file read once
    assert run.returncode == 0, run.stdout + run.stderr
    assert "(1 file)" in run.stdout


def validate_locked(
    locked: Path, mode: int, *args: str | Path, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """``guestbook validate --no-cache ARGS`` as a user (:func:`~tests.conftest.as_a_user`)
    while the folder ``locked`` has the mode ``mode``."""
    command = as_a_user([GUESTBOOK, "validate", "--no-cache", *map(str, args)])
    locked.chmod(mode)
    try:
        return subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, check=False, timeout=BOUND
        )
    finally:
        locked.chmod(0o755)


@pytest.mark.parametrize(
    ("mode", "where", "what"),
    [
        (0o000, "sub", "it is a folder that cannot be listed (Permission denied)"),
        (0o111, "sub", "it is a folder that cannot be listed (Permission denied)"),
        (0o444, "sub/broken.yaml", "cannot read file: Permission denied"),
    ],
    ids=["no-rights", "enter-only", "list-only"],
)
def test_a_folder_the_user_cannot_read_is_an_error_not_skipped(
    tmp_path: Path, mode: int, where: str, what: str
) -> None:
    # Given a readable manifest and, in a subfolder the user cannot read, a broken one
    (tmp_path / "ns.yaml").write_text(NAMESPACE, encoding="utf-8")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    # When the folder is validated
    run = validate_locked(sub, mode, tmp_path)
    # Then the run fails, naming what it could not read, instead of passing unseen files
    assert_clean_failure(run)
    assert f"{tmp_path / where}:1: error [yaml]" in run.stdout
    assert what in run.stdout
    assert "let the user who validates read it" in run.stdout


def test_a_given_folder_the_user_cannot_list_is_an_error(tmp_path: Path) -> None:
    # Given a folder the user cannot list, holding a broken manifest
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    # When it is validated
    run = validate_locked(folder, 0o000, folder)
    # Then it is an error, not "ok" on no objects
    assert_clean_failure(run)
    assert f"{folder}:1: error [yaml]" in run.stdout
    assert "cannot be listed" in run.stdout


@pytest.mark.parametrize("named", ["manifests", "manifests/broken.yaml"])
def test_a_path_under_a_folder_the_user_cannot_enter_is_an_error(
    tmp_path: Path, named: str
) -> None:
    # Given a folder and a file named inside a folder the user cannot enter
    locked = tmp_path / "locked"
    (locked / "manifests").mkdir(parents=True)
    (locked / "manifests" / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    # When it is validated
    run = validate_locked(locked, 0o000, locked / named)
    # Then it is an error naming it (not a traceback, not "no such file")
    assert_clean_failure(run)
    assert f"{locked / named}:1: error [yaml]" in run.stdout
    assert "cannot read file: Permission denied" in run.stdout


def test_a_complete_folder_the_user_cannot_enter_is_a_message_not_a_traceback(
    tmp_path: Path,
) -> None:
    # Given a configuration declaring complete a folder inside one the user cannot enter
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "ns.yaml").write_text(NAMESPACE, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.guestbook.validate]\ncomplete = ["locked/x"]\n', encoding="utf-8"
    )
    (tmp_path / "locked" / "x").mkdir(parents=True)
    # When the other folder is validated
    run = validate_locked(tmp_path / "locked", 0o000, "deploy", cwd=tmp_path)
    # Then one message naming the folder, exit 2
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stderr == "error: locked/x: Permission denied\n"
