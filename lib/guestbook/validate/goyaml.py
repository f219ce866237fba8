"""Read escapes as kubectl does: where go-yaml and libyaml disagree, go-yaml wins.

kubectl, kubeconform and the API server read YAML with sigs.k8s.io/yaml (go-yaml);
PyYAML reads it with libyaml. In double-quoted scalars the two disagree on two escapes:

* ``\\'`` is a quote for go-yaml; libyaml rejects the file. It is rewritten as ``\\x27``
  (the same character, in an escape both know) inside the scalars where libyaml stops.
* ``\\/`` is a slash for libyaml (YAML 1.2); go-yaml rejects the file, so it is reported.

Everything else about escapes they share. The checks run only on text that holds a
backslash before a quote or a slash, so ordinary files cost one substring search.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

MAX_REWRITTEN_SCALARS = 1000
"""Each rewrite scans the file again up to the next scalar: bounded, like everything else."""

_UNKNOWN_ESCAPE = "found unknown escape character"


@dataclass(frozen=True)
class EscapeError:
    """An escape kubectl rejects: its 1-based line and why."""

    line: int
    message: str


def read_as_kubectl(text: str, loader: Any) -> tuple[str, EscapeError | None]:
    """``text`` with ``\\'`` escapes libyaml can read, or the first escape kubectl rejects.

    ``loader`` is the loader class whose scanner is asked where the escapes are.
    """
    if "\\'" in text:
        text = _rewrite_quote_escapes(text, loader)
    if "\\/" in text:
        return text, _slash_escape(text, loader)
    return text, None


def _rewrite_quote_escapes(text: str, loader: Any) -> str:
    """Rewrite ``\\'`` as ``\\x27`` in each double-quoted scalar where libyaml stops on it."""
    for _ in range(MAX_REWRITTEN_SCALARS):
        try:
            for _token in yaml.scan(text, Loader=loader):
                pass
        except yaml.MarkedYAMLError as err:
            start, where = err.context_mark, err.problem_mark
            if (
                err.problem != _UNKNOWN_ESCAPE
                or start is None
                or where is None
                or text[where.index : where.index + 2] != "\\'"
                or text[start.index : start.index + 1] != '"'
            ):
                return text  # another error: the parser reports it
            text = _rewrite_scalar(text, start.index)
            continue
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
