from __future__ import annotations

from pathlib import Path

import pytest
from testing.tools import ROOT, cli, git, tagguard

from tagguard.errors import PolicyError
from tagguard.policy.model import DEFAULT_POLICY, EMBEDDED, client_policy, load_policy_file


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_example_policy_documents_every_key_and_loads() -> None:
    policy = load_policy_file(str(ROOT / "policy.example.toml"))
    assert policy.image.pytorch == ("2.8",)
    assert policy.naming.desc is not None
    assert policy.metrics == {"acc": "max", "f1": "max", "val_loss": "min"}
    text = (ROOT / "policy.example.toml").read_text()
    for key in ("types", "desc", "temporary", "pytorch", "ref", "file", "[image.ngc]", "[rules]",
                "[tags]", "require_annotated", "require_signed", "max_tag_bytes", "[[protect]]", "allow_delete", "[groups]",
                "[metrics]"):
        assert key in text


def test_embedded_default() -> None:
    assert DEFAULT_POLICY.origin == EMBEDDED
    assert "ft" in DEFAULT_POLICY.naming.types
    assert DEFAULT_POLICY.naming.temporary == ("tmp-*", "test-*", "wip-*")
    assert DEFAULT_POLICY.image.pytorch == ()


# TOML text -> the exact error (after "<file>: ")
BAD_POLICIES = {
    "[naming]\ntypes = [": "not valid TOML: ",
    "colour = 1": "colour: unknown key (expected one of: naming, image, rules, tags, protect, groups, server, client, metrics)",
    "[client]\nfetch_ledger = 'yes'": "client.fetch_ledger: expected true or false, got the string 'yes'",
    "[client]\nfetch = true": "client.fetch: unknown key (expected one of: fetch_ledger, fetch_timeout)",
    "[client]\nfetch_timeout = 0": "client.fetch_timeout: expected a whole number from 1 to 300, got 0",
    "naming = 3": "naming: expected a table, got int",
    "[naming]\ntype = ['ft']": "naming.type: unknown key (expected one of: types, desc, temporary)",
    "[naming]\ntypes = 'ft'": "naming.types: expected a non-empty array of strings, got the string 'ft'",
    "[naming]\ntypes = []": "naming.types: expected a non-empty array of strings, got an array",
    "[naming]\ntypes = ['ft', 3]": "naming.types[2]: expected a non-empty string, got int",
    "[naming]\ntypes = ['ft', 'Fine-Tune']": "naming.types[2]: expected a lowercase word like 'ft', got 'Fine-Tune'",
    "[naming]\ntypes = ['ft', 'ft']": "naming.types: lists a type twice",
    "[naming]\ndesc = ''": "naming.desc: expected a non-empty string, got the string ''",
    "[naming]\ndesc = true": "naming.desc: expected a non-empty string, got the boolean true",
    "[naming]\ndesc = '[a-z'": "naming.desc: not a valid regular expression (",
    "[naming]\ntemporary = [{}]": "naming.temporary[1]: expected a non-empty string, got a table",
    "[image]\npytorch = '2'": "image.pytorch: expected a PyTorch major.minor like \"2.8\", got '2'",
    "[image]\npytorch = ['2.8', 'latest']": "image.pytorch[2]: expected a PyTorch major.minor like \"2.8\", got 'latest'",
    "[image]\nref = 'nvcr.io/nvidia/pytorch:24.08-py3'": "image.ref: can't read a PyTorch version from 'nvcr.io/nvidia/pytorch:24.08-py3'; set image.pytorch = \"X.Y\"",
    "[image]\npytorch = '2.8'\nref = 'pytorch/pytorch:2.9.0-cuda12.8-cudnn9-runtime'": "image.ref: names PyTorch 2.9, which image.pytorch (2.8) leaves out",
    "[tags]\nrequire_annotated = 'yes'": "tags.require_annotated: expected true or false, got the string 'yes'",
    "[tags]\nmax_tag_bytes = 100": "tags.max_tag_bytes: expected a whole number from 1024 to 1073741824, got 100",
    "[tags]\nmax_tag_bytes = '1 MiB'": "tags.max_tag_bytes: expected a whole number from 1024 to 1073741824, got the string '1 MiB'",
    "[image]\npytorch = '2.1234567890'": "image.pytorch: expected a PyTorch major.minor like \"2.8\", got '2.1234567890'",
    "[rules]\noversized-tag = 'warn'": "rules.oversized-tag: can't be \"warn\" or \"off\": a tag over the limit is never read, so none of its other checks could run; raise [tags] max_tag_bytes instead",
    "[rules]\nTG405 = 'off'": "rules.TG405: can't be \"warn\" or \"off\": on a server whose file system ignores case, such a ref lands as a tag no rule judged",
    "[tags]\nsigned = true": "tags.signed: unknown key (expected one of: require_annotated, require_signed, max_tag_bytes)",
    "[protect]\npattern = 'v*'": "[[protect]]: expected an array of tables, got a table",
    "[[protect]]\nallow_delete = ['alice']": "[[protect]][1].pattern: missing: a glob over tag names",
    "[[protect]]\npattern = 'v*-prod*'\n[[protect]]\npattern = 7": "[[protect]][2].pattern: expected a non-empty string, got int",
    "[[protect]]\npattern = 'v*'\nallow = ['bob']": "[[protect]][1].allow: unknown key (expected one of: pattern, allow_delete)",
    "[[protect]]\npattern = 'v*'\nallow_delete = ['@release']": "[[protect]][1].allow_delete[1]: names group '@release', which [groups] does not define",
    "groups = ['alice']": "groups: expected a table, got an array",
    "[groups]\nrelease = 'alice'": "groups.release: expected a non-empty array of strings, got the string 'alice'",
    "rules = ['TG101']": "rules: expected a table, got an array",
    "[rules]\nTG999 = 'off'": "rules.TG999: no such rule (see `tagguard rules`)",
    "[image]\nref = \"pytorch/pytorch:2.8.0\\nMetric-acc: 0.99\"": "image.ref: expected one line of printable text (it becomes a tag's Image: line), got 'pytorch/pytorch:2.8.0\\nMetric-acc: 0.99'",
    "metrics = ['acc']": "metrics: expected a table, got an array",
    "[metrics]": "metrics: declares no metric: name each one and its direction, such as acc = \"max\", or leave the table out",
    "[metrics]\nacc = 'high'": "metrics.acc: expected \"max\" (higher is better) or \"min\" (lower is better), got the string 'high'",
    "[metrics]\nacc = 1": "metrics.acc: expected \"max\" (higher is better) or \"min\" (lower is better), got int",
    "[metrics]\n'val acc' = 'max'": "metrics.\"val acc\": expected a metric name: a letter, then letters, digits, '_', '.', '-' or '/' (at most 40)",
    "[metrics]\n5x = 'max'": "metrics.\"5x\": expected a metric name: a letter, then letters, digits, '_', '.', '-' or '/' (at most 40)",
    "[metrics]\nval_loss = 'min'\nVal-Loss = 'min'": "metrics.Val-Loss: declares the metric 'val_loss' twice ('-' and '_' are the same in a name)",
    "[rules]\ninvalid-name = 'loud'": "rules.invalid-name: expected \"off\", \"warn\" or \"error\", got the string 'loud'",
}


