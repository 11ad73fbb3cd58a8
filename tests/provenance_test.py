"""`tagguard.provenance.git_info()`: what a checkpoint records, run as a training script would."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from testing.ml import HAS_TORCH, require, torch_version, traced_git
from testing.tools import commit, git, run, tag

from tagguard import __version__

SCRIPT = "import json, sys; from tagguard.provenance import git_info; print(json.dumps(git_info(*sys.argv[1:])))"


def info(cwd: Path, *args: str, env: dict[str, str] | None = None, prelude: str = "") -> dict[str, Any]:
    """git_info() in a fresh interpreter, the way a training script calls it."""
    result = run(sys.executable, "-c", prelude + SCRIPT, *args, cwd=cwd, env=env)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_tagged_clean_checkout(repo: Path) -> None:
    (repo / ".tagguard.toml").write_text('[image]\nref = "pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime"\n')
    git("add", ".tagguard.toml", cwd=repo)
    head = commit(repo, "policy")
    tag(repo, "v2.8-ft-lr2", "acc=0.9")
    assert info(repo) == {
        "commit": head, "tag": "v2.8-ft-lr2", "tags": ["v2.8-ft-lr2"], "describe": "v2.8-ft-lr2", "dirty": False,
        "untracked": False, "branch": "main",
        "image": "pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime", "pytorch": "2.8", "torch_runtime": None,
        "tagguard": __version__, "error": None,
    }


def test_image_read_from_the_code_at_head(repo: Path) -> None:
    (repo / "Dockerfile").write_text("FROM pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime\n")
    (repo / ".tagguard.toml").write_text('[image]\nfile = "Dockerfile"\n')
    git("add", "-A", cwd=repo)
    commit(repo, "image")
    (repo / "Dockerfile").write_text("FROM pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime\n")  # uncommitted
    found = info(repo)
    assert (found["image"], found["pytorch"], found["dirty"]) == (
        "Dockerfile:1: FROM pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime", "2.9", True)


def test_dirty_untagged_and_detached(repo: Path) -> None:
    tag(repo, "v2.8-base", "first")
    commit(repo, "more")
    (repo / "train.py").write_text("print('changed')\n")
    found = info(repo)
    assert (found["tag"], found["dirty"], found["branch"]) == (None, True, "main")
    assert found["describe"].startswith("v2.8-base-1-g") and found["describe"].endswith("-dirty")
    git("checkout", "-q", "--detach", "HEAD~1", cwd=repo)
    found = info(repo)
    assert (found["tag"], found["describe"], found["dirty"], found["branch"]) == ("v2.8-base", "v2.8-base-dirty", True, None)


def test_untracked_files_are_said_apart_from_dirty(repo: Path) -> None:
    (repo / "notes.txt").write_text("scratch")
    found = info(repo)
    assert (found["dirty"], found["untracked"], found["describe"]) == (False, True, found["commit"][:7])
    (repo / ".gitignore").write_text("notes.txt\n")
    git("add", ".gitignore", cwd=repo)
    commit(repo, "ignore notes")
    assert (info(repo)["untracked"], info(repo)["dirty"]) == (False, False)


def test_a_tag_named_dirty_is_not_a_dirty_tree(repo: Path) -> None:
    tag(repo, "v2.8-exp-dirty", "a tag whose name ends like git's marker")
    found = info(repo)
    assert (found["describe"], found["dirty"]) == ("v2.8-exp-dirty", False)


def test_several_tags_on_head_are_all_recorded_newest_first(repo: Path) -> None:
    tag(repo, "v2.8-ft-a", "a", "2025-01-01T00:00:00Z")
    tag(repo, "v2.8-ft-b", "b", "2025-01-02T00:00:00Z")
    tag(repo, "v2.8-ft-c", "same second as b", "2025-01-02T00:00:00Z")
    git("tag", "v2.8-exp-light", cwd=repo)  # lightweight: on HEAD too (dated by its commit)
    tag(repo, "tmp-later", "scratch", "2025-01-03T00:00:00Z")
    found = info(repo)
    assert found["tag"] == found["tags"][0]
    assert sorted(found["tags"]) == ["v2.8-exp-light", "v2.8-ft-a", "v2.8-ft-b", "v2.8-ft-c"]
    assert found["tags"].index("v2.8-ft-c") < found["tags"].index("v2.8-ft-b") < found["tags"].index("v2.8-ft-a")


def test_only_unconventional_tags_on_head(repo: Path) -> None:
    tag(repo, "tmp-run", "scratch")
    assert (info(repo)["tag"], info(repo)["tags"]) == ("tmp-run", [])


def test_outside_a_repository_and_in_an_empty_one(tmp_path: Path) -> None:
    found = info(tmp_path, str(tmp_path))
    assert (found["commit"], found["dirty"], found["tag"], found["tagguard"]) == (None, None, None, __version__)
    assert found["error"].startswith("no git provenance: ") and "not a git repository" in found["error"]
    git("init", "-q", "empty", cwd=tmp_path)
    found = info(tmp_path, str(tmp_path / "empty"))
    assert (found["commit"], found["error"]) == (None, "no git provenance: the repository has no commit yet")


def test_without_git_on_path_it_still_returns(repo: Path, tmp_path: Path) -> None:
    no_git = tmp_path / "no-git-bin"
    no_git.mkdir()
    found = info(repo, env={"PATH": str(no_git)})
    assert (found["commit"], found["dirty"], found["untracked"], found["tags"]) == (None, None, None, None)
    assert found["error"] == "no git provenance: can't run git: No such file or directory"


def test_an_image_git_cannot_read_is_reported_and_the_rest_recorded(repo: Path, tmp_path: Path) -> None:
    (repo / "Dockerfile").write_text("FROM pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime\n")
    (repo / ".tagguard.toml").write_text('[image]\nfile = "Dockerfile"\n')
    git("add", "-A", cwd=repo)
    head = commit(repo, "image")
    shim = tmp_path / "shim"  # a git whose object reads fail, as in a damaged repository
    shim.mkdir()
    (shim / "git").write_text(f'#!/bin/sh\nfor a; do [ "$a" = cat-file ] && {{ echo "fatal: bad object" >&2; exit 128; }}; done\n'
                              f'exec {shutil.which("git")} "$@"\n')
    (shim / "git").chmod(0o755)
    found = info(repo, env={"PATH": f"{shim}{os.pathsep}{os.environ['PATH']}"})
    assert (found["commit"], found["dirty"], found["image"], found["pytorch"]) == (head, False, None, None)
    assert found["error"].startswith("the image could not be read: `git cat-file ")
    assert found["error"].endswith("failed (exit 128): fatal: bad object")


def test_a_bad_policy_is_reported_and_git_facts_still_recorded(repo: Path) -> None:
    (repo / ".tagguard.toml").write_text("[image]\npytorch = 2.8\n")
    found = info(repo)
    assert found["commit"] == git("rev-parse", "HEAD", cwd=repo)
    assert found["error"].startswith("the policy could not be read: ")
    assert "image.pytorch: expected a non-empty array of strings" in found["error"]


def test_safetensors_metadata_is_git_info_as_strings(repo: Path) -> None:
    tag(repo, "v2.8-base", "first")
    script = ("import json; from tagguard.provenance import safetensors_metadata, git_info; "
              "m = safetensors_metadata(); print(json.dumps([m, git_info()]))")
    metadata, direct = json.loads(run(sys.executable, "-c", script, cwd=repo).stdout)
    assert list(metadata) == ["git_info"] and isinstance(metadata["git_info"], str)
    assert json.loads(metadata["git_info"]) == direct and direct["tags"] == ["v2.8-base"]


def test_three_git_processes_and_no_heavy_imports(repo: Path, tmp_path: Path) -> None:
    tag(repo, "v2.8-base", "first")
    env, calls = traced_git(tmp_path)
    info(repo, env=env)
    assert len(calls.read_text().splitlines()) == 3
    probe = run(sys.executable, "-X", "importtime", "-c", "from tagguard.provenance import git_info; git_info()",
                cwd=repo)
    imported = {line.split("|")[-1].strip().split(".")[0] for line in probe.stderr.splitlines() if "|" in line}
    assert "tagguard" in imported
    assert not {"torch", "git", "regex", "tomllib", "tomli", "json", "numpy", "typing"} & imported


def test_records_the_torch_the_script_already_imported(repo: Path) -> None:
    require(HAS_TORCH, "torch (pip install torch==2.13.0)")
    found = info(repo, prelude="import warnings; warnings.simplefilter('ignore'); import torch; ")
    assert found["torch_runtime"] == torch_version()
