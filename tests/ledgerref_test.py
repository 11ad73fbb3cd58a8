"""The ledger travels with the repository: it is kept in refs/tagguard/ledger, so a backup, a
mirror or a clone of the server's refs keeps every burned name (TG403)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from testing.server import connect, ledger_records, make_server, push, remote_lines, server_tags
from testing.tools import TAGGUARD, annotated, commit, git, run, tagguard

from tagguard.git.repo import Git
from tagguard.server.ledger import LEDGER_FILE, write
from tagguard.server.ledgerstore import HEAD_SUFFIX, LEDGER_REF, RECORDS_FILE

REUSED = "v2.8-base: TG403 was published before"


def ledger_lines(server: Path) -> list[dict[str, str]]:
    """Every record in refs/tagguard/ledger, oldest first, read with git alone."""
    commits = git("rev-list", "--first-parent", "--reverse", LEDGER_REF, cwd=server).split()
    text = "".join(git("show", f"{c}:{RECORDS_FILE}", cwd=server) + "\n" for c in commits)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def burned_and_deleted(clone: Path, server: Path) -> None:
    """v2.8-base pushed, then deleted from the server: its name is burned."""
    annotated(clone, "v2.8-base")
    assert push(clone, "v2.8-base").returncode == 0
    assert push(clone, ":refs/tags/v2.8-base").returncode == 0
    assert server_tags(server) == {}


def recreated_elsewhere(clone: Path, origin: Path) -> subprocess.CompletedProcess[str]:
    """The burned name pushed again on another commit, to `origin`."""
    commit(clone, "other work")
    git("tag", "-d", "v2.8-base", cwd=clone)
    annotated(clone, "v2.8-base")
    git("remote", "set-url", "origin", f"file://{origin}", cwd=clone)
    return push(clone, "HEAD:refs/heads/main", "v2.8-base")


def test_each_push_is_a_commit_on_the_ledger_ref(clone: Path, server: Path) -> None:
    burned_and_deleted(clone, server)
    names = [(r["name"], r.get("state")) for r in ledger_lines(server)]
    assert names[0] == ("v2.8-base", "pending")  # written before the ref moved
    assert ("v2.8-base", "landed") in names  # post-receive's mark, folded in by the deleting push
    assert git("for-each-ref", "--format=%(refname)", "refs/tagguard", cwd=server) == LEDGER_REF


def test_a_bundle_backup_restored_into_a_fresh_repository_keeps_the_name_burned(
        clone: Path, server: Path, tmp_path: Path) -> None:
    burned_and_deleted(clone, server)
    bundle = tmp_path / "backup.bundle"
    git("bundle", "create", str(bundle), "--all", cwd=server)
    restored = make_server(tmp_path / "restored.git")  # hooks first, then the data (as GitLab restores)
    git("fetch", "-q", str(bundle), "+refs/*:refs/*", cwd=restored)
    assert not (restored / LEDGER_FILE).exists()  # nothing but refs and objects came across
    result = recreated_elsewhere(clone, restored)
    assert result.returncode == 1
    assert any(line.startswith(REUSED) for line in remote_lines(result)), remote_lines(result)
    assert "v2.8-base" not in server_tags(restored)


def test_a_push_mirror_to_a_second_server_keeps_the_name_burned(clone: Path, server: Path, tmp_path: Path) -> None:
    burned_and_deleted(clone, server)
    second = tmp_path / "second.git"
    git("init", "-q", "--bare", str(second), cwd=tmp_path)
    git("push", "-q", "--mirror", f"file://{second}", cwd=server)
    assert tagguard("install", "--server", str(second)).returncode == 0  # the admin's one step, as for any server
    result = recreated_elsewhere(clone, second)
    assert result.returncode == 1 and any(line.startswith(REUSED) for line in remote_lines(result))


def test_a_clone_mirror_keeps_the_name_burned(clone: Path, server: Path, tmp_path: Path) -> None:
    burned_and_deleted(clone, server)
    mirror = tmp_path / "mirror.git"
    git("clone", "-q", "--mirror", f"file://{server}", str(mirror), cwd=tmp_path)
    assert tagguard("install", "--server", str(mirror)).returncode == 0
    result = recreated_elsewhere(clone, mirror)
    assert result.returncode == 1 and any(line.startswith(REUSED) for line in remote_lines(result))


def test_a_mirror_push_into_a_server_with_the_hooks_is_refused_whole(clone: Path, server: Path,
                                                                      tmp_path: Path) -> None:
    """Pushers never write refs/tagguard/: a mirror is made by fetching on the new server, or
    by pushing before its hooks are installed (README, "Many servers")."""
    burned_and_deleted(clone, server)
    second = make_server(tmp_path / "second.git")
    result = run("git", "push", "--mirror", f"file://{second}", cwd=server)
    assert result.returncode == 1
    assert "refs/tagguard/ledger: TG404 is tagguard's own ref; only its hooks write it; pushes may not write it" \
        in remote_lines(result)
    assert git("for-each-ref", cwd=second) == ""


def test_a_pusher_can_neither_move_nor_delete_the_ledger(clone: Path, server: Path) -> None:
    burned_and_deleted(clone, server)
    before = git("rev-parse", LEDGER_REF, cwd=server)
    fake = commit(clone, "an empty ledger")
    for refspec in (f"+{fake}:{LEDGER_REF}", f":{LEDGER_REF}"):
        result = push(clone, refspec)
        assert result.returncode == 1
        assert any("TG404" in line for line in remote_lines(result)), remote_lines(result)
        assert git("rev-parse", LEDGER_REF, cwd=server) == before


def test_concurrent_pushes_are_each_recorded_exactly_once(clone: Path, server: Path, tmp_path: Path) -> None:
    names = [f"v2.8-exp-run{i}" for i in range(20)]
    clones = []
    for name in names:
        other = Path(shutil.copytree(clone, tmp_path / name, symlinks=True))
        annotated(other, name)
        clones.append(other)
    results: dict[str, int] = {}
    start = threading.Barrier(len(clones))

    def pushing(other: Path, name: str) -> None:
        start.wait()
        results[name] = push(other, name).returncode

    threads = [threading.Thread(target=pushing, args=(c, n)) for c, n in zip(clones, names)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == dict.fromkeys(names, 0)
    pending = [r["name"] for r in ledger_lines(server) if r.get("state") == "pending"]
    assert sorted(pending) == sorted(names)  # each once, none lost to a race on the ref
    assert sorted(server_tags(server)) == sorted(names)


def test_an_older_json_lines_ledger_is_migrated_with_nothing_lost(clone: Path, server: Path) -> None:
    """A ledger file of an older tagguard (no ref, no head) is folded into the ref whole."""
    old = [{"commit": "ab" * 20, "name": "v2.8-base", "object": "cd" * 20, "pusher": "ana",
            "time": "2025-01-01T12:00:00Z"},
           {"commit": "ef" * 20, "name": "v2.7-prod-ready", "object": "12" * 20, "pusher": "bo",
            "time": "2025-02-01T12:00:00Z"}]
    (server / LEDGER_FILE).write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in old))
    assert tagguard("install", "--server", str(server)).returncode == 0
    assert ledger_lines(server)[:2] == old
    annotated(clone, "v2.8-base")
    result = push(clone, "v2.8-base")
    assert result.returncode == 1
    assert any(line.startswith(REUSED) for line in remote_lines(result))


def test_a_ledger_ref_that_cannot_move_refuses_the_push_and_the_next_push_repairs(
        clone: Path, server: Path) -> None:
    """The records must be in the ref before any tag lands; a ref git can't lock refuses."""
    annotated(clone, "v2.8-base")
    assert push(clone, "v2.8-base").returncode == 0
    lock = server / (LEDGER_REF + ".lock")
    lock.write_text("")  # another process holds it (or a crash left the lock behind)
    annotated(clone, "v2.8-ft")
    result = push(clone, "v2.8-ft")
    assert result.returncode == 1
    assert "v2.8-ft" not in server_tags(server)
    [line] = remote_lines(result)
    assert line == (f"tagguard: push refused: can't move {LEDGER_REF} (Unable to create '{lock}': File exists.); "
                    "if no git process is writing there, a crash left the lock file: remove it"), line
    lock.unlink()
    assert push(clone, "v2.8-ft").returncode == 0
    assert {"v2.8-base", "v2.8-ft"} <= {r["name"] for r in ledger_lines(server)}


