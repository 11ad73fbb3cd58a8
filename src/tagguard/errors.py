"""The one error type a user sees: a single line, exit code 2."""

from __future__ import annotations


class TagguardError(Exception):
    """A usage, policy or environment problem, reported as one line (exit 2)."""


class PolicyError(TagguardError):
    """A policy file is unreadable or invalid; the message names the file and key."""

    def __init__(self, origin: str, key: str, problem: str) -> None:
        from tagguard.safetext import shown

        origin = shown(origin, limit=4096)  # a path: escaped, never cut
        where = f"{origin}: {shown(key)}" if key else origin
        super().__init__(f"{where}: {problem}")
