"""The tag ledger: every tag that landed on a server, so a deleted name stays burned (TG403).

post-receive appends one record per tag that landed (name, object, commit, pusher, time) to
`tagguard-ledger.jsonl` in the repository's git dir; pre-receive only reads it (it runs in
git's quarantine, before anything is final).
"""

from __future__ import annotations

import os
import time
from typing import Any

from tagguard.display import shown
from tagguard.errors import TagguardError
from tagguard.git import Git, zero_oid
from tagguard.refs import short_name
from tagguard.rules import Violation
from tagguard.updates import RefUpdate

LEDGER_FILE = "tagguard-ledger.jsonl"
RECORD_ROOM = 512  # bytes a ledger record may take, for the free-space check before a push


def ledger_path(git_dir: str) -> str:
    return os.path.join(git_dir, LEDGER_FILE)


def recorded(path: str, names: set[str]) -> dict[str, list[dict[str, Any]]]:
    """The ledger's records for the given tag names, oldest first."""
    from tagguard.ledgerindex import lookup

    found: dict[str, list[dict[str, Any]]] = {}
    if not names:
        return found
    for record in lookup(path, names):
        found.setdefault(record["name"], []).append(record)
    return found


def reused_names(
    updates: list[RefUpdate], history: dict[str, list[dict[str, Any]]], targets: dict[str, str]
) -> list[Violation]:
    """TG403 for each created tag whose name was recorded for other commits only."""
    found = []
    for update in updates:
        records = history.get(update.name)
        if update.kind != "create" or not records:
            continue
        if any(r.get("commit") == targets[update.new] for r in records):
            continue  # the same snapshot again (e.g. a tag restored after a mistaken delete)
        last = records[-1]
        commit = str(last.get("commit", "?"))[:12]
        found.append(Violation(
            update.name,
            "TG403",
            f"was published before for commit {commit} (by {shown(str(last.get('pusher') or 'unknown'))}, "
            f"{last.get('time', '?')}); a published name is never reused for another commit",
            f"give this commit a new name: git tag -a {shown(update.name)}-2 {targets[update.new][:12]} -m \"...\"",
        ))
    return found


def append(path: str, records: list[dict[str, Any]]) -> None:
    """Add records to the ledger and bring its index up to date, under one lock."""
    from tagguard.jsonlog import append_records
    from tagguard.ledgerindex import update

    try:
        append_records(path, records, locked=update)
    except OSError as exc:
        raise TagguardError(f"can't write the tag ledger {path}: {exc.strerror}") from None


def landed_records(
    updates: list[RefUpdate], targets: dict[str, str], pusher: str | None
) -> list[dict[str, Any]]:
    """Ledger records for the tags that a push created or moved."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return [
        {"name": u.name, "object": u.new, "commit": targets[u.new], "pusher": pusher, "time": now}
        for u in updates
        if u.is_tag and u.kind != "delete"
    ]


def seed(git: Git, path: str) -> int:
    """Record the tags a repository already has (so they are burned too); return how many."""
    tags = [(short_name(ref), oid) for ref, oid, _ in git.tag_refs()]
    known = recorded(path, {name for name, _ in tags})
    new = [(name, oid) for name, oid in tags if not any(r.get("object") == oid for r in known.get(name, []))]
    updates = [RefUpdate(f"refs/tags/{name}", zero_oid(len(oid)), oid) for name, oid in new]
    targets = git.peeled_targets(oid for _, oid in new)
    append(path, landed_records(updates, targets, "(existing before tagguard)"))
    return len(updates)
