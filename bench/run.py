"""tagguard's benchmarks, side by side in one run, as ratios (medians of rotated rounds).

    python bench/run.py            # the full run: 10,000-tag pushes, 100,000 existing tags
    python bench/run.py --quick    # tiny sizes, a few seconds (the test suite runs this)

1. a one-tag push to a local bare repository: no hook, a minimal bash pre-receive hook
   (name regex, no move, no protected delete), tagguard's pre-receive + post-receive, and
   those plus the reference-transaction hook of `install --server --outside-pushes`, from
   the clone of case 2 (N tags) and from one that holds only the pushed tag (where git's
   own push is quickest, so a hook's fixed cost weighs most);
   then a branch created and deleted, with no hook, the bash hook, tagguard's server hooks,
   and those plus tagguard's pre-push hook in the clone;
2. a push of N new annotated tags: the same four;
3. the same push into a repository that already holds E tags (and a ledger of them);
4. `tagguard check NAME` against `python -c pass` (the embedded default policy);
5. the pre-push hook for one tag: a push with and without it, and the hook by itself;
6. the server hooks by themselves on a push of B tags (GitHub Enterprise allows 5 s);
7. the whole push of those B tags, with no hook and with tagguard;
with --baseline TAGGUARD (another tagguard's executable, an older release say), cases 1, 3,
   6 and 7 also run that tagguard's hooks, side by side with this one's;
peak memory: each server hook's peak memory, its git children included (`tree_peak`), on the B
   tags and on one tag whose message is H MiB (over [tags] max_tag_bytes: refused unread, and
   in warn mode accepted unread), and of the index catch-up post-receive leaves to a detached
   process (B tags, when their ledger is big enough to be indexed), against the target of 100 MB.

Push times include git's own work and swing with machine load, and on a disk with no journal
with removals in the minutes before (so the run removes nothing until it ends; each median
is shown with its range); the hooks run by
themselves on the same input (inside a copy of the server, reading the pushed objects
through GIT_ALTERNATE_OBJECT_DIRECTORIES, as in git's quarantine) are the steadier figure.
"""

from __future__ import annotations

import argparse
import errno
import functools
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BASH_HOOK = r"""#!/usr/bin/env bash
# The minimal bash pre-receive hook: a name regex, no moved tags, no deleted v*-prod* tags.
zero='^0+$'
while read -r old new ref; do
    [[ $ref == refs/tags/* ]] || continue
    name=${ref#refs/tags/}
    if [[ $new =~ $zero ]]; then
        [[ $name == v*-prod* ]] && { echo "$name: protected"; exit 1; }
        continue
    fi
    [[ $old =~ $zero ]] || { echo "$name: tags never move"; exit 1; }
    [[ $name =~ ^v[0-9]+\.[0-9]+(-[a-z0-9]+)*$ ]] || { echo "$name: bad name"; exit 1; }
done
"""
STAMP = "Bench <bench@example.com> 1700000000 +0000"
MEMORY_TARGET = 100 << 20  # bytes of peak resident memory per hook
HOOKS = ("no hook", "bash hook", "tagguard")
OUTSIDE = "tagguard --outside-pushes"  # plus the reference-transaction hook (cases 1 and 2)
BASELINE = "baseline"  # another tagguard's hooks (--baseline), to compare with
Timings = dict[str, list[float]]


class Sizes:
    def __init__(self, quick: bool, args: argparse.Namespace) -> None:
        self.new = args.tags or (50 if quick else 10_000)
        self.existing = args.existing or (500 if quick else 100_000)
        self.big = args.big or (1_000 if quick else 100_000)
        self.rounds = args.rounds or (1 if quick else 3)
        self.big_rounds = args.rounds or (1 if quick else 5)  # cases 6 and 7: their targets sit close to the noise
        self.huge = (args.huge or (4 if quick else 300)) << 20  # bytes of the big tag's message
        self.small_rounds = 3 if quick else 15


def sh(*cmd: str, cwd: Path, stdin: bytes | None = None, env: dict[str, str] | None = None) -> bytes:
    done = subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd[:3])} failed in {cwd}: {done.stderr.decode()[-500:]}")
    return done.stdout


