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


def run_hook(repo: Path, env: dict[str, str], name: str, text: str) -> tuple[int, str]:
    """Write and stage the file `name`, then run the tagguard-policy hook on it."""
    (repo / name).write_text(text)
    git("add", name, cwd=repo)
    result = pre_commit(repo, env, "run", "tagguard-policy", "--files", name)
    return result.returncode, result.stdout + result.stderr


def test_policy_hook_passes_a_good_policy_and_blocks_a_bad_one(
    policy_hook: Path, pre_commit_env: dict[str, str]
) -> None:
    code, output = run_hook(policy_hook, pre_commit_env, ".tagguard.toml", "[image]\npytorch = '2.8'\n")
    assert code == 0, output
    assert "tagguard policy" in output and "Passed" in output

    code, output = run_hook(policy_hook, pre_commit_env, ".tagguard.toml", "[image]\npytorch = 'latest'\n")
    assert code == 1, output
    assert "Failed" in output
    assert (
        "tagguard: error: .tagguard.toml: image.pytorch: expected a PyTorch major.minor "
        "like \"2.8\", got 'latest'" in output
    )


def test_policy_hook_ignores_pyproject_without_a_tagguard_table(
    policy_hook: Path, pre_commit_env: dict[str, str]
) -> None:
    code, output = run_hook(policy_hook, pre_commit_env, "pyproject.toml", "[project]\nname = 'model'\n")
    assert code == 0, output