def test_a_cache_behind_or_lost_is_read_back_from_the_ref(clone: Path, server: Path) -> None:
    """A crash after the ref moved (the cache never heard of it), or a lost cache: the next
    push reads the ref back in, and the name stays burned."""
    burned_and_deleted(clone, server)
    (server / (LEDGER_FILE + HEAD_SUFFIX)).unlink()
    (server / LEDGER_FILE).unlink()
    commit(clone, "other work")
    git("tag", "-d", "v2.8-base", cwd=clone)
    annotated(clone, "v2.8-base")
    result = push(clone, "HEAD:refs/heads/main", "v2.8-base")
    assert result.returncode == 1 and any(line.startswith(REUSED) for line in remote_lines(result))
    assert {r["name"] for r in ledger_records(server)} == {"v2.8-base"}


def test_head_is_rewritten_in_place_and_an_older_one_still_counts(clone: Path, server: Path) -> None:
    """`.head` is one fixed-size line rewritten in place; the shorter line of an older tagguard
    is still read (nothing folded twice) and then rewritten at the fixed size."""
    head = server / (LEDGER_FILE + HEAD_SUFFIX)
    annotated(clone, "v2.8-exp-a")
    assert push(clone, "v2.8-exp-a").returncode == 0
    assert len(head.read_bytes()) == 256 and head.read_bytes().endswith(b" \n")
    head.write_text(" ".join(head.read_text().split()) + "\n")  # as tagguard wrote it before
    commits = git("rev-list", "--count", LEDGER_REF, cwd=server)
    annotated(clone, "v2.8-exp-b")
    assert push(clone, "v2.8-exp-b").returncode == 0
    assert int(git("rev-list", "--count", LEDGER_REF, cwd=server)) == int(commits) + 1  # only b's records
    assert len(head.read_bytes()) == 256
    assert [r["name"] for r in ledger_lines(server) if r.get("state") == "pending"] == ["v2.8-exp-a", "v2.8-exp-b"]
    head.write_bytes(b"x " * 200)  # damaged and longer: the cache is folded whole once, then .head is whole again
    counts = []
    for name in ("v2.8-exp-c", "v2.8-exp-d"):
        annotated(clone, name)
        assert push(clone, name).returncode == 0
        counts.append(int(git("rev-list", "--count", LEDGER_REF, cwd=server)))
    assert len(head.read_bytes()) == 256 and counts[1] == counts[0] + 1


