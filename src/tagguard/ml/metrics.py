"""Metrics written in tag messages: `acc=0.932, f1=0.897`, `acc: 0.932`, `Metric-acc: 0.932`.

Messages are untrusted text: the pattern is linear (no nested repeats), keys are bounded,
and only finite numbers count. A value written with `%` is stored as a fraction
(`acc=93.2%` is 0.932) so that it compares with `acc=0.932`.
"""

from __future__ import annotations

import math
import re

TRAILER_PREFIX = "metric-"  # the trailer `tagguard tag` writes: `Metric-acc: 0.932`
MAX_KEY = 40
_METRIC = re.compile(
    r"(?<![\w.\-/])([A-Za-z][\w.\-/]{0," + str(MAX_KEY + len(TRAILER_PREFIX)) + r"})[ \t]*[=:][ \t]*"
    r"([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)(%?)(?![\w.%])"
)


def parse_metrics(message: str) -> dict[str, float]:
    """Every `key=number` or `key: number` in the message; a later value of a key wins.

    Keys are lowercased; the `Metric-` trailer prefix is dropped. Trailers come last in a
    message, so a trailer overrides the same metric written earlier in the text.
    """
    metrics: dict[str, float] = {}
    for match in _METRIC.finditer(message):
        key = match[1].lower()
        if key.startswith(TRAILER_PREFIX) and len(key) > len(TRAILER_PREFIX):
            key = key[len(TRAILER_PREFIX) :]
        value = float(match[2]) / (100 if match[3] else 1)
        if len(key) <= MAX_KEY and math.isfinite(value):
            metrics[key] = value  # an existing key keeps its place, takes the new value
    return metrics
