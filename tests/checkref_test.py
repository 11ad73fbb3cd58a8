"""`tagguard check-ref` for CI on tag push, and the action.yml step that runs it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import yaml
from testing.tools import ROOT, git, run, tagguard


def test_good_annotated_tag_passes(repo: Path) -> None:
    git("tag", "-a", "v2.8-base", "-m", "acc=0.91", cwd=repo)
    result = tagguard("check-ref", "refs/tags/v2.8-base", cwd=repo)
    assert (result.returncode, result.stdout, result.stderr) == (0, "v2.8-base: ok\n", "")


def test_lightweight_misnamed_and_off_image_tags_fail(repo: Path) -> None:
    (repo / ".tagguard.toml").write_text("[image]\npytorch = '2.9'\n")
    git("tag", "v2.9-ft", cwd=repo)
    git("tag", "-a", "v2.8-ft", "-m", "old image", cwd=repo)
    result = tagguard("check-ref", "v2.9-ft", "v2.8-ft", cwd=repo)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "v2.9-ft: TG301 is a lightweight tag; the policy requires annotated tags"
    assert lines[2].startswith("v2.8-ft: TG201 says PyTorch 2.8, but the training image is PyTorch 2.9")


def test_signatures_are_checked_when_required(repo: Path) -> None:
    (repo / ".tagguard.toml").write_text("[tags]\nrequire_signed = true\n")
    git("tag", "-a", "v2.8-base", "-m", "unsigned", cwd=repo)
    result = tagguard("check-ref", "v2.8-base", cwd=repo)
    assert result.returncode == 1
    assert result.stdout.startswith("v2.8-base: TG303 has no signature")


def test_json_format(repo: Path) -> None:
    git("tag", "v2.8-base", cwd=repo)
    result = tagguard("check-ref", "--format", "json", "v2.8-base", cwd=repo)
    document = json.loads(result.stdout)
    assert document["ok"] is False
    assert [v["code"] for v in document["results"][0]["violations"]] == ["TG301"]


def test_github_format_prints_error_annotations(repo: Path) -> None:
    git("tag", "-a", "v2.8-finetune", "-m", "x", cwd=repo)
    git("tag", "-a", "v2.8-base", "-m", "x", cwd=repo)
    result = tagguard("check-ref", "--format", "github", "v2.8-finetune", "v2.8-base", cwd=repo)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "::error title=TG102 unknown-type%3A v2.8-finetune::v2.8-finetune unknown type 'finetune' "
        "(types: base, ft, aug, exp, experiment, eval, prod)%0Adid you mean 'v2.8-ft'? git tag -d v2.8-finetune && "
        f"git tag -a v2.8-ft {git('rev-parse', 'HEAD', cwd=repo)[:12]} -m \"acc=..., f1=...\"",
        "v2.8-base: ok",
    ]


def test_github_format_marks_warnings(repo: Path, tmp_path: Path) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text("[rules]\nTG301 = 'warn'\n")
    git("tag", "v2.8-base", cwd=repo)
    result = tagguard("check-ref", "--format", "github", "--policy", str(policy), "v2.8-base", cwd=repo)
    assert result.returncode == 0
    assert result.stdout.startswith("::warning title=TG301 lightweight-tag%3A v2.8-base::")


def test_missing_tag_and_non_tag_ref(repo: Path) -> None:
    result = tagguard("check-ref", "v2.8-base", "v2.8-ft", cwd=repo)
    assert (result.returncode, result.stderr) == (
        2,
        "tagguard: error: no tag v2.8-base, v2.8-ft in this repository; fetch it first: "
        "git fetch --force origin refs/tags/v2.8-base:refs/tags/v2.8-base\n",
    )
    result = tagguard("check-ref", "refs/heads/main", cwd=repo)
    assert result.stderr == "tagguard: error: refs/heads/main is not a tag; check-ref checks tags (refs/tags/NAME or NAME)\n"


def test_a_branch_named_like_a_missing_tag_is_not_checked_as_the_tag(repo: Path) -> None:
    git("branch", "refs/tags/v2.8-base", cwd=repo)
    result = tagguard("check-ref", "v2.8-base", cwd=repo)
    assert (result.returncode, result.stderr) == (
        2,
        "tagguard: error: no tag v2.8-base in this repository; fetch it first: "
        "git fetch --force origin refs/tags/v2.8-base:refs/tags/v2.8-base\n",
    )


def test_outside_a_repository(tmp_path: Path) -> None:
    result = tagguard("check-ref", "v2.8-base", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == f"tagguard: error: not a git repository: {tmp_path}; cd into a clone, then run `tagguard check-ref` there\n"


def test_action_is_composite_and_its_check_step_restores_the_annotated_tag(tmp_path: Path) -> None:
    """Run the action's check step as Actions would, after actions/checkout made the tag lightweight."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert all(step["shell"] == "bash" for step in action["runs"]["steps"])
    assert action["inputs"]["ref"]["default"] == "${{ github.ref }}"
    check = action["runs"]["steps"][1]

    remote = tmp_path / "remote.git"
    git("init", "-q", "--bare", "-b", "main", str(remote), cwd=tmp_path)
    work = tmp_path / "work"
    git("clone", "-q", str(remote), str(work), cwd=tmp_path)
    (work / "train.py").write_text("x\n")
    git("add", "train.py", cwd=work)
    git("commit", "-q", "-m", "one", cwd=work)
    git("tag", "-a", "v2.8-base", "-m", "acc=0.9", cwd=work)
    git("push", "-q", "origin", "main", "v2.8-base", cwd=work)
    git("tag", "-f", "v2.8-base", "v2.8-base^{commit}", cwd=work)  # what actions/checkout leaves

    runner_temp = tmp_path / "runner"
    (runner_temp / "tagguard" / "bin").mkdir(parents=True)
    os.symlink(Path(sys.executable).parent / "tagguard", runner_temp / "tagguard" / "bin" / "tagguard")
    env = {"RUNNER_TEMP": str(runner_temp), "TAGGUARD_REF": "refs/tags/v2.8-base", "TAGGUARD_POLICY": ""}
    result = run("bash", "-e", "-c", check["run"], cwd=work, env=env)
    assert (result.returncode, result.stdout) == (0, "v2.8-base: ok\n"), result.stderr
    assert git("cat-file", "-t", "v2.8-base", cwd=work) == "tag"