def timed(steps: list[list[str]], cwd: Path, stdin: bytes | None = None, env: dict[str, str] | None = None) -> float:
    """Seconds to run these commands one after the other; then, untimed, until any index
    catch-up a post-receive left to a detached process is done (else it would run during
    the next timing, whichever hook that is)."""
    start = time.perf_counter()
    for step in steps:
        sh(*step, cwd=cwd, stdin=stdin, env=env)
    took = time.perf_counter() - start
    settle()
    return took


def settle() -> None:
    """Wait until no detached index catch-up (`ledgerindex.catch_up_locked`) is running."""
    if not os.path.isdir("/proc"):
        return
    deadline = time.monotonic() + 300
    while any(b"catch_up_locked" in _cmdline(pid) for pid in os.listdir("/proc") if pid.isdigit()):
        if time.monotonic() > deadline:
            raise SystemExit("bench: a detached index catch-up is still running after 300 s")
        time.sleep(0.05)


def _cmdline(pid: str) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:  # gone meanwhile
        return b""


# Runs a command (argv[2:]), then writes its exit code and the largest peak resident set (KiB)
# of any process of its tree to the file argv[1]. A small launcher: a process forked from a big
# one (the bench) starts with the big one's peak.
LAUNCH = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[2:]).returncode; "
          "open(sys.argv[1], 'w').write(f'{code} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}')")


def tree_peak(command: list[str], cwd: Path, stdin: bytes, env: dict[str, str], code: int = 0) -> tuple[bytes, int]:
    """Run a command (it must exit with `code`); return what it printed and the peak memory of its
    process tree, in bytes: the larger of its largest process's peak resident set (exact,
    from the kernel) and the tree's summed proportional set size (`_descendants_pss`), sampled every
    millisecond or so where Linux's kcmp tells which processes share memory (`notes`)."""
    with (tempfile.TemporaryFile() as given, tempfile.TemporaryFile() as printed, tempfile.TemporaryFile() as said,
          tempfile.NamedTemporaryFile() as report):
        given.write(stdin)
        given.seek(0)
        launcher = subprocess.Popen([sys.executable, "-c", LAUNCH, report.name, *command], cwd=cwd, env=env,
                                    stdin=given, stdout=printed, stderr=said)
        summed, sampled = 0, _shared(os.getpid(), os.getpid()) is True
        try:
            while launcher.poll() is None:
                summed = max(summed, _descendants_pss(launcher.pid) if sampled else 0)
                time.sleep(0.001)
        finally:
            launcher.kill()
            launcher.wait()
        words = report.read().split()
        said.seek(0)
        why = said.read().decode(errors="replace")[-500:]
        if launcher.returncode != 0 or len(words) != 2:
            raise SystemExit(f"bench: {' '.join(command[:2])} could not be run in {cwd}: {why}")
        exited, largest = map(int, words)
        if exited != code:
            raise SystemExit(f"bench: {' '.join(command[:2])} in {cwd} exited {exited}, not {code}: {why}")
        printed.seek(0)
        return printed.read(), max(largest << 10, summed)


def _descendants_pss(root: int) -> int:
    """The summed proportional set size of a process's descendants, in bytes (0 where /proc
    can't tell). A child between posix_spawn's clone (or a vfork) and its exec still shares
    its parent's address space (`_shared`): it counts once. A process that left the tree (a
    detached one, reparented) is not in it."""
    total = 0
    pending = [(root, False)]
    while pending:
        pid, counted = pending.pop()
        try:
            children = []
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    children += map(int, f.read().split())
            kept = [child for child in children if not _shared(child, pid)]  # (asked before its memory is read)
            if counted:
                with open(f"/proc/{pid}/smaps_rollup") as f:
                    total += next(int(line.split()[1]) for line in f if line.startswith("Pss:")) << 10
        except (OSError, ValueError, StopIteration):  # gone meanwhile
            continue
        pending += ((child, True) for child in kept)
    return total


_KCMP = {"x86_64": 312, "aarch64": 272}.get(platform.machine())  # the kcmp system call's number


