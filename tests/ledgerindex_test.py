"""The ledger's index: it answers exactly as a full scan would, and is never trusted blindly."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from testing.tools import git

from tagguard.git.repo import Git
from tagguard.server import ledger, ledgerindex
from tagguard.server.jsonlog import append_records, read_records


def cache(tmp_path: Path) -> str:
    """The ledger cache of a new bare repository (the ledger's truth is its refs/tagguard/ledger)."""
    git("init", "-q", "--bare", str(tmp_path / "server.git"), cwd=tmp_path)
    return ledger.ledger_path(str(tmp_path / "server.git"))


def append(path: str, records: list[dict[str, str]], index: bool = True) -> None:
    git_dir = str(Path(path).parent)
    ledger.append(Git(git_dir), git_dir, records, index)  # type: ignore[arg-type]


def recorded(path: str, names: set[str]) -> dict[str, list[dict[str, str]]]:
    git_dir = str(Path(path).parent)
    return ledger.recorded(Git(git_dir), git_dir, names)  # type: ignore[return-value]


def record(name: str, commit: str = "c1") -> dict[str, str]:
    return {"name": name, "object": "o", "commit": commit, "pusher": "ana", "time": "t"}


INDEX_FROM = ledgerindex.INDEX_FROM  # as a process of its own sees it


@pytest.fixture(autouse=True)
def always_indexed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ledgerindex, "INDEX_FROM", 0)


def scanned(path: str, names: set[str]) -> dict[str, list[dict[str, str]]]:
    found: dict[str, list[dict[str, str]]] = {}
    for r in read_records(path, "name", names):
        found.setdefault(r["name"], []).append(r)
    return found


def test_index_answers_like_a_scan_and_reads_only_the_tail(tmp_path: Path) -> None:
    path = cache(tmp_path)
    append(path, [record(f"v2.8-exp-{i}") for i in range(200)] + [record("v2.8-ft", "c1")])
    append(path, [record("v2.8-ft", "c2")])
    append_records(path, [record("v2.8-ft", "c3"), record("v2.8-late")])  # a writer that skips the index
    names = {"v2.8-ft", "v2.8-late", "v2.8-exp-7", "v2.8-none"}
    assert recorded(path, names) == scanned(path, names)
    assert [r["commit"] for r in recorded(path, {"v2.8-ft"})["v2.8-ft"]] == ["c1", "c2", "c3"]
    with open(path, "rb") as f:
        size = len(f.read())
    covered, _ = ledgerindex._state(sqlite3.connect(ledgerindex.index_path(path)))
    assert 0 < covered < size  # the last append is read from the ledger, not the index


def test_rewritten_ledger_or_broken_index_falls_back_to_a_scan(tmp_path: Path) -> None:
    path = cache(tmp_path)
    append(path, [record(f"v2.8-exp-{i}") for i in range(50)])
    Path(path).write_text("")  # the cache was replaced: neither it nor its index may be believed
    append_records(path, [record("v2.8-exp-3", "other")])
    assert recorded(path, {"v2.8-exp-3", "v2.8-exp-4"}) == {  # the ref's records, then the cache's, folded in
        "v2.8-exp-3": [record("v2.8-exp-3"), record("v2.8-exp-3", "other")], "v2.8-exp-4": [record("v2.8-exp-4")]}
    append(path, [record("v2.8-new")])
    assert recorded(path, {"v2.8-exp-4", "v2.8-new"}) == {"v2.8-exp-4": [record("v2.8-exp-4")],
                                                         "v2.8-new": [record("v2.8-new")]}
    Path(ledgerindex.index_path(path)).write_bytes(b"not a database")
    assert recorded(path, {"v2.8-new"}) == {"v2.8-new": [record("v2.8-new")]}
    append(path, [record("v2.8-after")])  # a broken index never fails a write; it is dropped
    append(path, [record("v2.8-last")])  # and built again
    assert recorded(path, {"v2.8-after", "v2.8-last"}) == scanned(path, {"v2.8-after", "v2.8-last"})
    assert ledgerindex._state(sqlite3.connect(ledgerindex.index_path(path)))[0] == Path(path).stat().st_size


def test_names_that_are_not_utf8_are_indexed_losslessly(tmp_path: Path) -> None:
    path = cache(tmp_path)
    odd = ["v2.8-caf\udce9", "v2.8-\ud800", "v2.8-\U0001f468\u200d\U0001f469", "v2.8-caf\u00e9"]
    append(path, [record(name, f"c{i}") for i, name in enumerate(odd)])
    assert ledgerindex._state(sqlite3.connect(ledgerindex.index_path(path)))[0] == Path(path).stat().st_size
    assert recorded(path, set(odd)) == scanned(path, set(odd))
    assert recorded(path, {"v2.8-caf\udce9"}) == {"v2.8-caf\udce9": [record("v2.8-caf\udce9", "c0")]}


