"""The user's own CustomResourceDefinitions: given with ``--crd`` or found among the manifests.

Each CRD is checked the way the API server checks one on create (the rules a
CRD most often breaks: a served version, a schema for it, known types, the
name ``<plural>.<group>``), then every served version becomes a strict schema
by :func:`guestbook.validate.schemas.crds.crd_schemas`, the code that builds the
bundled ones. The result is cached by content under ``.tools/schemas/crds/``:
one folder per CRD, in kubeconform's layout, so a CRD is converted once and
later runs only pass its folder to kubeconform as one more schema location.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guestbook.errors import GuestbookError
from guestbook.validate import structural as _structural
from guestbook.validate.documents import find_files, read_documents
from guestbook.validate.model import Document, FieldPath, Finding
from guestbook.validate.schemas import SETUP_HINT, SchemaIndex, SchemaStore
from guestbook.validate.schemas import convert as _convert
from guestbook.validate.schemas import crds as _crds
from guestbook.validate.schemas.convert import LOCATION_SUFFIX, GroupVersionKind, Inliner
from guestbook.validate.schemas.openapi import OBJECT_META
from guestbook.validate.structural import structural

CRD_KIND = "CustomResourceDefinition"
CRD_API_VERSION = "apiextensions.k8s.io/v1"
CACHE_FOLDER = "crds"
"""Under the schemas root: one folder per CRD content."""
FILES_FOLDER = "files"
"""Under :data:`CACHE_FOLDER`: one index per ``--crd`` file content, naming its CRDs' folders."""
KINDS_FILE = "kinds.json"
"""In a CRD's cache folder, written last: the ``[apiVersion, kind]`` pairs it serves."""

_TYPES = ("array", "boolean", "integer", "number", "object", "string")
_MAX_PROBLEMS = 10


def is_crd(doc: Document) -> bool:
    """Whether ``doc`` is a CustomResourceDefinition (of any apiextensions version)."""
    return doc.ref.kind == CRD_KIND and doc.api_version.startswith("apiextensions.k8s.io/")


@dataclass(frozen=True)
class Crd:
    """One CustomResourceDefinition document, with where it was read."""

    doc: Document

    @property
    def name(self) -> str:
        """``metadata.name``, e.g. ``httproutes.gateway.networking.k8s.io``."""
        return self.doc.ref.name

    @property
    def where(self) -> str:
        """``file:line`` of the document, for messages."""
        return f"{self.doc.path}:{self.doc.line}"

    def served(self) -> tuple[GroupVersionKind, ...]:
        """The group, version and kind of every served version (of a checked CRD)."""
        spec = self.doc.obj["spec"]
        kind = spec["names"]["kind"]
        return tuple(
            GroupVersionKind(spec["group"], v["name"], kind)
            for v in spec["versions"]
            if v.get("served") is True
        )

    def has_server_checks(self) -> bool:
        """Whether it has CEL rules or ``set``/``map`` lists, which only guestbook-cel checks."""
        stack: list[Any] = [self.doc.obj.get("spec")]
        while stack:
            node = stack.pop()
            if isinstance(node, Mapping):
                if "x-kubernetes-validations" in node or node.get("x-kubernetes-list-type") in (
                    "set",
                    "map",
                ):
                    return True
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
        return False

    def key(self) -> str:
        """Its content, canonically: what its cache folder is named after."""
        return json.dumps(self.doc.obj, sort_keys=True, separators=(",", ":"), default=str)


