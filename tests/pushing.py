"""Helpers for server-hook tests: a bare server repository with tagguard installed, a clone
that pushes to it over file://, and a look at the server's tags."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import git, run, tagguard

IDENTITY_VARS = ("GL_USERNAME", "GITEA_PUSHER_NAME", "GITHUB_USER_LOGIN", "GL_USER", "REMOTE_USER",
                 "GL_ID", "GL_PROTOCOL", "TAGGUARD")


@pytest.fixture(autouse=True)
def no_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """No identity variable leaks in from the machine running the tests (import it to use it)."""
    for name in IDENTITY_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server(tmp_path: Path) -> Path:
    return make_server(tmp_path / "server.git")


@pytest.fixture
def clone(repo: Path, server: Path) -> Path:
    connect(repo, server)
    return repo


def use_policy(server: Path, text: str) -> Path:
    policy = server.parent / "server-policy.toml"
    policy.write_text(text)
    git("config", "tagguard.policy", str(policy), cwd=server)
    return policy


def make_server(path: Path, *extra: str) -> Path:
    """A bare repository with tagguard's server hooks installed by `tagguard install --server`."""
    git("init", "-q", "--bare", *extra, str(path), cwd=path.parent)
    result = tagguard("install", "--server", str(path))
    assert result.returncode == 0, result.stderr
    return path


def connect(clone: Path, server: Path) -> None:
    git("remote", "add", "origin", f"file://{server}", cwd=clone)
    git("push", "-q", "origin", "HEAD:refs/heads/main", cwd=clone)


def push(clone: Path, *refspecs: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run("git", "push", "--porcelain", "origin", *refspecs, cwd=clone, env=env)


def server_tags(server: Path) -> dict[str, str]:
    out = git("for-each-ref", "--format=%(refname:short) %(objectname)", "refs/tags/", cwd=server)
    return dict(line.split(" ") for line in out.splitlines())


def remote_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    """What the hooks printed, as the pusher sees it, without git's `remote: ` and padding."""
    return [line[len("remote: "):].rstrip() for line in result.stderr.splitlines() if line.startswith("remote: ")]


def annotated(clone: Path, name: str, target: str = "HEAD", message: str = "acc=0.93") -> str:
    git("tag", "-a", name, target, "-m", message, cwd=clone)
    return git("rev-parse", name, cwd=clone)


def commit(clone: Path, message: str) -> str:
    git("commit", "-q", "--allow-empty", "-m", message, cwd=clone)
    return git("rev-parse", "HEAD", cwd=clone)
