"""An index of the tag ledger by name, so a push's cost does not grow with the ledger.

The ledger (JSON lines) stays the only truth; this SQLite file says where its records are.
For each line of the ledger's first `covered` bytes it holds a key of the record's name
(`name_key`) and the line's offset, with the 64 bytes before `covered` kept to notice a ledger
that was rewritten. A reader looks the keys up, reads those lines from the ledger and keeps
the records whose name matches (a key narrows, it never decides), then scans only the bytes
after `covered`; with no usable index (missing, stale, locked, corrupt, or no sqlite3 module)
it scans the whole ledger, which is slower and gives the same answer. Writers update the
index while they hold the ledger's lock, catching up from `covered` to the end.

Small ledgers are scanned: below INDEX_FROM bytes that is cheaper than opening SQLite.

The tables are `state_v3` and `lines_v3`. Those of older tagguards (`state_v2` and
`records_v2`, which held a copy of every line; the text-keyed `state` and `records` before
them) are dropped, and an older tagguard that still looks for them finds none and scans.
"""

from __future__ import annotations

import os
from itertools import accumulate
from zlib import crc32

from tagguard.lean import TYPE_CHECKING, cast
from tagguard.server.jsonlog import parse_lines, read_records

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterator

    from tagguard.server.jsonlog import JsonObject
    from tagguard.server.records import LedgerLine


INDEX_FROM = 1 << 20  # bytes of ledger (about 5,000 tags) before an index pays for itself
CHECK = 64  # bytes before `covered` that must still be the same (the ledger's .head checks the same way)
_CHUNK = 500  # keys per query (old SQLite builds allow 999 parameters)
_PIECE = 4 << 20  # bytes of ledger indexed at a time
DETACH_FROM = 4 << 20  # bytes to index (13,000 tags: records and marks) that post-receive leaves to a detached process
_OLD_TABLES = ("records", "state", "records_v2", "state_v2")


def index_path(ledger: str) -> str:
    return ledger + ".idx"


def name_key(name: str) -> int:
    """A name's key: the CRC-32 of its UTF-8 bytes (a name that was not UTF-8 holds lone
    surrogates, kept as they are). Names may share a key: a reader matches the records it
    finds by name."""
    return crc32(name.encode("utf-8", "surrogatepass"))


def lookup(ledger: str, names: set[str]) -> Iterator[LedgerLine]:
    """The ledger's records whose "name" is in `names`, oldest first."""
    return cast("Iterator[LedgerLine]", _lookup(ledger, names))  # lines a ledger writer wrote, read back


def _lookup(ledger: str, names: set[str]) -> Iterator[JsonObject]:
    try:
        size = os.path.getsize(ledger)
    except OSError:
        size = 0
    found = _indexed(ledger, names, size) if size >= INDEX_FROM else None
    if found is None:
        yield from read_records(ledger, "name", names)
        return
    lines, covered = found
    yield from parse_lines(lines, "name", names)
    yield from read_records(ledger, "name", names, start=covered)


def _indexed(ledger: str, names: set[str], size: int) -> tuple[list[bytes], int] | None:
    """(the lines the index points at for these names, covered), or None when it can't be trusted."""
    try:
        import sqlite3
    except ImportError:
        return None
    try:
        db = sqlite3.connect(f"file:{index_path(ledger)}?mode=ro", uri=True, timeout=2)
    except sqlite3.Error:
        return None
    try:
        with db:  # one read transaction: `covered` and the offsets agree
            covered, check = _state(db)
            if covered > size or bytes_before(ledger, covered) != check:
                return None
            keys = sorted(set(map(name_key, names)))
            offsets: list[int] = []
            for start in range(0, len(keys), _CHUNK):
                part = keys[start : start + _CHUNK]
                marks = ",".join("?" * len(part))
                offsets += (at for (at,) in db.execute(f"SELECT at FROM lines_v3 WHERE key IN ({marks})", part))
        return _lines_at(ledger, sorted(set(offsets)), covered), covered
    except (sqlite3.Error, OSError, ValueError):
        return None
    finally:
        db.close()


def _lines_at(ledger: str, offsets: list[int], covered: int) -> list[bytes]:
    """The ledger's lines that start at these offsets (sorted), each cut at `covered`."""
    lines = []
    with open(ledger, "rb") as f:
        for at in offsets:
            if at < covered:
                f.seek(at)
                lines.append(f.readline(covered - at).removesuffix(b"\n"))
    return lines


def update(ledger: str, detach: bool = False) -> None:
    """Bring the index up to the ledger's end; call it holding the ledger's lock.

    A failure here costs speed, never correctness (readers see a stale index and scan), so
    it is not an error: the records are already safe in the ledger. An index that fails for
    any reason of its own is removed, so one bad record can't fail every later push.

    With `detach` (post-receive), a catch-up of DETACH_FROM bytes or more runs in a process
    of its own that outlives the hook, as git detaches `gc --auto`: it takes the ledger's
    lock once the hook lets go of it, and the push ends without waiting for it.
    """
    try:
        size = os.path.getsize(ledger)
        import sqlite3
    except (OSError, ImportError):
        return
    if size < INDEX_FROM:
        return
    if detach and size - indexed_bytes(ledger) >= DETACH_FROM and _detached(ledger):
        return
    try:
        db = sqlite3.connect(index_path(ledger), timeout=10)
    except sqlite3.Error:
        return
    try:
        db.execute("PRAGMA cache_size = -16384")  # KiB: a 100,000-tag push's keys stay in memory while inserted
        with db:
            _catch_up(db, ledger, size)
    except (sqlite3.DatabaseError, ValueError, RecursionError):
        db.close()
        _remove(index_path(ledger))  # not a database, or can't hold a record: the next writer builds a new one
    except (sqlite3.Error, OSError):
        pass
    finally:
        db.close()


