"""Tag ref names: `refs/tags/v2.8-ft` and its short form `v2.8-ft`."""

from __future__ import annotations

TAG_PREFIX = "refs/tags/"


def short_name(ref: str) -> str:
    """`refs/tags/NAME` -> `NAME`; anything else is returned as it is."""
    return ref[len(TAG_PREFIX) :] if ref.startswith(TAG_PREFIX) else ref
