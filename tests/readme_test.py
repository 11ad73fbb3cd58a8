"""The README tells the truth about the hooks, rules and commands that exist."""

from __future__ import annotations

from pathlib import Path

from testing.server import push, remote_lines, use_policy
from testing.tools import ROOT, git, run, tagguard

from tagguard.rules.catalog import RULES

README = (ROOT / "README.md").read_text()


def test_every_hook_id_is_documented() -> None:
    ids = [line.split(":", 1)[1].strip() for line in (ROOT / ".pre-commit-hooks.yaml").read_text().splitlines()
           if line.startswith("- id:")]
    assert ids
    for hook_id in ids:
        assert f"id: {hook_id}" in README


def test_every_rule_is_in_the_readme_table() -> None:
    for rule in RULES.values():
        assert f"| {rule.code} | {rule.name} |" in README


def test_every_command_in_the_readme_exists() -> None:
    commands = {line.split("`tagguard ", 1)[1].split()[0].rstrip("`") for line in README.splitlines()
                if line.startswith("| `tagguard ")}
    assert commands >= {"check", "rules", "explain", "policy"}
    for command in commands:
        assert tagguard(command, "--help").returncode == 0, command


def test_readme_first_command_output_is_what_tagguard_prints() -> None:
    shown = README.split("```text\n", 1)[1].split("```", 1)[0]
    result = tagguard("check", "v2.8-ft-lr2", "V2.8_FT_lr2")
    assert result.stdout == shown


def text_block(first: str) -> list[str]:
    """The lines of the README's ```text block whose first line starts with `first`."""
    return ("\n" + first + README.split(f"```text\n{first}", 1)[1].split("```", 1)[0]).splitlines()[1:]


def test_readme_pre_push_output_is_what_the_hook_prints(clone: Path) -> None:
    command = "git tag v2.8-finetune && git push origin v2.8-finetune"
    shown = text_block(f"$ {command}")[1:]
    assert tagguard("install", cwd=clone).returncode == 0
    result = run("sh", "-c", command, cwd=clone)
    head = git("rev-parse", "HEAD", cwd=clone)
    printed = [line.replace(head[:12], "9898711f427a") for line in result.stderr.splitlines()]
    assert result.returncode == 1
    assert printed[: len(shown)] == shown


def test_readme_server_output_is_what_the_server_prints(clone: Path, server: Path) -> None:
    shown = [line.removeprefix("remote: ") for line in text_block("remote: ")]
    policy = use_policy(server, "[[protect]]\npattern = 'v*-prod*'\nallow_delete = ['alice']\n")
    git("tag", "-a", "v2.8-prod-ready", "-m", "acc=0.93", cwd=clone)
    assert push(clone, "v2.8-prod-ready").returncode == 0
    git("tag", "-a", "V2.8_FT_lr2", "-m", "acc=0.93", cwd=clone)
    result = push(clone, ":refs/tags/v2.8-prod-ready", "V2.8_FT_lr2", env={"REMOTE_USER": "mallory"})
    head = git("rev-parse", "HEAD", cwd=clone)
    printed = [line.replace(head[:12], "9898711f427a").replace(str(policy), "/etc/tagguard/snapshots.toml")
               for line in remote_lines(result)]
    assert printed == shown


def test_readme_image_warning_is_what_tagguard_image_prints(repo: Path) -> None:
    shown = text_block("$ tagguard image\n")[1:]
    (repo / "Dockerfile").write_text("FROM pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime\n")
    (repo / "requirements.txt").write_text("numpy\ntorch==2.8.1\n")
    git("add", ".", cwd=repo)
    git("commit", "-qm", "two images", cwd=repo)
    result = tagguard("image", cwd=repo)
    head = git("rev-parse", "HEAD", cwd=repo)
    assert result.returncode == 0
    assert result.stdout.replace(head[:12], "d8a521257f42").splitlines() == shown
