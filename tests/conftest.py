"""The fixtures: an isolated environment, real repositories, a real server with tagguard's hooks,
and one pre-commit hook environment for the session. The helpers they use are in testing/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from testing.server import connect, make_server
from testing.tools import ROOT, git

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


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test: an isolated environment, its own HOME, and an empty working directory."""
    home = tmp_path / "home"
    home.mkdir()
    isolate(monkeypatch, home)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)


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


@pytest.fixture
def server(tmp_path: Path) -> Path:
    """A bare repository with tagguard's server hooks installed."""
    return make_server(tmp_path / "server.git")


@pytest.fixture
def clone(repo: Path, server: Path) -> Path:
    """`repo`, with `server` as its origin and its main pushed there."""
    connect(repo, server)
    return repo


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This checkout as pre-commit's hook repository: its files as they are now (committed or not),
    committed once in a repository of their own. Every pre-commit test names this one (path, commit),
    so pre-commit builds the hook's environment once a session."""
    path = tmp_path_factory.mktemp("hook-repo")
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate(monkeypatch, tmp_path_factory.mktemp("hook-repo-home"))
        for name in git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT).split("\0"):
            source = ROOT / name
            if name and source.is_file():
                (path / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, path / name)
        git("init", "-q", "-b", "main", cwd=path)
        git("add", "-A", cwd=path)
        git("commit", "-q", "-m", "this checkout, as it is", cwd=path)
        return path, git("rev-parse", "HEAD", cwd=path)


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One PRE_COMMIT_HOME for every pre-commit test: its cache holds the hook environment."""
    return tmp_path_factory.mktemp("pre-commit-home")
