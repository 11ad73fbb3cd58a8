"""Safe rendering of untrusted text (tag names, file content) for one-line output."""

from __future__ import annotations

MAX_SHOWN = 80


def shown(text: str) -> str:
    """Return `text` fit for a terminal line: no control characters, bounded length."""
    if not text:
        return "''"
    if not text.isprintable():
        text = text.encode("unicode_escape").decode("ascii")
    if len(text) > MAX_SHOWN:
        return f"{text[:MAX_SHOWN]}...({len(text)} characters)"
    return text
