"""`install --server` on a repository owned by another user (git runs its hooks as that user):
real accounts, a real Python that account can or can't run, and real pushes as that account."""

from __future__ import annotations

import os
import shutil
import stat
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from testing.tools import ROOT, git, run, tagguard

# useradd, userdel and runuser live in sbin, which a plain user's PATH (and `env -i`) may lack.
SBIN_PATH = os.pathsep.join([os.environ.get("PATH", os.defpath), "/usr/sbin", "/sbin"])
TOOLS = {name: shutil.which(name, path=SBIN_PATH) or "" for name in ("useradd", "userdel", "runuser")}
pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not all(TOOLS.values()),
                                reason="needs root, useradd, userdel and runuser")


@pytest.fixture
def user() -> Iterator[str]:
    """A real account with no home directory, removed afterwards."""
    name = f"tgowner{os.getpid() % 100000}"
    assert run(TOOLS["useradd"], "-M", "-s", "/bin/sh", name).returncode == 0
    yield name
    run(TOOLS["userdel"], name)


@pytest.fixture
def shared() -> Iterator[Path]:
    """A directory every user can enter (pytest's own tmp_path is root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="tagguard-owner-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def owned_bare(shared: Path, user: str) -> Path:
    """A bare repository with one commit on main, owned by `user`."""
    work = shared / "work"
    work.mkdir()
    git("init", "-q", "-b", "main", cwd=work)
    git("commit", "-q", "--allow-empty", "-m", "first", cwd=work)
    bare = shared / "repo.git"
    git("clone", "-q", "--bare", str(work), str(bare), cwd=shared)
    shutil.rmtree(work)
    shutil.chown(bare, user, user)
    for parent, dirs, files in os.walk(bare):
        for name in dirs + files:
            shutil.chown(os.path.join(parent, name), user, user)
    return bare


def python_in(directory: Path) -> Path:
    """A venv in `directory` on the system's Python (not one under /root), that runs this
    tagguard (copies of its source and of this venv's `regex`: the checkout may sit where
    other users can't enter, such as a home directory of mode 700)."""
    base = Path("/usr/bin/python3")
    if not base.exists():
        pytest.skip("no /usr/bin/python3 to make a venv other users can run")
    venv = directory / "venv"
    assert run(str(base), "-m", "venv", "--without-pip", str(venv)).returncode == 0
    site = Path(run(str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
                .stdout.strip())
    for source in (ROOT / "src" / "tagguard", Path(sysconfig.get_paths()["purelib"]) / "regex"):
        shutil.copytree(source, site / source.name, copy_function=shutil.copyfile)  # (modes by umask, not the source)
    return venv / "bin" / "python"


def install_with(python: Path, repo: Path) -> tuple[int, str, str]:
    result = run(str(python), "-c", "import sys; from tagguard.cli import main; sys.exit(main())",
                 "install", "--server", str(repo))
    return result.returncode, result.stdout, result.stderr


def as_user(user: str, home: Path, *command: str, cwd: Path) -> tuple[int, str]:
    env = ["env", f"HOME={home}", "GIT_CONFIG_NOSYSTEM=1"]
    result = run(TOOLS["runuser"], "-u", user, "--", *env, *command, cwd=cwd)
    return result.returncode, result.stderr


def test_a_repository_git_refuses_shows_gits_reason_and_its_fix(shared: Path, user: str) -> None:
    repo = owned_bare(shared, user)
    result = tagguard("install", "--server", str(repo))
    fix = f"git config --global --add safe.directory {repo}"
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"tagguard: error: git refuses {repo}: detected dubious ownership in repository at '{repo}' "
        f"(owned by {user} (uid {repo.stat().st_uid}), you are root (uid 0)); run tagguard as the "
        f"repository's owner, or trust it: {fix}\n")
    assert tagguard("log", "--repo", str(repo)).stderr.startswith(f"tagguard: error: git refuses {repo}: ")
    assert run("sh", "-c", fix).returncode == 0  # pasted as printed
    assert tagguard("log", "--repo", str(repo)).returncode == 0


def test_install_refuses_a_python_the_owner_cant_run_and_a_usable_one_guards_pushes(
        shared: Path, user: str) -> None:
    repo = owned_bare(shared, user)
    run("git", "config", "--global", "--add", "safe.directory", str(repo))
    closed = shared / "closed"
    closed.mkdir(mode=0o700)
    python = python_in(closed)
    code, out, err = install_with(python, repo)
    assert (code, out) == (2, "")
    assert err.startswith(f"tagguard: error: {repo} belongs to {user} (uid {repo.stat().st_uid}), who can't run "
                          f"{python} (they can't enter {closed}), and git runs its hooks as them: every push "
                          f"would fail. Install tagguard where {user} can run it")
    assert not (repo / "hooks" / "pre-receive").exists()

    closed.chmod(0o755)
    assert install_with(python, repo)[0] == 0
    home = shared / "home"
    home.mkdir()
    shutil.chown(home, user, user)
    assert as_user(user, home, "git", "clone", "-q", str(repo), str(home / "clone"), cwd=home)[0] == 0
    clone = home / "clone"
    user_git = ("git", "-c", "user.name=T", "-c", "user.email=t@example.com")
    assert as_user(user, home, *user_git, "commit", "-q", "--allow-empty", "-m", "two", cwd=clone)[0] == 0
    assert as_user(user, home, *user_git, "tag", "-a", "v2.8-base", "-m", "acc=0.93", cwd=clone)[0] == 0
    assert as_user(user, home, *user_git, "tag", "v2.8-Bad", cwd=clone)[0] == 0
    assert as_user(user, home, "git", "push", "-q", "origin", "main", "v2.8-base", cwd=clone) == (0, "")
    code, err = as_user(user, home, "git", "push", "origin", "v2.8-Bad", cwd=clone)
    assert code == 1 and "remote: v2.8-Bad: TG" in err  # tagguard judged it, as that user
    assert git("tag", "-l", cwd=repo) == "v2.8-base"


def test_access_follows_modes_for_owner_group_and_others(shared: Path, user: str) -> None:
    from tagguard.hookfiles.access import EXECUTE, READ, blocked, owner_of

    script = shared / "run"
    script.write_text("#!/bin/sh\n")
    shutil.chown(script, user, user)
    owner = owner_of(str(script))
    script.chmod(stat.S_IRUSR)
    assert blocked(str(script), owner, READ) is None
    assert blocked(str(script), owner, EXECUTE) == str(script)
    script.chmod(stat.S_IXOTH)
    assert blocked(str(script), owner, EXECUTE) == str(script)  # others' bits: not for its owner
    shutil.chown(script, "root", "root")
    assert blocked(str(script), owner, EXECUTE) is None
    shared.chmod(0o750)
    assert blocked(str(script), owner, EXECUTE) == str(shared)
    assert blocked(sys.executable, owner_of("/"), EXECUTE) is None  # root


def test_install_as_root_records_existing_tags_as_the_owner(shared: Path, user: str) -> None:
    """The seed writes objects, the ledger's ref and its cache: as the repository's owner, so
    that git, running their pushes, can write beside them (a root-owned objects/ab fails them)."""
    repo = owned_bare(shared, user)
    run("git", "config", "--global", "--add", "safe.directory", str(repo))
    for name in ("v2.8-base", "v2.8-ft"):
        git("tag", name, "main", cwd=repo)
    for parent, dirs, files in os.walk(repo):
        for name in dirs + files:
            shutil.chown(os.path.join(parent, name), user, user)
    code, out, err = install_with(python_in(shared), repo)
    assert code == 0, err
    assert "recorded 2 existing tags" in out
    owner = repo.stat().st_uid
    made = [Path(parent, name) for parent, dirs, files in os.walk(repo) for name in dirs + files]
    assert [str(p) for p in made if p.stat().st_uid != owner and not p.is_relative_to(repo / "hooks")] == []
    assert git("for-each-ref", "--format=%(refname)", "refs/tagguard", cwd=repo) == "refs/tagguard/ledger"
