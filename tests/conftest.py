"""Shared fixtures: an isolated environment, real git, and the installed console script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
TAGGUARD = shutil.which("tagguard", path=str(Path(sys.executable).parent)) or "tagguard"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No user config, no policy from the environment, a fixed git identity."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_TEMPLATE_DIR", "")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test User")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "test@example.com")
    for name in ("TAGGUARD_POLICY", "TAGGUARD_DEBUG", "GIT_DIR", "GIT_WORK_TREE"):
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    yield


def run(*cmd: str, cwd: Path | str | None = None, input: str | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        cmd, cwd=cwd, input=input, env=full_env, capture_output=True, text=True, timeout=120
    )


def tagguard(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run the installed `tagguard` console script."""
    return run(TAGGUARD, *args, **kwargs)  # type: ignore[arg-type]


def git(*args: str, cwd: Path | str) -> str:
    result = run("git", *args, cwd=cwd)
    assert result.returncode == 0, f"git {' '.join(args)} failed: {result.stderr}"
    return result.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A real git repository with one commit."""
    path = tmp_path / "repo"
    path.mkdir()
    git("init", "-q", "-b", "main", cwd=path)
    (path / "train.py").write_text("print('train')\n")
    git("add", "train.py", cwd=path)
    git("commit", "-q", "-m", "first", cwd=path)
    return path


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """An empty bare repository: the remote that clones push to."""
    path = tmp_path / "remote.git"
    git("init", "-q", "--bare", "-b", "main", str(path), cwd=tmp_path)
    return path


def remote_tags(remote: Path) -> list[str]:
    return git("tag", "-l", cwd=remote).split()
