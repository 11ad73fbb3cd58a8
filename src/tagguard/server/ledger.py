"""The tag ledger: every tag that landed on a server, so a deleted name stays burned (TG403).

One JSON line per record (name, object, commit, pusher, time) in `tagguard-ledger.jsonl` in
the repository's git dir. No event the pusher controls may keep a landed tag out of it, so
the record is written before the refs move:

- pre-receive, once it accepts a push, appends a *pending* record for every tag the push
  will land. A pending record alone never burns a name: the push may still fail.
- post-receive, once the refs moved, appends a *landed* mark (name, object): the pending
  record with that object is then landed. The mark is short so that the post-receive script
  writes it in sh, without starting Python, for the common push.
- If post-receive never ran (the client hung up and receive-pack died of SIGPIPE), the tag
  still points at its object; any later push that moves or deletes it first confirms the
  pending record (pre-receive sees the ref still holding the pending object), so the name
  is burned before it can be freed.
"""

from __future__ import annotations

import os
from itertools import chain

from tagguard.errors import TagguardError
from tagguard.git.refs import short_name
from tagguard.git.refupdates import NAME, NEW, RefUpdate, landing
from tagguard.git.repo import Git, all_hex, zero_oid
from tagguard.lean import TYPE_CHECKING, cast
from tagguard.output.dates import utc_now
from tagguard.rules.violations import reused_name

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence
    from typing import Final, Literal

    from tagguard.rules.catalog import Violation
    from tagguard.rules.naming import NamingPolicy
    from tagguard.server.records import LandedMark, LandedRecord, LedgerLine, PendingRecord


LEDGER_FILE = "tagguard-ledger.jsonl"
RECORD_ROOM = 512  # bytes the records of one tag may take (pending and landed), for the free-space check
PENDING: Final = "pending"  # the "state" of a record written before the refs moved
CATCH_UP = 256 << 10  # bytes of small pushes' records between two catch-ups of the index
LANDED: Final = "landed"  # the "state" of the mark that the tag with that object landed
_LINES_PER_WRITE = 2_000  # records formatted and written at a time


def ledger_path(git_dir: str) -> str:
    return os.path.join(git_dir, LEDGER_FILE)


def recorded(git: Git, git_dir: str, names: set[str], ref: str | None = None, cache: str | None = None,
             most: int | None = None) -> dict[str, list[LedgerLine]]:
    """The ledger's records for the given tag names, oldest first (the cache brought in step
    with its ref first, should a backup, a mirror or another writer have moved it). `ref`,
    `cache` and `most` (bytes of records it may read from git): another ledger than this
    repository's own (a remote's, fetched)."""
    from tagguard.server.ledgerindex import lookup
    from tagguard.server.ledgerstore import LEDGER_REF, in_step

    found: dict[str, list[LedgerLine]] = {}
    if not names:
        return found
    ref, path = ref or LEDGER_REF, cache or ledger_path(git_dir)
    tip = git.resolve([ref])[ref]
    for attempt in range(2):
        with _Reading(path):  # a writer reading the ref back into the cache rewrites it: not meanwhile
            if attempt or in_step(path, tip):
                for record in lookup(path, names):
                    found.setdefault(record["name"], []).append(record)
                return found
        write(git, git_dir, [], ref=ref, cache=path, most=most)  # (outside: it takes the lock for itself)
    return found


def waiting_lines(git_dir: str, tip: str | None) -> bytes:
    """The cache's lines the ref at `tip` lacks (`unfolded`), read under the shared lock."""
    from tagguard.server.ledgerstore import unfolded

    with _Reading(ledger_path(git_dir)):
        return unfolded(ledger_path(git_dir), tip)


class _Reading:
    """The cache's lock, shared, for a `with` block: readers together, never while a writer
    holds it (a class, not contextlib's decorator: `contextlib` costs a hook its imports)."""

    def __init__(self, path: str) -> None:
        self.path, self.fd = path, -1

    def __enter__(self) -> None:
        import fcntl

        try:
            self.fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return
        fcntl.flock(self.fd, fcntl.LOCK_SH)

    def __exit__(self, *_: object) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # (also lets go of the lock)
            self.fd = -1


