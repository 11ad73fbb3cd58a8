"""Red-team findings (branch redteam-15) against the ledger kept in refs/tagguard/ledger.

Each test asserts what should hold. The ones that fail on main today are marked
xfail(strict=True) with the finding's number in the report: fix the bug, drop the marker."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest
from testing.rawpush import pack_of, pkt, raw_push, read_pkts
from testing.server import landed_names, ledger_records, push, remote_lines, server_tags, use_policy
from testing.tools import TAGGUARD, ZERO, annotated, commit, git, run, tagguard

from tagguard.git.repo import EXACT_MOST, Git
from tagguard.server.ledger import LEDGER_FILE
from tagguard.server.ledgerstore import HEAD_SUFFIX, LEDGER_REF

REUSED = "v2.8-base: TG403 was published before"


def burned_and_deleted(clone: Path, name: str = "v2.8-base") -> str:
    """`name` pushed, then deleted from the server: its name is burned. The tag's object."""
    oid = annotated(clone, name)
    assert push(clone, name).returncode == 0
    assert push(clone, f":refs/tags/{name}").returncode == 0
    git("tag", "-d", name, cwd=clone)
    return oid


def recreated(clone: Path, name: str = "v2.8-base") -> subprocess.CompletedProcess[str]:
    """The burned name pushed again on another commit."""
    commit(clone, f"other work for {name}")
    annotated(clone, name)
    return push(clone, "HEAD:refs/heads/main", name)


# --- F1: the cache is trusted whenever .head names the ref's tip ----------------------------------


@pytest.mark.parametrize("damage", ["deleted", "emptied", "line removed"])
def test_a_damaged_cache_whose_head_is_in_place_keeps_the_name_burned(clone: Path, server: Path,
                                                                     damage: str) -> None:
    burned_and_deleted(clone)
    cache = server / LEDGER_FILE
    assert (server / (LEDGER_FILE + HEAD_SUFFIX)).exists()
    if damage == "deleted":
        cache.unlink()  # README: "Deleting the cache is safe"
    elif damage == "emptied":
        cache.write_bytes(b"")
    else:
        cache.write_bytes(b"".join(line for line in cache.read_bytes().splitlines(keepends=True)
                                   if b"v2.8-base" not in line))
    result = recreated(clone)
    assert result.returncode == 1, result.stderr
    assert "v2.8-base" not in server_tags(server)


def test_deleting_the_cache_and_its_head_keeps_the_name_burned(clone: Path, server: Path) -> None:
    """The control for F1: with .head gone too, the ref is read back."""
    burned_and_deleted(clone)
    (server / LEDGER_FILE).unlink()
    (server / (LEDGER_FILE + HEAD_SUFFIX)).unlink()
    result = recreated(clone)
    assert result.returncode == 1 and any(line.startswith(REUSED) for line in remote_lines(result))
    assert "v2.8-base" not in server_tags(server)


# --- F2: a created name judged while its only record is pending, deleted meanwhile -----------------


