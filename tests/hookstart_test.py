"""What a hook costs to start: the modules it imports, and the lean stand-ins that let it skip
typing, re, subprocess, json and argparse (each checked against the module it replaces)."""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from testing.tools import annotated, git

from tagguard.cli import _parser, _plain_hook
from tagguard.git import processes
from tagguard.hookfiles.launcher import launch_code
from tagguard.patterns import _star_match, glob_match
from tagguard.server.jsonlog import encode_record

HEAVY = {"typing", "re", "subprocess", "json", "argparse", "shutil", "enum", "signal", "locale", "importlib"}


def hook_imports(cwd: Path, stdin: bytes, *args: str, env: dict[str, str] | None = None) -> set[str]:
    """The top-level modules a hook imports, run as the installed hook scripts run it."""
    done = subprocess.run([sys.executable, "-I", "-S", "-X", "importtime", "-c", launch_code(), *args],
                          cwd=cwd, input=stdin, capture_output=True, env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    lines = [line.split(b"|")[-1].strip().decode() for line in done.stderr.splitlines() if b"|" in line]
    return {name.split(".")[0] for name in lines}


def test_pre_receive_and_pre_push_of_one_tag_import_nothing_heavy(clone: Path, server: Path) -> None:
    tag = annotated(clone, "v2.8-exp-a")
    objects = {"GIT_ALTERNATE_OBJECT_DIRECTORIES": str(clone / ".git" / "objects"), "GIT_DIR": str(server)}
    modules = hook_imports(server, f"{'0' * 40} {tag} refs/tags/v2.8-exp-a\n".encode(), "pre-receive", env=objects)
    assert "tagguard" in modules and not HEAVY & modules
    line = f"refs/tags/v2.8-exp-a {tag} refs/tags/v2.8-exp-a {'0' * 40}\n".encode()
    modules = hook_imports(clone, line, "pre-push", "origin", str(server))
    assert "tagguard" in modules and not HEAVY & modules


@pytest.mark.parametrize("argv", [
    ["pre-receive"], ["pre-receive", "--chain", "/h/pre-receive.pre-tagguard"], ["post-receive", "--policy", "p.toml"],
    ["update", "refs/tags/v2.8", "0" * 40, "1" * 40], ["update", "--chain", "x", "refs/heads/a", "1" * 40, "2" * 40],
    ["reference-transaction", "prepared"], ["reference-transaction", "committed", "--policy", "p"],
    ["pre-push", "origin", "git@host:repo"], ["pre-push", "--policy", "p.toml", "origin", "/srv/repo.git"],
])
def test_hook_arguments_parse_as_argparse_would(argv: list[str]) -> None:
    assert vars(_plain_hook(argv)) == vars(_parser().parse_args(argv))


@pytest.mark.parametrize("argv", [
    [], ["check", "v2.8"], ["pre-receive", "extra"], ["update", "refs/tags/a"], ["reference-transaction", "aborted"],
    ["pre-push", "origin"], ["pre-push", "-", "url"], ["pre-receive", "--chain"], ["post-receive", "--bogus", "x"],
])
def test_anything_else_is_left_to_argparse(argv: list[str]) -> None:
    assert _plain_hook(argv) is None


flat = st.dictionaries(st.text(max_size=8), st.one_of(st.none(), st.booleans(), st.integers(), st.text()), max_size=6)


@given(flat)
@settings(max_examples=300)
def test_records_are_encoded_as_json_encodes_them(record: dict[str, object]) -> None:
    assert encode_record(record) == json.dumps(record, sort_keys=True)


def test_records_with_other_values_go_through_json() -> None:
    record = {"b": [1, {"x": None}], "a": 0.5, "c": "\udcff"}
    assert encode_record(record) == json.dumps(record, sort_keys=True)


@given(st.text(alphabet="ab*-", max_size=8), st.text(alphabet="ab-", max_size=10))
@settings(max_examples=500)
def test_star_globs_match_as_fnmatch_does(pattern: str, name: str) -> None:
    assert _star_match(name, pattern) == fnmatch.fnmatchcase(name, pattern)


def test_globs_with_other_wildcards_still_match() -> None:
    assert glob_match("tmp-1", ("wip*", "tmp-?")) == "tmp-?"
    assert glob_match("v2.8-prod-ready", ("*-prod-[r]eady",)) == "*-prod-[r]eady"
    assert glob_match("v2.8-prod-ready", ("wip*", "*-prod-*")) == "*-prod-*"
    assert glob_match("v2.8", ("wip*",)) is None


def test_processes_feed_and_drain_big_streams_at_once() -> None:
    data = os.urandom(3 << 20)
    done = processes.run(["sh", "-c", "cat; head -c 200000 /dev/zero >&2"], input=data)
    assert (done.returncode, done.stdout == data, len(done.stderr)) == (0, True, 200000)
    early = processes.run(["head", "-c", "10"], input=data)  # stops reading: no error, no hang
    assert (early.returncode, len(early.stdout)) == (0, 10)


def test_processes_report_exit_codes_signals_and_missing_programs(tmp_path: Path) -> None:
    assert processes.run(["sh", "-c", "echo out; echo err >&2; exit 3"]) == (3, b"out\n", b"err\n")
    assert processes.run(["sh", "-c", "kill -9 $$"]).returncode == -9
    with pytest.raises(OSError):
        processes.run([str(tmp_path / "no-such-program")])
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        processes.run(["true"], input=b"x")
    assert len(os.listdir("/proc/self/fd")) == before  # no descriptor left open


def test_a_git_error_still_names_the_command(tmp_path: Path) -> None:
    from tagguard.errors import NotARepository
    from tagguard.git.repo import Git, GitError

    with pytest.raises(NotARepository, match=f"^not a git repository: {tmp_path}$"):  # whatever the command
        Git(str(tmp_path)).run("rev-parse", "--verify", "HEAD")
    git("init", "-q", cwd=tmp_path)
    with pytest.raises(GitError, match="git rev-parse"):
        Git(str(tmp_path)).run("rev-parse", "--verify", "HEAD")


def test_one_git_process_answers_as_the_one_shot_calls_do(clone: Path, tmp_path: Path) -> None:
    from tagguard.git.repo import Git

    tag = annotated(clone, "v2.8-exp-a")
    names = [tag, "HEAD:README.md", "1234567890" * 4, tag]
    plain = Git(str(clone))
    with plain.batched() as batched:
        assert batched.object_info([*names, "HEAD"]) == plain.object_info([*names, "HEAD"])
        assert batched.read_batch(names) == plain.read_batch(names)
        assert batched.object_info([tag]) == plain.object_info([tag])  # the same process, asked again
        assert not batched._unsupported
    shims = tmp_path / "shims"  # a git before 2.36: no --batch-command, exit 129
    shims.mkdir()
    (shims / "git").write_text(f'#!/bin/sh\ncase " $* " in *" --batch-command"*) echo "usage: git cat-file" >&2; '
                               f'exit 129;; esac\nexec {shutil.which("git")} "$@"\n')
    (shims / "git").chmod(0o755)
    old = Git(str(clone), env={"PATH": f"{shims}:{os.environ['PATH']}"})
    with old.batched() as batched:
        assert batched.read_batch(names) == plain.read_batch(names)
        assert batched.object_info(names) == plain.object_info(names)
        assert batched._unsupported


def test_object_info_answers_each_name_even_when_some_are_missing_or_hold_spaces(clone: Path) -> None:
    """The answers are matched to the names asked, whatever those hold: a missing name whose
    answer has as many words as a found one's must not shift the rest."""
    from tagguard.git.repo import Git, ObjectInfo

    (clone / "a b tag 7").write_text("x\n")
    git("add", ".", cwd=clone)
    git("commit", "-q", "-m", "spaced", cwd=clone)
    tag = annotated(clone, "v2.8-exp-b")
    blob = git("rev-parse", "HEAD:a b tag 7", cwd=clone)
    names = ["HEAD:no such tag 5", tag, "HEAD:a b tag 7", "0" * 40, "HEAD:gone"]
    assert Git(str(clone)).object_info(names) == {
        "HEAD:no such tag 5": ObjectInfo("HEAD:no such tag 5", "missing", 0),
        tag: ObjectInfo(tag, "tag", int(git("cat-file", "-s", tag, cwd=clone))),
        "HEAD:a b tag 7": ObjectInfo(blob, "blob", 2),
        "0" * 40: ObjectInfo("0" * 40, "missing", 0),
        "HEAD:gone": ObjectInfo("HEAD:gone", "missing", 0),
    }


def test_a_long_run_of_names_switches_to_one_regex_with_the_same_answers() -> None:
    patterns = ("tmp-*", "*-wip", "exp*run*")
    names = [f"{a}{i}{b}" for i in range(150) for a, b in (("tmp-", ""), ("v2.8-", "-wip"), ("exp", "-run"), ("v", ""))]
    expected = [next((p for p in patterns if fnmatch.fnmatchcase(n, p)), None) for n in names]
    assert [glob_match(n, patterns) for n in names] == expected


class Stopped(Exception):
    pass


def _stop(number: int, frame: object) -> None:
    raise Stopped


def test_a_stop_as_a_program_starts_kills_the_program(monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM right after the start, before run() watches the program: it is killed, not left
    running (a chained hook left running kept git waiting for a minute)."""
    spawn, started = processes._spawn, []

    def spawn_then_stop(*args: object) -> tuple[int, dict[int, int]]:
        found = spawn(*args)  # type: ignore[arg-type]
        started.append(found[0])
        signal.pthread_kill(threading.get_ident(), signal.SIGTERM)  # a stop, to this thread: a hook's only
        # one (a signal to the process could reach another thread the test run has, unblocked)
        return found

    monkeypatch.setattr(processes, "_spawn", spawn_then_stop)
    old = signal.signal(signal.SIGTERM, _stop)
    try:
        with pytest.raises(Stopped):
            processes.run(["sleep", "30"])
        assert not Path(f"/proc/{started[0]}").exists()  # killed and reaped
    finally:
        signal.signal(signal.SIGTERM, old)
        if started and Path(f"/proc/{started[0]}").exists():
            os.kill(started[0], signal.SIGKILL)


def test_a_program_starts_with_no_signal_blocked() -> None:
    out = processes.run(["grep", "^SigBlk", "/proc/self/status"]).stdout.decode()
    assert int(out.split()[1], 16) == 0