def problems(obj: Mapping[str, Any]) -> list[tuple[FieldPath, str]]:
    """Why the API server would refuse the CRD ``obj`` (field path, what is wrong); pure."""
    if obj.get("apiVersion") != CRD_API_VERSION:
        return [
            (
                ("apiVersion",),
                f"apiVersion {obj.get('apiVersion')!r} is not served (apiextensions.k8s.io/v1beta1 "
                f"was removed in Kubernetes 1.22); expected {CRD_API_VERSION}",
            )
        ]
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        return [(("spec",), "missing or not a mapping")]
    found: list[tuple[FieldPath, str]] = []
    group = spec.get("group")
    if not isinstance(group, str) or "." not in group:
        found.append((("spec", "group"), f"{group!r} is not a DNS domain with at least one dot"))
    names = spec.get("names")
    names = names if isinstance(names, Mapping) else {}
    for key in ("kind", "plural"):
        if not isinstance(names.get(key), str) or not names[key]:
            found.append((("spec", "names", key), "missing"))
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, Mapping) else None
    if isinstance(group, str) and isinstance(names.get("plural"), str):
        expected = f"{names['plural']}.{group}"
        if name != expected:
            found.append(
                (
                    ("metadata", "name"),
                    f"{name!r} must be spec.names.plural.spec.group, {expected!r}",
                )
            )
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        found.append((("spec", "scope"), f"{spec.get('scope')!r}: expected Namespaced or Cluster"))
    versions = spec.get("versions")
    if not isinstance(versions, list) or not versions:
        return [*found, (("spec", "versions"), "missing or empty: a CRD needs a version")]
    for index, version in enumerate(versions):
        found.extend(_version_problems(version, ("spec", "versions", index)))
    if not any(isinstance(v, Mapping) and v.get("served") is True for v in versions):
        found.append((("spec", "versions"), "no served version (served: true)"))
    storage = sum(isinstance(v, Mapping) and v.get("storage") is True for v in versions)
    if storage != 1:
        found.append((("spec", "versions"), f"{storage} storage versions; exactly one must be"))
    return found


def _version_problems(version: Any, where: FieldPath) -> list[tuple[FieldPath, str]]:
    if not isinstance(version, Mapping):
        return [(where, "not a mapping")]
    found: list[tuple[FieldPath, str]] = []
    if not isinstance(version.get("name"), str) or not version["name"]:
        found.append(((*where, "name"), "missing"))
    for flag in ("served", "storage"):
        if not isinstance(version.get(flag), bool):
            found.append(((*where, flag), "missing: expected true or false"))
    if version.get("served") is not True:
        return found
    schema = version.get("schema")
    root = schema.get("openAPIV3Schema") if isinstance(schema, Mapping) else None
    where = (*where, "schema", "openAPIV3Schema")
    if not isinstance(root, Mapping):
        return [*found, (where, f"missing: a served version of an {CRD_API_VERSION} CRD needs one")]
    if root.get("type") != "object":
        found.append(((*where, "type"), "must be object"))
    return found + _schema_problems(root, where)


def _schema_problems(node: Mapping[str, Any], where: FieldPath) -> list[tuple[FieldPath, str]]:
    """Types, properties, items and required that a structural schema cannot have."""
    found: list[tuple[FieldPath, str]] = []
    stack: list[tuple[Any, FieldPath]] = [(node, where)]
    while stack:
        current, path = stack.pop()
        if not isinstance(current, Mapping):
            found.append((path, "not a schema (a mapping)"))
            continue
        kind = current.get("type")
        if kind is not None and kind not in _TYPES:
            found.append(
                ((*path, "type"), f"{kind!r} is not a type; expected one of {', '.join(_TYPES)}")
            )
        properties = current.get("properties", {})
        if not isinstance(properties, Mapping):
            found.append(((*path, "properties"), "not a mapping of field names to schemas"))
        else:
            stack.extend((v, (*path, "properties", k)) for k, v in properties.items())
        if "items" in current:
            stack.append((current["items"], (*path, "items")))
        extra = current.get("additionalProperties")
        if isinstance(extra, Mapping):
            stack.append((extra, (*path, "additionalProperties")))
        required = current.get("required", [])
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            found.append(((*path, "required"), "not a list of field names"))
        if len(found) >= _MAX_PROBLEMS:
            break
    return found


