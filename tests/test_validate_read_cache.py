"""What guestbook-reader read, kept between runs: the same report, the reader only on what
changed."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from guestbook.validate import validate
from guestbook.validate.reader import Reader, Reading
from guestbook.validate.settings import ValidateSettings
from guestbook.validate.tools import tools_dir
from tests.test_validate_verdicts import MANIFESTS, fixture_copies, same, tools_folder

NO_CACHE = ValidateSettings(cache=False)
ANCHORED = """apiVersion: v1
kind: ConfigMap
metadata:
  name: anchored
data:
  first: &value "1"
  second: *value
"""


@pytest.fixture
def read(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The file lists guestbook-reader is started on (it still runs)."""
    calls: list[list[str]] = []
    start = Reader.start

    def recording(self: Reader, files: Sequence[Path]) -> Reading:
        calls.append(sorted(Path(f).name for f in files))
        return start(self, files)

    monkeypatch.setattr(Reader, "start", recording)
    return calls


def test_a_second_run_reads_nothing_and_a_change_reads_that_file_only(
    tmp_path: Path, read: list[list[str]]
) -> None:
    # Given a folder validated once with the cache
    tools = tools_folder(tmp_path)
    folder = fixture_copies(tmp_path / "manifests", MANIFESTS)
    first = validate([folder], tools=tools)
    assert read == [sorted(MANIFESTS)]
    # When it is validated again: the reader is given nothing, the report is the same
    same(validate([folder], tools=tools), first)
    assert read[1] == []
    # When one file changes
    changed = folder / "wrong_type.yaml"
    changed.write_text(changed.read_text().replace('replicas: "3"', "replicas: 3"))
    report = validate([folder], tools=tools)
    # Then the reader reads that file only, and the report is the one without the cache
    assert read[2] == ["wrong_type.yaml"]
    same(report, validate([folder], tools=tools, settings=NO_CACHE))


def test_a_file_the_reader_leaves_to_python_is_read_every_run(
    tmp_path: Path, read: list[list[str]]
) -> None:
    # Given a file with a YAML anchor, which guestbook-reader leaves to Python
    tools = tools_folder(tmp_path)
    folder = fixture_copies(tmp_path / "manifests", MANIFESTS[:1])
    (folder / "anchored.yaml").write_text(ANCHORED)
    first = validate([folder], tools=tools)
    # When validated again
    second = validate([folder], tools=tools)
    # Then the reader is given that file again (nothing was kept for it), with the same report
    assert read == [sorted([MANIFESTS[0], "anchored.yaml"]), ["anchored.yaml"]]
    same(second, first)
    same(second, validate([folder], tools=tools, settings=NO_CACHE))


def test_a_rebuilt_reader_reads_every_file_again(tmp_path: Path, read: list[list[str]]) -> None:
    # Given a tools folder with its own copy of guestbook-reader, and a validated folder
    tools = tmp_path / "tools"
    (tools / "bin").mkdir(parents=True)
    for binary in (tools_dir() / "bin").iterdir():
        (tools / "bin" / binary.name).symlink_to(binary)
    reader = tools / "bin" / "guestbook-reader"
    reader.unlink()
    shutil.copy2(tools_dir() / "bin" / "guestbook-reader", reader)
    (tools / "schemas").symlink_to(tools_dir() / "schemas")
    folder = fixture_copies(tmp_path / "manifests", MANIFESTS)
    validate([folder], tools=tools)
    # When the reader is rebuilt (here: the same bytes, written again)
    stat = reader.stat()
    os.utime(reader, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    report = validate([folder], tools=tools)
    # Then it reads every file again, with the same report
    assert read == [sorted(MANIFESTS), sorted(MANIFESTS)]
    same(report, validate([folder], tools=tools, settings=NO_CACHE))


def test_a_run_reads_nothing_kept_for_another_folder(tmp_path: Path) -> None:
    # Given a folder validated with the cache, and its kept packs damaged
    tools = tools_folder(tmp_path)
    first = fixture_copies(tmp_path / "first", MANIFESTS)
    validate([first], tools=tools)
    kept = list((tools / "cache").glob("*/*/*/*.json"))
    assert kept
    for pack in kept:
        pack.write_bytes(pack.read_bytes()[:-1])
    # When another folder (a copy of the same files) is validated
    second = fixture_copies(tmp_path / "second", MANIFESTS)
    report = validate([second], tools=tools)
    # Then the reader and the rules' packs of the first folder were not read (a damaged pack
    # is removed when read), and the report is the one without the cache
    for pack in kept:
        assert pack.exists() or pack.parts[-4] == "kubeconform", pack
    same(report, validate([second], tools=tools, settings=NO_CACHE))
