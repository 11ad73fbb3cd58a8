"""Reading many objects in bounded memory: `cat-file --batch` calls of a capped total size.

Callers learn the sizes first (`Git.object_info`, one `--batch-check`), leave out what they
won't read, and get the rest back one batch at a time, so a push of many large objects never
holds more than about READ_BUDGET bytes of their content at once.
"""

from __future__ import annotations

from tagguard.git.repo import Git
from tagguard.lean import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping


READ_BUDGET = 8 << 20  # bytes of object content per `cat-file --batch` call
_HEADER = 100  # bytes git adds per object (`<oid> <type> <size>`) and Python's per-item cost


def by_size(names: list[str], sizes: Mapping[str, int], budget: int = READ_BUDGET) -> Iterator[list[str]]:
    """`names` in order, cut into runs whose sizes add up to at most `budget` (an object
    larger than the budget is a run of its own)."""
    if names and sum(map(sizes.__getitem__, names)) + _HEADER * len(names) <= budget:
        yield names  # all in one (most pushes)
        return
    run: list[str] = []
    total = 0
    for name in names:
        size = sizes[name] + _HEADER
        if run and total + size > budget:
            yield run
            run, total = [], 0
        run.append(name)
        total += size
    if run:
        yield run


def read_in_batches(
    git: Git, names: list[str], sizes: Mapping[str, int], budget: int = READ_BUDGET
) -> Iterator[tuple[str, tuple[str, bytes] | None]]:
    """(name, (type, content) or None when missing) for each name, in order, one bounded
    `cat-file --batch` at a time: drop each content once used and memory stays bounded."""
    for run in by_size(names, sizes, budget):
        yield from zip(run, git.read_batch(run))
