"""Find manifest files and stream their documents, with file and line for each field.

Unreadable files, YAML syntax errors and duplicate keys become findings
(rule ``yaml``) with the file and line, never exceptions: one broken file
must not hide the problems of the others. :func:`read_documents` is the
reference reader; :mod:`.reader` gives the same results faster with a Go
program and falls back to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from guestbook.errors import GuestbookError
from guestbook.validate.model import Document, Finding, Severity

if TYPE_CHECKING:
    import yaml

    from guestbook.yamlio import UniqueKeyLoader

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


def find_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders (recursively) into manifest files; keep named files as given."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(p for p in path.rglob("*") if p.suffix in MANIFEST_SUFFIXES and p.is_file())
            )
        elif path.is_file():
            files.append(path)
        else:
            raise GuestbookError(f"{path}: no such file or folder")
    return list(dict.fromkeys(files))


def _yaml_finding(
    path: Path, line: int, message: str, hint: str = "fix the YAML syntax"
) -> Finding:
    return Finding(
        rule="yaml",
        severity=Severity.ERROR,
        message=message,
        path=path,
        line=line,
        hint=hint,
    )


def read_documents(path: Path) -> tuple[list[Document], list[Finding]]:
    """Parse every document of one file. Empty documents are skipped."""
    # Imported here: guestbook-reader (see .reader) reads most files without PyYAML.
    import yaml

    from guestbook.yamlio import UniqueKeyLoader, construct_with_lines

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return [], [_yaml_finding(path, 1, f"cannot read file: {err}")]
    documents: list[Document] = []
    findings: list[Finding] = []
    loader = UniqueKeyLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            try:
                obj, lines = construct_with_lines(loader, node)
            except yaml.constructor.ConstructorError as err:
                # A duplicate key spoils one document, not the stream: keep reading.
                message = f"invalid YAML: {err.problem}"
                hint = (
                    "use a plain string key: Kubernetes objects have no list or mapping keys"
                    if err.problem == "found unhashable key"
                    else "each key may appear once per mapping; remove or rename one"
                )
                findings.append(_yaml_finding(path, _line(err), message, hint))
                _reset_constructor(loader)
                continue
            if obj is None:
                continue
            line = node.start_mark.line + 1
            if not isinstance(obj, Mapping):
                message = "document is not a mapping (a Kubernetes object)"
                hint = "each document must be one object with apiVersion, kind and metadata"
                findings.append(_yaml_finding(path, line, message, hint))
                continue
            documents.append(Document(path=path, line=line, obj=obj, lines=lines))
    except yaml.MarkedYAMLError as err:
        return documents, [
            *findings,
            _yaml_finding(path, _line(err), f"invalid YAML: {err.problem or err}"),
        ]
    except yaml.YAMLError as err:
        return documents, [*findings, _yaml_finding(path, 1, f"invalid YAML: {err}")]
    finally:
        loader.dispose()
    return documents, findings


def _line(err: yaml.MarkedYAMLError) -> int:
    mark = err.problem_mark or err.context_mark
    return mark.line + 1 if mark else 1


def _reset_constructor(loader: UniqueKeyLoader) -> None:
    """Forget a failed document's half-built objects before constructing the next one."""
    loader.constructed_objects = {}
    loader.recursive_objects = {}
    loader.state_generators = []
    loader.deep_construct = False


def load(paths: Iterable[Path]) -> Iterator[tuple[Path, list[Document], list[Finding]]]:
    """For each manifest file under ``paths``: its documents and any reading findings."""
    for path in find_files(paths):
        documents, findings = read_documents(path)
        yield path, documents, findings
