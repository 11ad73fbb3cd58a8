"""Pasting a hint: run the command tagguard suggests, as a user would, in a shell."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from testing.tools import run

STARTS = ("git ", "tagguard ", "TAGGUARD_USER=")


def command_in(hint: str) -> str:
    """The command a hint ends with: from its first `git `, `tagguard ` or `TAGGUARD_USER=` on."""
    start = min((hint.find(word) for word in STARTS if word in hint), default=-1)
    assert start >= 0, f"no command in the hint: {hint}"
    return hint[start:]


def hints_of(output: str, ref: str) -> list[str]:
    """The hints printed under `ref`'s violations (text output, `remote: ` prefixes removed)."""
    lines = [line.removeprefix("remote: ").rstrip() for line in output.splitlines()]
    return [hint.strip() for line, hint in zip(lines, lines[1:]) if line.startswith(f"{ref}: TG")
            and hint.startswith("    ")]


def paste(hint: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the hint's command in `sh` (with `env`, and this tagguard first on PATH); it must succeed."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    result = run("sh", "-c", command_in(hint), cwd=cwd, env={**(env or {}), "PATH": path})
    assert result.returncode == 0, f"pasting {command_in(hint)!r} failed: {result.stderr}"
    return result
