"""The package's public names: each resolves, and every type a caller must name is among them."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import typing
from collections.abc import Iterator

from pydantic import BaseModel

import guestbook


def _types_in(hint: object) -> Iterator[type]:
    if isinstance(hint, type):
        yield hint
    for arg in typing.get_args(hint):
        yield from _types_in(arg)


def _signature_types(obj: object) -> Iterator[type]:
    """The types in a public object's signature: a callable's parameters and result, a
    class's constructor, a model's or dataclass's fields."""
    if isinstance(obj, type) and issubclass(obj, BaseModel):
        for info in obj.model_fields.values():
            yield from _types_in(info.annotation)
    elif isinstance(obj, type) and dataclasses.is_dataclass(obj):
        for hint in typing.get_type_hints(obj).values():
            yield from _types_in(hint)
    function = obj.__init__ if isinstance(obj, type) else obj
    if callable(function) and hasattr(function, "__code__"):
        for hint in typing.get_type_hints(function).values():
            yield from _types_in(hint)


def test_every_public_name_resolves_to_the_object_of_its_home_module() -> None:
    # When each name of __all__ is looked up, Then it is an object of this package
    for name in guestbook.__all__:
        value = getattr(guestbook, name)
        home = getattr(value, "__module__", "guestbook")
        assert home.startswith("guestbook"), name
    # And a name outside __all__ is an AttributeError, not a silent import
    assert not hasattr(guestbook, "k8s")


def test_every_type_in_a_public_signature_is_exported() -> None:
    # Given every public name, and the types reachable through their signatures
    reached: set[type] = set()
    todo = [getattr(guestbook, name) for name in guestbook.__all__]
    while todo:
        for found in _signature_types(todo.pop()):
            if found.__module__.startswith("guestbook.") and found not in reached:
                reached.add(found)
                todo.append(found)
    # Then a caller can import each of them from the package
    missing = sorted(t.__name__ for t in reached if t.__name__ not in guestbook.__all__)
    assert missing == []


def test_importing_props_does_not_start_jsii() -> None:
    # When a program imports only props models and the error type
    program = (
        "import sys\n"
        "from guestbook import GuestbookError, GuestbookProps, SecurityProps\n"
        "print('jsii' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    # Then jsii (a Node process) is not started
    assert done.stdout == "False\n"
