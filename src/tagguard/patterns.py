"""Patterns that come from a policy file: regexes with a time limit, and globs.

A team's regex runs inside every hook; the `regex` package lets us stop one that backtracks
catastrophically instead of hanging a push. It is imported only when a policy has a pattern.
"""

from __future__ import annotations

from tagguard.errors import PolicyError
from tagguard.lean import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Callable


MATCH_TIMEOUT = 0.1  # seconds one match may take


class UserPattern:
    """A regular expression from a policy, always matched whole and with a timeout."""

    __slots__ = ("_compiled", "key", "origin", "source")

    def __init__(self, source: str, origin: str, key: str) -> None:
        import regex

        self.source, self.origin, self.key = source, origin, key
        try:
            self._compiled = regex.compile(source)
        except regex.error as exc:
            raise PolicyError(origin, key, f"not a valid regular expression ({exc})") from None

    def fullmatch(self, text: str) -> bool:
        try:
            return self._compiled.fullmatch(text, timeout=MATCH_TIMEOUT) is not None
        except TimeoutError:
            raise PolicyError(
                self.origin,
                self.key,
                f"pattern {self.source!r} took over {MATCH_TIMEOUT} s on a "
                f"{len(text)}-character text; simplify it (nested repeats backtrack)",
            ) from None

    def __repr__(self) -> str:
        return f"UserPattern({self.source!r})"


def glob_match(name: str, patterns: tuple[str, ...]) -> str | None:
    """Return the first glob in `patterns` that matches `name` (case-sensitive). The first
    few names of a run are matched with string methods when the globs have only `*` (a
    small push imports no re); then one compiled regex matches each name at C speed."""
    if patterns not in _COMBINED and _by_string_methods(patterns):
        return next((p for p in patterns if _star_match(name, p)), None)
    if _any_glob(patterns)(name) is None:
        return None
    from fnmatch import fnmatchcase

    return next((p for p in patterns if fnmatchcase(name, p)), None)


def glob_matches(names: list[str], patterns: tuple[str, ...]) -> list[str | None]:
    """`glob_match` of each name; more than a few are matched by one regex at C speed first."""
    if len(names) <= _BY_STRING_METHODS:
        return [glob_match(name, patterns) for name in names]
    hits = map(_any_glob(patterns), names)
    return [None if hit is None else glob_match(name, patterns) for name, hit in zip(names, hits)]


def _by_string_methods(patterns: tuple[str, ...]) -> bool:
    if any("?" in p or "[" in p for p in patterns):
        return False
    _MATCHED[patterns] = _MATCHED.get(patterns, 0) + 1
    return _MATCHED[patterns] <= _BY_STRING_METHODS


def _star_match(name: str, pattern: str) -> bool:
    """`fnmatchcase(name, pattern)` for a pattern whose only wildcard is `*`: the parts
    between the stars, the first at the start, the last at the end, the rest in order."""
    first, *middle, last = pattern.split("*") if "*" in pattern else (pattern, None)
    if last is None:
        return name == pattern
    if len(name) < len(first) + len(last) or not name.startswith(first) or not name.endswith(last):
        return False
    at, end = len(first), len(name) - len(last)
    for part in middle:
        found = name.find(part, at, end)
        if found < 0:
            return False
        at = found + len(part)
    return True


_COMBINED: dict[tuple[str, ...], Callable[[str], object]] = {}
_MATCHED: dict[tuple[str, ...], int] = {}  # globs with `*` only -> names matched by string methods
_BY_STRING_METHODS = 100


def _any_glob(patterns: tuple[str, ...]) -> Callable[[str], object]:
    """One compiled regex for all the globs: a push of 100,000 tags matches each name once."""
    if patterns not in _COMBINED:
        import re
        from fnmatch import translate

        _COMBINED[patterns] = re.compile("|".join(f"(?:{translate(p)})" for p in patterns)).match
    return _COMBINED[patterns]
