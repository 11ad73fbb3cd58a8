"""The append-only JSON-lines files: torn lines, filtered reads, concurrent writers."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from tagguard.server.jsonlog import append_records, read_records


def test_filtered_read_finds_tricky_values_and_skips_torn_lines(tmp_path: Path) -> None:
    path = str(tmp_path / "log.jsonl")
    names = ['v2.8-a', 'v2.8-"quoted", "name": "x"', "v2.8-\u00e9t\u00e9", "v2.8-a}"]
    append_records(path, [{"name": n, "pusher": '"name": "v2.8-a"'} for n in names])
    with open(path, "a") as f:
        f.write('{"name": "v2.8-a", "torn')
    append_records(path, [{"name": "v2.8-a", "pusher": "late"}])
    for name in names:
        assert [r["name"] for r in read_records(path, "name", {name})] == [name] + (["v2.8-a"] if name == "v2.8-a" else [])
    assert len(list(read_records(path))) == 5
    assert list(read_records(str(tmp_path / "missing"), "name", {"x"})) == []


def _writer(path: str, index: int) -> None:
    append_records(path, [{"name": f"w{index}-{i}", "pad": "x" * 3000} for i in range(50)])


def test_concurrent_writers_never_interleave(tmp_path: Path) -> None:
    path = str(tmp_path / "log.jsonl")
    workers = [multiprocessing.Process(target=_writer, args=(path, i)) for i in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    lines = Path(path).read_text().splitlines()
    assert len(lines) == 400 and len(list(read_records(path))) == 400


def test_ledger_lines_are_the_records_json_writes(tmp_path: Path) -> None:
    from tagguard.git.refupdates import RefUpdate
    from tagguard.server.jsonlog import encode_lines
    from tagguard.server.ledger import PENDING, landed_lines, landed_records

    names = ["v2.8-a", 'v2.8-"q"', "v2.8-\u00e9", "v2.8-back\\slash", "v2.8-\x7f", "v2.8-\udce9", "v2.8-100%s",
             "v2.8-\x01", "v2.8-tab\t"]
    updates = [RefUpdate(f"refs/tags/{n}", "0" * 40, f"{i:040x}") for i, n in enumerate(names)]
    updates.append(RefUpdate("refs/tags/gone", "1" * 40, "0" * 40))  # deleted: no record
    targets = {u.new: "c" * 40 for u in updates}
    odd = [RefUpdate("refs/tags/v2.8-b", "0" * 40, "d" * 40), RefUpdate("refs/tags/v2.8-c", "0" * 40, "e" * 40),
           RefUpdate("refs/tags/v2.8-d", "0" * 40, "F" * 39 + "\u00e9")]
    targets.update(zip([u.new for u in odd], ['c"\\\n', "C" * 40, "c" * 40]))  # a tag object's header is the pusher's
    for pusher, state, now in ((None, None, "2026-01-01T00:00:00Z"), ('a "b"', PENDING, "2026-01-01T00:00:00Z"),
                               ("alice", PENDING, 'a "time"\\'), ("%s %d 100%", PENDING, "2026-01-01T00:00:00Z")):
        for chunk in (updates[:1], updates, odd, *([u] for u in updates + odd)):
            lines = b"".join(landed_lines(chunk, targets, pusher, state, now))
            assert lines == encode_lines(landed_records(chunk, targets, pusher, state, now))


def test_a_writer_waiting_on_a_file_replaced_meanwhile_appends_to_the_new_one(tmp_path: Path) -> None:
    """An admin may replace the ledger's cache (delete it, and a push writes it anew) while a
    writer waits for the lock: the writer's lines go to the file that is there, not to the
    one it first opened."""
    import fcntl
    import os
    import threading
    import time

    path = str(tmp_path / "log.jsonl")
    append_records(path, [{"name": "old"}])
    held = os.open(path, os.O_RDONLY)
    fcntl.flock(held, fcntl.LOCK_EX)
    writer = threading.Thread(target=append_records, args=(path, [{"name": "late"}]))
    writer.start()
    time.sleep(0.3)  # it opens the old file and waits for its lock
    append_records(path + ".new", [{"name": "new"}])
    os.replace(path + ".new", path)
    os.close(held)
    writer.join(60)
    assert [r["name"] for r in read_records(path)] == ["new", "late"]
