"""The git trailers at the end of a tag message: `Image: ...`, `Metric-acc: 0.932`, `Checkpoint: ...`.

The trailer block is the message's last paragraph, when it is not the first (the subject) and
every line of it is `Key: value` (a key of letters, digits and '-', as git's) or continues the
line before with leading whitespace. `git interpret-trailers --parse` reads the same lines.
"""

from __future__ import annotations

import re

IMAGE_KEY = "Image"
METRIC_PREFIX = "Metric-"
_TRAILER = re.compile(r"([A-Za-z0-9-]+)[ \t]*:[ \t]*(.*)")


def split_trailers(message: str) -> tuple[str, list[tuple[str, str]]]:
    """The text before the trailer block, and the block's (key, value) pairs in order."""
    lines = message.rstrip().split("\n")
    blank = max((i for i, line in enumerate(lines) if not line.strip()), default=None)
    if blank is None or not any(line.strip() for line in lines[:blank]):
        return message, []
    pairs: list[tuple[str, str]] = []
    for line in lines[blank + 1 :]:
        match = _TRAILER.fullmatch(line)
        if match:
            pairs.append((match[1], match[2].strip()))
        elif pairs and line[:1] in (" ", "\t"):
            pairs[-1] = (pairs[-1][0], f"{pairs[-1][1]} {line.strip()}")
        else:
            return message, []
    return "\n".join(lines[:blank]), pairs


def image_of(trailers: list[tuple[str, str]]) -> str | None:
    """The training image an `Image:` trailer records (the last one, if several)."""
    images = [value for key, value in trailers if key.lower() == IMAGE_KEY.lower() and value]
    return images[-1] if images else None
