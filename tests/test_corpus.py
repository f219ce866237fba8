"""The validator on the real-world corpus (tests/corpus/sources.toml), one file at a time.

Each file is validated on its own, as CI validates the files a pull request changes (not
``--complete``). No file the API server accepts may get an ``error`` finding, and every file
the real kubeconform rejects (with our schemas, as the validator runs it) must be rejected by
the validator too. Warnings are fine. The corpus comes from ``make corpus`` (``make test``
runs it); without it these tests are skipped.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from guestbook.kubernetes import KUBERNETES_VERSION
from guestbook.validate import Finding, Severity, validate
from guestbook.validate.schemas import SchemaStore
from guestbook.validate.tools import kubeconform_binary, schemas_root
from tests.conftest import CORPUS_SUMMARY
from tests.corpus import CorpusFile, corpus, load_sources

FILES = corpus()
WORKERS = 2
"""Files validated at once: each validation mostly waits for kubeconform, one process per file."""
needs_corpus = pytest.mark.skipif(
    FILES is None, reason="the corpus is not downloaded: run `make corpus` (`make test` does)"
)


@dataclass(frozen=True)
class Verdicts:
    """What the validator and kubeconform say about every corpus file."""

    errors: dict[str, list[Finding]]
    """Corpus file id -> the validator's error findings on that file alone."""
    kubeconform_rejects: dict[str, str]
    """Corpus file id -> kubeconform's first message, for the files it rejects."""
    seconds: float


def kubeconform_rejections(files: list[CorpusFile]) -> dict[str, str]:
    """The files the pinned kubeconform rejects with our offline schemas (``-strict``, no
    other schema location, as the validator runs it), with its message."""
    store = SchemaStore(schemas_root(None), KUBERNETES_VERSION)
    by_path = {str(f.file): f.id for f in files}
    command = [
        str(kubeconform_binary(None)), "-strict", "-kubernetes-version", KUBERNETES_VERSION,
        "-schema-location", store.location, "-output", "json", "--",
        *by_path,
    ]  # fmt: skip
    proc = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    assert proc.returncode in (0, 1), proc.stderr
    rejected: dict[str, str] = {}
    for item in json.loads(proc.stdout)["resources"]:
        if item["status"] in ("statusInvalid", "statusError"):
            rejected.setdefault(by_path[item["filename"]], str(item.get("msg", "")))
    return rejected


def errors_of(item: CorpusFile) -> list[Finding]:
    """The validator's error findings on the file validated on its own."""
    report = validate([item.file])
    return [f for f in report.findings if f.severity is Severity.ERROR]


@pytest.fixture(scope="module")
def verdicts(request: pytest.FixtureRequest) -> Verdicts:
    assert FILES is not None
    began = time.monotonic()
    with ThreadPoolExecutor(WORKERS) as pool:
        errors = dict(zip((f.id for f in FILES), pool.map(errors_of, FILES), strict=True))
    seconds = time.monotonic() - began
    result = Verdicts(errors, kubeconform_rejections(FILES), seconds)
    valid = [f for f in FILES if f.valid]
    missed = [f for f in FILES if not f.valid and not errors[f.id]]
    request.config.stash.setdefault(CORPUS_SUMMARY, []).extend(
        [
            f"{len(FILES)} files from {len(load_sources())} releases, validated one at a time "
            f"in {seconds:.0f} s ({WORKERS} at once)",
            f"{len(valid)} valid: {sum(bool(errors[f.id]) for f in valid)} with an error "
            f"({sum(bool(f.false_error) for f in valid)} known, in [source.false-errors])",
            f"{len(FILES) - len(valid)} refused by the API server: "
            f"{len(FILES) - len(valid) - len(missed)} with an error, {len(missed)} without",
            f"kubeconform rejects {len(result.kubeconform_rejects)}",
            *(
                f"  not caught offline, {n}: {why}"
                for why, n in Counter(f.reason for f in missed).items()
            ),
        ]
    )
    return result


def describe(findings: list[Finding]) -> str:
    return "; ".join(f"{f.rule} line {f.line}: {f.message}" for f in findings)


def test_sources_pin_exact_releases_and_name_their_licence() -> None:
    # Given the committed sources
    for source in load_sources():
        # Then each is an exact release with its licence, never a branch or a range
        assert re.fullmatch(r"v\d+\.\d+\.\d+", source.version), source.pin
        assert source.licence, f"{source.pin} names no licence"
        assert source.include, f"{source.pin} selects nothing"


@needs_corpus
def test_invalid_entries_name_selected_files() -> None:
    # Given the files the corpus selects
    assert FILES is not None
    selected = {(f.source.pin, f.path) for f in FILES}
    # Then every file listed invalid is one of them (a stale entry would check nothing)
    stale = [
        f"{s.pin}/{path}"
        for s in load_sources()
        for path in (*s.invalid, *s.false_errors)
        if (s.pin, path) not in selected
    ]
    assert not stale, f"sources.toml lists files the corpus does not select: {stale}"


@needs_corpus
def test_no_error_on_a_file_the_api_server_accepts(verdicts: Verdicts) -> None:
    # Given every file a real API server accepts, validated on its own
    assert FILES is not None
    # Then the validator reports no error on any of them, but for the known false errors
    false = {
        f.id: describe(verdicts.errors[f.id])
        for f in FILES
        if f.valid and not f.false_error and verdicts.errors[f.id]
    }
    assert not false, "errors on files the API server accepts:\n" + "\n".join(
        f"{k}: {v}" for k, v in false.items()
    )


@needs_corpus
def test_known_false_errors_are_still_reported(verdicts: Verdicts) -> None:
    # Given the valid files [source.false-errors] names
    assert FILES is not None
    known = [f for f in FILES if f.false_error]
    # Then each is a valid file that still gets an error (a fixed one must leave the list)
    assert all(f.valid for f in known), [f.id for f in known if not f.valid]
    fixed = [f.id for f in known if not verdicts.errors[f.id]]
    assert not fixed, f"no longer an error: delete from [source.false-errors]: {fixed}"


@needs_corpus
def test_every_file_kubeconform_rejects_is_rejected(verdicts: Verdicts) -> None:
    # Given the files the real kubeconform rejects with our schemas
    # Then the validator rejects each of them too
    missed = {k: v for k, v in verdicts.kubeconform_rejects.items() if not verdicts.errors[k]}
    assert not missed, "kubeconform rejects, the validator does not:\n" + "\n".join(
        f"{k}: {v}" for k, v in missed.items()
    )
