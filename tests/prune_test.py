"""`tagguard prune`: temporary tags go, locally and on a real bare remote; nothing else ever does."""

from __future__ import annotations

from pathlib import Path

import pytest
from testing.ml import git_commands, traced_git
from testing.tools import commit, git, remote_tags, tag, tagguard

KEEP = ["v2.8-base", "v2.8-prod-ready", "tmp", "TMP-upper", "atmp-x", "v2.8-exp-tmp-x", "testing", "release-wip-1"]
TEMPORARY = ["tmp-a", "test-run-alpha", "wip-b", "tmp-annotated"]
POLICY = """
[naming]
temporary = ["tmp-*", "test-*", "wip-*"]

[[protect]]
pattern = "tmp-keep*"

[[protect]]
pattern = "v*-prod*"
"""


def tags(repo: Path) -> set[str]:
    return set(git("tag", "-l", cwd=repo).split())


@pytest.fixture
def pushed_tags(repo: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A repo with kept and temporary tags (some old), all pushed to a bare remote."""
    (repo / ".tagguard.toml").write_text(POLICY)
    git("add", ".tagguard.toml", cwd=repo)
    commit(repo, "policy", "2025-01-01T00:00:00Z")
    for name in [*KEEP, "tmp-a", "test-run-alpha", "wip-b", "tmp-keep-me"]:
        tag(repo, name, None)
    tag(repo, "tmp-annotated", "scratch", "2025-01-01T00:00:00Z")
    remote = tmp_path / "remote.git"
    git("init", "-q", "--bare", str(remote), cwd=tmp_path)
    git("remote", "add", "origin", str(remote), cwd=repo)
    git("push", "-q", "origin", "main", "--tags", cwd=repo)
    return repo, remote


def test_dry_run_lists_and_deletes_nothing(pushed_tags: tuple[Path, Path]) -> None:
    repo, remote = pushed_tags
    before, remote_before = tags(repo), set(remote_tags(remote))
    result = tagguard("prune", "--remote", "origin", "--dry-run", cwd=repo)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        "kept tmp-keep-me: protected by 'tmp-keep*'",
        "would delete test-run-alpha (local, origin)",
        "would delete tmp-a (local, origin)",
        "would delete tmp-annotated (local, origin)",
        "would delete wip-b (local, origin)",
    ]
    assert (tags(repo), set(remote_tags(remote))) == (before, remote_before)


def test_prune_here_and_on_the_remote_with_one_push(pushed_tags: tuple[Path, Path], tmp_path: Path) -> None:
    repo, remote = pushed_tags
    git("tag", "-d", "wip-b", cwd=repo)  # only on the remote now
    tag(repo, "tmp-local-only", None)
    env, calls = traced_git(tmp_path)
    result = tagguard("prune", "--remote", "origin", cwd=repo, env=env)
    assert result.returncode == 0, result.stderr
    assert "deleted wip-b (origin)" in result.stdout and "deleted tmp-local-only (local)" in result.stdout
    assert "deleted tmp-a (local, origin)" in result.stdout
    survivors = set(KEEP) | {"tmp-keep-me"}
    assert tags(repo) == survivors
    assert set(remote_tags(remote)) == survivors
    commands = git_commands(calls)
    assert commands.count("push") == 1 and commands.count("for-each-ref") == 1


def test_local_only_by_default(pushed_tags: tuple[Path, Path]) -> None:
    repo, remote = pushed_tags
    assert tagguard("prune", cwd=repo).returncode == 0
    assert tags(repo) == set(KEEP) | {"tmp-keep-me"}
    assert set(TEMPORARY) <= set(remote_tags(remote))


def test_older_than_keeps_young_tags(pushed_tags: tuple[Path, Path]) -> None:
    repo, _remote = pushed_tags
    commit(repo, "today", "2099-01-01T00:00:00Z")  # lightweight tags take their commit's date
    tag(repo, "tmp-young", None)
    tag(repo, "wip-young-annotated", "scratch", "2099-01-01T00:00:00Z")
    result = tagguard("prune", "--older-than", "14d", cwd=repo)
    assert result.returncode == 0
    assert "kept tmp-young: " in result.stdout and ", not older than 14d" in result.stdout
    assert tags(repo) == set(KEEP) | {"tmp-keep-me", "tmp-young", "wip-young-annotated"}


def test_remote_tag_of_unknown_age_is_kept_with_older_than(pushed_tags: tuple[Path, Path]) -> None:
    repo, remote = pushed_tags
    git("tag", "-d", "wip-b", cwd=repo)
    result = tagguard("prune", "--older-than", "2w", "--remote", "origin", cwd=repo)
    assert "kept wip-b: its age is unknown here (fetch the remote's tags first)" in result.stdout
    assert "wip-b" in set(remote_tags(remote)) and "tmp-a" not in set(remote_tags(remote))


def test_nothing_to_prune(repo: Path) -> None:
    tag(repo, "v2.8-base", "first")
    result = tagguard("prune", cwd=repo)
    assert (result.returncode, result.stdout) == (0, "no temporary tags to delete\n")
    assert tags(repo) == {"v2.8-base"}


@pytest.mark.parametrize("age", ["14", "d", "14x", "-1d", "1.5d"])
def test_bad_age(repo: Path, age: str) -> None:
    result = tagguard("prune", f"--older-than={age}", cwd=repo)
    assert result.returncode == 2
    assert result.stderr == (
        "tagguard: error: --older-than: expected a number and a unit (m, h, d or w), "
        f"such as 14d; got '{age}'\n")


def test_unknown_remote_is_one_line_and_deletes_nothing(pushed_tags: tuple[Path, Path]) -> None:
    repo, _ = pushed_tags
    before = tags(repo)
    result = tagguard("prune", "--remote", "nowhere", cwd=repo)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("tagguard: error: `git ls-remote --tags --refs` failed (exit 128)")
    assert tags(repo) == before
