"""Weights a tag vouches for: one `Checkpoint:` trailer per file, in the tag's message.

    Checkpoint: sha256:<64 lowercase hex> <size in bytes> <path as given when tagging>

The hash is the identity (a copy of the file anywhere verifies against the tag); the size
and path are for people. Hashing streams the file, so a checkpoint of any size costs one
buffer of memory.
"""

from __future__ import annotations

import hashlib
import os

from tagguard.errors import TagguardError
from tagguard.lean import NamedTuple
from tagguard.safetext import one_line

CHECKPOINT_KEY = "Checkpoint"
_PREFIX = f"{CHECKPOINT_KEY}: sha256:"
_CHUNK = 1 << 20
_HEX = frozenset("0123456789abcdef")


class Weights(NamedTuple):
    sha256: str
    size: int
    path: str


def hash_weights(path: str) -> Weights:
    """The file's SHA-256 and size, read a chunk at a time."""
    if not os.path.isfile(path):
        raise TagguardError(f"{one_line(path)}: no such file")
    digest, size = hashlib.sha256(), 0
    try:
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise TagguardError(f"{one_line(path)}: can't be read ({exc.strerror})") from None
    return Weights(digest.hexdigest(), size, path)


def weights_trailer(weights: Weights) -> str:
    """The trailer line for one file; a path must be one line to stay one trailer."""
    if not weights.path.isprintable():
        raise TagguardError(f"{one_line(weights.path)}: a checkpoint path must be one line of printable text")
    return f"{_PREFIX}{weights.sha256} {weights.size} {weights.path}"


def parse_weights(message: str) -> list[Weights]:
    """Every well-formed `Checkpoint:` trailer line in a tag message; others are ignored."""
    found = []
    for line in message.splitlines():
        if not line.startswith(_PREFIX):
            continue
        digest, _, rest = line[len(_PREFIX) :].partition(" ")
        size, _, path = rest.partition(" ")
        if len(digest) == 64 and _HEX.issuperset(digest) and size.isdecimal() and size.isascii() and path:
            found.append(Weights(digest, int(size), path))
    return found