def reused_names(
    updates: list[RefUpdate], history: dict[str, list[LedgerLine]], targets: dict[str, str], naming: NamingPolicy
) -> list[Violation]:
    """TG403 for each created tag whose name was recorded for other commits only."""
    found = []
    for update in updates:
        records = landed(history.get(update.name, []))
        if update.kind != "create" or not records:
            continue
        if any(r.get("commit") == targets[update.new] or r.get("object") == update.new for r in records):
            continue  # the same snapshot again (e.g. a tag restored after a mistaken delete)
        last = records[-1]
        found.append(reused_name(update.name, targets[update.new], last.get("commit") or last.get("object"),
                                 last.get("pusher"), last.get("time"), naming))
    return found


def append(git: Git, git_dir: str, records: Sequence[LandedRecord], index: bool = True) -> None:
    """Add records to the ledger (see `write`)."""
    from tagguard.server.jsonlog import encode_lines

    if records:
        write(git, git_dir, [encode_lines(records)], index)


def write(git: Git, git_dir: str, chunks: Iterable[bytes], index: bool = True, ref: str | None = None,
          cache: str | None = None, most: int | None = None, detach: bool = False) -> None:
    """Add chunks of record lines to the ledger, under the cache's lock: append them to the
    cache, fold what the ref lacks into refs/tagguard/ledger (`tagguard.server.ledgerstore`),
    and, with `index`, bring the cache's index up to date. Without `index` (pre-receive's
    pending records) the index catches up when a small write crosses a CATCH_UP boundary:
    post-receive's sh script never updates it, and the post-receive of a big push (always
    Python) catches up itself, in a detached process when that is big (`detach`, see
    `ledgerindex.update`)."""
    from tagguard.server.jsonlog import append_lines
    from tagguard.server.ledgerindex import update
    from tagguard.server.ledgerstore import LEDGER_REF, fold

    path = cache or ledger_path(git_dir)
    before = os.path.getsize(path) if os.path.exists(path) else 0

    def catch_up(path: str) -> None:
        rewritten = fold(git, git_dir, path, ref or LEDGER_REF, most)
        after = os.path.getsize(path)
        if index or rewritten or (after // CATCH_UP != before // CATCH_UP and after - before <= CATCH_UP):
            update(path, detach)

    try:
        append_lines(path, chunks, locked=catch_up, sync=False)  # (the ref, written before the lock goes, is the truth)
    except OSError as exc:
        raise TagguardError(f"can't write the tag ledger {path}: {exc.strerror}") from None


def landed(records: list[LedgerLine]) -> list[LedgerLine]:
    """The records that burn a name, oldest first: whole records, and each landed mark
    joined with the pending record of its object (a mark alone if there is none)."""
    pending: dict[str | None, LedgerLine] = {}
    found = []
    for record in records:
        if not (isinstance(record.get("name"), str) and isinstance(record.get("object"), str)):
            continue  # not a line tagguard wrote (a ledger fetched from elsewhere may hold anything)
        state = record.get("state")
        if state == PENDING:
            pending[record.get("object")] = record
        elif state == LANDED:
            joined: LedgerLine = {**pending.get(record.get("object"), {}), **record}
            del joined["state"]
            found.append(joined)
        else:
            found.append(record)
    return found


def landed_marks(updates: list[RefUpdate]) -> Iterator[bytes]:
    """The marks post-receive writes for the tags that landed, as ledger lines, a chunk at a
    time (the sh script writes the same lines)."""
    from tagguard.server.jsonlog import json_string

    for start in range(0, len(updates), _LINES_PER_WRITE):
        part = updates[start : start + _LINES_PER_WRITE]
        yield "".join([f'{{"name": {json_string(u.name)}, "object": "{u.new}", "state": "{LANDED}"}}\n'
                       for u in landing(part)]).encode()


def landed_records(
    updates: list[RefUpdate], targets: dict[str, str], pusher: str | None, state: Literal["pending"] | None = None,
    now: str | None = None,
) -> Sequence[LandedRecord]:
    """Ledger records for the tags that a push created or moved (`state`: PENDING before
    the refs moved), stamped `now` or the current time."""
    now = now or utc_now()
    records: list[LandedRecord] = [
        {"name": u.name, "object": u.new, "commit": targets[u.new], "pusher": pusher, "time": now}
        for u in landing(updates)
    ]
    if not state:
        return records
    pending: list[PendingRecord] = [{**record, "state": state} for record in records]
    return pending


def landed_lines(
    updates: list[RefUpdate], targets: dict[str, str], pusher: str | None, state: Literal["pending"] | None = None,
    now: str | None = None,
) -> Iterator[bytes]:
    """`landed_records` as ledger lines, byte for byte, a chunk at a time: a push of 100,000
    tags formats them without a dict or a JSON encoder call per tag. A chunk with any value
    JSON would escape goes through the encoder."""
    from tagguard.server.jsonlog import encode_lines, json_string

    now = now or utc_now()
    state_part = f'"state": {json_string(state)}, ' if state else ""
    who = "null" if pusher is None else json_string(pusher)
    tail = f', "pusher": {who}, {state_part}"time": {json_string(now)}}}\n'
    line = '{"commit": "%s", "name": "%s", "object": "%s"' + tail.replace("%", "%%")  # (a %-format: one call a chunk)
    for start in range(0, len(updates), _LINES_PER_WRITE):
        part = landing(updates[start : start + _LINES_PER_WRITE])
        news, names = list(map(NEW, part)), list(map(NAME, part))
        commits = list(map(targets.__getitem__, news))
        if all_hex("".join(chain(commits, news))) and _unescaped("".join(names)):
            yield (line * len(part) % tuple(chain.from_iterable(zip(commits, names, news)))).encode()
        else:
            yield encode_lines(landed_records(part, targets, pusher, state, now))


def _unescaped(text: str) -> bool:
    """Whether JSON writes this text as it is: printable ASCII, no quote, no backslash."""
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text


def with_held(history: dict[str, list[LedgerLine]], current: Mapping[str, str | None]) -> dict[str, list[LedgerLine]]:
    """`history` with a landed mark added for each pending record whose tag still holds its
    object (`current`: tag name -> object id): that tag landed, whether or not its
    post-receive wrote the mark yet."""
    held = {name: list(records) for name, records in history.items()}
    for mark in confirmations(history, current):
        held[mark["name"]].append(cast("LedgerLine", mark))
    return held


def confirmations(history: dict[str, list[LedgerLine]], current: Mapping[str, str | None]) -> list[LandedMark]:
    """Landed marks for pending records whose tag still holds their object: the push that
    wrote them landed, though its post-receive never ran. `current`: tag name -> object id."""
    found: list[LandedMark] = []
    for name, oid in current.items():
        records = history.get(name, [])
        if oid is None or any(r.get("object") == oid for r in landed(records)):
            continue
        if any(r.get("state") == PENDING and r.get("object") == oid for r in records):
            found.append({"name": name, "object": oid, "state": LANDED})
    return found


def seed(git: Git, git_dir: str) -> int:
    """Record the tags a repository already has (so they are burned too); return how many.
    Also folds into refs/tagguard/ledger what the cache holds and the ref lacks."""
    tags = [(short_name(ref), oid) for ref, oid, _ in git.tag_refs()]
    known = recorded(git, git_dir, {name for name, _ in tags})
    new = [(name, oid) for name, oid in tags if not any(r.get("object") == oid for r in landed(known.get(name, [])))]
    updates = [RefUpdate(f"refs/tags/{name}", zero_oid(len(oid)), oid) for name, oid in new]
    from tagguard.git.tagobject import peel_ends
    from tagguard.policy.model import DEFAULT_MAX_TAG_BYTES
    from tagguard.server.jsonlog import encode_lines

    targets = peel_ends(git, [oid for _, oid in new], DEFAULT_MAX_TAG_BYTES)
    if updates or os.path.exists(ledger_path(git_dir)):  # (an empty repository gets no ledger yet)
        write(git, git_dir, [encode_lines(landed_records(updates, targets, "(existing before tagguard)"))])
    return len(updates)
