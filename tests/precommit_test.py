"""The hooks in .pre-commit-hooks.yaml, run by the real pre-commit from this checkout."""

from __future__ import annotations

from pathlib import Path

import pytest
from testing.precommit import pre_commit, use_hooks
from testing.tools import ROOT, git


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


def test_manifest_is_valid_and_names_its_minimum_pre_commit(pre_commit_env: dict[str, str]) -> None:
    result = pre_commit(ROOT, pre_commit_env, "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = (ROOT / ".pre-commit-hooks.yaml").read_text().splitlines()
    hooks = sum(line.startswith("- id:") for line in lines)
    assert sum(line.startswith('  minimum_pre_commit_version: "3.2.0"') for line in lines) == hooks == 2


def test_policy_hook_runs_at_commit_and_by_hand_not_at_push(
    policy_hook: Path, pre_commit_env: dict[str, str]
) -> None:
    (policy_hook / ".tagguard.toml").write_text("[image]\npytorch = 'latest'\n")
    git("add", ".tagguard.toml", cwd=policy_hook)
    at_push = pre_commit(policy_hook, pre_commit_env, "run", "--hook-stage", "pre-push", "--all-files")
    assert at_push.returncode == 0, at_push.stdout + at_push.stderr
    assert "tagguard policy" not in at_push.stdout
    by_hand = pre_commit(policy_hook, pre_commit_env, "run", "--hook-stage", "manual", "--all-files")
    assert by_hand.returncode == 1, by_hand.stdout + by_hand.stderr
    assert "tagguard policy" in by_hand.stdout and "Failed" in by_hand.stdout
