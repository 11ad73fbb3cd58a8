"""The git trailers at the end of a tag message: `Image: ...`, `Metric-acc: 0.932`, `Checkpoint: ...`.

The trailer block is the message's last paragraph, when it is not the first (the subject) and
every line of it is `Key: value` (a key of letters, digits and '-', as git's) or continues the
line before with leading whitespace: what `git interpret-trailers --parse` reads, except that git
also takes a last paragraph mixing other lines with a trailer it knows (`Signed-off-by:`);
such a paragraph stays text here.
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
    keys: list[str] = []
    values: list[list[str]] = []  # a value and its continuation lines, joined at the end
    for line in lines[blank + 1 :]:
        match = _TRAILER.fullmatch(line)
        if match:
            keys.append(match[1])
            values.append([match[2].strip()])
        elif keys and line[:1] in (" ", "\t"):
            values[-1].append(line.strip())
        else:
            return message, []
    return "\n".join(lines[:blank]), [(key, " ".join(parts)) for key, parts in zip(keys, values)]


def image_of(trailers: list[tuple[str, str]]) -> str | None:
    """The training image an `Image:` trailer records (the last one, if several)."""
    images = [value for key, value in trailers if key.lower() == IMAGE_KEY.lower() and value]
    return images[-1] if images else None
