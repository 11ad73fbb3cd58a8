"""The commands that only read their arguments and the policy (check, rules, explain, policy):
most tests run them in this process through `tagguard.cli.main`; at least one per command runs
the installed console script, as do the tests of exit codes, `python -m` and imports."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from testing.tools import TAGGUARD, cli, run, tagguard

from tagguard.rules.catalog import RULES

GOOD = ["v2.8", "v2.8-base", "v2.8-ft-lr2", "v2.8-aug-v2", "v2.8-prod-ready", "v2.8-ft-final",
        "v2.8-experiment-complete"]


def test_check_passes_every_conventional_name() -> None:
    result = tagguard("check", *GOOD)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [f"{name}: ok" for name in GOOD]


def test_check_reports_each_problem_with_code_and_hint(capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(capsys, "check", "v2.8-base", "V2.8_FT_lr2", "2.8-ft")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "v2.8-base: ok",
        "V2.8_FT_lr2: TG101 starts with 'V'; names are all lowercase",
        "    did you mean 'v2.8-ft-lr2'? git tag -a v2.8-ft-lr2 -m \"...\"",
        "2.8-ft: TG101 must start with 'v' before the version",
        "    did you mean 'v2.8-ft'? git tag -a v2.8-ft -m \"...\"",
    ]


def test_check_quiet_prints_only_problems(capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(capsys, "check", "-q", "v2.8-base", "v2.8-lr2")
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith("v2.8-lr2: TG102 unknown type 'lr2'")
    assert "v2.8-base: ok" not in result.stdout


def test_check_accepts_full_ref_names(capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(capsys, "check", "refs/tags/v2.8-base")
    assert (result.returncode, result.stdout) == (0, "v2.8-base: ok\n")


def test_temporary_tags_refused_unless_local(capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(capsys, "check", "test-run-alpha")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "test-run-alpha: TG104 is a temporary tag (matches 'test-*') and must not be published",
        "    keep it local; to remove it from a remote: git push origin :refs/tags/test-run-alpha",
    ]
    assert cli(capsys, "check", "--local", "test-run-alpha").returncode == 0


def test_image_version_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text('[image]\nref = "pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime"\n')
    result = cli(capsys, "check", "--policy", str(policy), "v2.8-ft", "v2.9-ft-lr2")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "v2.8-ft: ok",
        "v2.9-ft-lr2: TG201 says PyTorch 2.9, but the training image is "
        "pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime (PyTorch 2.8)",
        f"    name it for the image (policy: {policy}): git tag -a v2.8-ft-lr2 -m \"...\"",
    ]


def test_image_version_migration_allows_several(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text('[image]\npytorch = ["2.8", "2.9"]\n')
    assert cli(capsys, "check", "--policy", str(policy), "v2.8-ft", "v2.9-ft").returncode == 0
    result = cli(capsys, "check", "--policy", str(policy), "v2.7-ft")
    assert result.returncode == 1
    assert "TG201 says PyTorch 2.7, but the training image is PyTorch 2.8 or 2.9" in result.stdout
    assert "git tag -a v2.9-ft" in result.stdout


def test_json_format(capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(capsys, "check", "--format", "json", "v2.8-base", "v2.8-finetune")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False
    assert document["policy"] == "<embedded default policy>"
    ok, bad = document["results"]
    assert ok == {"ref": "v2.8-base", "ok": True, "violations": []}
    assert bad["violations"] == [
        {
            "ref": "v2.8-finetune",
            "code": "TG102",
            "name": "unknown-type",
            "severity": "error",
            "message": "unknown type 'finetune' (types: base, ft, aug, exp, experiment, eval, prod)",
            "hint": "did you mean 'v2.8-ft'? git tag -a v2.8-ft -m \"...\"",
        }
    ]


def test_hostile_name_is_one_escaped_line() -> None:
    result = tagguard("check", "v2.8-\x1b[2J\rx")
    assert result.returncode == 1
    assert "\x1b" not in result.stdout and "\r" not in result.stdout
    assert result.stdout.startswith("v2.8-\\x1b[2J\\rx: TG102 unknown type '\\x1b[2J\\rx'")


def test_usage_errors_exit_2() -> None:
    assert tagguard("check").returncode == 2
    assert tagguard("check", "--format", "xml", "v2.8").returncode == 2
    assert tagguard("no-such-command").returncode == 2


@pytest.mark.parametrize("closed", [">&-", "2>&-", ">&- 2>&-"])
def test_a_closed_stdout_or_stderr_changes_no_exit_code(closed: str) -> None:
    """Python sets a stream that was closed at start to None; `run` flushes the others and
    exits with the verdict (a hook run by a daemon with no stderr must not refuse every push)."""
    for name, code in (("v2.8-base", 0), ("V2.8", 1)):
        result = run("sh", "-c", f'"$0" check {name} {closed}', TAGGUARD)
        assert (result.returncode, result.stderr) == (code, "")


def test_rules_lists_every_rule_with_effective_severity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = tagguard("rules")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == list(RULES)
    policy = tmp_path / "p.toml"
    policy.write_text("[rules]\nunknown-type = 'warn'\n")
    warned = cli(capsys, "rules", "--policy", str(policy)).stdout
    assert "TG102  unknown-type     warn" in warned


@pytest.mark.parametrize("key", ["TG101", "tg101", "invalid-name"])
def test_explain_by_code_or_name(key: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(capsys, "explain", key)
    assert result.returncode == 0
    assert result.stdout.startswith("TG101 invalid-name: Tag names follow")
    for heading in ("Why it matters:", "Example of a violation:", "Use instead:", 'TG101 = "warn"'):
        assert heading in result.stdout


def test_explain_unknown_rule() -> None:
    result = tagguard("explain", "TG999")
    assert (result.returncode, result.stderr) == (
        2, "tagguard: error: no rule 'TG999'; `tagguard rules` lists them\n")


def test_every_rule_is_explained_and_codes_are_well_formed() -> None:
    for code, rule in RULES.items():
        assert code == rule.code and code[:2] == "TG" and code[2:].isdigit() and len(code) == 5
        assert rule.name.replace("-", "").isalpha() and rule.name.islower()
        assert rule.summary and rule.why and rule.example and rule.instead


def test_policy_describes_the_effective_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(capsys, "policy")
    assert result.returncode == 0
    assert result.stdout == """\
