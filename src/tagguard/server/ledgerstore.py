"""The ledger kept in git: `refs/tagguard/ledger`, so backups, mirrors and replicas carry it.

Each write of the ledger is a commit on that ref whose tree holds one file, `records.jsonl`:
the lines that write added. Following first parents from the ref, oldest first, the files
joined are the whole ledger. Everything that copies a repository's refs copies it: `git
bundle create --all`, `git clone --mirror`, `git push --mirror`, hosting replication.

`tagguard-ledger.jsonl` in the git dir is a local cache of those lines, so a lookup never
reads git (with its SQLite index, `tagguard.server.ledgerindex`). `tagguard-ledger.jsonl.head`
says how far it matches the ref: "<commit> <bytes> <check>", the first <bytes> of the cache
being the files of the chain up to <commit>, the last CHECK of them as <check> says (a cache
cut short, edited or deleted since is not trusted). Lines after that are not in the ref yet: the landed marks
post-receive's sh script appends, and what a writer just appended. Under the cache's lock a
writer *folds* them into one new commit on the ref, moved with a compare-and-swap (retried
when another writer got there first), before it lets a push's refs move.

Whatever the cache and the ref hold, folding keeps both: a cache the ref does not account
for (a ref deleted or moved back; a JSON-lines ledger of an older tagguard, which is how it
is migrated) is folded whole, and a ref the cache does not know (a restored backup, a
mirror, another writer) is read into the cache. Records are facts, so a record twice is the
same as once. A crash between writing the objects and moving the ref leaves unused objects
and the lines still waiting in the cache; a crash after it leaves the cache behind the ref,
which the next write reads in.
"""

from __future__ import annotations

import os

from tagguard.errors import TagguardError
from tagguard.git.objects import file_commit, hash_name
from tagguard.git.repo import Git
from tagguard.lean import TYPE_CHECKING, NamedTuple
from tagguard.server.ledgerindex import CHECK, bytes_before

if TYPE_CHECKING:
    from collections.abc import Iterator


LEDGER_REF = "refs/tagguard/ledger"
RECORDS_FILE = "records.jsonl"
HEAD_SUFFIX = ".head"
_TRIES = 20  # compare-and-swap attempts before a write gives up (another writer kept winning)
_PIECE = 1 << 20
_HEAD_BYTES = 256  # `.head`'s size: a commit, a size and CHECK bytes in hex, padded with spaces


class Head(NamedTuple):
    commit: str
    size: int
    check: str  # hex of the cache's last CHECK bytes before `size`, as they were


def head_path(cache: str) -> str:
    return cache + HEAD_SUFFIX


def read_head(cache: str) -> Head | None:
    """Where the cache matches the ref, or None when it never did, says nonsense, or the cache
    is no longer what it was then (deleted, cut short or edited before that point)."""
    try:
        with open(head_path(cache), "rb") as f:
            words = f.read(400).split()
    except OSError:
        return None
    if len(words) != 3 or not words[1].isdigit() or len(words[0]) not in (40, 64):
        return None
    head = Head(words[0].decode("ascii", "replace"), int(words[1]), words[2].decode("ascii", "replace"))
    return head if _check_bytes(cache, head.size) == head.check else None


def _check_bytes(cache: str, size: int) -> str | None:
    """The hex of the CHECK bytes before `size` ("-" for none), or None if the file is shorter."""
    try:
        data = bytes_before(cache, size)
    except OSError:
        return None
    return None if len(data) != min(size, CHECK) else data.hex() or "-"


def in_step(cache: str, tip: str | None) -> bool:
    """Whether a reader may trust the cache as it is: it matches the ref's tip, or there is
    no ref yet (the cache, perhaps an older tagguard's ledger, is all there is)."""
    head = read_head(cache)
    return tip is None or (head is not None and head.commit == tip)


def fold(git: Git, git_dir: str, cache: str, ref: str = LEDGER_REF, most: int | None = None) -> bool:
    """Bring the ref and the cache together; call it holding the cache's lock. Returns whether
    the cache was rewritten (its index must then start again). `most`: bytes of records it may
    read from git (TagguardError beyond)."""
    for _ in range(_TRIES):
        done = _fold_once(git, git_dir, cache, ref, most)
        if done is not None:
            return done
    raise TagguardError(f"{ref} kept moving while the ledger was written ({_TRIES} tries); push again")


def _fold_once(git: Git, git_dir: str, cache: str, ref: str, most: int | None) -> bool | None:
    """One attempt: None when another writer moved the ref meanwhile."""
    tip = git.resolve([ref])[ref]  # (git reads a ref's file afresh for each question, in a session too)
    kind = Git.object_info(git, [tip])[tip].type if tip else "commit"
    if kind != "commit":  # never build on it: a commit whose parent is not a commit breaks the repository
        raise TagguardError(f"{ref} holds a {kind}, not a commit of tagguard's ledger: point it back at the "
                            f"ledger's last commit (git update-ref {ref} COMMIT) and push again")
    head, size = read_head(cache), os.path.getsize(cache)
    known = head is not None and tip is not None and _reaches(git, tip, head.commit)  # (read_head checked its size)
    base = head if known else None
    start = base.size if base else 0
    end = _whole_lines_end(cache, start, size)
    new = tip
    if end > start:
        algorithm = hash_name(len(tip)) if tip else git.object_format()
        new = file_commit(_objects_dir(git_dir), algorithm, RECORDS_FILE, end - start, _pieces(cache, start, end),
                          tip, "tagguard ledger records\n", _now())
        if not git.move_ref(ref, new, tip, git_dir):
            return None
    if new is None:
        return False  # no ref and nothing to fold
    if (base is not None and base.commit == tip) or (tip is None and start == 0):  # the cache is the chain
        _write_head(cache, new, end)
        return False
    _read_in(git, cache, base, new, most)
    return True


