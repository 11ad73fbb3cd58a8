"""Faults and abuse on the server: every case ends as the README's "Faults" table promises.

Real pushes to bare repositories with tagguard's hooks installed; failing git binaries are
PATH shims, full and read-only disks are tiny tmpfs mounts (root only: CI runs as root).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from testing.server import (
    connect,
    landed_names,
    landed_records,
    ledger_records,
    make_server,
    push,
    remote_lines,
    server_tags,
    use_policy,
)
from testing.tools import TAGGUARD, ZERO, annotated, commit, git, run

from tagguard.server.jsonlog import read_records
from tagguard.server.ledger import LEDGER_FILE, landed


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs (needs root and mount; CI has both, so there it must work)."""
    mount = tmp_path / "fs"
    mount.mkdir()
    if os.geteuid() != 0 or run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)).returncode:
        assert not os.environ.get("CI"), "CI runs as root and must be able to mount a tmpfs"
        pytest.skip("mounting a tmpfs needs root")
    try:
        yield mount
    finally:
        run("umount", "-l", str(mount))


def ledger_on(server: Path, directory: Path) -> Path:
    """Put the server's ledger on another filesystem (a symlink from the git dir)."""
    target = directory / LEDGER_FILE
    if (server / LEDGER_FILE).exists():
        shutil.copy(server / LEDGER_FILE, target)
        (server / LEDGER_FILE).unlink()
    else:
        target.write_text("")
    (server / LEDGER_FILE).symlink_to(target)
    return target