def indexed_bytes(ledger: str) -> int:
    """How far the index says it covers the ledger (0 when it can't say)."""
    import sqlite3

    try:
        db = sqlite3.connect(f"file:{index_path(ledger)}?mode=ro", uri=True, timeout=0)
    except sqlite3.Error:
        return 0
    try:
        return _state(db)[0]
    except sqlite3.Error:
        return 0
    finally:
        db.close()


def _detached(ledger: str) -> bool:
    """Start `catch_up_locked(ledger)` in a process of its own (`processes.detach`); False if
    it can't start."""
    import sys

    from tagguard.git.processes import detach

    code = (f"import sys; sys.path[:0] = {sys.path!r}; "
            "from tagguard.server.ledgerindex import catch_up_locked; catch_up_locked(sys.argv[1])")
    return detach([sys.executable, "-I", "-S", "-c", code, ledger])


def catch_up_locked(ledger: str) -> None:
    """The detached catch-up: `update` under the ledger's lock, as its writers take it
    (`jsonlog.locked_open`: on the ledger file that is there once the lock is held)."""
    from tagguard.server.jsonlog import locked_open

    try:
        fd = locked_open(ledger, os.O_RDONLY)
    except OSError:
        return  # gone: nothing to index
    try:
        update(ledger)
    finally:
        os.close(fd)  # (also lets go of the lock)


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _catch_up(db: sqlite3.Connection, ledger: str, size: int) -> None:
    for table in _OLD_TABLES:
        db.execute(f"DROP TABLE IF EXISTS {table}")
    db.execute("CREATE TABLE IF NOT EXISTS state_v3 (covered INTEGER, check_bytes BLOB)")
    db.execute("CREATE TABLE IF NOT EXISTS lines_v3 (key INTEGER, at INTEGER, PRIMARY KEY (key, at)) WITHOUT ROWID")
    covered, check = _state(db)
    if covered > size or bytes_before(ledger, covered) != check:
        db.execute("DELETE FROM lines_v3")  # the ledger was rewritten: index it again
        covered = 0
    with open(ledger, "rb") as f:
        f.seek(covered)
        while covered < size:  # a piece at a time: a 100,000-tag push adds 30 MB
            data = f.read(min(_PIECE, size - covered))
            if b"\n" not in data:
                data += f.readline(size - covered - len(data))  # a line longer than a piece
            end = data.rfind(b"\n") + 1  # whole lines only; a torn last line waits for its newline
            if not end:
                break
            db.executemany("INSERT OR IGNORE INTO lines_v3 (key, at) VALUES (?, ?)", _keyed(data[:end], covered))
            covered += end
            f.seek(covered)
    db.execute("DELETE FROM state_v3")
    db.execute("INSERT INTO state_v3 VALUES (?, ?)", (covered, bytes_before(ledger, covered)))


# The start of a line as tagguard writes records (sorted keys, ASCII only), after its
# newline: `{"commit": "<hex>", "name": "` (a record) or `{"name": "` (a landed mark), then a
# name with nothing to unescape; any other line start matches as just its newline.
_NAMED = rb'\n(?:\{(?:"commit": "[0-9a-f]{40}(?:[0-9a-f]{24})?", )?"name": "([ !#-\[\]-~]+)")?'


def _keyed(data: bytes, at: int) -> list[tuple[int, int]]:
    """(key, offset) of each whole record in `data` (whole lines, from offset `at`). A line
    tagguard wrote gives its name at C speed (a 100,000-tag push indexes 200,000 lines); any
    other is parsed whole, and one that is no record with a name is left out."""
    import re

    lines = data[:-1].split(b"\n")  # (`data` ends with a newline)
    names = re.findall(_NAMED, b"\n" + data[:-1])  # one per line (a literal first: found at C speed)
    if len(names) != len(lines):  # (never: a guard, not a path)
        names = [b""] * len(lines)
    keys: list[int | None] = list(map(crc32, names))
    for index in [i for i, name in enumerate(names) if not name]:
        name = _name_of(lines[index])
        keys[index] = None if name is None else name_key(name)
    offsets = accumulate(map((1).__add__, map(len, lines)), initial=at)
    return [(key, offset) for key, offset in zip(keys, offsets) if key is not None]


def _name_of(line: bytes) -> str | None:
    """The "name" of the record on this line, or None when it is no whole record with one."""
    import json

    if not line.endswith(b"}"):
        return None  # empty, or torn by a crash
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        return None
    name = record.get("name") if isinstance(record, dict) else None
    return name if isinstance(name, str) else None


def _state(db: sqlite3.Connection) -> tuple[int, bytes]:
    import sqlite3

    try:
        row = db.execute("SELECT covered, check_bytes FROM state_v3").fetchone()
    except sqlite3.OperationalError:  # no table yet: nothing covered
        return 0, b""
    return (int(row[0]), bytes(row[1])) if row else (0, b"")


def bytes_before(ledger: str, offset: int) -> bytes:
    """The CHECK bytes before `offset` (fewer when the file is shorter), by which a reader knows
    the file is still the one an offset was taken in."""
    with open(ledger, "rb") as f:
        f.seek(max(0, offset - CHECK))
        return f.read(min(offset, CHECK))
