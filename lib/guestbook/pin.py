"""``guestbook pin``: resolve each image's tag to its digest and write it into the overlay.

The plan is pure: given an environment and a resolver (tag -> digest, the network
edge in :mod:`guestbook.oci`), decide for each image key what changes. The
rewrite is pure too, text in and text out: it edits the overlay with ruamel.yaml's
round-trip mode, so comments, key order, quoting and flow style survive (and sets
aside what the round trip would drop: line endings, a byte order mark, document
markers), and it checks that nothing but the pinned keys changed. :func:`pin_environment` and
:func:`write_overlay` are the thin edge that reads and (atomically) writes the file.
"""

from __future__ import annotations

import io
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError
from ruamel.yaml.util import load_yaml_guess_indent

from guestbook.environments import Environment
from guestbook.errors import GuestbookError
from guestbook.images import ImageReference, parse_image, tag_to_resolve
from guestbook.yamlio import UniqueKeyLoader

IMAGE_KEYS: tuple[str, ...] = (
    "frontend.image",
    "frontend.canary.image",
    "redis.leader.image",
    "redis.followers.image",
    "monitoring.exporterImage",
    "logging.collector.image",
)
"""Every image in an overlay, as dotted camelCase key paths."""

Resolver = Callable[[ImageReference, str], str]
"""Given a reference and the tag to resolve, return the ``sha256:...`` digest."""


@dataclass(frozen=True)
class PinChange:
    """What pinning does to one image key."""

    key: str
    """Dotted key path in the overlay, e.g. ``redis.leader.image``."""
    old: str
    """The image as the environment has it now (from the overlay or the defaults)."""
    new: str
    """The image pinned by digest; equal to ``old`` when nothing changes."""
    note: str = ""
    """Why nothing changed, when that needs saying."""

    @property
    def changed(self) -> bool:
        """Whether the overlay needs a new value here."""
        return self.old != self.new


def check_keys(keys: Iterable[str]) -> list[str]:
    """The requested image keys in overlay order; an unknown key is a user error."""
    wanted = list(dict.fromkeys(keys))
    for key in wanted:
        if key not in IMAGE_KEYS:
            raise GuestbookError(
                f"unknown image key {key!r}; expected one of: {', '.join(IMAGE_KEYS)}"
            )
    return [key for key in IMAGE_KEYS if key in wanted]


def images_in_use(env: Environment) -> list[str]:
    """The image keys whose images ``env`` deploys: the exporter only with monitoring on,
    the canary's only with a canary, the log collector's only when the overlay renders it."""
    effective = env.props.model_dump(by_alias=True)
    optional = {
        "monitoring.exporterImage": env.props.monitoring.enabled,
        "logging.collector.image": env.props.logging.collector.enabled,
    }
    return [
        key
        for key in IMAGE_KEYS
        if _value_at(effective, key) is not None and optional.get(key, True)
    ]


def _value_at(data: Mapping[str, Any], key: str) -> Any:
    """The value at a dotted key path, or None where a section along it is unset."""
    current: Any = data
    for part in key.split("."):
        if current is None:
            return None
        current = current[part]
    return current


def plan_pins(env: Environment, keys: Sequence[str], resolve: Resolver) -> list[PinChange]:
    """Resolve every image under ``keys`` and say what changes; nothing is written.

    References are checked first (no ``:latest``, valid syntax), then resolved; all
    problems are reported together in one :class:`GuestbookError`.
    """
    effective = env.props.model_dump(by_alias=True)
    problems: list[str] = []
    todo: list[tuple[str, ImageReference, str | None]] = []
    for key in keys:
        value = _value_at(effective, key)
        if value is None:
            section = key.rsplit(".", 1)[0]
            canary = env.props.frontend.canary
            why = (
                "frontend.canary has steps: the Rollout runs frontend.image"
                if key == "frontend.canary.image" and canary is not None
                else f"the environment has no {section}"
            )
            problems.append(f"{key}: not set ({why})")
            continue
        image = str(value)
        try:
            ref = parse_image(image)
            todo.append((key, ref, tag_to_resolve(ref)))
        except GuestbookError as err:
            problems.append(f"{key}: {err}")
    if problems:
        raise GuestbookError(_problems(env.source, problems))

    changes: list[PinChange] = []
    for key, ref, tag in todo:
        if tag is None:
            changes.append(PinChange(key, str(ref), str(ref), "pinned by digest only, no tag"))
            continue
        try:
            digest = resolve(ref, tag)
        except GuestbookError as err:
            problems.append(f"{key}: {err}")
            continue
        changes.append(PinChange(key, str(ref), str(ref.with_digest(digest))))
    if problems:
        raise GuestbookError(_problems(env.source, problems))
    return changes