def _dotted(path: FieldPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def describe(crd: Document, path: FieldPath, message: str) -> str:
    """One problem of ``crd`` as a line naming the file, the line and the field."""
    return f"{crd.path}:{crd.line_of(*path)}: CustomResourceDefinition {crd.ref.name}: " + (
        f"{_dotted(path)}: {message}"
    )


def _read_crd_file(file: Path, errors: list[str]) -> list[Crd]:
    """The CRDs of one file, checked; what is wrong is added to ``errors``."""
    documents, unreadable = read_documents(file)
    errors.extend(f"{f.path}:{f.line}: {f.message}" for f in unreadable)
    crds = []
    for doc in documents:
        if is_crd(doc):
            wrong = problems(doc.obj)
            errors.extend(describe(doc, p, m) for p, m in wrong[:_MAX_PROBLEMS])
            crds.append(Crd(doc))
    return crds


@dataclass(frozen=True)
class CachedCrd:
    """One CRD of a ``--crd`` file as the cache remembers it: enough to use it unparsed."""

    name: str
    folder: str
    """Its schema folder under ``.tools/schemas/crds/``."""
    where: str
    """``file:line``."""


@dataclass(frozen=True)
class GivenCrds:
    """The CRDs given with ``--crd``: their schemas, and the CRDs themselves on demand."""

    schemas: CrdSchemas
    files: Mapping[Path, tuple[str, ...]] = field(default_factory=dict)
    """Each file, with the schema folders of its CRDs."""

    def crds(self, objects: Iterable[Document]) -> list[Crd]:
        """The CRDs defining ``objects``, read again from their files (CEL needs them)."""
        used = {(doc.api_version, doc.ref.kind) for doc in objects}
        errors: list[str] = []
        return unique(
            crd
            for file, folders in self.files.items()
            if any(used & set(_read_kinds(self.schemas.root / f) or ()) for f in folders)
            for crd in _read_crd_file(file, errors)
        )


def given_crds(paths: Iterable[Path], store: SchemaStore) -> GivenCrds:
    r"""The CRDs in the files and folders ``paths`` (``--crd``), checked, with their schemas.

    A file whose content was seen before is not parsed: the cache remembers
    its CRDs' folders by the hash of its bytes. A path without any CRD, a file
    that is not YAML and a CRD the API server would refuse are
    :class:`GuestbookError`\ s naming the file.
    """
    paths = list(paths)
    if not paths:
        return GivenCrds(CrdSchemas())
    cache = _Cache.open(store)
    errors: list[str] = []
    given: list[CachedCrd] = []
    files: dict[Path, tuple[str, ...]] = {}
    for path in paths:
        found: list[CachedCrd] = []
        for file in find_files([path]):
            crds = cache.file(file, errors)
            files[file] = tuple(crd.folder for crd in crds)
            found.extend(crds)
        if not found and not errors:
            errors.append(f"{path}: no CustomResourceDefinition found (--crd)")
        given.extend(found)
    if errors:
        raise GuestbookError("invalid --crd:\n  " + "\n  ".join(errors))
    seen: dict[str, CachedCrd] = {}
    for crd in given:
        first = seen.setdefault(crd.name, crd)
        if first.folder != crd.folder:
            raise GuestbookError(
                f"{crd.where}: CustomResourceDefinition {crd.name} differs from the one "
                f"at {first.where}; keep one of them"
            )
    return GivenCrds(cache.schemas([crd.folder for crd in given]), files)


def unique(crds: Iterable[Crd]) -> list[Crd]:
    """``crds`` without repeats of the same content (the first one is kept)."""
    return list({crd.key(): crd for crd in reversed(list(crds))}.values())[::-1]


def crds_among(documents: Iterable[Document]) -> tuple[list[Crd], list[Finding]]:
    """The CRDs among validated manifests, and findings (rule ``crd``) for those the API
    server would refuse."""
    crds: list[Crd] = []
    findings: list[Finding] = []
    for doc in documents:
        if not is_crd(doc):
            continue
        wrong = problems(doc.obj)
        for path, message in wrong[:_MAX_PROBLEMS]:
            findings.append(
                Finding.at(
                    doc,
                    "crd",
                    f"CustomResourceDefinition {doc.ref.name}: {_dotted(path)}: {message}",
                    field_path=path,
                    hint="the API server refuses this CRD, and the resources it would define",
                )
            )
        if not wrong:
            crds.append(Crd(doc))
    return crds, findings


@dataclass(frozen=True)
class CrdSchemas:
    """The cached schema folders of a set of CRDs, and what they serve."""

    root: Path = Path()
    """The cache folder (``.tools/schemas/crds``)."""
    directories: tuple[Path, ...] = ()
    kinds: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Kind to the apiVersions the CRDs serve it in."""

    def locations(self) -> tuple[str, ...]:
        """kubeconform ``-schema-location`` templates, one per folder."""
        return tuple(f"{d.resolve().as_posix()}/{LOCATION_SUFFIX}" for d in self.directories)

    def extend(self, index: SchemaIndex) -> SchemaIndex:
        """``index`` serving these CRDs' kinds too (for the schema layer's hints)."""
        kinds = dict(index.kinds)
        for kind, versions in self.kinds.items():
            kinds[kind] = tuple(dict.fromkeys((*versions, *kinds.get(kind, ()))))
        return dataclasses.replace(index, kinds=kinds)

    def merge(self, other: CrdSchemas) -> CrdSchemas:
        """These schemas, then ``other``'s (the first folder with a kind's file wins)."""
        kinds = {k: tuple(v) for k, v in self.kinds.items()}
        for kind, versions in other.kinds.items():
            kinds[kind] = tuple(dict.fromkeys((*kinds.get(kind, ()), *versions)))
        directories = tuple(dict.fromkeys((*self.directories, *other.directories)))
        return CrdSchemas(other.root if other.directories else self.root, directories, kinds)

    def serves(self, api_version: str, kind: str) -> bool:
        """Whether one of the CRDs defines ``kind`` in ``api_version``."""
        return api_version in self.kinds.get(kind, ())

    def load(self, api_version: str, kind: str) -> Mapping[str, Any] | None:
        """The schema of ``kind`` in ``api_version`` from these folders, or None."""
        group, _, version = api_version.rpartition("/")
        relative = GroupVersionKind(group, version, kind).schema_file()
        for directory in self.directories:
            try:
                data = json.loads((directory / relative).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, Mapping):
                return data
        return None


def crd_schemas(crds: Sequence[Crd], store: SchemaStore) -> CrdSchemas:
    """Schemas for the checked ``crds``, generated into the cache unless already there.

    ``store`` is the built-in schemas of the Kubernetes version validated
    against: its ObjectMeta is the custom resources' ``metadata``.
    """
    if not crds:
        return CrdSchemas()
    cache = _Cache.open(store)
    return cache.schemas([cache.folder(crd) for crd in crds])


@dataclass(frozen=True)
class _Cache:
    """``.tools/schemas/crds``: a folder per CRD content, an index per ``--crd`` file content."""

    root: Path
    meta: Mapping[str, Any]
    digest: str
    """Of what the schemas depend on besides the CRD: ObjectMeta and the converting code."""

    @classmethod
    def open(cls, store: SchemaStore) -> _Cache:
        meta = _object_meta(store)
        digest = hashlib.sha256(json.dumps(meta, sort_keys=True).encode())
        for module in (_convert, _crds, _structural):
            digest.update(Path(str(module.__file__)).read_bytes())
        digest.update(Path(__file__).read_bytes())
        return cls(store.root / CACHE_FOLDER, meta, digest.hexdigest())

    def _key(self, content: bytes) -> str:
        return hashlib.sha256(self.digest.encode() + content).hexdigest()[:24]

    def folder(self, crd: Crd) -> str:
        """``crd``'s schema folder name, generated first when missing."""
        name = self._key(crd.key().encode())
        if _read_kinds(self.root / name) is None:
            _generate(crd, self.meta, self.root / name)
        return name

    def file(self, file: Path, errors: list[str]) -> list[CachedCrd]:
        """The CRDs of ``file``: from its index when its content was seen, else read."""
        try:
            content = file.read_bytes()
        except OSError as err:
            errors.append(f"{file}: cannot read: {err.strerror}")
            return []
        index = self.root / FILES_FOLDER / f"{self._key(content)}.json"
        try:
            entries = json.loads(index.read_text(encoding="utf-8"))
            return [CachedCrd(e["name"], e["folder"], f"{file}:{e['line']}") for e in entries]
        except (OSError, ValueError, KeyError, TypeError):
            pass
        count = len(errors)
        crds = _read_crd_file(file, errors)
        if len(errors) > count:
            return [CachedCrd(c.name, "", c.where) for c in crds]
        cached = [CachedCrd(c.name, self.folder(c), c.where) for c in crds]
        entries = [
            {"name": c.name, "folder": c.folder, "line": crd.doc.line}
            for c, crd in zip(cached, crds, strict=True)
        ]
        _write_atomically(index, json.dumps(entries))
        return cached

    def schemas(self, folders: Sequence[str]) -> CrdSchemas:
        """The schemas in ``folders``, in that order."""
        directories = tuple(self.root / name for name in dict.fromkeys(folders))
        kinds: dict[str, list[str]] = {}
        for directory in directories:
            for api_version, kind in _read_kinds(directory) or ():
                versions = kinds.setdefault(kind, [])
                if api_version not in versions:
                    versions.append(api_version)
        return CrdSchemas(self.root, directories, {k: tuple(v) for k, v in kinds.items()})


