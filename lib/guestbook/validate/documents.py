"""Find manifest files and stream their documents, with file and line for each field.

Unreadable files, YAML syntax errors and duplicate keys become findings
(rule ``yaml``) with the file and line, never exceptions: one broken file
must not hide the problems of the others. :func:`read_documents` is the
reference reader; :mod:`.reader` gives the same results faster with a Go
program and falls back to it.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from guestbook.errors import GuestbookError
from guestbook.validate.limits import MAX_FILE_BYTES
from guestbook.validate.model import Document, FieldPath, Finding, Severity

if TYPE_CHECKING:
    import yaml

    from guestbook.yamlio import UniqueKeyLoader

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


def find_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders (recursively) into manifest files; keep named files as given.

    Anything that is not a folder is kept, so that reading it says what it is (a FIFO,
    a dangling symbolic link); so is a folder that cannot be listed, and a file whose
    status cannot be read: its manifests would otherwise go unchecked without a word.
    Only a path that does not exist at all is a :class:`GuestbookError`. Each file comes
    once, under the first name it was found by (a folder given twice, a file named again
    through a symbolic or hard link).
    """
    first: dict[object, Path] = {}
    for path in paths:
        given = _given_status(path)
        if given is not None and stat.S_ISDIR(given.st_mode):
            unlisted: set[Path] = set()
            found = sorted(_manifests_under(path, unlisted))
            for file in found:
                status = _status_of_found(file)  # one stat: a folder named *.yaml, and who
                if status is None or not stat.S_ISDIR(status.st_mode) or file in unlisted:
                    first.setdefault(_identity(file, status), file)
        else:
            first.setdefault(_identity(path, given), path)
    return list(first.values())


def _given_status(path: Path) -> os.stat_result | None:
    """The status of a path the user named, after symbolic links; None when it cannot be
    read (a dangling link, a folder above it that cannot be entered): it is then kept, and
    reading it says why. A path that does not exist at all is a :class:`GuestbookError`."""
    try:
        return os.stat(path)
    except OSError as err:
        if err.errno in _MISSING_ERRNOS and not os.path.islink(path):
            raise GuestbookError(f"{path}: no such file or folder") from None
        return None
    except ValueError:  # a NUL in the name
        raise GuestbookError(f"{path!r}: not a valid path") from None


_MISSING_ERRNOS = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})


def _manifests_under(folder: Path, unlisted: set[Path]) -> Iterator[Path]:
    """What ``folder.rglob("*")`` finds whose name has a manifest suffix (folders reached
    through a symbolic link are not entered), and each folder under it, ``folder`` included,
    that cannot be listed, which is also added to ``unlisted``. ``rglob`` skips such a
    folder without a word, and a validator would then pass files it never saw."""
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            with os.scandir(current) as listing:
                entries = list(listing)
        except OSError as err:
            if err.errno not in _MISSING_ERRNOS:  # not merely gone since it was listed
                unlisted.add(current)
                yield current
            continue
        for entry in entries:
            path = current / entry.name
            try:
                inside = entry.is_dir(follow_symlinks=False)
            except OSError:
                inside = False  # its status cannot be read: reading it says why
            if inside:
                pending.append(path)
            if _suffix(entry.name) in MANIFEST_SUFFIXES:
                yield path


def _suffix(name: str) -> str:
    """``PurePath(name).suffix``, without building a path."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def _status_of_found(file: Path) -> os.stat_result | None:
    """``file``'s status after symbolic links, None if it is gone, a dangling link, or its
    status cannot be read (a folder that can be listed but not searched): then it is kept
    as a file, and reading it says what is wrong."""
    try:
        return file.stat()
    except (OSError, ValueError):
        return None


def _identity(file: Path, status: os.stat_result | None) -> object:
    """What tells two names of one file apart from two files: its device and inode (one
    ``stat``, where resolving the name would look at each folder above it)."""
    if status is None:
        return os.path.realpath(file)  # a dangling link: nothing else can name it
    return (status.st_dev, status.st_ino)


_FILE_TYPES = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFDIR: "a folder",
}


class _UnreadableError(Exception):
    """Why a file cannot be read as text, in words for the finding, and how to fix it."""

    def __init__(self, why: str, hint: str = "") -> None:
        super().__init__(why)
        self.hint = hint or _READ_HINT


def _read_text(path: Path) -> str:
    """The file's text as Python reads it (UTF-8, universal newlines), never blocking.

    A FIFO would block until someone writes to it: the file is opened without blocking
    and read only if it is a regular file.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        if path.is_symlink():
            target = os.readlink(path)
            raise _UnreadableError(
                f"it is a symbolic link to {target!r}, which does not exist"
            ) from None
        raise _UnreadableError("it was deleted while being read") from None
    except OSError as err:
        if os.path.isdir(path):
            raise _UnreadableError(
                f"it is a folder that cannot be listed ({err.strerror or err}): its manifests "
                "were not checked",
                _PERMISSION_HINT,
            ) from None
        if err.errno in (errno.EACCES, errno.EPERM):
            raise _UnreadableError(err.strerror or str(err), _PERMISSION_HINT) from None
        raise _UnreadableError(err.strerror or str(err)) from None
    with open(fd, "rb") as file:
        status = os.fstat(fd)
        kind = stat.S_IFMT(status.st_mode)
        if kind != stat.S_IFREG:
            what = _FILE_TYPES.get(kind, "not a regular file")
            raise _UnreadableError(f"it is {what}, not a regular file")
        data = file.read(MAX_FILE_BYTES + 1) if status.st_size <= MAX_FILE_BYTES else b""
        size = max(status.st_size, len(data))
        if size > MAX_FILE_BYTES:
            raise _UnreadableError(
                f"it has {size} bytes, more than the {MAX_FILE_BYTES} a manifest file may have"
            )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _UnreadableError(str(err)) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


