"""Helpers for the ML-side tests: repositories with dated tags, and optional real tools.

Tests that need torch or Chromium skip when the tool is missing, except under CI=true,
where .ci/run installs both and a missing tool must fail the run instead of hiding.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest
from conftest import run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HAS_TORCH = importlib.util.find_spec("torch") is not None


def require(available: object, what: str) -> None:
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing, and CI must run this test (.ci/run installs it)")
    pytest.skip(f"{what} is not installed")


def dated_git(repo: Path, date: str, *args: str) -> str:
    """Run git with author, committer and tagger dates set to `date` (ISO 8601)."""
    env = {"GIT_COMMITTER_DATE": date, "GIT_AUTHOR_DATE": date}
    result = run("git", *args, cwd=repo, env=env)
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout.strip()


def tag(repo: Path, name: str, message: str | None = None, date: str = "2025-01-01T12:00:00Z",
        target: str = "HEAD") -> None:
    """An annotated tag with `message`, or a lightweight one when message is None."""
    if message is None:
        dated_git(repo, date, "tag", name, target)
    else:
        dated_git(repo, date, "tag", "-a", name, target, "-m", message)


def commit(repo: Path, message: str, date: str = "2025-01-01T12:00:00Z") -> str:
    dated_git(repo, date, "commit", "-q", "--allow-empty", "-m", message)
    return dated_git(repo, date, "rev-parse", "HEAD")


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