def _raw_push_env(server: Path, commands: list[tuple[str, str, str]], clone: Path,
                  env: dict[str, str]) -> list[str]:
    """raw_push with an environment of its own for receive-pack (and so for the hooks)."""
    proc = subprocess.Popen(["git", "receive-pack", str(server)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    assert proc.stdin and proc.stdout and proc.stderr
    read_pkts(proc.stdout)
    request = b""
    for number, (old, new, ref) in enumerate(commands):
        request += pkt(f"{old} {new} {ref}".encode() + (b"\0report-status" if number == 0 else b"") + b"\n")
    request += b"0000" + pack_of(clone, [new for _, new, _ in commands if new != ZERO])
    proc.stdin.write(request)
    proc.stdin.close()
    report = [line.decode().rstrip("\n") for line in read_pkts(proc.stdout)]
    proc.stderr.read()
    proc.wait(timeout=120)
    return report


def test_a_creation_racing_a_deletion_can_not_reuse_a_name_whose_post_receive_never_ran(
        clone: Path, server: Path, tmp_path: Path) -> None:
    name, ref = "v2.8-exp-race", "refs/tags/v2.8-exp-race"
    first = annotated(clone, name)
    raw_push(server, [(ZERO, first, ref)], clone, hang_up=True)  # lands; its record stays pending
    assert server_tags(server) == {name: first}
    commit(clone, "other work")
    git("tag", "-d", name, cwd=clone)
    second = annotated(clone, name)
    # A slow server: the creation's pre-receive returns its verdict 2 s before receive-pack moves the
    # ref (a loaded machine; without this the same race won 2 of 22 tries, redteam/race_probe.py).
    slow = tmp_path / "slow-tagguard"
    slow.write_text(f'#!/bin/sh\n{TAGGUARD} "$@"; rc=$?; sleep 2; exit $rc\n')
    slow.chmod(0o755)
    created: list[list[str]] = []
    creating = threading.Thread(target=lambda: created.append(
        _raw_push_env(server, [(ZERO, second, ref)], clone, {**os.environ, "TAGGUARD": str(slow)})))
    creating.start()
    time.sleep(1)  # the creation was judged: only a pending record, so not burned
    deleted = raw_push(server, [(first, ZERO, ref)], clone)  # confirms the record, then deletes the tag
    creating.join()
    assert deleted.report[1:] == [f"ok {ref}"]
    assert server_tags(server).get(name) != second, created  # the burned name now points at another commit


# --- F3: a branch named refs/tagguard/ledger stands in for the ledger ref -------------------------


@pytest.mark.parametrize("shadow", ["refs/heads/refs/tagguard/ledger", "refs/refs/tagguard/ledger",
                                    "refs/remotes/refs/tagguard/ledger"])
def test_a_ref_named_like_the_ledger_is_refused_and_tag_pushes_go_on(clone: Path, server: Path, shadow: str) -> None:
    """git looks a missing refs/tagguard/ledger up as refs/heads/refs/tagguard/ledger (and
    others) too: such a ref would stand in for a ledger not made yet, so no pusher may make one."""
    assert git("for-each-ref", "refs/tagguard", cwd=server) == ""  # no tag pushed yet: no ledger ref
    result = push(clone, f"HEAD:{shadow}")
    assert result.returncode == 1
    assert f"{shadow}: TG404 is tagguard's own ref; only its hooks write it; pushes may not write it" \
        in remote_lines(result)
    assert shadow not in git("for-each-ref", "--format=%(refname)", cwd=server).split()
    annotated(clone, "v2.8-base")
    result = push(clone, "v2.8-base")
    assert result.returncode == 0, remote_lines(result)


# --- F4: a .head naming a commit that is gone ---------------------------------------------------


def test_an_older_backup_restored_in_place_then_gc_still_takes_tag_pushes(clone: Path, server: Path,
                                                                        tmp_path: Path) -> None:
    burned_and_deleted(clone)
    bundle = tmp_path / "older.bundle"
    git("bundle", "create", "-q", str(bundle), "--all", cwd=server)
    burned_and_deleted(clone, "v2.8-exp-later")
    git("fetch", "-q", str(bundle), "+refs/*:refs/*", cwd=server)  # the restore: the ledger ref moves back
    git("reflog", "expire", "--expire=now", "--all", cwd=server)
    git("gc", "-q", "--prune=now", cwd=server)  # the newer ledger commits are gone; .head names one
    annotated(clone, "v2.9-base")
    result = push(clone, "v2.9-base")
    assert result.returncode == 0, remote_lines(result)  # today: "git rev-list ... fatal: bad object ..."
    again = recreated(clone, "v2.8-exp-later")
    assert again.returncode == 1 and "v2.8-exp-later" not in server_tags(server)  # the cache still had it


# --- F5: a ledger ref at a tag object gets a commit whose parent is a tag --------------------------


def test_a_ledger_ref_at_a_tag_object_is_not_built_on(clone: Path, server: Path) -> None:
    burned_and_deleted(clone)
    tip = git("rev-parse", LEDGER_REF, cwd=server)
    snapshot = run("git", "mktag", cwd=server,
                   input=f"object {tip}\ntype commit\ntag snap\ntagger a <a@example.com> 1 +0000\n\nsnap\n").stdout.strip()
    git("update-ref", LEDGER_REF, snapshot, cwd=server)  # an admin's mistake
    annotated(clone, "v2.9-base")
    push(clone, "v2.9-base")  # refusing is fine; writing a broken commit is not
    assert run("git", "gc", "-q", cwd=server).returncode == 0
    assert "bad parent" not in run("git", "fsck", cwd=server).stderr


# --- F6: [client] fetch_ledger and a broken or hostile remote --------------------------------------


def _hostile_remote(tmp_path: Path, clone: Path, records: bytes | None) -> Path:
    """A bare repository with no hooks whose refs/tagguard/ledger is a commit holding `records`
    as records.jsonl (no such file when None); the clone's origin."""
    evil = tmp_path / "evil.git"
    git("init", "-q", "--bare", str(evil), cwd=tmp_path)
    git("remote", "set-url", "origin", f"file://{evil}", cwd=clone)
    git("push", "-q", "origin", "HEAD:refs/heads/main", cwd=clone)
    if records is None:
        ledger = git("rev-parse", "HEAD", cwd=clone)
    else:
        blob = run("git", "hash-object", "-w", "--stdin", cwd=evil, input=records.decode()).stdout.strip()
        tree = run("git", "mktree", cwd=evil, input=f"100644 blob {blob}\trecords.jsonl\n").stdout.strip()
        ledger = git("commit-tree", tree, "-m", "ledger", cwd=evil)
    git("update-ref", LEDGER_REF, ledger, cwd=evil)
    assert tagguard("install", cwd=clone).returncode == 0
    (clone / ".tagguard.toml").write_text("[client]\nfetch_ledger = true\n")
    return evil


@pytest.mark.parametrize("records", [None, b'{"name": "v2.8-base", "object": {"x": 1}, "state": "landed"}\n'],
                         ids=["commit without records.jsonl", "object that is not a string"])
def test_a_broken_remote_ledger_does_not_refuse_a_good_push_on_the_client(clone: Path, tmp_path: Path,
                                                                         records: bytes | None) -> None:
    evil = _hostile_remote(tmp_path, clone, records)
    annotated(clone, "v2.8-base")
    result = run("git", "push", "origin", "v2.8-base", cwd=clone)
    assert result.returncode == 0, result.stderr  # was: "is damaged" (exit 2) / "internal error: TypeError"
    assert "v2.8-base" in git("tag", "-l", cwd=evil)
    if records is None:
        assert f"tagguard: could not read origin's {LEDGER_REF}: " in result.stderr
        assert "the server still checks re-used names" in result.stderr


def test_a_remote_ledger_too_big_to_read_is_left_to_the_server(clone: Path, tmp_path: Path) -> None:
    evil = _hostile_remote(tmp_path, clone, b"\n" * ((64 << 20) + 1))  # tiny on the wire, 64 MiB unpacked
    annotated(clone, "v2.8-base")
    result = run("git", "push", "origin", "v2.8-base", cwd=clone)
    assert result.returncode == 0, result.stderr
    assert (f"tagguard: could not read origin's {LEDGER_REF}: its records come to 67,108,865 bytes, over the "
            "67,108,864 read here; the server still checks re-used names") in result.stderr
    assert "v2.8-base" in git("tag", "-l", cwd=evil)


def test_a_remote_that_does_not_answer_the_fetch_is_left_to_the_server(clone: Path, tmp_path: Path) -> None:
    evil = _hostile_remote(tmp_path, clone, b"")
    (clone / ".tagguard.toml").write_text("[client]\nfetch_ledger = true\nfetch_timeout = 1\n")
    git("config", "remote.origin.uploadpack", "sleep 30; git-upload-pack", cwd=clone)  # fetches hang, pushes don't
    annotated(clone, "v2.8-base")
    started = time.monotonic()
    result = run("git", "push", "origin", "v2.8-base", cwd=clone)
    assert time.monotonic() - started < 20  # not the 30 s the remote would take
    assert result.returncode == 0, result.stderr
    assert (f"tagguard: could not fetch {LEDGER_REF} from origin (no answer within 1 s); the server still checks "
            "re-used names") in result.stderr
    assert "v2.8-base" in git("tag", "-l", cwd=evil)


# --- F7: the ledger's loose objects ignore core.sharedRepository ----------------------------------


def test_the_ledger_objects_directories_follow_core_shared_repository(tmp_path: Path, clone: Path) -> None:
    old = os.umask(0o022)
    try:
        shared = tmp_path / "shared.git"
        git("init", "-q", "--bare", "--shared=group", str(shared), cwd=tmp_path)
        assert tagguard("install", "--server", str(shared)).returncode == 0
        git("remote", "set-url", "origin", f"file://{shared}", cwd=clone)
        git("push", "-q", "origin", "HEAD:refs/heads/main", cwd=clone)
        annotated(clone, "v2.8-base")
        assert push(clone, "v2.8-base").returncode == 0
    finally:
        os.umask(old)
    tip = git("rev-parse", LEDGER_REF, cwd=shared)
    objects = [tip, git("rev-parse", f"{tip}^{{tree}}", cwd=shared), git("rev-parse", f"{tip}:records.jsonl", cwd=shared)]
    modes = {oid[:2]: stat.S_IMODE(os.stat(shared / "objects" / oid[:2]).st_mode) for oid in objects}
    assert all(mode & stat.S_IWGRP for mode in modes.values()), {k: oct(v) for k, v in modes.items()}
    assert stat.S_IMODE(os.stat(shared / "refs" / "tagguard").st_mode) & stat.S_IWGRP


# --- F8: a ref named like a missing tag stands in for it -------------------------------------------


def never_landed(clone: Path, server: Path, name: str) -> str:
    """`name` pushed and accepted, but its ref can't move (a stale lock): pre-receive wrote a
    pending record, and the tag never lands. The tag's object."""
    first = annotated(clone, name)
    lock = server / "refs" / "tags" / f"{name}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text("")
    assert push(clone, name).returncode == 1
    lock.unlink()
    assert name not in server_tags(server)
    assert [r["state"] for r in ledger_records(server) if r.get("name") == name] == ["pending"]
    return first


@pytest.mark.parametrize("shadow", ["refs/refs/tags/v2.8-exp-a", "refs/remotes/refs/tags/v2.8-exp-a"])
def test_a_ref_named_like_a_tag_that_never_landed_can_not_burn_its_name(clone: Path, server: Path,
                                                                       shadow: str) -> None:
    """git looks a missing refs/tags/x up as refs/refs/tags/x, refs/remotes/refs/tags/x and
    others. A push's pending record whose tag never landed, a ref of such a name holding its
    object, then a deletion of the missing tag naming that object as its old value: the hooks
    must not take the other ref's value for the tag's, confirm the record and burn the name."""
    name, ref = "v2.8-exp-a", "refs/tags/v2.8-exp-a"
    first = never_landed(clone, server, name)
    shadowed = raw_push(server, [(ZERO, first, shadow)], clone)
    assert shadowed.report[1:] == [f"ok {shadow}"], shadowed
    deleted = raw_push(server, [(first, ZERO, ref)], clone)
    assert deleted.report[1:] != [f"ok {ref}"]
    assert name not in landed_names(server)
    git("tag", "-d", name, cwd=clone)
    result = recreated(clone, name)  # on another commit: the name is free
    assert result.returncode == 0, remote_lines(result)
    assert f"{ref} does not exist, not the {first[:12]} this push names as its old value" in deleted.stderr


@pytest.mark.parametrize("shadow", ["refs/tags/v2.8-exp-a/\u2028refs/tags/v2.8-exp-a", "refs/refs/tags/v2.8-exp-a"])
def test_a_missing_tag_deleted_among_many_or_shadowed_by_a_line_break_burns_nothing(clone: Path, server: Path,
                                                                                   shadow: str) -> None:
    """The same deletion among more than EXACT_MOST others (the hooks then list refs/tags
    whole), and a shadow under the tag's own name holding U+2028, a line break but no newline
    (a policy that lets such names through): the push is refused, nothing is deleted and no
    name is burned."""
    use_policy(server, '[rules]\nTG101 = "off"\nTG102 = "off"\nTG103 = "off"\nTG104 = "off"\nTG304 = "off"\n')
    name, ref = "v2.8-exp-a", "refs/tags/v2.8-exp-a"
    first = never_landed(clone, server, name)
    git("tag", "-d", name, cwd=clone)
    others = [f"v2.8-exp-d{i}" for i in range(EXACT_MOST + 6)]
    oids = [annotated(clone, other) for other in others]
    assert push(clone, *others).returncode == 0
    assert raw_push(server, [(ZERO, first, shadow)], clone).report[1:] == [f"ok {shadow}"]
    refs = git("for-each-ref", "--format=%(refname) %(objectname)", cwd=server)
    deleted = raw_push(server, [*((oid, ZERO, f"refs/tags/{o}") for o, oid in zip(others, oids)), (first, ZERO, ref)],
                       clone)
    assert git("for-each-ref", "--format=%(refname) %(objectname)", cwd=server) == refs
    assert name not in landed_names(server)
    assert f"{ref} does not exist, not the {first[:12]} this push names as its old value" in deleted.stderr


@pytest.mark.parametrize("count", [3, EXACT_MOST + 6])  # the refs as patterns; their folder listed
def test_tag_refs_are_read_by_their_exact_names(repo: Path, count: int) -> None:
    head = git("rev-parse", "HEAD", cwd=repo)
    tags = [f"refs/tags/v2.8-exp-{i}" for i in range(count)] + ["refs/tags/v2.8-odd\u2028a", "refs/tags/v2.8-odd\x85b"]
    shadows = ["refs/refs/tags/v2.8-exp-gone", "refs/heads/refs/tags/v2.8-exp-gone", "refs/tags/v2.8-exp-x/deeper",
               "refs/tags/v2.8-exp-x/\u2028refs/tags/v2.8-exp-x"]  # (a line break, but no newline, in a ref name)
    run("git", "update-ref", "--stdin", cwd=repo, input="".join(f"create {ref} {head}\n" for ref in tags + shadows))
    asked = [*tags, "refs/tags/v2.8-exp-gone", "refs/tags/v2.8-exp-x"]
    assert Git(str(repo)).resolve(asked)["refs/tags/v2.8-exp-gone"] == head  # (git's revision lookup)
    assert Git(str(repo)).ref_values(asked) == {**dict.fromkeys(tags, head), asked[-2]: None, asked[-1]: None}
    listed = {ref: oid for ref, oid, _ in Git(str(repo)).tag_refs()}
    assert listed == {ref: head for ref in tags + shadows if ref.startswith("refs/tags/")}


# --- what held -------------------------------------------------------------------------------


@pytest.mark.parametrize("housekeeping", [("gc", "-q", "--prune=now"), ("pack-refs", "--all")])
def test_housekeeping_between_pushes_keeps_the_name_burned(clone: Path, server: Path,
                                                           housekeeping: tuple[str, ...]) -> None:
    burned_and_deleted(clone)
    git(*housekeeping, cwd=server)
    result = recreated(clone)
    assert result.returncode == 1 and "v2.8-base" not in server_tags(server)


def test_a_restore_over_a_repository_with_a_cache_of_its_own_keeps_both_names(clone: Path, server: Path,
                                                                              tmp_path: Path) -> None:
    burned_and_deleted(clone)
    bundle = tmp_path / "a.bundle"
    git("bundle", "create", "-q", str(bundle), "--all", cwd=server)
    other = tmp_path / "other.git"
    shutil.copytree(server, other, symlinks=True)  # hooks and all
    git("remote", "set-url", "origin", f"file://{other}", cwd=clone)
    burned_and_deleted(clone, "v2.9-base")  # only in other's ledger and cache
    git("fetch", "-q", str(bundle), "+refs/*:refs/*", cwd=other)  # its ledger ref is now the bundle's
    for name in ("v2.8-base", "v2.9-base"):
        result = recreated(clone, name)
        assert result.returncode == 1, (name, remote_lines(result))
    assert server_tags(other) == {}