@pytest.mark.parametrize("text,message", BAD_POLICIES.items())
def test_every_policy_error_names_file_key_and_expectation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    path = write(tmp_path / "bad.toml", text)
    with pytest.raises(PolicyError) as caught:
        load_policy_file(str(path))
    assert str(caught.value).startswith(f"{path}: {message}")
    result = cli(capsys, "check", "--policy", str(path), "v2.8-base")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"tagguard: error: {path}: {message}")
    assert result.stderr.count("\n") == 1


def test_file_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = {
        tmp_path / "missing.toml": "no such file",
        tmp_path: "can't be read (Is a directory)",
        write(tmp_path / "huge.toml", "# x\n" * 300_000): "larger than 1 MiB; a policy is a few lines",
    }
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes(b"# caf\xe9\n")
    cases[latin1] = "not UTF-8 text (byte 5)"
    for path, message in cases.items():
        result = cli(capsys, "check", "--policy", str(path), "v2.8")
        assert (result.returncode, result.stderr) == (2, f"tagguard: error: {path}: {message}\n")


def test_protect_and_groups(tmp_path: Path) -> None:
    path = write(tmp_path / "p.toml", """
[groups]
release = ["carol", "dave"]

[[protect]]
pattern = "v*-prod*"
allow_delete = ["alice", "@release"]

[[protect]]
pattern = "v*-base"
""")
    policy = load_policy_file(str(path))
    prod = policy.protection("v2.8-prod-ready")
    assert prod is not None and policy.protection("v2.8-base") is not None
    assert policy.protection("v2.8-ft-lr2") is None
    assert [policy.may_delete(prod, who) for who in ("alice", "carol", "mallory", None, "")] == [
        True, True, False, False, False]
    base = policy.protection("v2.8-base")
    assert base is not None and not policy.may_delete(base, "alice")
    assert DEFAULT_POLICY.protection("v2.9-prod") is not None
    assert DEFAULT_POLICY.tags.require_annotated and not DEFAULT_POLICY.tags.require_signed


