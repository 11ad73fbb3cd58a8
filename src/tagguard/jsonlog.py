"""Append-only files of JSON lines (the tag ledger, the audit log), safe across processes.

Writers hold an exclusive `flock` and add all their lines with one `write` on an O_APPEND
descriptor, so concurrent pushes never interleave. A crash mid-write can leave a torn last
line: the next writer ends it with a newline first, and readers skip any line that is not a
whole JSON object.
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterator


def append_records(path: str, records: list[dict[str, Any]]) -> None:
    """Append records as JSON lines, atomically with respect to other tagguard writers."""
    if not records:
        return
    import fcntl

    data = "".join(json.dumps(r, sort_keys=True) + "\n" for r in records).encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if not _ends_with_newline(path):
            data = b"\n" + data  # close a line torn by an earlier crash
        _write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)  # also releases the lock


def read_records(path: str) -> Iterator[dict[str, Any]]:
    """Every whole record in the file (none if it does not exist); torn lines are skipped."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return
    for line in data.split(b"\n"):
        if not line.endswith(b"}"):
            continue  # empty, or torn by a crash
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            yield record


def _ends_with_newline(path: str) -> bool:
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        if f.tell() == 0:
            return True
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
