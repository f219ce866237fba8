"""Generate the schema cache of each Kubernetes version from the pinned sources.

A version folder is written to a temporary sibling and swapped in whole, with
its ``index.json`` (and fingerprint) last, so an interrupted run leaves either
the old folder or none. A folder whose fingerprint matches the pins and this
generator's code is up to date and left alone.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from guestbook.errors import GuestbookError
from guestbook.validate.schemas.convert import GroupVersionKind, Inliner, Schema
from guestbook.validate.schemas.crds import crd_schemas
from guestbook.validate.schemas.gomod import Module, download
from guestbook.validate.schemas.openapi import kind_schemas, strict_definitions
from guestbook.validate.schemas.sources import (
    CRD_SOURCES,
    KUBERNETES_MODULE,
    KUBERNETES_OPENAPI_SPEC,
    CrdSource,
)
from guestbook.validate.schemas.store import INDEX_FILE, SchemaIndex, SchemaStore

_YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def fingerprint(kubernetes_version: str, sources: Sequence[CrdSource] = CRD_SOURCES) -> str:
    """What a version folder is generated from: the pins and this generator's code."""
    digest = hashlib.sha256()
    digest.update(f"{KUBERNETES_MODULE}@v{kubernetes_version}\n".encode())
    for source in sources:
        digest.update(f"{source.module}@{source.version}:{','.join(source.paths)}\n".encode())
    for code in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(code.name.encode() + b"\0" + code.read_bytes())
    return digest.hexdigest()[:20]


def is_current(store: SchemaStore, sources: Sequence[CrdSource] = CRD_SOURCES) -> bool:
    """Whether ``store`` holds schemas generated from the current pins and code."""
    index = store.read_index()
    return index is not None and index.fingerprint == fingerprint(store.kubernetes_version, sources)


def ensure(
    stores: Iterable[SchemaStore],
    *,
    sources: Sequence[CrdSource] = CRD_SOURCES,
    force: bool = False,
    log: Callable[[str], None] = lambda _: None,
) -> list[SchemaStore]:
    """Generate every store in ``stores`` that is missing or stale; return those generated."""
    stale = [s for s in stores if force or not is_current(s, sources)]
    if not stale:
        return []
    wanted = [(KUBERNETES_MODULE, f"v{s.kubernetes_version}") for s in stale]
    wanted += [(source.module, source.version) for source in sources]
    log(f"fetching {', '.join(f'{p}@{v}' for p, v in dict.fromkeys(wanted))}")
    modules = download(wanted)
    for store in stale:
        kubernetes = modules[(KUBERNETES_MODULE, f"v{store.kubernetes_version}")]
        index = generate(store, kubernetes, [(s, modules[(s.module, s.version)]) for s in sources])
        log(f"Kubernetes {store.kubernetes_version}: {len(index.kinds)} kinds in {store.directory}")
    return stale


def generate(
    store: SchemaStore, kubernetes: Module, crd_modules: Sequence[tuple[CrdSource, Module]]
) -> SchemaIndex:
    """Write ``store``'s folder from already downloaded modules; return its index."""
    spec = _read_json(kubernetes.dir / KUBERNETES_OPENAPI_SPEC)
    inliner = Inliner(strict_definitions(spec))
    schemas = kind_schemas(spec, inliner)
    for source, module in crd_modules:
        custom = crd_schemas(_read_crds(module.dir, source.paths), inliner)
        clash = sorted(gvk.api_version + " " + gvk.kind for gvk in custom.keys() & schemas.keys())
        if clash:
            raise GuestbookError(
                f"{source.module}: CRDs redefine built-in kinds: {', '.join(clash)}"
            )
        schemas.update(custom)
    index = SchemaIndex(
        kubernetes_version=store.kubernetes_version,
        fingerprint=fingerprint(store.kubernetes_version, [s for s, _ in crd_modules]),
        sources=tuple(f"{m.path}@{m.version}" for m in (kubernetes, *(m for _, m in crd_modules))),
        kinds=_served_kinds(schemas),
    )
    _write(store, schemas, index)
    return index


def _served_kinds(schemas: Mapping[GroupVersionKind, Schema]) -> dict[str, tuple[str, ...]]:
    kinds: dict[str, list[str]] = {}
    for gvk in sorted(schemas):
        kinds.setdefault(gvk.kind, []).append(gvk.api_version)
    return {kind: tuple(versions) for kind, versions in kinds.items()}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise GuestbookError(f"{path}: cannot read the OpenAPI spec: {err}") from None
    if not isinstance(data, dict):
        raise GuestbookError(f"{path}: not an OpenAPI document")
    return data


def _read_crds(module_dir: Path, paths: Iterable[str]) -> list[Mapping[str, Any]]:
    documents: list[Mapping[str, Any]] = []
    for relative in paths:
        path = module_dir / relative
        try:
            text = path.read_text(encoding="utf-8")
            documents.extend(d for d in yaml.load_all(text, Loader=_YamlLoader) if d)
        except (OSError, yaml.YAMLError) as err:
            raise GuestbookError(f"{path}: cannot read CRDs: {err}") from None
    return documents


def _write(
    store: SchemaStore, schemas: Mapping[GroupVersionKind, Schema], index: SchemaIndex
) -> None:
    store.root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{store.directory.name}.new-", dir=store.root))
    staging.chmod(0o755)  # mkdtemp makes it private; the cache is ordinary project files
    try:
        for gvk, schema in sorted(schemas.items()):
            target = staging / gvk.schema_file()
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(schema, sort_keys=True, separators=(",", ":")))
        (staging / INDEX_FILE).write_text(index.to_json(), encoding="utf-8")
        old = store.root / f".{store.directory.name}.old"
        shutil.rmtree(old, ignore_errors=True)
        if store.directory.exists():
            store.directory.rename(old)
        staging.rename(store.directory)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
