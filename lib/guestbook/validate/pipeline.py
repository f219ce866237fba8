"""The validation pipeline: documents -> kubeconform -> rule layers -> one report.

kubeconform runs as a separate process while guestbook-reader (a small Go
program, see :mod:`.reader`) reads the same files and the rules run, so the
schema layer costs little more than kubeconform alone. kubeconform's verdicts are
kept per file content (:mod:`.verdicts`): a later run checks only what changed,
while the rules always see every file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from guestbook.errors import GuestbookError
from guestbook.kubernetes import KUBERNETES_VERSION, SELECTABLE_KUBERNETES_VERSIONS
from guestbook.validate.cel import cel_binary, cel_findings
from guestbook.validate.documents import find_files
from guestbook.validate.kubeconform import DEFAULT_WORKERS, Kubeconform, Result
from guestbook.validate.model import Document, Finding, Report
from guestbook.validate.packs import SeenFiles
from guestbook.validate.read_cache import CachedReading, ReadCache
from guestbook.validate.reader import Reader, Reading
from guestbook.validate.rule_cache import KeptFindings, RuleCache
from guestbook.validate.schema_layer import schema_findings
from guestbook.validate.schemas import SchemaStore
from guestbook.validate.settings import DEFAULTS, ValidateSettings
from guestbook.validate.tools import kubeconform_binary, reader_binary, schemas_root, tools_dir
from guestbook.validate.user_crds import (
    CrdSchemas,
    GivenCrds,
    crd_schemas,
    crds_among,
    given_crds,
    unique,
)
from guestbook.validate.verdicts import VerdictCache, Verdicts, verdicts

Progress = Callable[[str], None]
"""Told what the pipeline is doing, one short line per stage."""


def check_kubernetes_version(version: str) -> str:
    """``version`` if it is supported, else a :class:`GuestbookError` naming the choices."""
    if version not in SELECTABLE_KUBERNETES_VERSIONS:
        choices = ", ".join(SELECTABLE_KUBERNETES_VERSIONS)
        raise GuestbookError(
            f"Kubernetes {version} is not supported; use one of {choices} "
            f"(default {KUBERNETES_VERSION})"
        )
    return version


def validate(
    paths: Iterable[Path | str] = (Path("dist"),),
    *,
    kubernetes_version: str = KUBERNETES_VERSION,
    schema: bool = True,
    rules: bool = True,
    tools: Path | None = None,
    workers: int = DEFAULT_WORKERS,
    progress: Progress | None = None,
    server: Path | None = None,
    settings: ValidateSettings = DEFAULTS,
    crds: Sequence[Path] = (),
) -> Report:
    """Validate the manifests under ``paths`` (files or folders) and return every finding.

    ``schema`` runs kubeconform against the offline schemas of
    ``kubernetes_version`` (one of the supported versions); ``rules`` runs the
    rule layers. ``server`` names a kubeconfig: then every object is also sent to
    that API server as a dry-run apply (layer ``server``, see
    :mod:`guestbook.validate.server`). ``tools`` overrides the ``.tools`` folder (see
    :mod:`guestbook.validate.tools`). ``settings`` (see :mod:`guestbook.validate.settings`)
    excludes files, declares sets complete, disables rules or overrides their
    severity, and says whether kubeconform's verdicts are cached (in ``tools``, see
    :mod:`.verdicts`). ``crds`` names CRD files or folders (``--crd``): the custom resources
    they define are validated against them, as are those whose CRD is among the
    manifests (see :mod:`.user_crds` and :mod:`.cel`). Problems with the input or the
    setup raise :class:`GuestbookError`; problems in the manifests are findings.
    """
    tell = progress or (lambda _: None)
    check_kubernetes_version(kubernetes_version)
    files = [f for f in find_files(Path(p) for p in paths) if not settings.excluded(f)]
    names = [str(f) for f in files]

    store = SchemaStore(schemas_root(tools), kubernetes_version)
    index = store.index() if schema else None  # fails early, with the setup hint
    given = given_crds(crds, store) if index is not None else GivenCrds(CrdSchemas())
    custom = given.schemas
    # The files' states before anything reads them: what the caches keep is of what was read.
    seen = SeenFiles.now(names)
    run: Verdicts | None = None
    reading: Reading | CachedReading | None = None
    try:
        # kubeconform first: with the caches warm, the reader has little to do and the rules
        # wait for it, while kubeconform's own start-up is most of a small run.
        # kubeconform would wait on a FIFO; read_documents reports it (and files over the bound):
        # a file has a state only if it is a regular file within the bound.
        regular = [name for name in names if seen.states[name] is not None]
        if index is not None and regular:
            tell(f"kubeconform: {len(regular)} files against Kubernetes {kubernetes_version}")
            kubeconform = Kubeconform(
                kubeconform_binary(tools), store, workers, custom_locations=custom.locations()
            )
            run = verdicts(kubeconform, regular, _cache(settings, tools), seen)
        reading, kept = _start_reading(files, tools, seen if settings.cache else None, rules)

        _load_kept(kept, kubernetes_version)  # while the files are read
        tell(f"reading {len(files)} files")
        documents, findings = _documents(names, reading)
        unreadable = {str(f.path) for f in findings}

        everything = [doc for docs in documents.values() for doc in docs]
        found, refused = crds_among(everything)
        findings.extend(refused)
        if index is not None and found:
            custom = custom.merge(crd_schemas(found, store))
        if rules:
            tell(f"rules: {len(everything)} objects")
            complete = settings.completeness(files, _folder_files)
            findings.extend(_run_rules(everything, complete, kubernetes_version, kept))

        findings.extend(_ask_server(everything, server, tell))

        if run is not None and index is not None:
            tell("kubeconform: waiting for results")
            results = _with_found_crds(run.results(), kubeconform, custom, _cache(settings, tools))
            findings.extend(
                schema_findings(
                    results,
                    documents,
                    index=custom.extend(index),
                    load_schema=lambda v, k: custom.load(v, k) or store.load(v, k),
                    unreadable=unreadable,
                )
            )

        custom_objects = [d for d in everything if custom.serves(d.api_version, d.ref.kind)]
        checked = [
            c for c in unique([*given.crds(custom_objects), *found]) if c.has_server_checks()
        ]
        if checked:
            tell(f"CEL: {len(custom_objects)} custom resources")
            findings.extend(cel_findings(checked, custom_objects, cel_binary(tools)))

    finally:
        if reading is not None:
            reading.stop()
        if run is not None:
            run.stop()

    findings = settings.adjust(findings)
    return Report(
        findings=tuple(sorted(dict.fromkeys(findings), key=Finding.sort_key)),
        files=len(files),
        documents=len(everything),
        kubernetes_version=kubernetes_version,
        paths=tuple(files),
    )


def _start_reading(
    files: Sequence[Path], tools: Path | None, seen: SeenFiles | None, rules: bool
) -> tuple[Reading | CachedReading, KeptFindings | None]:
    """The files being read (through the reader's cache when ``seen``), and the rules' kept
    findings (when ``seen`` and ``rules``)."""
    reader = Reader(reader_binary(tools))
    if seen is None:
        return reader.start(files), None
    folder = tools or tools_dir()
    kept = RuleCache.in_tools(folder).begin(seen) if rules else None
    return ReadCache.in_tools(folder).start(reader, files, seen), kept


def _with_found_crds(
    results: list[Result], kubeconform: Kubeconform, custom: CrdSchemas, cache: VerdictCache | None
) -> list[Result]:
    """``results``, with the files that had no schema for a kind defined by a CRD found among
    the manifests validated again, now with that CRD's schemas."""
    again = {
        r.file
        for r in results
        if r.message.startswith("could not find schema for")
        and custom.serves(r.api_version, r.kind)
    }
    if not again:
        return results
    kubeconform = dataclasses.replace(kubeconform, custom_locations=custom.locations())
    rerun = verdicts(kubeconform, sorted(again), cache).results()
    return [r for r in results if r.file not in again] + rerun


def _cache(settings: ValidateSettings, tools: Path | None) -> VerdictCache | None:
    return VerdictCache.in_tools(tools or tools_dir()) if settings.cache else None


def _folder_files(folder: Path) -> list[Path]:
    return find_files([folder]) if folder.is_dir() else []


def _documents(
    names: Sequence[str], reading: Reading | CachedReading
) -> tuple[dict[str, list[Document]], list[Finding]]:
    """Each file's documents, and the problems of reading them."""
    documents: dict[str, list[Document]] = {}
    findings: list[Finding] = []
    for name, (docs, problems) in zip(names, reading.results(), strict=True):
        documents[name] = docs
        findings.extend(problems)
    return documents, findings


def _load_kept(kept: KeptFindings | None, kubernetes_version: str) -> None:
    if kept is not None:
        from guestbook.validate import rules

        rules.load(kept, kubernetes_version)


def _run_rules(
    documents: Sequence[Document],
    complete: Callable[[Path], bool],
    kubernetes_version: str,
    kept: KeptFindings | None,
) -> list[Finding]:
    from guestbook.validate import rules

    return rules.run(documents, complete=complete, kubernetes_version=kubernetes_version, kept=kept)


def _ask_server(
    documents: Sequence[Document], kubeconfig: Path | None, tell: Progress
) -> list[Finding]:
    """The API server's findings on ``documents`` (none without ``kubeconfig``)."""
    if kubeconfig is None:
        return []
    from guestbook.validate import kubeconfig as kube
    from guestbook.validate.server import ApiServer, server_findings

    tell(f"API server: {len(documents)} objects")
    return server_findings(documents, ApiServer(kube.load(kubeconfig)))