def test_a_head_another_user_wrote_is_replaced_not_rewritten(clone: Path, server: Path, monkeypatch) -> None:
    """In a repository shared by a group, `.head` may be another user's file that this one
    can't write: it is then replaced (the directory is writable), as before."""
    from tagguard.server import ledgerstore

    annotated(clone, "v2.8-exp-a")
    assert push(clone, "v2.8-exp-a").returncode == 0
    head = server / (LEDGER_FILE + HEAD_SUFFIX)
    opened = os.open

    def refused(path: str, flags: int, *mode: int) -> int:
        if path == str(head) and flags == os.O_WRONLY:
            raise PermissionError(13, "Permission denied", path)
        return opened(path, flags, *mode)

    monkeypatch.setattr(ledgerstore.os, "open", refused)
    before = head.stat().st_ino
    ledgerstore._write_head(str(server / LEDGER_FILE), "1" * 40, 0)
    assert head.stat().st_ino != before and head.read_text().split() == ["1" * 40, "0", "-"]


def test_sha256_repositories_get_a_sha256_ledger(tmp_path: Path) -> None:
    server = make_server(tmp_path / "server.git", "--object-format=sha256")
    work = tmp_path / "work256"
    git("init", "-q", "--object-format=sha256", str(work), cwd=tmp_path)
    commit(work, "first")
    connect(work, server)
    annotated(work, "v2.8-base")
    assert push(work, "v2.8-base").returncode == 0
    assert len(git("rev-parse", LEDGER_REF, cwd=server)) == 64
    assert git("fsck", "--strict", cwd=server) == ""
    assert [r["name"] for r in ledger_lines(server)] == ["v2.8-base"]


