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


class NotARepository(TagguardError):
    """git finds no repository where a command needs one, or refuses the one there
    (`safe.directory`); the message names the directory and, when git refused it, git's
    reason and the fix. The CLI adds what to do for the command that was run."""

    def __init__(self, message: str, refused: bool) -> None:
        super().__init__(message)
        self.refused = refused  # git found a repository but won't use it: the message has the fix
