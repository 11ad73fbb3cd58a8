"""`tagguard ledger [verify] [--repo DIR] [--format text|json]`: the names a repository burned.

Reads refs/tagguard/ledger with git alone (and, on the server, the lines its cache has not
folded into the ref yet); it writes nothing, so an admin may run it as any user. A clone
that fetched the ref (`git fetch origin refs/tagguard/ledger:refs/tagguard/ledger`) can run
it too.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from tagguard.git.repo import Git
from tagguard.lean import TYPE_CHECKING, NamedTuple, cast
from tagguard.safetext import shown
from tagguard.server.jsonlog import parse_lines
from tagguard.server.ledger import confirmations, landed, ledger_path, waiting_lines
from tagguard.server.ledgerstore import LEDGER_REF, RECORDS_FILE, chain_files

if TYPE_CHECKING:
    from tagguard.server.records import LedgerLine


class Entry(NamedTuple):
    """One name the ledger burned: a tag that landed, and what its ref holds now."""

    name: str
    object: str
    commit: str | None
    pusher: str | None
    time: str | None
    now: str  # "present", "deleted", or "moved" (the ref holds another object)


class Reading(NamedTuple):
    records: list[dict[str, object]]
    damaged: list[str]  # one line each: what is wrong, and where


def run_ledger(args: argparse.Namespace) -> int:
    git = Git(args.repo)
    git_dir = git.git_dir()
    tags = {ref[len("refs/tags/"):]: oid for ref, oid, _ in git.tag_refs()}
    reading = read_ledger(git, git_dir)
    entries = burned(reading.records, tags)
    if args.action == "verify":
        return _verify(entries, reading, tags, args)
    if args.format == "json":
        json.dump({"ref": LEDGER_REF, "entries": [e._asdict() for e in entries]}, sys.stdout, indent=2)
        print()
    elif not entries:
        print(f"no names in the ledger ({LEDGER_REF} of {git_dir})")
    else:
        _print_table(entries)
    return 0


def read_ledger(git: Git, git_dir: str) -> Reading:
    """Every record: the ref's chain, then the cache's unfolded lines."""
    tip = git.resolve([LEDGER_REF])[LEDGER_REF]
    records: list[dict[str, object]] = []
    damaged: list[str] = []
    for commit, data in chain_files(git, tip) if tip else ():
        if data is None:
            damaged.append(f"{LEDGER_REF} commit {commit[:12]}: no {RECORDS_FILE} file")
            continue
        records += _records(data, f"{LEDGER_REF} commit {commit[:12]}", damaged)
    records += _records(waiting_lines(git_dir, tip), ledger_path(git_dir), damaged)
    return Reading(records, damaged)


def _records(data: bytes, where: str, damaged: list[str]) -> list[dict[str, object]]:
    found = []
    for number, line in enumerate(data.split(b"\n"), 1):
        if not line.strip():
            continue
        record = next(parse_lines([line]), None)
        if record is None or not all(isinstance(record.get(k), str) for k in ("name", "object")):
            damaged.append(f"{where}: line {number} is not a ledger record")
            continue
        found.append(record)
    return found


def burned(records: list[dict[str, object]], tags: dict[str, str]) -> list[Entry]:
    """Each landed name once per object, oldest first; a pending record counts when its tag
    still holds its object (it landed; post-receive's mark is on its way)."""
    lines = cast("list[LedgerLine]", records)  # (name and object checked when read)
    history: dict[str, list[LedgerLine]] = {}
    for line in lines:
        history.setdefault(line["name"], []).append(line)
    seen: dict[tuple[str, str], Entry] = {}
    marks = cast("list[LedgerLine]", confirmations(history, tags))
    for record in landed([*lines, *marks]):
        name, oid = str(record["name"]), str(record["object"])
        held = tags.get(name)
        now = "deleted" if held is None else "present" if held == oid else "moved"
        seen.setdefault((name, oid), Entry(name, oid, _text(record.get("commit")), _text(record.get("pusher")),
                                           _text(record.get("time")), now))
    return list(seen.values())


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _verify(entries: list[Entry], reading: Reading, tags: dict[str, str], args: argparse.Namespace) -> int:
    recorded = {(e.name, e.object) for e in entries}
    problems = list(reading.damaged)
    repo = shown(os.path.abspath(args.repo))
    problems += [f"tag {shown(name)} ({oid[:12]}) is not in the ledger, so its name is not burned: "
                 f"`tagguard install --server {repo}` records it" for name, oid in sorted(tags.items())
                 if (name, oid) not in recorded]
    if args.format == "json":
        json.dump({"ref": LEDGER_REF, "ok": not problems, "names": len(entries), "problems": problems},
                  sys.stdout, indent=2)
        print()
    else:
        for line in problems:
            print(line)
        verdict = "ok" if not problems else f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        print(f"{LEDGER_REF}: {len(entries)} burned name{'s' if len(entries) != 1 else ''}, "
              f"{len(tags)} tag{'s' if len(tags) != 1 else ''} in the repository: {verdict}")
    return 1 if problems else 0


def _print_table(entries: list[Entry]) -> None:
    rows = [("NAME", "COMMIT", "PUSHER", "TIME", "NOW")]
    rows += [(shown(e.name), (e.commit or e.object)[:12], shown(e.pusher or "-"), e.time or "-", e.now)
             for e in entries]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
