"""Running things for real (the installed console script, git, the CLI in this process), in an
environment isolated from the machine's."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
TAGGUARD = shutil.which("tagguard", path=str(Path(sys.executable).parent)) or "tagguard"


def bench() -> ModuleType:
    """`bench/run.py` as a module: its `tree_peak` measures a hook's memory for the tests too."""
    spec = importlib.util.spec_from_file_location("tagguard_bench", ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ZERO = "0" * 40


IDENTITY_VARS = ("GL_USERNAME", "GITEA_PUSHER_NAME", "GITHUB_USER_LOGIN", "GL_USER", "REMOTE_USER",
                 "GL_ID", "GL_PROTOCOL", "TAGGUARD")


def isolate(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """No user or system git config, no policy or pusher identity from the machine, a fixed git identity."""
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_TEMPLATE_DIR", "")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test User")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "test@example.com")
    for name in ("TAGGUARD_POLICY", "TAGGUARD_DEBUG", "GIT_DIR", "GIT_WORK_TREE", *IDENTITY_VARS):
        monkeypatch.delenv(name, raising=False)


@contextlib.contextmanager
def isolated(home: Path) -> Iterator[None]:
    """`isolate` for a fixture wider than one test (module, session), with `home` as HOME and the
    working directory; undone when the block ends."""
    home.mkdir(exist_ok=True)
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate(monkeypatch, home)
        monkeypatch.chdir(home)
        yield


def run(*cmd: str, cwd: Path | str | None = None, input: str | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a program with the test's environment plus `env`; its output as text."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        cmd, cwd=cwd, input=input, env=full_env, capture_output=True, text=True, timeout=120
    )


def tagguard(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run the installed `tagguard` console script."""
    return run(TAGGUARD, *args, **kwargs)  # type: ignore[arg-type]


class Output(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> Output:
    """`tagguard ARGS` run in this process by `tagguard.cli.main`, as the console script runs it."""
    from tagguard.cli import main

    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as exit:  # argparse: usage errors and --help
        code = exit.code if isinstance(exit.code, int) else int(exit.code is not None)
    out, err = capsys.readouterr()
    return Output(code, out, err)


def git(*args: str, cwd: Path | str, env: dict[str, str] | None = None) -> str:
    """A git command that must succeed: its output, stripped."""
    result = run("git", *args, cwd=cwd, env=env)
    assert result.returncode == 0, f"git {' '.join(args)} failed: {result.stderr}"
    return result.stdout.strip()


def commit(repo: Path, message: str, date: str | None = None) -> str:
    """An empty commit (dated `date`, ISO 8601, when given); its id."""
    env = {"GIT_COMMITTER_DATE": date, "GIT_AUTHOR_DATE": date} if date else None
    git("commit", "-q", "--allow-empty", "-m", message, cwd=repo, env=env)
    return git("rev-parse", "HEAD", cwd=repo)


def tag(repo: Path, name: str, message: str | None = None, date: str = "2025-01-01T12:00:00Z",
        target: str = "HEAD") -> None:
    """An annotated tag with `message` made at `date`, or a lightweight one when message is None."""
    env = {"GIT_COMMITTER_DATE": date, "GIT_AUTHOR_DATE": date}
    git("tag", *(("-a", name, target, "-m", message) if message is not None else (name, target)), cwd=repo, env=env)


def annotated(repo: Path, name: str, target: str = "HEAD", message: str = "acc=0.93") -> str:
    """An annotated tag made now; the tag object's id."""
    git("tag", "-a", name, target, "-m", message, cwd=repo)
    return git("rev-parse", name, cwd=repo)


def remote_tags(remote: Path) -> list[str]:
    """The tags of a bare repository, sorted."""
    return git("tag", "-l", cwd=remote).split()


def client_push(clone: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """`git push origin ARGS` where the client's own hooks speak: the exit code and all it printed."""
    result = run("git", "push", "origin", *args, cwd=clone, env=env)
    return result.returncode, result.stdout + result.stderr