def _write_atomically(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", dir=path.parent, prefix=f".{path.name}.", delete=False, encoding="utf-8"
        ) as out:
            out.write(text)
        Path(out.name).chmod(0o644)
        Path(out.name).replace(path)
    except OSError as err:
        raise GuestbookError(f"{path}: cannot write the CRD cache: {err}") from None


def _object_meta(store: SchemaStore) -> dict[str, Any]:
    """The built-in ObjectMeta schema (every built-in kind's ``metadata`` is it, inlined)."""
    config_map = store.load("v1", "ConfigMap")
    meta = (config_map or {}).get("properties", {}).get("metadata")
    if not isinstance(meta, Mapping):
        raise GuestbookError(
            f"no schemas for Kubernetes {store.kubernetes_version} in {store.directory}; "
            f"{SETUP_HINT}"
        )
    return dict(meta)


def _read_kinds(directory: Path) -> list[tuple[str, str]] | None:
    try:
        data = json.loads((directory / KINDS_FILE).read_text(encoding="utf-8"))
        return [(str(api_version), str(kind)) for api_version, kind in data]
    except (OSError, ValueError, TypeError):
        return None


def _generate(crd: Crd, meta: Mapping[str, Any], directory: Path) -> list[tuple[str, str]]:
    """Write ``crd``'s schemas into ``directory`` (whole or not at all); return what it serves."""
    inliner = Inliner({OBJECT_META: dict(meta)})
    try:
        schemas = _crds.crd_schemas([structural(crd.doc.obj)], inliner)
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as err:
        raise GuestbookError(
            f"{crd.where}: CustomResourceDefinition {crd.name}: cannot convert its schema: "
            f"{type(err).__name__}: {err}"
        ) from None
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.new-", dir=directory.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the cache is ordinary project files
    served = [(gvk.api_version, gvk.kind) for gvk in sorted(schemas)]
    try:
        for gvk, schema in sorted(schemas.items()):
            target = staging / gvk.schema_file()
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(schema, sort_keys=True, separators=(",", ":")))
        (staging / KINDS_FILE).write_text(json.dumps(served), encoding="utf-8")
        try:
            staging.rename(directory)
        except OSError:
            if _read_kinds(directory) is None:  # not another run's identical result
                raise
    except OSError as err:
        raise GuestbookError(f"{directory}: cannot write CRD schemas: {err}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return served
