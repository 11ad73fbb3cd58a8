"""The hooks in .pre-commit-hooks.yaml, run by the real pre-commit from this checkout."""

from __future__ import annotations

from pathlib import Path

import pytest
from testing.precommit import pre_commit, use_hooks
from testing.tools import git


@pytest.fixture
def policy_hook(repo: Path, hook_repo: tuple[Path, str]) -> Path:
    """`repo`, configured to run the tagguard-policy hook."""
    use_hooks(repo, hook_repo, "tagguard-policy")
    return repo


def run_hook(repo: Path, home: Path, *files: str) -> tuple[int, str]:
    result = pre_commit(repo, home, "run", "tagguard-policy", "--files", *files)
    return result.returncode, result.stdout + result.stderr


def test_policy_hook_passes_a_good_policy_and_blocks_a_bad_one(policy_hook: Path, pre_commit_home: Path) -> None:
    repo = policy_hook
    (repo / ".tagguard.toml").write_text("[image]\npytorch = '2.8'\n")
    git("add", ".tagguard.toml", cwd=repo)
    code, output = run_hook(repo, pre_commit_home, ".tagguard.toml")
    assert code == 0, output
    assert "tagguard policy" in output and "Passed" in output

    (repo / ".tagguard.toml").write_text("[image]\npytorch = 'latest'\n")
    code, output = run_hook(repo, pre_commit_home, ".tagguard.toml")
    assert code == 1, output
    assert "Failed" in output
    assert (
        "tagguard: error: .tagguard.toml: image.pytorch: expected a PyTorch major.minor "
        "like \"2.8\", got 'latest'" in output
    )


def test_policy_hook_ignores_pyproject_without_a_tagguard_table(policy_hook: Path, pre_commit_home: Path) -> None:
    repo = policy_hook
    (repo / "pyproject.toml").write_text("[project]\nname = 'model'\n")
    git("add", "pyproject.toml", cwd=repo)
    code, output = run_hook(repo, pre_commit_home, "pyproject.toml")
    assert code == 0, output
