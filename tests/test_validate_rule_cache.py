"""The one-file rules' findings kept between runs: the same report, those rules only on what
changed, and the rules over the whole set on every file."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from guestbook.manifests.inventory import Check, Inventory
from guestbook.validate import validate
from guestbook.validate.documents import find_files, read_documents
from guestbook.validate.model import Document, Finding
from guestbook.validate.rules import CHECKS, PER_FILE
from guestbook.validate.rules.apiserver import metadata, services
from guestbook.validate.settings import ValidateSettings
from tests.corpus import corpus
from tests.test_validate_verdicts import same, tools_folder

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "validate"
CACHE = Path(__file__).parent / "fixtures" / "rule_cache"
NO_CACHE = ValidateSettings(cache=False)


def documents_of(paths: list[Path]) -> dict[Path, list[Document]]:
    return {path: docs for path in paths if (docs := read_documents(path)[0])}


def real_manifests() -> dict[Path, list[Document]]:
    """Manifests nobody wrote for this test: the corpus when downloaded, dist/, the fixtures."""
    paths = find_files([ROOT / "dist", FIXTURES, CACHE])
    paths += [item.file for item in corpus() or []]
    return documents_of(paths)


def file_by_file(check: Check, files: dict[Path, list[Document]]) -> Counter[Finding]:
    found: Counter[Finding] = Counter()
    for docs in files.values():
        found.update(check(Inventory(tuple(docs))))
    return found


def whole_set(check: Check, files: dict[Path, list[Document]]) -> Counter[Finding]:
    return Counter(check(Inventory(tuple(d for docs in files.values() for d in docs))))


@pytest.fixture(scope="module")
def manifests() -> dict[Path, list[Document]]:
    return real_manifests()


@pytest.mark.parametrize("check", sorted(PER_FILE, key=CHECKS.index), ids=lambda c: c.__qualname__)
def test_a_one_file_check_finds_in_the_whole_set_what_it_finds_file_by_file(
    check: Check, manifests: dict[Path, list[Document]]
) -> None:
    # Given real manifests with references, selections and names across files
    assert len(manifests) > 20
    # When a check declared one-file runs on all of them, and on each file alone
    # Then it finds the same
    assert whole_set(check, manifests) == file_by_file(check, manifests)


@pytest.mark.parametrize("check", [services.check_node_ports, metadata.check_duplicates])
def test_a_check_across_files_is_not_declared_one_file(check: Check) -> None:
    # Given two files that conflict only together (the same node port, the same object)
    files = documents_of(sorted(CACHE.glob("conflicts_with_*.yaml")))
    # When the check runs on both at once and on each alone
    # Then only the whole set shows the conflict, so the check must see every file
    assert whole_set(check, files) != file_by_file(check, files)
    assert check not in PER_FILE


def copies(folder: Path, names: list[str]) -> Path:
    """``folder``, made, holding copies of this test's fixtures ``names``."""
    folder.mkdir()
    for name in names:
        shutil.copy(CACHE / name, folder / name)
    return folder


def kept_entries(tools: Path) -> dict[str, list[list[object]]]:
    """Every entry of the findings cache, by key."""
    entries: dict[str, list[list[object]]] = {}
    for pack in (tools / "cache" / "findings").glob("*/*/*.json"):
        entries.update(json.loads(pack.read_bytes())["entries"])
    return entries


def test_a_second_run_reuses_every_file_and_a_change_adds_that_file_only(
    tmp_path: Path,
) -> None:
    # Given files with one-file findings, validated once with the cache
    tools = tools_folder(tmp_path)
    folder = copies(tmp_path / "manifests", [p.name for p in CACHE.glob("*.yaml")])
    first = validate([folder], tools=tools, schema=False)
    assert any(f.rule == "image-tag" for f in first.findings)
    entries = kept_entries(tools)
    assert len(entries) == len(list(folder.iterdir()))
    # When it is validated again, unchanged: nothing new is kept, the report is the same
    same(validate([folder], tools=tools, schema=False), first)
    assert kept_entries(tools) == entries
    # When one file changes (its image is pinned)
    changed = folder / "image_latest.yaml"
    changed.write_text(changed.read_text().replace(":latest", ":1.27.3"))
    report = validate([folder], tools=tools, schema=False)
    # Then one entry is added, and the report is the one without the cache
    added = kept_entries(tools).keys() - entries.keys()
    assert len(added) == 1
    assert not any(f.path == changed and f.rule == "image-tag" for f in report.findings)
    same(report, validate([folder], tools=tools, schema=False, settings=NO_CACHE))


def test_a_conflict_with_an_unchanged_file_is_still_found(tmp_path: Path) -> None:
    # Given two files, validated with the cache, of which one then takes the other's node port
    tools = tools_folder(tmp_path)
    folder = copies(tmp_path / "manifests", ["conflicts_with_b.yaml"])
    (folder / "other.yaml").write_text(
        (CACHE / "conflicts_with_a.yaml").read_text().replace("30080", "30081")
    )
    before = validate([folder], tools=tools, schema=False)
    assert not any(f.rule == "node-port" for f in before.findings)
    (folder / "other.yaml").write_text((CACHE / "conflicts_with_a.yaml").read_text())
    # When validated again: one file kept, one changed
    report = validate([folder], tools=tools, schema=False)
    # Then the conflict is found, as without the cache
    assert any(f.rule == "node-port" for f in report.findings)
    same(report, validate([folder], tools=tools, schema=False, settings=NO_CACHE))


def test_another_kubernetes_version_does_not_reuse_findings(tmp_path: Path) -> None:
    # Given a file validated for one supported minor
    tools = tools_folder(tmp_path)
    folder = copies(tmp_path / "manifests", ["image_latest.yaml"])
    validate([folder], tools=tools, schema=False, kubernetes_version="1.35.4")
    # When it is validated for another minor
    # Then a second context is used, and the report is the one without the cache
    report = validate([folder], tools=tools, schema=False, kubernetes_version="1.37.2")
    assert len(list((tools / "cache" / "findings").iterdir())) == 2
    cold = validate(
        [folder], tools=tools, schema=False, kubernetes_version="1.37.2", settings=NO_CACHE
    )
    same(report, cold)


def test_no_cache_keeps_no_findings(tmp_path: Path) -> None:
    tools = tools_folder(tmp_path)
    folder = copies(tmp_path / "manifests", ["image_latest.yaml"])
    validate([folder], tools=tools, schema=False, settings=NO_CACHE)
    assert not (tools / "cache").exists()


def test_a_copy_of_the_fixtures_folder_is_not_served_the_originals_paths(tmp_path: Path) -> None:
    # Given a folder validated with the cache, then copied elsewhere
    tools = tools_folder(tmp_path)
    folder = copies(tmp_path / "a", ["image_latest.yaml"])
    validate([folder], tools=tools, schema=False)
    copy = tmp_path / "b"
    shutil.copytree(folder, copy)
    # When the copy is validated
    report = validate([copy], tools=tools, schema=False)
    # Then its findings name its own files
    assert report.findings
    assert all(f.path.parent == copy for f in report.findings)
