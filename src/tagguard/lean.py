"""`NamedTuple` and `TYPE_CHECKING` without importing `typing`, for the modules hooks load.

A server hook starts Python on every push of a tag, and `typing` (with the `re` it imports)
is a third of that start: about 20 ms on a 2-core machine. The modules on the hook path take
these two names from here and keep their other `typing` names for annotations only, under
`if TYPE_CHECKING:` (mypy treats any name `TYPE_CHECKING` as true, and reads
`NamedTuple` as typing's). Fields come from the class's annotations (read as names, never
evaluated) and defaults from its attributes, as with `typing.NamedTuple`.
"""

from __future__ import annotations

TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import NamedTuple as NamedTuple
else:
    from collections import namedtuple

    class _Meta(type):
        def __new__(mcs, name: str, bases: tuple, namespace: dict):  # noqa: ANN204
            if namespace.get("__module__") == __name__:
                return super().__new__(mcs, name, bases, namespace)  # the NamedTuple base itself
            fields = list(namespace.get("__annotations__", {}))
            defaults = [namespace.pop(f) for f in fields if f in namespace]
            base = namedtuple(name, fields, defaults=defaults, module=namespace.get("__module__"))
            return type(name, (base,), {"__slots__": (), **namespace})

    class NamedTuple(metaclass=_Meta):
        """Base class: `class Point(NamedTuple): x: int; y: int = 0`."""