def test_an_index_of_the_older_text_keyed_layout_is_never_read_and_is_rebuilt(tmp_path: Path) -> None:
    path = cache(tmp_path)
    append_records(path, [record("v2.8-ft", "c1")])
    old = sqlite3.connect(ledgerindex.index_path(path))
    with old:  # as older tagguards wrote it, claiming to cover the ledger but holding nothing
        old.execute("CREATE TABLE state (covered INTEGER, check_bytes BLOB)")
        old.execute("CREATE TABLE records (name TEXT, line BLOB)")
        old.execute("INSERT INTO state VALUES (?, ?)", (Path(path).stat().st_size, Path(path).read_bytes()[-64:]))
    old.close()
    assert recorded(path, {"v2.8-ft"}) == {"v2.8-ft": [record("v2.8-ft", "c1")]}
    append(path, [record("v2.8-base")])
    tables = {row[0] for row in sqlite3.connect(ledgerindex.index_path(path)).execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"state_v3", "lines_v3"}
    assert recorded(path, {"v2.8-ft", "v2.8-base"}) == scanned(path, {"v2.8-ft", "v2.8-base"})


def test_names_read_without_parsing_agree_with_json(tmp_path: Path) -> None:
    """The index reads each record's name from its place in the line; odd names, SHA-256
    commits and records of another shape must come out as json.loads reads them, at the
    offsets where their lines start, and a line that is no record with a name not at all."""
    import json

    from tagguard.server.ledgerindex import _keyed, name_key

    names = ['v2.8-a', 'v2.8-"quoted"', 'back\\slash', 'caf\udce9', 'emoji \U0001f600', '", "name": "evil', '']
    records = [{"name": n, "object": "a" * 40, "commit": c, "pusher": None, "time": "t"}
               for n in names for c in ("b" * 40, "c" * 64)]
    records += [{"name": "no-commit", "object": "a" * 40}, {"commit": "zz", "name": "odd-commit"}]
    ledger = tmp_path / "ledger.jsonl"
    append_records(str(ledger), records)
    with open(ledger, "ab") as f:
        f.write(b'{"name": 7}\n["v2.8-a"]\n{"commit": "' + b"b" * 40 + b'", "name": "v2.8-torn\n\n')
        f.write(b'{"name": "v2.8-cut", "obj\n')  # torn after its name: kept (a reader skips it)
    data = ledger.read_bytes()
    expected, at = [], 100
    for line in data.split(b"\n")[:-1]:
        record = json.loads(line) if line.endswith(b"}") else None
        if isinstance(record, dict) and isinstance(record.get("name"), str):
            expected.append((name_key(record["name"]), at))
        at += len(line) + 1
    assert len(expected) == len(records)
    assert _keyed(data, 100) == [*expected, (name_key("v2.8-cut"), at - len(b'{"name": "v2.8-cut", "obj\n'))]


def test_a_key_narrows_and_the_name_decides(tmp_path: Path) -> None:
    """Two names with one key, and a torn line the index points at: a lookup returns exactly
    the records of the name asked for, as a scan does."""
    one, other = "v2.8-exp-xs4ibwwl", "v2.8-exp-adwoqc8j"
    assert ledgerindex.name_key(one) == ledgerindex.name_key(other)  # (CRC-32 of both)
    path = cache(tmp_path)
    append(path, [record(one, "c1"), record(other, "c2"), record("v2.8-base")])
    with open(path, "ab") as f:
        f.write(b'{"name": "' + one.encode() + b'", "obj\n')  # a write torn by a crash
    append(path, [record("v2.8-last")])
    assert recorded(path, {one}) == {one: [record(one, "c1")]}
    assert recorded(path, {other}) == {other: [record(other, "c2")]}
    assert recorded(path, {one, other, "v2.8-base"}) == scanned(path, {one, other, "v2.8-base"})
    assert ledgerindex._state(sqlite3.connect(ledgerindex.index_path(path)))[0] == Path(path).stat().st_size