def _shared(one: int, other: int) -> bool | None:
    """Whether two processes share one address space (Linux's kcmp, KCMP_VM); None where that
    can't be asked. Once a process has an address space of its own it never shares again."""
    if _KCMP is None:
        return None
    import ctypes

    answer = _libc().syscall(_KCMP, one, other, 1, 0, 0)
    return None if answer < 0 and ctypes.get_errno() != errno.ESRCH else answer == 0


@functools.cache
def _libc() -> Any:
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def rotated(names: list[str], round: int) -> list[str]:
    """Each round starts with a different case, so a busy moment hurts all alike."""
    shift = round % len(names)
    return names[shift:] + names[:shift]


def fast_import(path: Path, prefix: str, count: int, bare: bool) -> None:
    """One commit on main and `count` annotated tags `<prefix><i>` on it, in one fast-import.

    The commit is the same in every repository made here (same content and stamps)."""
    sh("git", "init", "-q", *(["--bare"] if bare else []), "-b", "main", str(path), cwd=path.parent)
    parts = [f"commit refs/heads/main\nmark :1\ncommitter {STAMP}\ndata 5\nfirst\n\n"]
    for index in range(count):
        message = f"run {index}: acc=0.9{index % 10}\n"
        parts.append(f"tag {prefix}{index}\nfrom :1\ntagger {STAMP}\ndata {len(message)}\n{message}\n")
    sh("git", "fast-import", "--quiet", cwd=path, stdin="".join(parts).encode())
    sh("git", "pack-refs", "--all", cwd=path)


