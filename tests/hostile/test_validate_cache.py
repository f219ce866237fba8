"""The validator's caches (verdicts, findings, what the reader read) when their folders or
files are damaged: the same report, no traceback."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.test_validate_verdicts import fixture_copies, tools_folder

GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))
BOUND = 60
"""Seconds after which a run counts as hung (a guard, not a measurement)."""


@pytest.fixture
def tools(tmp_path: Path) -> Path:
    return tools_folder(tmp_path)


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    """Files with schema findings, and a valid one."""
    names = ("unknown_field.yaml", "wrong_type.yaml", "argocd_application_valid.yaml")
    return fixture_copies(tmp_path / "manifests", names)


def validate(tools: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GUESTBOOK, "validate", "--format", "json", *map(str, args)],
        env={**os.environ, "GUESTBOOK_TOOLS_DIR": str(tools)},
        capture_output=True,
        text=True,
        check=False,
        timeout=BOUND,
    )


def assert_same_as_without_cache(tools: Path, manifests: Path) -> None:
    """A run with the cache exits and reports as a run without it, cleanly."""
    cached = validate(tools, manifests)
    cold = validate(tools, "--no-cache", manifests)
    assert "Traceback" not in cached.stderr
    assert cached.returncode == cold.returncode == 1, cached.stderr
    assert cached.stdout == cold.stdout
    assert json.loads(cached.stdout)["summary"]["errors"] > 0


@pytest.fixture(params=["kubeconform", "findings", "reader"])
def cache(request: pytest.FixtureRequest) -> str:
    """Each cache's folder name: kubeconform's verdicts, the one-file rules' findings, what
    guestbook-reader read."""
    return str(request.param)


def packs(tools: Path, cache: str) -> list[Path]:
    return sorted((tools / "cache" / cache).glob("*/*/*.json"))


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` cannot be written, even by root (immutable, where chattr works)."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None:
            pytest.skip("root without chattr cannot make a folder unwritable")
        subprocess.run(["chattr", "+i", str(folder)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)


def test_an_unwritable_cache_folder_costs_time_only(tools: Path, manifests: Path) -> None:
    # Given a cache folder nothing can be written into
    cache = tools / "cache"
    cache.mkdir()
    with read_only(cache):
        # When the manifests are validated
        # Then the report is the one without the cache, and nothing was kept
        assert_same_as_without_cache(tools, manifests)
        assert list(cache.iterdir()) == []


def test_a_corrupt_pack_is_ignored_and_replaced(tools: Path, manifests: Path, cache: str) -> None:
    # Given a cache whose packs each lost a byte in the middle (a disk or copy error)
    validate(tools, manifests)
    kept = {pack: pack.read_bytes() for pack in packs(tools, cache)}
    assert kept
    for pack, data in kept.items():
        pack.write_bytes(data[:100] + data[101:])
    # When the manifests are validated again
    # Then the report is the one without the cache, and the damaged packs were replaced by
    # what was computed again
    assert_same_as_without_cache(tools, manifests)
    assert packs(tools, cache) == sorted(kept)
    assert all(pack.read_bytes() == data for pack, data in kept.items())


def test_a_truncated_pack_is_never_served(tools: Path, manifests: Path, cache: str) -> None:
    # Given packs cut short, as a write interrupted without the rename would leave them
    validate(tools, manifests)
    for pack in packs(tools, cache):
        pack.write_bytes(pack.read_bytes()[: pack.stat().st_size // 2])
    # Then validation reports as without the cache
    assert_same_as_without_cache(tools, manifests)


def test_a_pack_with_the_right_checksum_but_not_a_pack_is_ignored(
    tools: Path, manifests: Path, cache: str
) -> None:
    # Given files named by the checksum of their bytes, whose entries are not results
    validate(tools, manifests)
    for pack in packs(tools, cache):
        kept = json.loads(pack.read_bytes())
        bogus = json.dumps(
            {"format": kept["format"], "entries": {key: [["x"]] for key in kept["entries"]}}
        ).encode()
        pack.unlink()
        (pack.parent / f"{hashlib.sha256(bogus).hexdigest()[:40]}.json").write_bytes(bogus)
    # Then validation reports as without the cache
    assert_same_as_without_cache(tools, manifests)


def test_a_cache_folder_that_is_a_file_is_left_alone(tools: Path, manifests: Path) -> None:
    # Given a file where the cache folder would be
    (tools / "cache").write_text("not a folder")
    # Then validation reports as without the cache, and the file is untouched
    assert_same_as_without_cache(tools, manifests)
    assert (tools / "cache").read_text() == "not a folder"


def test_a_cache_folder_that_is_a_symbolic_link_is_not_followed(
    tmp_path: Path, tools: Path, manifests: Path, cache: str
) -> None:
    # Given the cache folder as a symbolic link to a folder elsewhere
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tools / "cache").mkdir()
    (tools / "cache" / cache).symlink_to(elsewhere)
    # Then validation reports as without the cache, and nothing is written through the link
    assert_same_as_without_cache(tools, manifests)
    assert list(elsewhere.iterdir()) == []


def test_a_fifo_among_the_packs_is_not_waited_on(tools: Path, manifests: Path, cache: str) -> None:
    # Given a FIFO named like a pack in each shard of the cache
    validate(tools, manifests)
    for pack in packs(tools, cache):
        os.mkfifo(pack.parent / f"{'0' * 40}.json")
    # Then validation finishes (within the bound) and reports as without the cache
    assert_same_as_without_cache(tools, manifests)
