"""An index of the tag ledger by name, so a push's cost does not grow with the ledger.

The ledger (JSON lines) stays the only truth; this SQLite file is a cache of its first
`covered` bytes, with the 64 bytes before that offset kept to notice a ledger that was
rewritten. A reader looks names up in the index and scans only the ledger's bytes after
`covered`; with no usable index (missing, stale, locked, corrupt, or no sqlite3 module) it
scans the whole ledger, which is slower and gives the same answer. Writers update the index
while they hold the ledger's lock, catching up from `covered` to the end.

Small ledgers are scanned: below INDEX_FROM bytes that is cheaper than opening SQLite.

Names are looked up by a key of bytes (`name_key`), never as SQLite text: a tag name that is
not UTF-8 is a Python str holding lone surrogates, which SQLite's text can't store. The tables
are `state_v2` and `records_v2`; the text-keyed `state` and `records` of older tagguards are
dropped, and an older tagguard that still looks for them finds none and scans.
"""

from __future__ import annotations

import os

from tagguard.lean import TYPE_CHECKING, cast
from tagguard.server.jsonlog import parse_lines, read_records

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterator

    from tagguard.server.jsonlog import JsonObject
    from tagguard.server.records import LedgerLine


INDEX_FROM = 1 << 20  # bytes of ledger (about 5,000 tags) before an index pays for itself
CHECK = 64  # bytes before `covered` that must still be the same (the ledger's .head checks the same way)
_CHUNK = 500  # names per query (old SQLite builds allow 999 parameters)
_PIECE = 4 << 20  # bytes of ledger indexed at a time


def index_path(ledger: str) -> str:
    return ledger + ".idx"


def name_key(name: str) -> bytes:
    """A name as index key: one-to-one for every str, surrogates (bytes that were not UTF-8)
    included. The index only narrows the lines to read: the records are then matched by name."""
    return name.encode("utf-8", "surrogatepass")


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
    """(record lines, covered) from the index, or None when it can't be trusted."""
    try:
        import sqlite3
    except ImportError:
        return None
    try:
        db = sqlite3.connect(f"file:{index_path(ledger)}?mode=ro", uri=True, timeout=2)
    except sqlite3.Error:
        return None
    try:
        with db:  # one read transaction: `covered` and the records agree
            covered, check = _state(db)
            if covered > size or bytes_before(ledger, covered) != check:
                return None
            keys = sorted({name_key(name) for name in names})
            rows: list[tuple[int, bytes]] = []
            for start in range(0, len(keys), _CHUNK):
                part = keys[start : start + _CHUNK]
                marks = ",".join("?" * len(part))
                rows += db.execute(f"SELECT rowid, line FROM records_v2 WHERE key IN ({marks})", part).fetchall()
        return [line for _, line in sorted(rows)], covered
    except (sqlite3.Error, OSError, ValueError):
        return None
    finally:
        db.close()


def update(ledger: str) -> None:
    """Bring the index up to the ledger's end; call it holding the ledger's lock.

    A failure here costs speed, never correctness (readers see a stale index and scan), so
    it is not an error: the records are already safe in the ledger. An index that fails for
    any reason of its own is removed, so one bad record can't fail every later push.
    """
    try:
        size = os.path.getsize(ledger)
        import sqlite3
    except (OSError, ImportError):
        return
    if size < INDEX_FROM:
        return
    try:
        db = sqlite3.connect(index_path(ledger), timeout=10)
    except sqlite3.Error:
        return
    try:
        with db:
            _catch_up(db, ledger, size)
    except (sqlite3.DatabaseError, ValueError, RecursionError):
        db.close()
        _remove(index_path(ledger))  # not a database, or can't hold a record: the next writer builds a new one
    except (sqlite3.Error, OSError):
        pass
    finally:
        db.close()


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _catch_up(db: sqlite3.Connection, ledger: str, size: int) -> None:
    db.execute("DROP TABLE IF EXISTS records")  # the text-keyed layout of older tagguards
    db.execute("DROP TABLE IF EXISTS state")
    db.execute("CREATE TABLE IF NOT EXISTS state_v2 (covered INTEGER, check_bytes BLOB)")
    db.execute("CREATE TABLE IF NOT EXISTS records_v2 (key BLOB, line BLOB)")
    db.execute("CREATE INDEX IF NOT EXISTS by_key_v2 ON records_v2 (key)")
    covered, check = _state(db)
    if covered > size or bytes_before(ledger, covered) != check:
        db.execute("DELETE FROM records_v2")  # the ledger was rewritten: index it again
        covered = 0
    with open(ledger, "rb") as f:
        f.seek(covered)
        while covered < size:  # a piece at a time: a 100,000-tag push adds 40 MB
            data = f.read(min(_PIECE, size - covered))
            if b"\n" not in data:
                data += f.readline(size - covered - len(data))  # a line longer than a piece
            end = data.rfind(b"\n") + 1  # whole lines only; a torn last line waits for its newline
            if not end:
                break
            db.executemany("INSERT INTO records_v2 (key, line) VALUES (?, ?)",
                           [(name_key(name), line) for line, name in _named(data[:end])])
            covered += end
            f.seek(covered)
    db.execute("DELETE FROM state_v2")
    db.execute("INSERT INTO state_v2 VALUES (?, ?)", (covered, bytes_before(ledger, covered)))


def _named(data: bytes) -> Iterator[tuple[bytes, str]]:
    """(line, its record's name) for each whole record. tagguard writes records with sorted
    keys and ASCII only, so a line starts `{"commit": "<hex>", "name": "` (a record) or
    `{"name": "` (a landed mark): the name is read from there without parsing the line (a
    100,000-tag push indexes 200,000 lines); any other line is parsed whole."""
    import json
    from json.decoder import scanstring  # type: ignore[attr-defined]  # (the C scanner, not in the stubs)

    for line in data.split(b"\n"):
        if not line.endswith(b"}"):
            continue
        if line.isascii():
            text = line.decode("ascii")
            start = 10 if text.startswith('{"name": "') else text.find('", "name": "', 13) + 12
            if start == 10 or (text.startswith('{"commit": "') and start in (64, 88)
                               and text[12 : start - 12].isalnum()):
                try:
                    yield line, scanstring(text, start)[0]
                    continue
                except ValueError:
                    pass
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(record, dict) and isinstance(record.get("name"), str):
            yield line, record["name"]


def _state(db: sqlite3.Connection) -> tuple[int, bytes]:
    import sqlite3

    try:
        row = db.execute("SELECT covered, check_bytes FROM state_v2").fetchone()
    except sqlite3.OperationalError:  # no table yet: nothing covered
        return 0, b""
    return (int(row[0]), bytes(row[1])) if row else (0, b"")


def bytes_before(ledger: str, offset: int) -> bytes:
    """The CHECK bytes before `offset` (fewer when the file is shorter), by which a reader knows
    the file is still the one an offset was taken in."""
    with open(ledger, "rb") as f:
        f.seek(max(0, offset - CHECK))
        return f.read(min(offset, CHECK))