# --- tagguard ledger [verify] ------------------------------------------------------------------


def test_ledger_shows_each_burned_name_and_what_its_tag_holds_now(clone: Path, server: Path) -> None:
    burned_and_deleted(clone, server)
    annotated(clone, "v2.8-ft")
    assert push(clone, "v2.8-ft").returncode == 0
    lines = tagguard("ledger", "--repo", str(server)).stdout.splitlines()
    assert lines[0].split() == ["NAME", "COMMIT", "PUSHER", "TIME", "NOW"]
    assert [(line.split()[0], line.split()[-1]) for line in lines[1:]] == [("v2.8-base", "deleted"),
                                                                          ("v2.8-ft", "present")]
    document = json.loads(tagguard("ledger", "--repo", str(server), "--format", "json").stdout)
    head = git("rev-parse", "HEAD", cwd=clone)
    assert [(e["name"], e["commit"], e["now"]) for e in document["entries"]] == [("v2.8-base", head, "deleted"),
                                                                                 ("v2.8-ft", head, "present")]


def test_a_clone_that_fetched_the_ledger_ref_reads_it_too(clone: Path, server: Path) -> None:
    burned_and_deleted(clone, server)
    git("fetch", "-q", "origin", f"{LEDGER_REF}:{LEDGER_REF}", cwd=clone)
    git("tag", "-d", "v2.8-base", cwd=clone)
    out = tagguard("ledger", "--repo", str(clone)).stdout
    assert out.splitlines()[1].split()[0] == "v2.8-base" and out.splitlines()[1].endswith("deleted")
    empty = clone.parent / "empty"
    git("init", "-q", str(empty), cwd=clone.parent)
    assert tagguard("ledger", "--repo", str(empty)).stdout == f"no names in the ledger ({LEDGER_REF} of {empty}/.git)\n"


def test_ledger_verify_finds_unrecorded_tags_and_damaged_lines(clone: Path, server: Path) -> None:
    annotated(clone, "v2.8-base")
    assert push(clone, "v2.8-base").returncode == 0
    ok = tagguard("ledger", "verify", "--repo", str(server))
    assert (ok.returncode, ok.stdout) == (0, f"{LEDGER_REF}: 1 burned name, 1 tag in the repository: ok\n")
    stray = git("rev-parse", "v2.8-base", cwd=clone)
    git("update-ref", "refs/tags/v2.8-stray", stray, cwd=server)  # made on the server, no hook ran
    found = tagguard("ledger", "verify", "--repo", str(server))
    assert found.returncode == 1
    assert found.stdout.splitlines() == [
        f"tag v2.8-stray ({stray[:12]}) is not in the ledger, so its name is not burned: "
        f"`tagguard install --server {server}` records it",
        f"{LEDGER_REF}: 1 burned name, 2 tags in the repository: 1 problem",
    ]
    assert tagguard("install", "--server", str(server)).returncode == 0
    assert tagguard("ledger", "verify", "--repo", str(server)).returncode == 0