def _reaches(git: Git, tip: str, commit: str) -> bool:
    """Whether `commit` is on `tip`'s chain of first parents."""
    if tip == commit:
        return True
    if Git.object_info(git, [commit])[commit].type != "commit":
        return False  # gone (a restore, then gc): the cache is folded whole
    chain = git.first_parents(tip, commit)
    return bool(chain) and chain[0][1] == commit


def _read_in(git: Git, cache: str, base: Head | None, tip: str, most: int | None = None) -> None:
    """Rewrite the cache past `base` (all of it without one) from the ref's chain."""
    with open(cache, "r+b") as f:
        f.truncate(base.size if base else 0)
        f.seek(0, os.SEEK_END)
        for commit, data in chain_files(git, tip, base.commit if base else None, most):
            if data is None:
                raise TagguardError(f"{LEDGER_REF} is damaged: commit {commit[:12]} has no {RECORDS_FILE} file")
            f.write(data if data.endswith(b"\n") or not data else data + b"\n")
        size = f.tell()
    _write_head(cache, tip, size)


def chain_files(git: Git, tip: str, since: str | None = None, most: int | None = None
                ) -> Iterator[tuple[str, bytes | None]]:
    """(commit, its records file or None) along the ref's chain, oldest first, after `since`,
    read a bounded batch at a time (a 100,000-tag push's file alone is 20 MB); TagguardError
    when they come to more than `most` bytes."""
    from tagguard.git.batches import read_in_batches

    files = {f"{commit}:{RECORDS_FILE}": commit for commit, _ in git.first_parents(tip, since)}
    info = git.object_info(files)
    sizes = {name: found.size for name, found in info.items()}
    if most is not None and sum(sizes.values()) > most:
        raise TagguardError(f"its records come to {sum(sizes.values()):,} bytes, over the {most:,} read here")
    for name, found in read_in_batches(git, list(files), sizes):
        yield files[name], found[1] if found is not None and found[0] == "blob" else None


def unfolded(cache: str, tip: str | None) -> bytes:
    """The cache's lines that the ref does not hold yet, when the cache is in step with it
    (everything, when there is no ref: an older tagguard's ledger, or none yet)."""
    head = read_head(cache)
    try:
        with open(cache, "rb") as f:
            if tip is not None:
                if head is None or head.commit != tip:
                    return b""
                f.seek(head.size)
            return f.read()
    except FileNotFoundError:
        return b""


def _write_head(cache: str, commit: str, size: int) -> None:
    """Rewrite `.head` in place, in one write of a fixed size (a file created and renamed
    costs a push more); readers take the cache's lock, so none sees it half written."""
    data = f"{commit} {size} {_check_bytes(cache, size)}".encode().ljust(_HEAD_BYTES - 1) + b"\n"
    path = head_path(cache)
    try:
        fd = os.open(path, os.O_WRONLY)
    except (FileNotFoundError, PermissionError):  # the first one, or another user's: a new file
        fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        _write_all(fd, data)
        os.replace(path + ".tmp", path)  # (it appears whole)
        return
    _write_all(fd, data)


def _write_all(fd: int, data: bytes) -> None:
    try:
        if os.write(fd, data) != len(data):
            raise TagguardError("the ledger cache's .head file could not be written whole")
        if os.fstat(fd).st_size > len(data):  # a damaged, longer one (an older tagguard's line is shorter)
            os.ftruncate(fd, len(data))
    finally:
        os.close(fd)


def _whole_lines_end(cache: str, start: int, size: int) -> int:
    """The end of the last whole line after `start` (a line torn by a crash waits)."""
    with open(cache, "rb") as f:
        position = size
        while position > start:
            step = min(_PIECE, position - start)
            f.seek(position - step)
            found = f.read(step).rfind(b"\n")
            if found >= 0:
                return position - step + found + 1
            position -= step
    return start


def _pieces(cache: str, start: int, end: int) -> Iterator[bytes]:
    with open(cache, "rb") as f:
        f.seek(start)
        while start < end:
            piece = f.read(min(_PIECE, end - start))
            if not piece:
                raise TagguardError(f"the ledger cache {cache} shrank while it was read")
            start += len(piece)
            yield piece


def _objects_dir(git_dir: str) -> str:
    """The repository's own object store: inside a push's quarantine, not the quarantine."""
    own = os.environ.get("GIT_OBJECT_DIRECTORY")
    return own if own and not os.environ.get("GIT_QUARANTINE_PATH") else os.path.join(git_dir, "objects")


def _now() -> int:
    import time

    return int(time.time())
