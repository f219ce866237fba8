"""Generated blocks in Markdown documents: text between two marker lines, rewritten from code."""

from __future__ import annotations


def replace_between(text: str, begin: str, end: str, body: str) -> str:
    """``text`` with what lies between the ``begin`` and ``end`` markers replaced by ``body``."""
    head, found_begin, rest = text.partition(begin)
    _, found_end, tail = rest.partition(end)
    if not found_begin or not found_end:
        raise ValueError(f"no {begin!r} ... {end!r} markers")
    return f"{head}{begin}\n{body}{end}{tail}"