def test_rules_can_be_switched_off_or_to_warn(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "p.toml", "[rules]\nTG102 = 'warn'\ntemporary-tag = 'off'\n")
    result = cli(capsys, "check", "--policy", str(path), "v2.8-lr2", "tmp-x")
    assert result.returncode == 0
    assert result.stdout.startswith("v2.8-lr2: TG102 (warning) unknown type 'lr2'")
    assert "tmp-x: ok" in result.stdout


# --- where the policy comes from --------------------------------------------------------

PYPROJECT = "[project]\nname = 'x'\n\n[tool.tagguard.naming]\ntypes = ['from-pyproject']\n"


def origin(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = tagguard("policy", *args, cwd=cwd, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[0].split(None, 1)[1]


def test_policy_sources_in_order_of_precedence(repo: Path, tmp_path: Path) -> None:
    sub = repo / "src" / "deep"
    sub.mkdir(parents=True)
    assert origin(sub) == EMBEDDED

    write(repo / "pyproject.toml", "[project]\nname = 'x'\n[tool.tagguard.naming]\ntypes = ['sft']\n")
    assert origin(sub) == f"{repo / 'pyproject.toml'} [tool.tagguard]"

    write(repo / ".tagguard.toml", "[naming]\ntypes = ['dedicated']\n")
    assert origin(sub) == str(repo / ".tagguard.toml")

    from_env = write(tmp_path / "env.toml", "")
    assert origin(sub, env={"TAGGUARD_POLICY": str(from_env)}) == str(from_env)

    explicit = write(tmp_path / "explicit.toml", "")
    assert origin(sub, "--policy", str(explicit), env={"TAGGUARD_POLICY": str(from_env)}) == str(explicit)


def test_pyproject_without_tagguard_section_falls_back_to_default(repo: Path) -> None:
    write(repo / "pyproject.toml", "[project]\nname = 'x'\n[tool.ruff]\nline-length = 99\n")
    assert client_policy(cwd=str(repo)) is DEFAULT_POLICY
    write(repo / "pyproject.toml", "[project]\nname = 'tagguard-user'\n")
    assert client_policy(cwd=str(repo)) is DEFAULT_POLICY


def test_pyproject_section_errors_name_the_section(repo: Path) -> None:
    write(repo / "pyproject.toml", "[tool.tagguard.naming]\ntypes = 'ft'\n")
    result = tagguard("check", "v2.8", cwd=repo)
    assert result.returncode == 2
    assert result.stderr == (
        f"tagguard: error: {repo / 'pyproject.toml'} [tool.tagguard]: naming.types: "
        "expected a non-empty array of strings, got the string 'ft'\n"
    )


def test_policy_applies_in_a_git_worktree(repo: Path, tmp_path: Path) -> None:
    write(repo / ".tagguard.toml", "[naming]\ntypes = ['sft']\n")
    git("add", ".tagguard.toml", cwd=repo)
    git("commit", "-qm", "policy", cwd=repo)
    worktree = tmp_path / "wt"
    git("worktree", "add", "-q", str(worktree), cwd=repo)
    assert origin(worktree) == str(worktree / ".tagguard.toml")


def test_missing_env_policy_is_an_error_not_a_fallback(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    result = tagguard("check", "v2.8", env={"TAGGUARD_POLICY": str(missing)})
    assert (result.returncode, result.stderr) == (2, f"tagguard: error: {missing}: no such file\n")