def _problems(source: Path, problems: list[str]) -> str:
    if len(problems) == 1:
        return f"{source}: {problems[0]}"
    return f"{source}: cannot pin:\n" + "\n".join(f"  {p}" for p in problems)


def rewrite_overlay(text: str, values: Mapping[str, str]) -> str:
    """Set each dotted key in ``values`` in the overlay ``text``, keeping everything else.

    Existing keys keep their place and comments; missing keys are added at the end
    of their parent mapping, creating parents as needed. Indentation follows the file,
    and so do its line endings (LF or CRLF), its byte order mark, and its document
    markers (``---`` and ``...``, with what is around them).
    """
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    text = text.removeprefix(bom)
    newline = _line_ending(text)
    text = text.replace(newline, "\n")
    head, body, tail = _split_document(text)
    result = head + _rewrite_body(body, values) + tail
    _check_only_keys_changed(text, result, values)
    return bom + result.replace("\n", newline)


def _line_ending(text: str) -> str:
    """The file's line ending, ``\\n`` or ``\\r\\n``; a mix is refused (it could not be kept)."""
    if "\r" not in text:
        return "\n"
    if text.count("\r\n") == text.count("\r") == text.count("\n"):
        return "\r\n"
    raise GuestbookError("mixed line endings (CRLF and LF); make them the same to pin")


def _split_document(text: str) -> tuple[str, str, str]:
    """``(head, body, tail)``: the lines up to an explicit ``---``, the document, and the
    lines from an explicit ``...`` on. The round trip would drop the markers."""
    head_end, tail_start = 0, len(text)
    documents = 0
    try:
        for event in yaml.parse(text, Loader=UniqueKeyLoader):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if event.explicit and event.end_mark:
                    head_end = _line_end(text, event.end_mark.index, "---")
            elif isinstance(event, yaml.DocumentEndEvent) and event.explicit and event.start_mark:
                tail_start = min(tail_start, event.start_mark.index)
    except yaml.YAMLError as err:
        raise GuestbookError(f"invalid YAML: {err}") from None
    if documents > 1:
        raise GuestbookError("more than one YAML document; an overlay is one")
    return text[:head_end], text[head_end:tail_start], text[tail_start:]


def _line_end(text: str, index: int, marker: str) -> int:
    """Where the line of a marker ending at ``index`` ends (after its newline)."""
    newline = text.find("\n", index)
    end = len(text) if newline < 0 else newline + 1
    rest = text[index:end].strip()
    if rest and not rest.startswith("#"):
        raise GuestbookError(
            f"content on the {marker!r} line ({rest!r}); move it to the next line to pin"
        )
    return end


def _rewrite_body(text: str, values: Mapping[str, str]) -> str:
    reader = YAML()
    reader.preserve_quotes = True
    try:
        data, sequence_indent, dash_offset = load_yaml_guess_indent(text, yaml=reader)
    except YAMLError as err:
        raise GuestbookError(f"invalid YAML: {err}") from None
    prefix = ""
    if data is None:  # empty, or comments only: keep the text and add the keys below it
        prefix = text if not text or text.endswith("\n") else text + "\n"
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise GuestbookError("the overlay is not a mapping of keys")
    for key, value in values.items():
        *parents, leaf = key.split(".")
        node = data
        for part in parents:
            child = node.get(part)
            if child is None:
                child = node[part] = CommentedMap()
            if not isinstance(child, CommentedMap):
                raise GuestbookError(f"{key}: {part!r} is not a mapping in the overlay")
            node = child
        node[leaf] = value

    writer = YAML()
    writer.preserve_quotes = True
    writer.width = 4096  # never fold a long image reference
    mapping_indent = _mapping_indent(text)
    if dash_offset is None:  # no block sequences to follow
        sequence_indent, dash_offset = mapping_indent, 0
    writer.indent(mapping=mapping_indent, sequence=sequence_indent, offset=dash_offset)
    out = io.StringIO()
    writer.dump(data, out)
    return prefix + out.getvalue()


