"""Time a push of N new annotated tags to a local bare repository, three ways:
no hook, a minimal bash pre-receive hook (name regex, no move, no protected delete), and
tagguard's pre-receive + post-receive installed by `tagguard install --server`.

    python bench/server_bench.py [--tags 10000] [--rounds 3]

Prints the best of each. Not part of the test suite (a 10,000-tag push takes seconds).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def sh(*cmd: str, cwd: Path, stdin: bytes | None = None) -> None:
    subprocess.run(cmd, cwd=cwd, input=stdin, check=True, capture_output=True)


def make_source(path: Path, count: int) -> None:
    """A repository with one commit and `count` annotated tags, built by one fast-import."""
    sh("git", "init", "-q", "-b", "main", str(path), cwd=path.parent)
    stamp = "Bench <bench@example.com> 1700000000 +0000"
    parts = [f"commit refs/heads/main\nmark :1\ncommitter {stamp}\ndata 5\nfirst\n\n"]
    for index in range(count):
        message = f"run {index}: acc=0.9{index % 10}\n"
        parts.append(f"tag v2.8-exp-run{index}\nfrom :1\ntagger {stamp}\ndata {len(message)}\n{message}\n")
    sh("git", "fast-import", "--quiet", cwd=path, stdin="".join(parts).encode())


def time_push(source: Path, work: Path, name: str, setup: list[str] | None, hook: str | None) -> float:
    server = work / f"{name}.git"
    shutil.rmtree(server, ignore_errors=True)
    sh("git", "init", "-q", "--bare", str(server), cwd=work)
    if setup:
        sh(*setup, str(server), cwd=work)
    if hook:
        path = server / "hooks" / "pre-receive"
        path.parent.mkdir(exist_ok=True)
        path.write_text(hook)
        path.chmod(0o755)
    start = time.perf_counter()
    sh("git", "push", "-q", f"file://{server}", "main", "--tags", cwd=source)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tags", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tagguard = shutil.which("tagguard", path=os.path.dirname(sys.executable)) or shutil.which("tagguard")
    if not tagguard:
        print("server_bench: install tagguard first (pip install -e .)", file=sys.stderr)
        return 2
    cases = {
        "no hook": (None, None),
        "bash pre-receive": (None, BASH_HOOK),
        "tagguard": ([tagguard, "install", "--server"], None),
    }
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        source = work / "source"
        source.mkdir()
        make_source(source, args.tags)
        best = {name: float("inf") for name in cases}
        names = list(cases)
        for round in range(args.rounds):  # interleaved and rotated, so a busy moment hurts all alike
            for name in names[round % 3:] + names[: round % 3]:
                best[name] = min(best[name], time_push(source, work, name.replace(" ", "-"), *cases[name]))
        hooks = hooks_alone(source, work / "tagguard.git", tagguard, args.rounds)
    base = best["no hook"]
    print(f"push of {args.tags} new annotated tags, best of {args.rounds}:")
    for name, seconds in best.items():
        print(f"  {name:17} {seconds:6.2f} s  ({seconds / base:.2f}x no hook)")
    print("the hooks alone, on that push's input (best of the same rounds):")
    for name, seconds in hooks.items():
        print(f"  {name:33} {seconds:6.2f} s")
    return 0


def hooks_alone(source: Path, server: Path, tagguard: str, rounds: int) -> dict[str, float]:
    """Run each hook by itself on the push's stdin, inside the server repository."""
    out = subprocess.run(["git", "for-each-ref", "--format=%(objectname) %(refname)", "refs/tags/"],
                         cwd=source, check=True, capture_output=True).stdout.decode()
    zero = "0" * 40
    stdin = "".join(f"{zero} {line}\n" for line in out.splitlines()).encode()
    bash = server.parent / "bash-pre-receive"
    bash.write_text(BASH_HOOK)
    bash.chmod(0o755)
    ledger = server / "tagguard-ledger.jsonl"
    commands = {
        "bash pre-receive": [[str(bash)]],
        "tagguard pre-receive + post-receive": [[tagguard, "pre-receive"], [tagguard, "post-receive"]],
    }
    best = {name: float("inf") for name in commands}
    for _ in range(rounds):
        for name, steps in commands.items():
            ledger.unlink(missing_ok=True)  # new tags: nothing recorded yet, as in the push
            start = time.perf_counter()
            for step in steps:
                subprocess.run(step, cwd=server, input=stdin, check=True, capture_output=True)
            best[name] = min(best[name], time.perf_counter() - start)
    return best


if __name__ == "__main__":
    raise SystemExit(main())