def test_ledger_verify_names_a_damaged_line_and_a_commit_without_records(clone: Path, server: Path) -> None:
    annotated(clone, "v2.8-base")
    assert push(clone, "v2.8-base").returncode == 0
    tip = git("rev-parse", LEDGER_REF, cwd=server)
    bad = run("git", "hash-object", "-w", "--stdin", cwd=server, input="not a record\n").stdout.strip()
    tree = run("git", "mktree", cwd=server, input=f"100644 blob {bad}\t{RECORDS_FILE}\n").stdout.strip()
    damaged = git("commit-tree", tree, "-p", tip, "-m", "by hand", cwd=server)
    empty = git("commit-tree", git("hash-object", "-t", "tree", "/dev/null", cwd=server), "-p", damaged, "-m", "x",
                cwd=server)
    git("update-ref", LEDGER_REF, empty, cwd=server)
    found = tagguard("ledger", "verify", "--repo", str(server), "--format", "json")
    document = json.loads(found.stdout)
    assert found.returncode == 1 and document["ok"] is False
    assert document["problems"] == [f"{LEDGER_REF} commit {damaged[:12]}: line 1 is not a ledger record",
                                    f"{LEDGER_REF} commit {empty[:12]}: no {RECORDS_FILE} file"]


# --- the client reads the remote's ledger ([client] fetch_ledger) -------------------------------


def client_with_fetch(clone: Path, fetch: bool = True) -> None:
    assert tagguard("install", cwd=clone).returncode == 0
    (clone / ".tagguard.toml").write_text(f"[client]\nfetch_ledger = {'true' if fetch else 'false'}\n")
    commit(clone, "other work")
    git("tag", "-d", "v2.8-base", cwd=clone)
    annotated(clone, "v2.8-base")


def test_pre_push_refuses_a_burned_name_before_the_push_leaves(clone: Path, server: Path) -> None:
    burned_and_deleted(clone, server)
    client_with_fetch(clone)
    ledger_before = git("rev-parse", LEDGER_REF, cwd=server)
    result = run("git", "push", "origin", "HEAD:refs/heads/main", "v2.8-base", cwd=clone)
    assert result.returncode == 1
    assert "\nv2.8-base: TG403 was published before" in "\n" + result.stderr
    assert "remote:" not in result.stderr  # the server never heard of it
    assert git("rev-parse", LEDGER_REF, cwd=server) == ledger_before
    assert git("for-each-ref", "--format=%(refname)", "refs/tagguard", cwd=clone) == \
        "refs/tagguard/remotes/origin/ledger"
    annotated(clone, "v2.8-ft")
    new_name = run("git", "push", "origin", "HEAD:refs/heads/main", "v2.8-ft", cwd=clone)
    assert new_name.returncode == 0, new_name.stderr


def test_without_the_key_the_client_passes_and_the_server_refuses(clone: Path, server: Path) -> None:
    burned_and_deleted(clone, server)
    client_with_fetch(clone, fetch=False)
    result = run("git", "push", "origin", "HEAD:refs/heads/main", "v2.8-base", cwd=clone)
    assert result.returncode == 1
    assert "remote: v2.8-base: TG403 was published before" in result.stderr
    assert git("for-each-ref", "refs/tagguard", cwd=clone) == ""  # no fetch was made


def test_a_ledger_that_cannot_be_fetched_leaves_the_verdict_to_the_server(clone: Path, server: Path,
                                                                          tmp_path: Path) -> None:
    burned_and_deleted(clone, server)
    client_with_fetch(clone)
    git("remote", "set-url", "--push", "origin", f"file://{server}", cwd=clone)
    git("remote", "set-url", "origin", f"file://{tmp_path / 'gone.git'}", cwd=clone)  # fetches fail
    result = run("git", "push", "origin", "HEAD:refs/heads/main", "v2.8-base", cwd=clone)
    assert f"tagguard: could not fetch {LEDGER_REF} from origin (" in result.stderr
    assert "the server still checks re-used names" in result.stderr
    assert result.returncode == 1 and "remote: v2.8-base: TG403 was published before" in result.stderr


def test_check_ref_in_ci_reads_the_remote_ledger_too(clone: Path, server: Path) -> None:
    burned_and_deleted(clone, server)
    client_with_fetch(clone)
    result = tagguard("check-ref", "v2.8-base", cwd=clone)
    assert result.returncode == 1
    assert result.stdout.startswith("v2.8-base: TG403 was published before")


