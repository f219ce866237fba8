"""Read YAML as kubectl does where go-yaml and libyaml disagree: go-yaml wins.

kubectl, kubeconform and the API server read YAML with sigs.k8s.io/yaml (go-yaml);
PyYAML reads it with libyaml. They disagree in three places (found by comparing them):

* ``\\'`` in double quotes is a quote for go-yaml; libyaml rejects the file. It is
  rewritten as ``\\x27`` (the same character, in an escape both know).
* a plain scalar ending in ``:`` right before ``,``, ``]`` or ``}`` in a flow collection
  (``[CREATE:, UPDATE]``) is that text for go-yaml; libyaml rejects the file. It is
  rewritten single-quoted (``'CREATE:'``), which reads as the same string.
* ``\\/`` in double quotes is a slash for libyaml (YAML 1.2); go-yaml rejects the file,
  so it is reported.

Rewrites happen where libyaml stops, one scalar at a time, and keep every line where it
is. The checks run only on text that holds ``\\'``, ``:,``, ``:]``, ``:}`` or ``\\/``, so
ordinary files cost a few substring searches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

MAX_REWRITTEN_SCALARS = 1000
"""Each rewrite scans the file again up to the next scalar: bounded, like everything else."""

_UNKNOWN_ESCAPE = "found unknown escape character"
_UNEXPECTED_COLON = "found unexpected ':'"
_SIGNS = ("\\'", ":,", ":]", ":}")


@dataclass(frozen=True)
class EscapeError:
    """An escape kubectl rejects: its 1-based line and why."""

    line: int
    message: str


def read_as_kubectl(text: str, loader: Any) -> tuple[str, EscapeError | None]:
    """``text`` with ``\\'`` escapes libyaml can read, or the first escape kubectl rejects.

    ``loader`` is the loader class whose scanner is asked where the escapes are.
    """
    if any(sign in text for sign in _SIGNS):
        text = _rewrite_where_libyaml_stops(text, loader)
    if "\\/" in text:
        return text, _slash_escape(text, loader)
    return text, None


def _rewrite_where_libyaml_stops(text: str, loader: Any) -> str:
    """Rewrite, scalar by scalar, what go-yaml reads and libyaml stops on."""
    for _ in range(MAX_REWRITTEN_SCALARS):
        try:
            for _token in yaml.scan(text, Loader=loader):
                pass
        except yaml.MarkedYAMLError as err:
            start, where = err.context_mark, err.problem_mark
            if start is None or where is None:
                return text
            if (
                err.problem == _UNKNOWN_ESCAPE
                and text[where.index : where.index + 2] == "\\'"
                and text[start.index] == '"'
            ):
                text = _rewrite_scalar(text, start.index)
                continue
            if (
                err.problem == _UNEXPECTED_COLON
                and text[where.index : where.index + 2] in (":,", ":]", ":}")
                and "\n" not in text[start.index : where.index]
            ):
                plain = text[start.index : where.index + 1]
                quoted = "'" + plain.replace("'", "''") + "'"
                text = text[: start.index] + quoted + text[where.index + 1 :]
                continue
            return text  # another error: the parser reports it
        return text
    return text


def _rewrite_scalar(text: str, start: int) -> str:
    """``text`` with every ``\\'`` in the double-quoted scalar opening at ``start`` rewritten."""
    parts = [text[: start + 1]]
    i = begin = start + 1
    while i < len(text):
        c = text[i]
        if c == '"':
            break
        if c == "\\":
            if text[i + 1 : i + 2] == "'":
                parts.append(text[begin:i])
                parts.append("\\x27")
                begin = i + 2
            i += 2
            continue
        i += 1
    parts.append(text[begin:])
    return "".join(parts)


def _slash_escape(text: str, loader: Any) -> EscapeError | None:
    """The first ``\\/`` escape in a double-quoted scalar, which go-yaml rejects."""
    try:
        for token in yaml.scan(text, Loader=loader):
            if not isinstance(token, yaml.ScalarToken) or token.style != '"':
                continue
            raw = text[token.start_mark.index : token.end_mark.index]
            i = raw.find("\\")
            while i >= 0:
                if raw[i + 1 : i + 2] == "/":
                    line = token.start_mark.line + raw.count("\n", 0, i) + 1
                    return EscapeError(
                        line,
                        "invalid YAML: found unknown escape character '\\/' "
                        "(kubectl's YAML reader rejects it)",
                    )
                i = raw.find("\\", i + 2)
    except yaml.YAMLError:
        return None  # a syntax error: the parser reports it
    return None