def huge_tag(path: Path, size: int) -> bytes:
    """A bare repository with the same commit as `fast_import` and one tag `v2.8-exp-huge` on
    it whose message is `size` bytes (streamed to fast-import); return pre-receive's input."""
    sh("git", "init", "-q", "--bare", "-b", "main", str(path), cwd=path.parent)
    head = f"commit refs/heads/main\nmark :1\ncommitter {STAMP}\ndata 5\nfirst\n\n"
    head += f"tag v2.8-exp-huge\nfrom :1\ntagger {STAMP}\ndata {size}\n"
    line = b"acc=0.91 " * 100 + b"\n"
    with subprocess.Popen(["git", "fast-import", "--quiet"], cwd=path, stdin=subprocess.PIPE) as importer:
        assert importer.stdin is not None
        importer.stdin.write(head.encode())
        for start in range(0, size, 1 << 20):
            piece = min(1 << 20, size - start)
            importer.stdin.write((line * (piece // len(line) + 1))[:piece])
        importer.stdin.write(b"\n")
        importer.stdin.close()
    if importer.returncode != 0:
        raise SystemExit("bench: git fast-import of the big tag failed")
    return receive_input(path, "refs/tags/")


def receive_input(repo: Path, pattern: str) -> bytes:
    """pre-receive's stdin for pushing these tags as new: `<zero> <oid> <ref>` lines."""
    out = sh("git", "for-each-ref", "--format=%(objectname) %(refname)", pattern, cwd=repo).decode()
    return "".join(f"{'0' * 40} {line}\n" for line in out.splitlines()).encode()


class Bench:
    def __init__(self, work: Path, sizes: Sizes, tagguard: str, baseline: str | None = None) -> None:
        self.work, self.sizes, self.tagguard, self.baseline = work, sizes, tagguard, baseline
        self.compared: tuple[str, ...] = (BASELINE,) if baseline else ()  # the hooks cases 1, 3, 6, 7 add
        self.source = work / "source"
        self.templates: dict[tuple[str, str], Path] = {}
        self.copies = 0  # server copies made (`fresh`), for their names
        self.bash = work / "bash-pre-receive"
        self.bash.write_text(BASH_HOOK)
        self.bash.chmod(0o755)

    # --- the repositories -------------------------------------------------------------------

    def prepare(self) -> None:
        self.source.mkdir()
        fast_import(self.source, "v2.8-exp-run", self.sizes.new, bare=False)
        self.small_source = self.work / "small-source"  # the same first tag, alone (case 1)
        self.small_source.mkdir()
        fast_import(self.small_source, "v2.8-exp-run", 1, bare=False)
        big = self.work / "big.git"
        big.mkdir()
        fast_import(big, "v2.8-exp-old", max(self.sizes.existing, self.sizes.big), bare=True)
        self.big_input = b"".join(receive_input(big, "refs/tags/").splitlines(True)[: self.sizes.big])
        self.big_objects = big / "objects"
        self.big_source = self.work / "big-source.git"  # pushes the B tags (case 7)
        shutil.copytree(big, self.big_source, symlinks=True)
        self._keep_tags(self.big_source, self.sizes.big)
        self._keep_tags(big, self.sizes.existing)
        self.huge = self.work / "huge.git"
        self.huge.mkdir()
        self.huge_input = huge_tag(self.huge, self.sizes.huge)
        empty = self.work / "empty.git"
        sh("git", "init", "-q", "--bare", "-b", "main", str(empty), cwd=self.work)
        sh("git", "push", "-q", str(empty), "main", cwd=self.source)
        for kind, path in (("empty", empty), ("full", big)):
            for hook in HOOKS + ((OUTSIDE,) if kind == "empty" else ()) + self.compared:
                self.templates[(kind, hook)] = self._template(path, f"{kind}-{hook.replace(' ', '-')}", hook)

    @staticmethod
    def _keep_tags(repo: Path, keep: int) -> None:
        """Delete all but `keep` tag refs (their objects stay, for case 6 to read)."""
        refs = sh("git", "for-each-ref", "--format=%(refname)", "refs/tags/", cwd=repo).decode().split()
        if len(refs) > keep:
            sh("git", "update-ref", "--stdin", cwd=repo, stdin="".join(f"delete {r}\n" for r in refs[keep:]).encode())
            sh("git", "pack-refs", "--all", cwd=repo)

    def _template(self, origin: Path, name: str, hook: str) -> Path:
        path = self.work / "templates" / name
        shutil.copytree(origin, path, symlinks=True)
        if hook == "bash hook":
            (path / "hooks").mkdir(exist_ok=True)
            shutil.copy(self.bash, path / "hooks" / "pre-receive")
        elif hook.startswith("tagguard"):  # install records the existing tags
            sh(self.tagguard, "install", "--server", str(path), *hook.split()[1:], cwd=self.work)
        elif hook == BASELINE and self.baseline:
            sh(self.baseline, "install", "--server", str(path), cwd=self.work)
        return path

    def fresh(self, kind: str, hook: str) -> Path:
        """A new copy of a server, written to disk before the timing starts. No copy is
        removed before the run ends: on a disk with no journal (ext4 without one, as on this
        project's VM) every file created is first checked against the inodes freed in the last
        minute or more, so a big removal slows git's ref writing in the pushes that follow (a
        push of 100,000 tags with no hook: 29 to 35 s after one, 13 to 18 s otherwise)."""
        self.copies += 1
        target = self.work / "servers" / f"{kind}-{hook.replace(' ', '-')}-{self.copies}"
        shutil.copytree(self.templates[(kind, hook)], target, symlinks=True)
        os.sync()
        return target

    # --- the cases --------------------------------------------------------------------------

    def pushes(self, kind: str, refspecs: list[str], rounds: int, hooks: tuple[str, ...] = HOOKS,
               source: Path | None = None) -> Timings:
        times: Timings = {hook: [] for hook in hooks}
        for round in range(rounds):
            for hook in rotated(list(hooks), round):
                server = self.fresh(kind, hook)
                times[hook].append(timed([["git", "push", "-q", f"file://{server}", *refspecs]],
                                               cwd=source or self.source))
        return times

    def hooks_alone(self, kind: str, stdin: bytes, objects: Path, rounds: int) -> Timings:
        """Each hook by itself on a push's input, inside a fresh copy of the server."""
        env = {**os.environ, "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(objects)}
        steps = {
            "bash hook": [[str(self.bash)]],
            "tagguard pre-receive": [[self.tagguard, "pre-receive"]],
            "tagguard pre+post": [[self.tagguard, "pre-receive"], [self.tagguard, "post-receive"]],
        }
        if self.baseline:
            steps[f"{BASELINE} pre-receive"] = [[self.baseline, "pre-receive"]]
            steps[f"{BASELINE} pre+post"] = [[self.baseline, "pre-receive"], [self.baseline, "post-receive"]]
        times: Timings = {name: [] for name in steps}
        for round in range(rounds):
            for name in rotated(list(steps), round):
                server = self.fresh(kind, name.split()[0] if name != "bash hook" else name)
                times[name].append(timed(steps[name], cwd=server, stdin=stdin, env=env))
        return times

    def peak_memory(self) -> dict[str, int]:
        """Each server hook's peak memory (`tree_peak`), in bytes, git children included."""
        warn = self.work / "warn.toml"
        warn.write_text('[server]\nmode = "warn"\n')
        mib = self.sizes.huge >> 20
        cases = [(f"{{}}, {self.sizes.big} tags", self.big_input, self.big_objects, None),
                 (f"{{}}, a {mib} MiB tag", self.huge_input, self.huge / "objects", None),
                 (f"{{}}, a {mib} MiB tag, warn", self.huge_input, self.huge / "objects", warn)]
        peaks = {}
        for title, stdin, objects, policy in cases:
            server = self.fresh("empty", "tagguard")
            env = {**os.environ, "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(objects)}
            if policy:
                env["TAGGUARD_POLICY"] = str(policy)
            for hook in ("pre-receive", "post-receive"):
                if hook == "post-receive" and title.endswith(" tag"):
                    continue  # refused: post-receive never runs
                refused = title.endswith(" tag")  # over max_tag_bytes, not in warn mode
                peaks[title.format(hook)] = tree_peak([self.tagguard, hook], server, stdin, env, int(refused))[1]
            ledger = server / "tagguard-ledger.jsonl"
            if policy is None and not title.endswith(" tag") and ledger.stat().st_size >= self._index_from():
                peaks[title.format("index catch-up")] = self._catch_up_peak(ledger)
        return peaks

    def _index_from(self) -> int:
        """The ledger's size from which tagguard keeps an index of it."""
        code = "from tagguard.server.ledgerindex import INDEX_FROM; print(INDEX_FROM)"
        return int(sh(self._python(), "-c", code, cwd=self.work))

    def _python(self) -> str:
        """The Python that runs the tagguard console script."""
        return Path(self.tagguard).read_text().split("\n", 1)[0].removeprefix("#!").strip()

    def _catch_up_peak(self, ledger: Path) -> int:
        """The peak memory of post-receive's detached index catch-up (a big push's): once it
        is done, the same catch-up again from an empty index, in the foreground (a detached
        process is nobody's child to measure)."""
        index = ledger.with_name(ledger.name + ".idx")
        settle()
        index.unlink()
        code = ("import os, sys; from tagguard.server.ledgerindex import catch_up_locked, indexed_bytes; "
                "catch_up_locked(sys.argv[1]); print(indexed_bytes(sys.argv[1]) == os.path.getsize(sys.argv[1]))")
        out, peak = tree_peak([self._python(), "-c", code, str(ledger)], ledger.parent, b"", dict(os.environ))
        if out.split() != [b"True"]:
            raise SystemExit(f"bench: the index catch-up of {ledger} did not index it")
        return peak

    def check(self, rounds: int) -> Timings:
        python = sys.executable
        commands = {"python -c pass": [python, "-c", "pass"], "tagguard check": [self.tagguard, "check", "v2.8-ft"]}
        return self._commands(commands, rounds, self.work)

    def pre_push(self, rounds: int) -> Timings:
        clone = self._client()
        server = self.work / "client-server.git"
        oid = sh("git", "rev-parse", "refs/tags/v2.8-exp-run0", cwd=clone).decode().strip()
        stdin = f"refs/tags/v2.8-exp-run0 {oid} refs/tags/v2.8-exp-run0 {'0' * 40}\n".encode()
        times: Timings = {"push, no hook": [], "push, pre-push hook": [], "python -c pass": [],
                          "pre-push hook alone": []}
        hook = clone / ".git" / "hooks" / "pre-push"
        for round in range(rounds):
            for name in rotated(list(times), round):
                if name.startswith("push"):
                    shutil.rmtree(server, ignore_errors=True)
                    shutil.copytree(self.templates[("empty", "no hook")], server, symlinks=True)
                    verify = ["--no-verify"] if name == "push, no hook" else []
                    command = ["git", "push", "-q", *verify, str(server), "v2.8-exp-run0"]
                    times[name].append(timed([command], cwd=clone))
                elif name == "python -c pass":
                    times[name].append(timed([[sys.executable, "-c", "pass"]], cwd=clone))
                else:
                    times[name].append(timed([[str(hook), "origin", str(server)]], cwd=clone, stdin=stdin))
        return times

    def branch_pushes(self, rounds: int) -> Timings:
        """A branch created and deleted (two pushes) from a clone with the pre-push hook:
        no hooks at all, the server's bash hook, tagguard's server hooks, and those plus the
        client's pre-push hook."""
        clone = self._client()
        cases = {"no hook": ("no hook", True), "bash hook": ("bash hook", True),
                 "tagguard server hooks": ("tagguard", True), "tagguard, pre-push too": ("tagguard", False)}
        times: Timings = {name: [] for name in cases}
        for round in range(rounds):
            for name in rotated(list(cases), round):
                hook, skip_client = cases[name]
                server = self.fresh("empty", hook)
                verify = ["--no-verify"] if skip_client else []
                times[name].append(timed([["git", "push", "-q", *verify, f"file://{server}", spec]
                                       for spec in ("HEAD:refs/heads/topic", ":refs/heads/topic")], cwd=clone))
        return times

    def _client(self) -> Path:
        """A clone of the source with tagguard's pre-push hook."""
        clone = self.work / "client"
        if not clone.exists():
            shutil.copytree(self.source, clone, symlinks=True)
            sh(self.tagguard, "install", cwd=clone)
        return clone

    def _commands(self, commands: dict[str, list[str]], rounds: int, cwd: Path) -> Timings:
        times: Timings = {name: [] for name in commands}
        for round in range(rounds):
            for name in rotated(list(commands), round):
                times[name].append(timed([commands[name]], cwd=cwd))
        return times


# --- output --------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values)


def show(title: str, times: Timings, base: str, unit: str = "s") -> list[str]:
    lines = [title]
    reference = median(times[base])
    for name, values in times.items():
        value = median(values)
        lines.append(f"  {name:24} {_seconds(value, unit)}  {value / reference:5.2f}x {base}"
                     f"   ({_seconds(min(values), unit).strip()} to {_seconds(max(values), unit).strip()})")
    return lines


def _seconds(value: float, unit: str) -> str:
    return f"{value * 1000:8.1f} ms" if unit == "ms" else f"{value:8.2f} s "


def show_memory(peaks: dict[str, int]) -> list[str]:
    lines = [f"peak memory of each hook (target: under {MEMORY_TARGET >> 20} MB):"]
    for name, peak in peaks.items():
        lines.append(f"  {name:40} {peak / (1 << 20):7.1f} MB  {peak / MEMORY_TARGET:5.2f}x target")
    return lines


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    git = subprocess.run(["git", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {git}, "
            f"load average {load}, {filesystem(tempfile.gettempdir())}")


def filesystem(path: str) -> str:
    """The file system the servers are written to, and for ext4 whether it keeps a journal
    (without one, a removal slows the file creations after it: see `Bench.fresh`)."""
    try:
        with open("/proc/mounts") as f:
            mounts = [line.split()[:3] for line in f]
    except OSError:
        return "file system unknown"
    real = os.path.realpath(path)
    held = [m for m in mounts if len(m) == 3 and (real + "/").startswith(m[1].rstrip("/") + "/")]
    if not held:
        return "file system unknown"
    device, point, kind = max(held, key=lambda m: len(m[1]))
    if kind != "ext4":
        return f"{kind} at {point}"
    journals = os.listdir("/proc/fs/jbd2") if os.path.isdir("/proc/fs/jbd2") else []
    journal = any(entry.startswith(os.path.basename(device) + "-") for entry in journals)
    return f"ext4 {'with' if journal else 'without'} a journal at {point}"


def notes() -> list[str]:
    """What a reader of this run's numbers should know of how this machine measured them."""
    found = []
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        found.append("PYTHONDONTWRITEBYTECODE is set; start-up times include compiling")
    if _shared(os.getpid(), os.getpid()) is not True:
        found.append("this machine can't tell which processes share memory (Linux's kcmp); a hook's peak memory "
                     "is its largest process's alone")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (seconds)")
    parser.add_argument("--tags", type=int, help="new tags in one push (default 10000)")
    parser.add_argument("--existing", type=int, help="tags already on the server (default 100000)")
    parser.add_argument("--big", type=int, help="tags for the hooks-alone case 6 (default 100000)")
    parser.add_argument("--rounds", type=int, help="rounds of the big pushes (default 3; 5 for cases 6 and 7)")
    parser.add_argument("--huge", type=int, help="MiB of the big tag's message, for peak memory (default 300)")
    parser.add_argument("--baseline", metavar="TAGGUARD", help="another tagguard executable to compare with")
    args = parser.parse_args(argv)
    tagguard = shutil.which("tagguard", path=os.path.dirname(sys.executable)) or shutil.which("tagguard")
    if not tagguard:
        print("bench: install tagguard first (pip install -e .)", file=sys.stderr)
        return 2
    for note in notes():
        print(f"bench: note: {note}", file=sys.stderr)
    sizes = Sizes(args.quick, args)
    print(machine(), flush=True)
    with tempfile.TemporaryDirectory(prefix="tagguard-bench-") as temporary:
        for line in run(Bench(Path(temporary), sizes, tagguard, args.baseline)):
            print(line, flush=True)
    return 0


def run(bench: Bench) -> Iterator[str]:
    """Run every case, yielding the table's lines as each case finishes."""
    s = bench.sizes
    bench.prepare()
    new_input = receive_input(bench.source, "refs/tags/")
    new_objects = bench.source / ".git" / "objects"
    yield from show(f"1. push of one new tag (median of {s.small_rounds}):",
                    bench.pushes("empty", ["v2.8-exp-run0"], s.small_rounds, (*HOOKS, OUTSIDE, *bench.compared)),
                    "no hook", "ms")
    yield from show(f"   the same push from a clone that holds only that tag (median of {s.small_rounds}):",
                    bench.pushes("empty", ["v2.8-exp-run0"], s.small_rounds, ("no hook", "bash hook", "tagguard"),
                                 bench.small_source), "no hook", "ms")
    yield from show(f"2. push of {s.new} new tags (median of {s.rounds}):",
                    bench.pushes("empty", ["--tags"], s.rounds, (*HOOKS, OUTSIDE)), "no hook")
    yield from show("   the hooks alone on that push's input:",
                    bench.hooks_alone("empty", new_input, new_objects, s.rounds), "bash hook")
    yield from show(f"3. the same push into a repository with {s.existing} tags (median of {s.rounds}):",
                    bench.pushes("full", ["--tags"], s.rounds, (*HOOKS, *bench.compared)), "no hook")
    yield from show("   the hooks alone on that push's input:",
                    bench.hooks_alone("full", new_input, new_objects, s.rounds), "bash hook")
    yield from show(f"   a push of branches only: one created, then deleted (median of {s.small_rounds}):",
                    bench.branch_pushes(s.small_rounds), "no hook", "ms")
    yield from show(f"4. tagguard check of one name (median of {s.small_rounds * 2}):",
                    bench.check(s.small_rounds * 2), "python -c pass", "ms")
    yield from show(f"5. pre-push hook, one tag (median of {s.small_rounds}):",
                    bench.pre_push(s.small_rounds), "python -c pass", "ms")
    yield from show(f"6. the server hooks alone on a push of {s.big} new tags (median of {s.big_rounds}):",
                    bench.hooks_alone("empty", bench.big_input, bench.big_objects, s.big_rounds), "bash hook")
    yield from show(f"7. the whole push of those {s.big} new tags (median of {s.big_rounds}):",
                    bench.pushes("empty", ["--tags"], s.big_rounds, ("no hook", "tagguard", *bench.compared),
                                 bench.big_source), "no hook")
    yield from show_memory(bench.peak_memory())


if __name__ == "__main__":
    raise SystemExit(main())
