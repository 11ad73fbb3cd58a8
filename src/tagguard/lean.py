"""`NamedTuple`, `TypedDict`, `TYPE_CHECKING`, `cast` and a small cache, without `typing`,
`collections` or `functools`, for the modules hooks load.

A server hook starts Python on every push of a tag. `typing` (with the `re` it imports) is a
third of that start, about 20 ms on a 2-core machine, and `collections` with `functools`
another 3 ms. The modules on the hook path take these names from here and keep their other
`typing` names for annotations only, under `if TYPE_CHECKING:` (mypy treats any name
`TYPE_CHECKING` as true, and reads `NamedTuple` as typing's). A class's fields come from its
annotations (read as names, never evaluated) and its defaults from its attributes, as with
`typing.NamedTuple`; instances are tuples with `_fields`, `_replace` and `_asdict`. A
`TypedDict` class is only a type: its records are plain dicts, and its `__annotations__`
name their keys. For the same reason hook-path modules take `itemgetter`, `eq` and the like
from `_operator`, the C module that `operator` (a Python file) wraps.
"""

from __future__ import annotations

TYPE_CHECKING = False

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable
    from typing import NamedTuple as NamedTuple  # noqa: PLC0414 - re-exported for type checkers
    from typing import TypedDict, TypeVar, cast

    Argument = TypeVar("Argument", bound=Hashable)
    Result = TypeVar("Result")
else:
    from _operator import itemgetter

    class _Meta(type):
        def __new__(mcs, name: str, bases: tuple, namespace: dict):
            if namespace.get("__module__") == __name__:
                return super().__new__(mcs, name, bases, namespace)  # the NamedTuple base itself
            fields = tuple(namespace.get("__annotations__", {}))
            defaults = tuple(namespace.pop(f) for f in fields if f in namespace)
            body = {**_TUPLE_METHODS, "__slots__": (), "_fields": fields, **namespace}
            body.update((field, property(itemgetter(i), doc=field)) for i, field in enumerate(fields))
            body["__new__"] = _constructor(name, fields, defaults)
            return type(name, (tuple,), body)

    def _constructor(name: str, fields: tuple[str, ...], defaults: tuple[object, ...]):
        """`__new__(cls, a, b=...)`, compiled as collections.namedtuple compiles it: fast, and
        with the usual errors for missing or unknown arguments."""
        arguments = ", ".join(fields)
        code = f"def __new__(_cls, {arguments}):\n    return _new(_cls, ({arguments}{',' if fields else ''}))\n"
        scope: dict[str, object] = {"_new": tuple.__new__}
        exec(code, scope)  # noqa: S102 - field names are the class's own identifiers
        new = scope["__new__"]
        new.__defaults__ = defaults or None
        new.__qualname__ = f"{name}.__new__"
        return new

    def _repr(self: tuple) -> str:
        inside = ", ".join(f"{field}={value!r}" for field, value in zip(self._fields, self))
        return f"{type(self).__name__}({inside})"

    def _replace(self: tuple, **changes: object) -> tuple:
        return type(self)(**{**self._asdict(), **changes})

    def _asdict(self: tuple) -> dict[str, object]:
        return dict(zip(self._fields, self))

    def _getnewargs(self: tuple) -> tuple:
        return tuple(self)

    _TUPLE_METHODS = {"__repr__": _repr, "_replace": _replace, "_asdict": _asdict, "__getnewargs__": _getnewargs}

    class NamedTuple(metaclass=_Meta):
        """Base class: `class Point(NamedTuple): x: int; y: int = 0`."""

    class TypedDict(dict):
        """Base class: `class Point(TypedDict): x: int; y: int`."""

    def cast(_type, value):
        """`typing.cast`: `value` as it is (the type, often a string, is for mypy)."""
        return value


def cached(size: int) -> Callable[[Callable[[Argument], Result]], Callable[[Argument], Result]]:
    """A cache of a one-argument function's answers (emptied whenever `size` are held)."""

    def wrap(function: Callable[[Argument], Result]) -> Callable[[Argument], Result]:
        answers: dict[Argument, Result] = {}

        def lookup(argument: Argument) -> Result:
            if argument not in answers:
                if len(answers) >= size:
                    answers.clear()
                answers[argument] = function(argument)
            return answers[argument]

        return lookup

    return wrap