policy:    <embedded default policy>
types:     base, ft, aug, exp, experiment, eval, prod
desc:      lowercase letters and digits, words joined by '-'
temporary: tmp-*, test-*, wip-*
image:     not set: tag versions are not compared with an image
rules:     all at error
metrics:   not declared: every name tag messages write as a metric; which way is better, from the name
"""
    policy = tmp_path / "metrics.toml"
    policy.write_text("[metrics]\nacc = 'max'\nVal-Loss = 'min'\n")
    declared = cli(capsys, "policy", "--policy", str(policy))
    assert declared.stdout.splitlines()[-1] == "metrics:   acc (higher is better), val_loss (lower is better)"


def test_policy_validates_files(tmp_path: Path) -> None:
    good = tmp_path / ".tagguard.toml"
    good.write_text("[image]\npytorch = '2.8'\n")
    bad = tmp_path / "bad.toml"
    bad.write_text("[image]\npytorch = 2.8\n")
    plain_pyproject = tmp_path / "pyproject.toml"
    plain_pyproject.write_text("[project]\nname = 'x'\n")
    result = tagguard("policy", str(good), str(bad), str(plain_pyproject))
    assert result.returncode == 2
    assert result.stdout.splitlines() == [f"{good}: ok", f"{plain_pyproject}: ok"]
    assert result.stderr == (
        f"tagguard: error: {bad}: image.pytorch: expected a non-empty array of strings, got float\n"
    )


def test_python_dash_m_works() -> None:
    result = run(sys.executable, "-m", "tagguard", "check", "v2.8-base")
    assert (result.returncode, result.stdout) == (0, "v2.8-base: ok\n")
    assert run(sys.executable, "-m", "tagguard", "--version").stdout.startswith("tagguard ")


def imported_modules(*args: str) -> set[str]:
    result = run(sys.executable, "-X", "importtime", "-m", "tagguard", *args)
    lines = [line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line]
    return {name.split(".")[0] for name in lines}


def test_name_check_imports_neither_gitpython_nor_regex_nor_toml() -> None:
    modules = imported_modules("check", "v2.8-base", "V2.8_FT")
    assert "tagguard" in modules  # the probe itself works
    assert not {"git", "regex", "tomllib", "tomli", "json", "shutil"} & modules


def test_probe_sees_regex_when_the_policy_needs_it(tmp_path: Path) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text("[naming]\ndesc = 'lr[0-9]+'\n")
    modules = imported_modules("check", "--policy", str(policy), "v2.8-ft-lr2")
    assert "regex" in modules and {"tomllib", "tomli"} & modules
    assert "git" not in modules


def test_plain_check_shortcut_parses_as_argparse_would() -> None:
    from tagguard.cli import _parser, _plain_check

    for argv in (["check", "v2.8-ft"], ["check", "v2.8-ft", "V2", "tmp-x"]):
        assert vars(_plain_check(argv)) == vars(_parser().parse_args(argv))
    for argv in (["check"], ["check", "-q", "v2.8"], ["check", "v2.8", "--local"], ["rules"], []):
        assert _plain_check(argv) is None
