"""Append-only files of JSON lines (the tag ledger, the audit log), safe across processes.

Writers hold an exclusive `flock` while they add their lines (whole lines per `write`, on an
O_APPEND descriptor), so concurrent pushes never interleave. A crash mid-write can leave a torn last
line: the next writer ends it with a newline first, and readers skip any line that is not a
whole JSON object.
"""

from __future__ import annotations

import os

from tagguard.lean import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
    from typing import Callable

    JsonObject = dict[str, object]  # a line read back: what its values are is for the caller to check

try:  # the C string encoder behind `json`; importing `json` itself costs a hook 8 ms (it imports re)
    from _json import encode_basestring_ascii as json_string  # json.dumps(text)
except ImportError:  # not CPython
    from json.encoder import encode_basestring_ascii as json_string


def append_records(
    path: str, records: Sequence[Mapping[str, object]], locked: Callable[[str], None] | None = None
) -> None:
    """Append records as JSON lines, atomically with respect to other tagguard writers.

    `locked(path)`, if given, runs after the write while the lock is still held."""
    if records:
        append_lines(path, [encode_lines(records)], locked)


def encode_lines(records: Iterable[Mapping[str, object]]) -> bytes:
    """Records as JSON lines (sorted keys, ASCII only), as every writer writes them."""
    return "".join(encode_record(r) + "\n" for r in records).encode()


def append_lines(path: str, chunks: Iterable[bytes], locked: Callable[[str], None] | None = None,
                 sync: bool = True) -> None:
    """Append chunks of whole JSON lines under the file's lock, then (with `sync`) fsync once. A big push
    passes its lines a chunk at a time, so they are never all in memory; other tagguard
    writers wait for the lock, and each chunk is whole lines."""
    fd = locked_open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        torn = not _ends_with_newline(path)
        for chunk in chunks:
            _write_all(fd, b"\n" + chunk if torn and chunk else chunk)  # close a line torn by an earlier crash
            torn = torn and not chunk
        if sync:
            os.fsync(fd)
        if locked:
            locked(path)
    finally:
        os.close(fd)  # also releases the lock


def locked_open(path: str, flags: int) -> int:
    """`path` opened with `flags`, under its exclusive lock: the file that is at `path` once
    the lock is held (one replaced while this waited, as an admin may replace the ledger's
    cache, is let go of and the new one opened). OSError if it can't be opened."""
    import fcntl

    while True:
        fd = os.open(path, flags, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            held = os.fstat(fd)
            now = os.stat(path)
        except FileNotFoundError:
            now = None  # removed meanwhile: open again (which fails unless `flags` creates it)
        except BaseException:
            os.close(fd)
            raise
        if now is not None and (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino):
            return fd
        os.close(fd)


def encode_record(record: Mapping[str, object]) -> str:
    """`json.dumps(record, sort_keys=True)`; a flat record (strings, integers, booleans,
    None: all tagguard's ledger writes) is built here, anything else by `json`."""
    parts = []
    for key in sorted(record):
        value = record[key]
        if isinstance(value, str):
            text = json_string(value)
        elif value is None or isinstance(value, bool):
            text = {None: "null", True: "true", False: "false"}[value]
        elif type(value) is int:
            text = str(value)
        else:
            import json

            return json.dumps(record, sort_keys=True)
        parts.append(f"{json_string(key)}: {text}")
    return "{" + ", ".join(parts) + "}"


def read_records(
    path: str, key: str | None = None, values: Collection[str] = (), start: int = 0
) -> Iterator[JsonObject]:
    """Every whole record in the file from byte `start` (none if it does not exist); torn
    lines are skipped.

    With `key`, only records whose string `key` is one of `values`: other lines are passed
    over without being parsed (a ledger holds every tag a repository ever had).
    """
    try:
        with open(path, "rb") as f:
            f.seek(start)
            data = f.read()
    except FileNotFoundError:
        return
    yield from parse_lines(data.split(b"\n"), key, values)


def parse_lines(lines: list[bytes], key: str | None = None, values: Collection[str] = ()) -> Iterator[JsonObject]:
    """The whole JSON objects among `lines` (with `key`: those whose `key` is in `values`)."""
    wanted = _wanted(key, values) if key else None
    selected = [line for line in lines if line.endswith(b"}")]  # not empty, not torn by a crash
    if wanted:
        selected = [line for line in selected if _value(line, wanted[0]) in wanted[1]]
    if not selected:
        return  # (a lookup of a new name imports no json)
    import json

    for line in selected:
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):  # torn, or not a line tagguard wrote
            continue
        if isinstance(record, dict) and (not key or record.get(key) in values):
            yield record


def _wanted(key: str, values: Collection[str]) -> tuple[bytes, set[bytes]]:
    return json_string(key).encode() + b": ", {json_string(v).encode() for v in values}


def _value(line: bytes, marker: bytes) -> bytes:
    """The encoded value after `"key": ` in a line we wrote; `, "` can't occur inside one."""
    start = line.find(marker)
    if start < 0:
        return b""
    start += len(marker)
    end = line.find(b', "', start)
    return line[start : end if end >= 0 else len(line) - 1]


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