def test_small_unindexed_writes_catch_the_index_up_every_256_kib(tmp_path: Path) -> None:
    """pre-receive's pending records skip the index, and post-receive's sh marks never touch
    it: a small write that crosses a CATCH_UP boundary brings it up to date; a big one doesn't
    (its Python post-receive will)."""
    from tagguard.server.ledger import CATCH_UP

    path = cache(tmp_path)
    append(path, [record("v2.8-first")])
    def covered() -> int:
        return ledgerindex._state(sqlite3.connect(ledgerindex.index_path(path)))[0]

    size = Path(path).stat().st_size
    assert covered() == size
    small = record("v2.8-x" + "y" * 200)
    while Path(path).stat().st_size // CATCH_UP == 0:
        before = Path(path).stat().st_size
        append(path, [small], index=False)
    assert covered() == Path(path).stat().st_size > before  # the write that crossed caught up
    append(path, [small], index=False)
    assert covered() < Path(path).stat().st_size  # the next small one left it
    big = [record(f"v2.8-big-{i}" + "z" * 200) for i in range(2 * CATCH_UP // 200)]
    mark = covered()
    append(path, big, index=False)
    assert covered() == mark  # a big write leaves the index to its post-receive
    assert recorded(path, {"v2.8-big-7" + "z" * 200}) == scanned(path, {"v2.8-big-7" + "z" * 200})


def _wait_until_covered(path: str) -> None:
    """Until the detached catch-up has indexed the whole ledger (it takes well under a second)."""
    import time

    deadline = time.monotonic() + 60
    while ledgerindex.indexed_bytes(path) != Path(path).stat().st_size:
        assert time.monotonic() < deadline, "the detached catch-up never indexed the ledger"
        time.sleep(0.05)


def big_unindexed(path: str, count: int) -> list[str]:
    """`count` records with long names written past the index (as pre-receive writes pending
    records); their names. The ledger ends up over the real INDEX_FROM, so that a detached
    process (which sees no monkeypatch) indexes it too."""
    names = [f"v2.8-exp-{i}-" + "n" * 300 for i in range(count)]
    append(path, [record(name) for name in names], index=False)
    assert Path(path).stat().st_size > INDEX_FROM
    return names


def test_a_big_catch_up_asked_to_detach_waits_for_the_lock_then_indexes_everything(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import fcntl
    import time

    path = cache(tmp_path)
    names = big_unindexed(path, 4000)
    monkeypatch.setattr(ledgerindex, "DETACH_FROM", 1)
    fd = os.open(path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a writer holding the lock, as post-receive does when it asks
    ledgerindex.update(path, detach=True)
    time.sleep(0.3)
    assert ledgerindex.indexed_bytes(path) == 0  # the detached process waits for the lock
    os.close(fd)
    _wait_until_covered(path)
    wanted = {names[0], names[-1], "v2.8-none"}
    assert ledgerindex._indexed(path, wanted, Path(path).stat().st_size) is not None
    assert recorded(path, wanted) == scanned(path, wanted)


def test_a_small_catch_up_asked_to_detach_is_done_at_once(tmp_path: Path) -> None:
    path = cache(tmp_path)
    big_unindexed(path, 4000)  # about 1.3 MB: below DETACH_FROM
    ledgerindex.update(path, detach=True)
    assert ledgerindex.indexed_bytes(path) == Path(path).stat().st_size


def test_post_receive_of_a_big_push_ends_before_its_detached_catch_up(tmp_path: Path) -> None:
    """post-receive leaves a big catch-up to a process of its own, which holds none of the
    hook's output (git would wait for it): the hook ends while the index is locked, and the
    index catches up once it is free."""
    from testing.tools import TAGGUARD, ZERO

    path = cache(tmp_path)
    big_unindexed(path, 14_000)  # past DETACH_FROM, as pre-receive's pending records of a big push
    assert Path(path).stat().st_size > ledgerindex.DETACH_FROM
    held = sqlite3.connect(ledgerindex.index_path(path), isolation_level=None)
    held.execute("BEGIN EXCLUSIVE")  # nobody can index until this ends
    watched, handed = os.pipe()  # a descriptor whatever runs git hands the hook, and waits on
    done = subprocess.run([TAGGUARD, "post-receive"], cwd=tmp_path / "server.git", pass_fds=(handed,),
                          input=f"{ZERO} {'a' * 40} refs/tags/v2.8-exp-new\n", capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stderr == ""
    os.close(handed)
    os.set_blocking(watched, False)
    assert os.read(watched, 1) == b""  # ended: the waiting catch-up did not keep it open
    os.close(watched)
    held.execute("ROLLBACK")
    held.close()
    _wait_until_covered(path)
    assert [r.get("state") for r in recorded(path, {"v2.8-exp-new"})["v2.8-exp-new"]] == ["landed"]


def test_a_ledger_replaced_while_the_catch_up_waits_is_locked_anew(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The detached catch-up indexes the ledger file that is there once it holds that file's
    lock, not the one it waited on (an admin may delete the cache, and a push rebuild it)."""
    import fcntl
    import shutil
    import time

    path = cache(tmp_path)
    big_unindexed(path, 4000)
    monkeypatch.setattr(ledgerindex, "DETACH_FROM", 1)
    old = os.open(path, os.O_RDONLY)
    fcntl.flock(old, fcntl.LOCK_EX)
    ledgerindex.update(path, detach=True)
    time.sleep(0.5)  # it starts, and waits for the old file's lock
    shutil.copy(path, path + ".new")
    os.replace(path + ".new", path)  # a new file under the ledger's name
    new = os.open(path, os.O_RDONLY)
    fcntl.flock(new, fcntl.LOCK_EX)  # a writer of the new file
    os.close(old)
    time.sleep(0.3)
    assert ledgerindex.indexed_bytes(path) == 0  # it waits for the new file's lock
    os.close(new)
    _wait_until_covered(path)


def test_a_catch_up_that_cannot_detach_is_done_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*_: object, **__: object) -> int:
        raise OSError("no processes left")

    path = cache(tmp_path)
    big_unindexed(path, 4000)
    monkeypatch.setattr(ledgerindex, "DETACH_FROM", 1)
    monkeypatch.setattr(os, "posix_spawn", refused)
    ledgerindex.update(path, detach=True)
    assert ledgerindex.indexed_bytes(path) == Path(path).stat().st_size
