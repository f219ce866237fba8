"""Control characters from manifests, shown escaped (``\\x1b``) by the writers that must not
pass them on: a terminal or CI log would obey them, XML 1.0 forbids most of them."""

from __future__ import annotations

from collections.abc import Iterable

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _shown(code: int) -> str:
    return _NAMED.get(chr(code), f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def escape_table(codes: Iterable[int]) -> dict[int, str]:
    """A :meth:`str.translate` table showing each of ``codes`` as its escape."""
    return {code: _shown(code) for code in codes}


CONTROLS = (*range(0x20), *range(0x7F, 0xA0))
"""C0 and C1 control characters and DEL."""
LINE_BREAKS = (0x2028, 0x2029)
"""Unicode line and paragraph separators."""
XML_FORBIDDEN = (
    *(c for c in range(0x20) if chr(c) not in "\t\n\r"),
    *range(0xD800, 0xE000),
    0xFFFE,
    0xFFFF,
)
"""Characters XML 1.0 does not allow in a document at all (not even as references)."""