_READ_HINT = "name only regular files of YAML or JSON manifests"
_PERMISSION_HINT = (
    "let the user who validates read it (and enter a folder), or exclude it (`exclude` in the "
    "configuration file)"
)


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


def is_list(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is a List (``kubectl get -o yaml``), whose items are the objects.

    A ``List`` (in any case, as kubeconform decides it), or a typed list such as
    ``ConfigMapList`` whose ``items`` is a list: kubectl applies the items of any object
    whose ``items`` is a list, so a typed list needs no name of its own.
    """
    kind = obj.get("kind")
    if not isinstance(kind, str):
        return False
    return kind.lower() == "list" or (kind.endswith("List") and isinstance(obj.get("items"), list))


def list_items(doc: Document) -> tuple[list[Document], list[Finding]]:
    """The items of a List as documents, each with its own line and field lines."""
    items = doc.obj.get("items")
    if items is None:
        return [], []
    if not isinstance(items, list):
        message = "List items is not a list of objects"
        hint = "write items as a list of objects, each with apiVersion, kind and metadata"
        return [], [_yaml_finding(doc.path, doc.line_of("items"), message, hint)]
    split = doc.lines.item_lines() if isinstance(doc.lines, SplitsItems) else _item_lines(doc)
    documents: list[Document] = []
    findings: list[Finding] = []
    for index, (item, (line, lines)) in enumerate(zip(items, split, strict=True)):
        if isinstance(item, Mapping):
            documents.append(Document(path=doc.path, line=line, obj=item, lines=lines))
        else:
            message = f"List item {index} is not a mapping (a Kubernetes object)"
            hint = "each item must be one object with apiVersion, kind and metadata"
            findings.append(_yaml_finding(doc.path, line, message, hint))
    return documents, findings


@runtime_checkable
class SplitsItems(Protocol):
    """Field lines that give a List's items theirs without pairing every field (the Go
    reader's, :class:`~guestbook.validate.reader.FieldLines`)."""

    def item_lines(self) -> list[tuple[int, Mapping[FieldPath, int]]]:
        """Each item's line and field lines."""
        ...


def _item_lines(doc: Document) -> list[tuple[int, Mapping[FieldPath, int]]]:
    """Each item's line and field lines (relative to the item), from the List's."""
    count = len(doc.obj["items"])
    lines: list[dict[FieldPath, int]] = [{} for _ in range(count)]
    for field, line in doc.lines.items():
        if len(field) > 2 and field[0] == "items" and isinstance(field[1], int):
            lines[field[1]][field[2:]] = line
    return [(doc.line_of("items", index), lines[index]) for index in range(count)]


def expand_lists(documents: list[Document]) -> tuple[list[Document], list[Finding]]:
    """``documents`` with each List replaced by its items (kubectl applies the items)."""
    if not any(is_list(doc.obj) for doc in documents):
        return documents, []
    expanded: list[Document] = []
    findings: list[Finding] = []
    for doc in documents:
        if is_list(doc.obj):
            items, problems = list_items(doc)
            expanded.extend(items)
            findings.extend(problems)
        else:
            expanded.append(doc)
    return expanded, findings


def read_documents(path: Path) -> tuple[list[Document], list[Finding]]:
    """Parse every document of one file; a List's items are its documents.

    Empty documents are skipped.
    """
    documents, findings = _parse_documents(path)
    items, problems = expand_lists(documents)
    return items, [*findings, *problems]


def _parse_documents(path: Path) -> tuple[list[Document], list[Finding]]:
    # Imported here: guestbook-reader (see .reader) reads most files without PyYAML.
    import yaml

    from guestbook.validate.goyaml import read_as_kubectl
    from guestbook.validate.limits import check_node
    from guestbook.yamlio import UniqueKeyLoader, construct_with_lines

    try:
        text = _read_text(path)
    except _UnreadableError as err:
        return [], [_yaml_finding(path, 1, f"cannot read file: {err}", err.hint)]
    text, escape = read_as_kubectl(text, UniqueKeyLoader)
    if escape is not None:
        hint = "write the character itself: kubectl reads no \\/ escape"
        return [], [_yaml_finding(path, escape.line, escape.message, hint)]
    documents: list[Document] = []
    findings: list[Finding] = []
    loader = UniqueKeyLoader(text)
    anchors = "&" in text  # without anchors there are no aliases to expand
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            excess = check_node(node, aliases=anchors)
            if excess is not None:
                findings.append(_yaml_finding(path, excess.line, excess.message, excess.hint))
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
