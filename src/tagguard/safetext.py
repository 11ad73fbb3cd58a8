"""Safe rendering of untrusted text (tag names, file content) for one-line output, and for HTML."""

from __future__ import annotations

MAX_SHOWN = 80


def shown(text: str, limit: int = MAX_SHOWN) -> str:
    """Return `text` fit for a terminal line: no control characters, bounded length."""
    if not text:
        return "''"
    if not text.isprintable():
        text = _escaped(text)
    if len(text) > limit:
        return f"{text[:limit]}...({len(text)} characters)"
    return text


def one_line(text: str) -> str:
    """`text` with every control character escaped (no length limit): whatever a message
    quotes from a push, it prints as one line."""
    return text if text.isprintable() else _escaped(text)


def _escaped(text: str) -> str:
    """Bytes that were not UTF-8 (kept by `surrogateescape`) as `\\xe9`, control characters
    as `\\x1b`."""
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        pass
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def for_html(text: str) -> str:
    """`text` escaped for HTML text and attribute values, control characters other than
    newline and tab dropped."""
    import html

    kept = "".join(c for c in text if c in "\n\t" or (c >= " " and not "\x7f" <= c <= "\x9f"))
    return html.escape(kept, quote=True)
