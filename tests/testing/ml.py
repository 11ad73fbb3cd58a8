"""The ML side's real tools (torch, Chromium), a git that notes how it is called, and a trainer
that pays for importing torch once.

Tests that need torch or Chromium skip when the tool is missing, except under CI=true,
where .ci/run installs both and a missing tool must fail the run instead of hiding.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HAS_TORCH = importlib.util.find_spec("torch") is not None


@functools.cache
def torch_version() -> str:
    """`torch.__version__` as a training script sees it (a build's `+cu130` or `+cpu` included,
    which the package's metadata version leaves out)."""
    done = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__)"],
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def require(available: object, what: str) -> None:
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing, and CI must run this test (.ci/run installs it)")
    pytest.skip(f"{what} is not installed")


def traced_git(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An env whose `git` is the real git, logging each invocation's arguments to a file."""
    real = shutil.which("git")
    bin_dir, log = tmp_path / "traced-bin", tmp_path / "git-calls.log"
    bin_dir.mkdir()
    wrapper = bin_dir / "git"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}, log


def git_commands(log: Path) -> list[str]:
    """The git command of each call `traced_git` logged (after options such as -C and -c)."""
    found = []
    for line in log.read_text().splitlines():
        words = line.split()
        while words and words[0] in ("-C", "-c"):
            words = words[2:]
        found.append(words[0] if words else "")
    return found


TRAINER = r"""
import contextlib, json, os, sys, traceback
import torch  # once: each script's own `import torch` finds it loaded
for line in sys.stdin:
    request = json.loads(line)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = ["-c", *request["args"]]
    try:
        with contextlib.redirect_stdout(sys.stderr):
            exec(compile(request["script"], "<string>", "exec"), {"__name__": "__main__"})
        error = None
    except BaseException:
        error = traceback.format_exc()
    print(json.dumps(error), flush=True)
"""


class Trainer:
    """One Python that imports torch once and then runs training scripts as `python -c SCRIPT ARGS`
    would: each in a fresh namespace, in the given directory, with the caller's environment."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", TRAINER], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)

    def run(self, script: str, cwd: Path, *args: str) -> None:
        assert self.process.stdin and self.process.stdout
        request = {"script": script, "cwd": str(cwd), "env": dict(os.environ), "args": list(args)}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], 300)  # one line per script: nothing buffered
        assert ready, "the training script ran for over 300 s"
        answer = self.process.stdout.readline()
        assert answer, f"the trainer died (exit code {self.process.wait(timeout=60)})"
        error = json.loads(answer)
        assert error is None, error

    def close(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        self.process.wait(timeout=60)