def test_a_hidden_ledger_is_not_fetched_and_the_client_says_nothing(clone: Path, server: Path) -> None:
    burned_and_deleted(clone, server)
    git("config", "uploadpack.hideRefs", "refs/tagguard", cwd=server)
    client_with_fetch(clone)
    result = run("git", "push", "origin", "HEAD:refs/heads/main", "v2.8-base", cwd=clone)
    assert "could not fetch" not in result.stderr
    assert result.returncode == 1 and "remote: v2.8-base: TG403 was published before" in result.stderr
    assert git("for-each-ref", "refs/tagguard", cwd=clone) == ""


def test_a_writer_that_loses_the_race_for_the_ref_commits_again_on_the_winner(server: Path) -> None:
    """Another writer (another server on shared storage, say) moves the ref between this
    writer's read of it and its compare-and-swap: the swap fails, and the writer folds its
    lines onto the new tip, keeping both."""
    first = '{"name": "v2.8-base", "object": "' + "12" * 20 + '", "state": "landed"}\n'
    write(Git(str(server)), str(server), [first.encode()])
    other = '{"commit": "' + "ab" * 20 + '", "name": "v2.7-other", "object": "' + "cd" * 20 + '"}\n'

    class Racing(Git):
        """This writer's git: right after it first reads the tip, the other writer moves the ref."""

        raced = False

        def resolve(self, names: Iterable[str]) -> dict[str, str | None]:
            found = super().resolve(names)
            tip = found.get(LEDGER_REF)
            if tip and not Racing.raced:
                Racing.raced = True
                blob = run("git", "hash-object", "-w", "--stdin", cwd=server, input=other).stdout.strip()
                tree = run("git", "mktree", cwd=server, input=f"100644 blob {blob}\t{RECORDS_FILE}\n").stdout.strip()
                winner = git("commit-tree", tree, "-p", tip, "-m", "winner", cwd=server)
                git("update-ref", LEDGER_REF, winner, tip, cwd=server)
            return found

    mine = '{"name": "v2.8-ft", "object": "' + "ef" * 20 + '", "state": "landed"}\n'
    write(Racing(str(server)), str(server), [mine.encode()])
    assert Racing.raced
    assert [r["name"] for r in ledger_lines(server)] == ["v2.8-base", "v2.7-other", "v2.8-ft"]
    assert ledger_records(server) == ledger_lines(server)  # the cache read the winner's commit in


def test_a_lookup_waits_while_a_writer_holds_the_cache(clone: Path, server: Path) -> None:
    """A writer reading the ref back rewrites the cache under its lock: a lookup meanwhile
    (another push's pre-receive) waits for it instead of reading half a cache."""
    import sys

    annotated(clone, "v2.8-base")
    assert push(clone, "v2.8-base").returncode == 0
    script = ("import sys; from tagguard.git.repo import Git; from tagguard.server.ledger import recorded; "
              "print(sorted(recorded(Git(sys.argv[1]), sys.argv[1], {'v2.8-base'})))")
    assert waits_for_a_writer(server, [sys.executable, "-c", script, str(server)]) == "['v2.8-base']\n"


def waits_for_a_writer(server: Path, command: list[str]) -> str:
    """What `command` prints, having waited while the cache's lock was held as a writer holds it."""
    import fcntl

    fd = os.open(server / LEDGER_FILE, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    reader = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        assert reader.poll() is None  # still waiting for the lock
    finally:
        os.close(fd)
    out, _ = reader.communicate(timeout=60)
    assert reader.returncode == 0
    return out


def test_ledger_reads_the_waiting_lines_under_the_lock(clone: Path, server: Path) -> None:
    """`tagguard ledger` reads the cache's lines the ref lacks (and `.head`, which a writer
    rewrites in place) only when no writer holds the cache."""
    annotated(clone, "v2.8-base")
    assert push(clone, "v2.8-base").returncode == 0
    out = waits_for_a_writer(server, [TAGGUARD, "ledger", "--repo", str(server), "--format", "json"])
    assert [e["name"] for e in json.loads(out)["entries"]] == ["v2.8-base"]
