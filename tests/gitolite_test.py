"""A real gitolite behind sshd on 127.0.0.1 (.ci/gitolite-setup.sh): GL_USER, set by
gitolite for each ssh key, reaches tagguard's allow-list through its common pre-receive hook.

Needs root, gitolite3 and openssh-server. Elsewhere it skips with the reason; under CI
(CI=true) a missing piece fails instead, so CI always runs it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from testing.server import ledger_records, remote_lines
from testing.tools import ROOT, annotated, git, run

from tagguard.server.ledger import landed

REPO_DIR = Path("/var/lib/tagguard-gitolite/repositories/snapshots.git")
LOCK = Path("/var/lib/tagguard-gitolite.lock")


def unavailable() -> str | None:
    if os.geteuid() != 0:
        return "needs root: it creates a gitolite user and starts sshd"
    missing = [tool for tool in ("gitolite", "/usr/sbin/sshd", "ssh", "/usr/bin/python3") if not shutil.which(tool)]
    return f"needs {', '.join(missing)} (apt-get install gitolite3 openssh-server)" if missing else None


@pytest.fixture(scope="module")
def gitolite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    reason = unavailable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the gitolite suite, but it {reason}")
        pytest.skip(reason)
    state = tmp_path_factory.mktemp("gitolite")
    with machine_lock(LOCK), contextlib.ExitStack() as cleanup:
        cleanup.callback(stop_sshd, state / "sshd" / "sshd.pid")
        setup = subprocess.run([str(ROOT / ".ci" / "gitolite-setup.sh"), str(state)], capture_output=True, text=True,
                               timeout=180)
        assert setup.returncode == 0, setup.stderr
        yield state


@contextlib.contextmanager
def machine_lock(path: Path, seconds: float = 600) -> Iterator[None]:
    """Hold an exclusive lock on `path`: the gitolite user, its home and its repository are one per
    machine, so two test sessions (two checkouts) take turns instead of resetting each other's."""
    with open(path, "a") as lock:
        deadline = time.monotonic() + seconds
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                assert time.monotonic() < deadline, f"another test session held {path} for {seconds} s"
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def stop_sshd(pid_file: Path) -> None:
    """Stop the sshd the setup started, whether or not the setup got further (it writes the pid first)."""
    with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):  # never started, or gone
        os.kill(int(pid_file.read_text()), signal.SIGTERM)


def push_as(user: str, state: Path, clone: Path, *refspecs: str) -> subprocess.CompletedProcess[str]:
    env = {"GIT_SSH_COMMAND": f"ssh -F {state / 'ssh_config'}"}
    return run("git", "push", f"{user}:snapshots", *refspecs, cwd=clone, env=env)


def gitolite_tags(state: Path) -> list[str]:
    listed = run("git", "ls-remote", "--tags", "--refs", "alice:snapshots", env={"GIT_SSH_COMMAND": f"ssh -F {state / 'ssh_config'}"})
    assert listed.returncode == 0, listed.stderr
    return [line.split("refs/tags/")[1] for line in listed.stdout.splitlines()]


def test_gl_user_reaches_the_allow_list(gitolite: Path, repo: Path) -> None:
    annotated(repo, "v2.8-prod-ready")
    git("tag", "V2.8", cwd=repo)
    refused = push_as("mallory", gitolite, repo, "main", "V2.8", "v2.8-prod-ready")
    assert refused.returncode == 1
    assert "V2.8: TG101 starts with 'V'; names are all lowercase" in remote_lines(refused)
    assert not any(line.startswith("GL-HOOK-ERR") for line in remote_lines(refused))  # gitolite is not GitLab
    assert push_as("alice", gitolite, repo, "main", "v2.8-prod-ready").returncode == 0

    mallory = push_as("mallory", gitolite, repo, ":refs/tags/v2.8-prod-ready")
    assert mallory.returncode == 1
    assert ("v2.8-prod-ready: TG402 is protected (pattern 'v*-prod*'); it may be deleted by: alice "
            "(you are mallory)") in remote_lines(mallory)
    assert gitolite_tags(gitolite) == ["v2.8-prod-ready"]

    alice = push_as("alice", gitolite, repo, ":refs/tags/v2.8-prod-ready")
    assert alice.returncode == 0, alice.stderr
    assert gitolite_tags(gitolite) == []
    records = ledger_records(REPO_DIR)
    assert [(r["name"], r.get("state")) for r in records] == [("v2.8-prod-ready", "pending"), ("v2.8-prod-ready", "landed")]
    assert [(r["name"], r["pusher"]) for r in landed(records)] == [("v2.8-prod-ready", "alice")]
