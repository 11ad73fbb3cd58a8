"""The ML side's real tools (torch, Chromium), and a git that notes how it is called.

Tests that need torch or Chromium skip when the tool is missing, except under CI=true,
where .ci/run installs both and a missing tool must fail the run instead of hiding.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HAS_TORCH = importlib.util.find_spec("torch") is not None


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
