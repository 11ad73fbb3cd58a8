"""The hooks in .pre-commit-hooks.yaml, run by the real pre-commit against this checkout."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import ROOT, git, run


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pre-commit cache for the session: the hook environment is built once."""
    return tmp_path_factory.mktemp("pre-commit-home")


def try_repo(repo: Path, home: Path, hook: str, *files: str) -> tuple[int, str]:
    result = run(
        sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook,
        "--files", *files, cwd=repo, env={"PRE_COMMIT_HOME": str(home)},
    )
    return result.returncode, result.stdout + result.stderr


def test_policy_hook_passes_a_good_policy_and_blocks_a_bad_one(repo: Path, pre_commit_home: Path) -> None:
    (repo / ".tagguard.toml").write_text("[image]\npytorch = '2.8'\n")
    git("add", ".tagguard.toml", cwd=repo)
    code, output = try_repo(repo, pre_commit_home, "tagguard-policy", ".tagguard.toml")
    assert code == 0, output
    assert "tagguard policy" in output and "Passed" in output

    (repo / ".tagguard.toml").write_text("[image]\npytorch = 'latest'\n")
    code, output = try_repo(repo, pre_commit_home, "tagguard-policy", ".tagguard.toml")
    assert code == 1, output
    assert "Failed" in output
    assert (
        "tagguard: error: .tagguard.toml: image.pytorch: expected a PyTorch major.minor "
        "like \"2.8\", got 'latest'" in output
    )


def test_policy_hook_ignores_pyproject_without_a_tagguard_table(repo: Path, pre_commit_home: Path) -> None:
    (repo / "pyproject.toml").write_text("[project]\nname = 'model'\n")
    git("add", "pyproject.toml", cwd=repo)
    code, output = try_repo(repo, pre_commit_home, "tagguard-policy", "pyproject.toml")
    assert code == 0, output
