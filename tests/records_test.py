"""The records the server writes have the keys their types in `tagguard.server.records` say."""

from __future__ import annotations

from pathlib import Path

from testing.server import push, use_policy
from testing.tools import annotated, git, tagguard

from tagguard.server.jsonlog import read_records
from tagguard.server.ledger import LEDGER_FILE
from tagguard.server.records import AuditRecord, LandedMark, LandedRecord, PendingRecord


def keys(typed: type) -> set[str]:
    return set(typed.__annotations__)


def test_a_push_writes_the_records_its_types_describe(clone: Path, server: Path, tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    use_policy(server, f'[server]\naudit_log = "{audit}"\n')
    annotated(clone, "v2.8-ft")
    assert push(clone, "v2.8-ft").returncode == 0
    pending, mark = read_records(str(server / LEDGER_FILE))
    assert set(pending) == keys(PendingRecord) and pending["state"] == "pending"
    assert set(mark) == keys(LandedMark) and mark["state"] == "landed"
    assert keys(PendingRecord) - keys(LandedRecord) == {"state"}
    records = list(read_records(str(audit)))
    assert [(set(r), r["verdict"]) for r in records] == [(keys(AuditRecord), "accepted")]


def test_install_seeds_landed_records(repo: Path, tmp_path: Path) -> None:
    bare = tmp_path / "plain.git"
    git("init", "-q", "--bare", str(bare), cwd=tmp_path)
    annotated(repo, "v2.8-base")
    git("push", "-q", str(bare), "HEAD:refs/heads/main", "v2.8-base", cwd=repo)
    assert tagguard("install", "--server", str(bare)).returncode == 0
    (record,) = read_records(str(bare / LEDGER_FILE))
    assert set(record) == keys(LandedRecord) and record["pusher"] == "(existing before tagguard)"