def fill(directory: Path) -> None:
    fd = os.open(directory / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        for chunk in (b"x" * 4096, b"x"):
            try:
                while os.write(fd, chunk):
                    pass
            except OSError:
                pass
    finally:
        os.close(fd)


# --- git failing, objects missing --------------------------------------------------------------


SHIMS = {
    "fails": 'echo "fatal: simulated failure" >&2; exit 128',
    "dies mid-output": '"$real" "$@" | { head -c 30; kill -KILL $$; }',  # git killed 30 bytes into its answer
}


@pytest.mark.parametrize("how", SHIMS)
def test_git_failing_mid_push_refuses(clone: Path, server: Path, tmp_path: Path, how: str) -> None:
    shims = tmp_path / "shims"
    shims.mkdir()
    shim = shims / "git"
    shim.write_text(f'#!/bin/sh\nreal={shutil.which("git")}\ncase " $* " in *" cat-file "*) {SHIMS[how]};; esac\n'
                    'exec "$real" "$@"\n')
    wrapper = tmp_path / "tagguard-with-shim"  # git puts its exec-path first on the hook's PATH
    wrapper.write_text(f'#!/bin/sh\nPATH={shims}:$PATH exec {TAGGUARD} "$@"\n')
    for script in (shim, wrapper):
        script.chmod(0o755)
    annotated(clone, "v2.8-base")
    result = push(clone, "v2.8-base", env={"TAGGUARD": str(wrapper)})
    assert result.returncode == 1
    [line] = remote_lines(result)
    why = "exit 128): fatal: simulated failure" if how == "fails" else "(killed by signal 9): no message"
    assert line.startswith("tagguard: push refused: `git cat-file --batch-command` failed (") and line.endswith(why), line
    assert server_tags(server) == {} and not (server / LEDGER_FILE).exists()


def test_missing_object_is_refused(server: Path, clone: Path) -> None:
    missing = "1234567890" * 4
    result = run(str(server / "hooks" / "pre-receive"), cwd=server, input=f"{ZERO} {missing} refs/tags/v2.8-base\n")
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == "v2.8-base: TG305 object 123456789012 is missing"
    assert result.stderr.splitlines()[-1].startswith("tagguard: push refused: 1 tag ref breaks the tag policy")


# --- the ledger and the audit log on a bad disk ----------------------------------------------


def test_read_only_ledger_refuses_tag_pushes_but_not_branches(clone: Path, server: Path, tiny_fs: Path) -> None:
    annotated(clone, "v2.8-base")
    assert push(clone, "v2.8-base").returncode == 0
    ledger = ledger_on(server, tiny_fs)
    assert run("mount", "-o", "remount,ro", str(tiny_fs)).returncode == 0
    annotated(clone, "v2.8-ft")
    result = push(clone, "v2.8-ft")
    assert result.returncode == 1
    assert remote_lines(result) == [
        f"tagguard: push refused: the tag ledger {server / LEDGER_FILE} is not writable, so the names of these "
        "tags could not be burned; tag pushes are refused until it is (ask the server's admin)"]
    assert list(server_tags(server)) == ["v2.8-base"]
    commit(clone, "more work")
    assert push(clone, "HEAD:refs/heads/main").returncode == 0  # branches need no ledger
    assert [r["name"] for r in landed(list(read_records(str(ledger))))] == ["v2.8-base"]


def test_full_disk_for_the_ledger(clone: Path, server: Path, tiny_fs: Path) -> None:
    annotated(clone, "v2.8-base")
    assert push(clone, "v2.8-base").returncode == 0
    ledger = ledger_on(server, tiny_fs)
    with open(ledger, "ab") as f:  # end the ledger at a page boundary, so any append needs a new page
        f.write(b" " * (4095 - ledger.stat().st_size % 4096) + b"\n")
    fill(tiny_fs)
    annotated(clone, "v2.8-ft")
    refused = push(clone, "v2.8-ft")
    assert refused.returncode == 1
    assert remote_lines(refused)[0].startswith(f"tagguard: push refused: the disk of the tag ledger {server / LEDGER_FILE} is full")
    (server / "hooks" / "pre-receive").unlink()  # the disk fills between pre-receive and post-receive
    landed = push(clone, "v2.8-ft")
    assert landed.returncode == 0
    assert remote_lines(landed) == ["tagguard: the push landed, but recording its tags in the ledger failed: "
                                    f"can't write the tag ledger {server / LEDGER_FILE}: No space left on device"]
    assert landed_names(server) == ["v2.8-base"]  # still whole and readable


def test_full_disk_for_the_audit_log_refuses(clone: Path, server: Path) -> None:
    use_policy(server, '[server]\naudit_log = "/dev/full"\n')
    annotated(clone, "v2.8-base")
    result = push(clone, "v2.8-base")
    assert result.returncode == 1
    assert remote_lines(result) == ["tagguard: push refused: can't write the audit log /dev/full: No space left on device"]
    assert server_tags(server) == {}


# --- signals -------------------------------------------------------------------------------------


def waiting(pid: int) -> bool:
    """Whether the process sleeps in a system call: for a hook that just started its chained hook,
    that it waits on it (a signal a moment earlier, before it waits, races the hook's own start)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2] == "S"


@pytest.mark.parametrize("hook", ["pre-receive", "post-receive"])
def test_sigterm_mid_hook(clone: Path, server: Path, tmp_path: Path, hook: str) -> None:
    annotated(clone, "v2.8-base")
    assert push(clone, "v2.8-base").returncode == 0
    before = (server / LEDGER_FILE).read_bytes()
    pid_file = tmp_path / "hook.pid"
    chained = server / "hooks" / f"{hook}.pre-tagguard"  # runs first, from inside tagguard's hook
    chained.write_text(f"#!/bin/sh\necho $PPID > {pid_file}\nexec sleep 60\n")
    chained.chmod(0o755)
    annotated(clone, "v2.8-ft")
    pushing = subprocess.Popen(["git", "push", "--porcelain", "origin", "v2.8-ft"], cwd=clone,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.01)
    hook_pid = int(pid_file.read_text())
    while not waiting(hook_pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(hook_pid, signal.SIGTERM)
    _, stderr = pushing.communicate(timeout=60)
    lines = [line[len("remote: "):].rstrip() for line in stderr.splitlines() if line.startswith("remote: ")]
    stopped = "stopped by SIGTERM before the check finished"
    if hook == "pre-receive":
        assert pushing.returncode == 1
        assert lines == [f"tagguard: push refused: {stopped}"]
        assert list(server_tags(server)) == ["v2.8-base"]
    else:  # the refs had moved already; the name is recorded by `install --server` again
        assert pushing.returncode == 0
        assert lines == [f"tagguard: the push landed, but recording its tags in the ledger failed: {stopped}"]
        assert sorted(server_tags(server)) == ["v2.8-base", "v2.8-ft"]
    if hook == "pre-receive":
        assert (server / LEDGER_FILE).read_bytes() == before
    else:  # pre-receive wrote its pending record; post-receive added nothing
        pending = [(r["name"], r["state"]) for r in ledger_records(server) if r.get("state")]
        assert (landed_names(server), pending[-1]) == (["v2.8-base"], ("v2.8-ft", "pending"))
    if hook == "post-receive":
        chained.unlink()
        assert "recorded 1 existing tag" in run(TAGGUARD, "install", "--server", str(server)).stdout
        assert landed_names(server) == ["v2.8-base", "v2.8-ft"]


# --- concurrency -----------------------------------------------------------------------------------


def test_twenty_concurrent_pushes_lose_nothing(clone: Path, server: Path, tmp_path: Path) -> None:
    clones = []
    for index in range(20):
        other = tmp_path / f"clone{index}"
        git("clone", "-q", f"file://{server}", str(other), cwd=tmp_path)
        commit(other, f"work {index}")
        annotated(other, "v2.8-exp-same" if index < 2 else f"v2.8-exp-run{index}")  # two race for one name
        clones.append(other)
    pushes = [subprocess.Popen(["git", "push", "-q", "origin", "--tags"], cwd=c, stderr=subprocess.PIPE)
              for c in clones]
    codes = [p.wait(timeout=300) for p in pushes]
    for p in pushes:
        p.stderr.close()  # type: ignore[union-attr]
    assert codes[2:] == [0] * 18 and sorted(codes[:2]) == [0, 1]  # git lets one creation of a name win
    tags = server_tags(server)
    records = [(r["name"], r["object"]) for r in landed_records(server)]
    assert sorted(records) == sorted(tags.items())  # every landed tag recorded once, with its object
    assert len(tags) == 19


@pytest.mark.skipif(not shutil.which("bash"), reason="needs bash")
def test_sh_landed_marks_stay_whole_lines_when_sh_is_bash(server: Path) -> None:
    """Where /bin/sh is bash (RHEL, Fedora, macOS), printf writes 4 KiB at a time: 32 marks
    in one printf were torn by concurrent post-receives (no lock in sh), losing marks."""
    hook = server / "hooks" / "post-receive"
    inputs = []
    for writer in range(6):
        oid = f"{writer + 1:x}" * 40
        lines = [f"{ZERO} {oid} refs/tags/v2.8-exp-{writer}-{'n' * 150}-{i}\n" for i in range(32)]
        inputs.append("".join(lines).encode())
    env = {**os.environ, "GIT_DIR": str(server)}
    for _ in range(25):
        hooks = [subprocess.Popen(["bash", str(hook)], stdin=subprocess.PIPE, env=env) for _ in inputs]
        for proc, data in zip(hooks, inputs):
            proc.stdin.write(data)  # type: ignore[union-attr]
            proc.stdin.close()  # type: ignore[union-attr]
        assert [proc.wait(timeout=60) for proc in hooks] == [0] * len(inputs)
    lines = (server / LEDGER_FILE).read_bytes().split(b"\n")
    torn = [line[:60] for line in lines if line and not line.endswith(b"}")]
    assert torn == []
    marks = [json.loads(line) for line in lines if line]
    assert len(marks) == 25 * 6 * 32


# --- odd bytes, other hash functions ------------------------------------------------------------


@pytest.mark.parametrize("object_format", ["sha1", "sha256"])
def test_non_utf8_tag_messages_and_names(tmp_path: Path, object_format: str) -> None:
    server = make_server(tmp_path / "server.git", f"--object-format={object_format}")
    clone = tmp_path / "clone"
    git("init", "-q", f"--object-format={object_format}", "-b", "main", str(clone), cwd=tmp_path)
    head = commit(clone, "one")
    connect(clone, server)

    def latin1_tag(name: bytes) -> str:
        body = (b"object %s\ntype commit\ntag %s\ntagger T <t@example.com> 1700000000 +0000\n\n"
                b"caf\xe9 cr\xe8me, acc=0.93\n" % (head.encode(), name))
        made = subprocess.run(["git", "mktag"], cwd=clone, input=body, capture_output=True)
        assert made.returncode == 0, made.stderr
        oid = made.stdout.decode().strip()
        assert subprocess.run(["git", "update-ref", b"refs/tags/" + name, oid], cwd=clone).returncode == 0
        return oid

    good = latin1_tag(b"v2.8-base")
    latin1_tag(b"v2.8-caf\xe9")
    result = subprocess.run(["git", "push", "--porcelain", "origin", "refs/tags/*:refs/tags/*"], cwd=clone,
                            capture_output=True)
    assert result.returncode == 1
    stderr = result.stderr.decode("utf-8", "replace")
    assert "v2.8-caf\\xe9: TG102 unknown type 'caf\\xe9'" in stderr and "internal error" not in stderr
    assert server_tags(server) == {}
    assert push(clone, "v2.8-base").returncode == 0
    assert server_tags(server) == {"v2.8-base": good}
    assert [(r["name"], r["object"]) for r in landed_records(server)] == [("v2.8-base", good)]


# --- a hostile policy ------------------------------------------------------------------------------


def test_catastrophic_pattern_is_cut_off_by_the_timeout(clone: Path, server: Path) -> None:
    policy = use_policy(server, '[naming]\ndesc = "(a|a)+"\n')
    annotated(clone, "v2.8-ft-" + "a" * 40 + "b")
    started = time.monotonic()
    result = push(clone, "--tags")
    assert time.monotonic() - started < 20
    assert result.returncode == 1
    assert remote_lines(result) == [
        f"tagguard: push refused: {policy}: naming.desc: pattern '(a|a)+' took over 0.1 s on a 41-character "
        "text; simplify it (nested repeats backtrack)"]


def test_huge_policy_is_refused(clone: Path, server: Path) -> None:
    policy = use_policy(server, "# padding\n" * 120_000)
    annotated(clone, "v2.8-base")
    result = push(clone, "v2.8-base")
    assert result.returncode == 1
    [line] = remote_lines(result)
    assert line == f"tagguard: push refused: {policy}: larger than 1 MiB; a policy is a few lines"
    assert json.dumps(line)  # one printable line
