"""The README tells the truth about the hooks, rules and commands that exist."""

from __future__ import annotations

from testing.tools import ROOT, tagguard

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
