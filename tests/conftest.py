"""The fixtures: an isolated environment, real repositories, a real server with tagguard's hooks,
and one pre-commit hook environment for the session. The helpers they use are in testing/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import settings
from testing.server import connect, make_server
from testing.tools import ROOT, git, isolate, isolated

# Hypothesis judges what an example does, not how long it takes: on a loaded machine its default
# 200 ms deadline fails examples that are merely slow (the tests that judge time say so themselves).
settings.register_profile("tagguard", deadline=None)
settings.load_profile("tagguard")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test: an isolated environment, its own HOME, and an empty working directory."""
    home = tmp_path / "home"
    home.mkdir()
    isolate(monkeypatch, home)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Made once a session, in an isolated environment, and copied for each test that asks:
    `repo` (one commit), `server.git` (empty, with tagguard's server hooks installed by
    `tagguard install --server`), and the two after `repo` pushed its main to `server.git`
    (`pushed/repo`, `pushed/server.git`)."""
    base = tmp_path_factory.mktemp("templates")
    with isolated(base / "home"):
        (base / "repo").mkdir()
        git("init", "-q", "-b", "main", cwd=base / "repo")
        (base / "repo" / "train.py").write_text("print('train')\n")
        git("add", "train.py", cwd=base / "repo")
        git("commit", "-q", "-m", "first", cwd=base / "repo")
        make_server(base / "server.git")
        (base / "pushed").mkdir()
        for name in ("repo", "server.git"):
            shutil.copytree(base / name, base / "pushed" / name, symlinks=True)
        connect(base / "pushed" / "repo", base / "pushed" / "server.git")
    return base


@pytest.fixture
def repo(tmp_path: Path, templates: Path) -> Path:
    """A real git repository with one commit."""
    return Path(shutil.copytree(templates / "repo", tmp_path / "repo", symlinks=True))


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """An empty bare repository: the remote that clones push to."""
    path = tmp_path / "remote.git"
    git("init", "-q", "--bare", "-b", "main", str(path), cwd=tmp_path)
    return path


@pytest.fixture
def server(tmp_path: Path, templates: Path) -> Path:
    """A bare repository with tagguard's server hooks installed."""
    return Path(shutil.copytree(templates / "server.git", tmp_path / "server.git", symlinks=True))


@pytest.fixture
def clone(tmp_path: Path, templates: Path, server: Path) -> Path:
    """A repository with one commit (at tmp_path/repo), `server` as its origin and its main pushed
    there: copies of the templates' `pushed` pair (`server` becomes the pushed server)."""
    shutil.rmtree(server)
    shutil.copytree(templates / "pushed" / "server.git", server, symlinks=True)
    path = Path(shutil.copytree(templates / "pushed" / "repo", tmp_path / "repo", symlinks=True))
    git("remote", "set-url", "origin", f"file://{server}", cwd=path)
    return path


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This checkout as pre-commit's hook repository: its files as they are now (committed or not),
    committed once in a repository of their own. Every pre-commit test names this one (path, commit),
    so pre-commit builds the hook's environment once a session."""
    path = tmp_path_factory.mktemp("hook-repo")
    with isolated(tmp_path_factory.mktemp("hook-repo-home")):
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
def pre_commit_env(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> dict[str, str]:
    """The environment of every pre-commit run: one PRE_COMMIT_HOME a session, whose cache holds the
    hook environment, and virtualenv's download cache kept in pytest's cache between sessions."""
    cache = getattr(request.config, "cache", None)  # None with -p no:cacheprovider
    app_data = cache.mkdir("virtualenv-app-data") if cache else tmp_path_factory.mktemp("virtualenv-app-data")
    return {"PRE_COMMIT_HOME": str(tmp_path_factory.mktemp("pre-commit-home")),
            "VIRTUALENV_OVERRIDE_APP_DATA": str(app_data)}
