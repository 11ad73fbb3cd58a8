"""Every command that needs a repository says so in one line when there is none, and what to do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from testing.tools import tagguard

NEEDS_A_CLONE = [["check-ref", "v2.8-base"], ["image"], ["tag", "v2.8-base", "-m", "x"], ["install"], ["uninstall"]]
TAKES_REPO = [["log"], ["prune"], ["verify-checkpoint", "info.json"]]


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    """A directory in no repository, with a checkpoint's JSON sidecar in it."""
    path = tmp_path / "plain"
    path.mkdir()
    (path / "info.json").write_text(json.dumps({"commit": "1" * 40, "dirty": False}))
    return path


@pytest.mark.parametrize("args", NEEDS_A_CLONE, ids=lambda args: args[0])
def test_command_outside_a_repository(plain: Path, args: list[str]) -> None:
    result = tagguard(*args, cwd=plain)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (f"tagguard: error: not a git repository: {plain}; "
                             f"cd into a clone, then run `tagguard {args[0]}` there\n")


@pytest.mark.parametrize("args", TAKES_REPO, ids=lambda args: args[0])
def test_repo_option_outside_a_repository(plain: Path, args: list[str]) -> None:
    result = tagguard(*args, cwd=plain)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (f"tagguard: error: not a git repository: {plain}; "
                             "cd into a clone, or pass its path: --repo DIR\n")
    named = tagguard(*args, "--repo", "elsewhere", cwd=plain)
    assert named.stderr == (f"tagguard: error: no such directory: {plain / 'elsewhere'}; "
                            "--repo takes the path of a clone (or of a bare repository)\n")


def test_repo_option_naming_a_clone_works_from_anywhere(plain: Path, repo: Path) -> None:
    assert tagguard("log", "--repo", str(repo), cwd=plain).returncode == 0
    assert tagguard("prune", "--dry-run", "--repo", str(repo), cwd=plain).stdout == "no temporary tags to delete\n"


def test_install_server_on_a_plain_directory(plain: Path) -> None:
    result = tagguard("install", "--server", str(plain))
    assert result.stderr == (f"tagguard: error: not a git repository: {plain}; "
                             "--server takes the path of a repository (a bare repository or a clone)\n")
