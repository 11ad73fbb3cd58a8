"""The real pre-commit, running this checkout's hooks (the `hook_repo` fixture) from one cache."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from testing.tools import git, run


def use_hooks(repo: Path, hook_repo: tuple[Path, str], *hook_ids: str) -> None:
    """Write and stage a .pre-commit-config.yaml with these hooks of this checkout."""
    path, rev = hook_repo
    hooks = "".join(f"      - id: {hook_id}\n" for hook_id in hook_ids)
    (repo / ".pre-commit-config.yaml").write_text(f"repos:\n  - repo: {path}\n    rev: {rev}\n    hooks:\n{hooks}")
    git("add", ".pre-commit-config.yaml", cwd=repo)


def pre_commit(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`pre-commit ARGS` in `repo`, in the environment of the `pre_commit_env` fixture."""
    return run(sys.executable, "-m", "pre_commit", *args, cwd=repo, env=env)