def _mapping_indent(text: str) -> int:
    """How far the file indents a nested mapping (ruamel's guess looks at sequences only)."""
    parent: int | None = None
    for line in text.splitlines():
        content = line.lstrip(" ")
        if not content or content.startswith("#"):
            continue
        indent = len(line) - len(content)
        if parent is not None and indent > parent and not content.startswith("-"):
            return indent - parent
        parent = indent if content.split("#", 1)[0].rstrip().endswith(":") else None
    return 2


def _plain(text: str) -> dict[str, Any]:
    data = yaml.load(text, Loader=UniqueKeyLoader)
    return data if isinstance(data, dict) else {}


def _check_only_keys_changed(before: str, after: str, values: Mapping[str, str]) -> None:
    """Guard against a rewrite that changes anything but ``values`` (a bug, not user error)."""
    expected = _plain(before)
    for key, value in values.items():
        *parents, leaf = key.split(".")
        node = expected
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    if _plain(after) != expected:
        raise AssertionError("overlay rewrite changed more than the pinned keys")


def write_overlay(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically (a reader sees the old or the new file).

    The file keeps its permissions; a symlink stays a symlink, and its target is replaced.
    The text is written as UTF-8 exactly, line endings included.
    """
    temp: str | None = None
    try:
        target = Path(os.path.realpath(path))
        mode = stat.S_IMODE(target.stat().st_mode)
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
        os.chmod(temp, mode)
        os.replace(temp, target)
        temp = None
    except OSError as err:
        raise GuestbookError(f"{path}: cannot write: {err.strerror}") from None
    finally:
        if temp is not None:
            Path(temp).unlink(missing_ok=True)


def pin_environment(
    env: Environment, keys: Sequence[str], resolve: Resolver, *, dry_run: bool = False
) -> list[PinChange]:
    """Pin ``env``'s images under ``keys`` and write its overlay, unless ``dry_run``.

    The overlay is written only when every image resolved, and only if something changed.
    """
    changes = plan_pins(env, keys, resolve)
    values = {change.key: change.new for change in changes if change.changed}
    if values and not dry_run:
        try:
            text = env.source.read_bytes().decode("utf-8")  # as is: no newline translation
        except OSError as err:
            raise GuestbookError(f"{env.source}: cannot read: {err.strerror}") from None
        except UnicodeDecodeError as err:
            raise GuestbookError(f"{env.source}: not UTF-8 ({err.reason})") from None
        try:
            rewritten = rewrite_overlay(text, values)
        except GuestbookError as err:
            raise GuestbookError(f"{env.source}: {err}") from None
        write_overlay(env.source, rewritten)
    return changes


def report(changes: Sequence[PinChange], source: Path, *, dry_run: bool = False) -> list[str]:
    """What ``guestbook pin`` prints: one line per image (old -> new), then a summary."""
    lines = []
    for change in changes:
        if change.changed:
            lines.append(f"{change.key}: {change.old} -> {change.new}")
        else:
            note = f" ({change.note})" if change.note else ""
            lines.append(f"{change.key}: unchanged, {change.old}{note}")
    count = sum(change.changed for change in changes)
    if not count:
        lines.append(f"{source}: already pinned, nothing to change")
    elif dry_run:
        lines.append(f"{source}: would pin {count} image(s) (dry run, nothing written)")
    else:
        lines.append(f"{source}: pinned {count} image(s)")
    return lines
