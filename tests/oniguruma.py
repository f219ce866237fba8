"""A real Oniguruma engine, driven the way Fluent Bit drives its regex parsers.

Fluent Bit (src/flb_regex.c) compiles a parser's regex with ``onig_new(...,
ONIG_OPTION_DEFAULT, ONIG_ENCODING_UTF8, ONIG_SYNTAX_RUBY, ...)``, runs ``onig_search`` over
the whole line, and turns each named group into a field through ``onig_foreach_name``;
empty values are skipped (``Skip_Empty_Values``, on by default). Fluent Bit links Onigmo,
Ruby's fork of Oniguruma; the engine here is Oniguruma as the PyPI package
``onigurumacffi`` ships it, called through ``ctypes`` because that package's own API
compiles with Oniguruma's syntax and gives no group names. The regexes under test use only
constructs both engines read alike in Ruby syntax (named groups, character classes,
``(?:...)``, ``?``, ``*``, ``+``, ``{m,n}``, anchors).
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

import _onigurumacffi  # the compiled part, linked with the Oniguruma the package ships
import onigurumacffi  # noqa: F401  (imported for its side effect: Oniguruma initialised)

_lib = ctypes.CDLL(_onigurumacffi.__file__)  # Oniguruma's symbols resolve through it

ONIG_OPTION_DEFAULT = 0
ONIG_MISMATCH = -1
ONIG_MAX_ERROR_MESSAGE_LEN = 90


class _Region(ctypes.Structure):
    _fields_ = [
        ("allocated", ctypes.c_int),
        ("num_regs", ctypes.c_int),
        ("beg", ctypes.POINTER(ctypes.c_int)),
        ("end", ctypes.POINTER(ctypes.c_int)),
        ("history_root", ctypes.c_void_p),
    ]


class _ErrorInfo(ctypes.Structure):
    _fields_ = [("enc", ctypes.c_void_p), ("par", ctypes.c_char_p), ("par_end", ctypes.c_char_p)]


_NameCallback = ctypes.CFUNCTYPE(
    ctypes.c_int,
    ctypes.c_void_p,  # name
    ctypes.c_void_p,  # name_end
    ctypes.c_int,  # number of groups with this name
    ctypes.POINTER(ctypes.c_int),  # their numbers
    ctypes.c_void_p,  # regex_t*
    ctypes.c_void_p,  # user data
)

_lib.onig_new.restype = ctypes.c_int
_lib.onig_new.argtypes = [
    ctypes.POINTER(ctypes.c_void_p),
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_uint,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.POINTER(_ErrorInfo),
]
_lib.onig_region_new.restype = ctypes.POINTER(_Region)
_lib.onig_region_free.argtypes = [ctypes.POINTER(_Region), ctypes.c_int]
_lib.onig_free.argtypes = [ctypes.c_void_p]
_lib.onig_search.restype = ctypes.c_int
_lib.onig_search.argtypes = [
    ctypes.c_void_p,
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.POINTER(_Region),
    ctypes.c_uint,
]
_lib.onig_foreach_name.restype = ctypes.c_int
_lib.onig_foreach_name.argtypes = [ctypes.c_void_p, _NameCallback, ctypes.c_void_p]
_lib.onig_error_code_to_str.restype = ctypes.c_int

_UTF8 = ctypes.addressof(ctypes.c_char.in_dll(_lib, "OnigEncodingUTF8"))
_RUBY = ctypes.addressof(ctypes.c_char.in_dll(_lib, "OnigSyntaxRuby"))


class OnigError(Exception):
    """The engine refused the pattern."""


@dataclass
class FluentBitRegex:
    """One compiled parser regex."""

    pattern: str

    def __post_init__(self) -> None:
        self._regex = ctypes.c_void_p()
        source = self.pattern.encode()
        if source.startswith(b"/") and source.endswith(b"/"):  # as Fluent Bit strips them
            source = source[1:-1]
        self._source = ctypes.create_string_buffer(source, len(source))
        info = _ErrorInfo()
        start = ctypes.cast(self._source, ctypes.c_char_p)
        end = ctypes.c_char_p(ctypes.addressof(self._source) + len(source))
        code = _lib.onig_new(
            ctypes.byref(self._regex), start, end, ONIG_OPTION_DEFAULT, _UTF8, _RUBY, info
        )
        if code != 0:
            message = ctypes.create_string_buffer(ONIG_MAX_ERROR_MESSAGE_LEN)
            _lib.onig_error_code_to_str(message, code, ctypes.byref(info))
            raise OnigError(message.value.decode())

    def __del__(self) -> None:
        if getattr(self, "_regex", None):
            _lib.onig_free(self._regex)

    def names(self) -> list[str]:
        """The group names, in the engine's order."""
        found: list[str] = []

        def collect(name: int, name_end: int, *_: object) -> int:
            found.append(ctypes.string_at(name, name_end - name).decode())
            return 0

        _lib.onig_foreach_name(self._regex, _NameCallback(collect), None)
        return found

    def parse(self, line: str) -> dict[str, str] | None:
        """The fields Fluent Bit's regex parser makes of ``line``, or None if it does not match."""
        text = line.encode()
        buffer = ctypes.create_string_buffer(text, len(text))
        start = ctypes.addressof(buffer)
        end = start + len(text)
        region = _lib.onig_region_new()
        try:
            code = _lib.onig_search(
                self._regex,
                ctypes.c_char_p(start),
                ctypes.c_char_p(end),
                ctypes.c_char_p(start),
                ctypes.c_char_p(end),
                region,
                ONIG_OPTION_DEFAULT,
            )
            if code == ONIG_MISMATCH:
                return None
            if code < 0:
                raise OnigError(f"onig_search failed with {code}")
            fields: dict[str, str] = {}
            beg, stop = region.contents.beg, region.contents.end

            def collect(name: int, name_end: int, count: int, numbers: object, *_: object) -> int:
                key = ctypes.string_at(name, name_end - name).decode()
                for i in range(count):
                    group = numbers[i]  # type: ignore[index]
                    if beg[group] >= 0 and stop[group] > beg[group]:
                        fields[key] = text[beg[group] : stop[group]].decode()
                return 0

            _lib.onig_foreach_name(self._regex, _NameCallback(collect), None)
            return fields
        finally:
            _lib.onig_region_free(region, 1)
