"""Safe rendering of untrusted text (tag names, file content) for one-line output."""

from __future__ import annotations

MAX_SHOWN = 80


def shown(text: str, limit: int = MAX_SHOWN) -> str:
    """Return `text` fit for a terminal line: no control characters, bounded length."""
    if not text:
        return "''"
    if not text.isprintable():
        text = text.encode("unicode_escape").decode("ascii")
    if len(text) > limit:
        return f"{text[:limit]}...({len(text)} characters)"
    return text
