"""`tagguard export`: bodies for GitHub's ruleset API and GitLab's protected tags API.

The field names and values below are the ones the platforms document:
GitHub "Create a repository ruleset" (POST /repos/{owner}/{repo}/rulesets) and
GitLab "Protect repository tags" (POST /projects/:id/protected_tags). The exports run in this
process through `tagguard.cli.main`; the errors run the installed console script.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from testing.tools import cli, tagguard

from tagguard.output.export import gitea_pattern, github_globs, name_regex
from tagguard.patterns import glob_match
from tagguard.policy.model import DEFAULT_POLICY, load_policy_file
from tagguard.rules.catalog import ERROR
from tagguard.verdict.namecheck import check_name

GITHUB_RULESET_KEYS = {"name", "target", "enforcement", "bypass_actors", "conditions", "rules"}
GITHUB_TARGETS = {"branch", "tag", "push"}
GITHUB_ENFORCEMENT = {"disabled", "active", "evaluate"}
GITHUB_RULE_TYPES = {"creation", "update", "deletion", "required_linear_history", "required_signatures",
                     "non_fast_forward", "tag_name_pattern", "branch_name_pattern", "pull_request"}
GITHUB_PATTERN_KEYS = {"name", "negate", "operator", "pattern"}
GITHUB_OPERATORS = {"starts_with", "ends_with", "contains", "regex"}
GITLAB_KEYS = {"name", "create_access_level", "allowed_to_create"}
GITLAB_LEVELS = {0, 30, 40}  # No access, Developer, Maintainer

NAMES = ["v2.8", "v2.8-base", "v2.8-ft-lr2", "v2.8-prod-ready", "v2.9-ft", "V2.8-ft", "v2.8-lr2", "v2.8-ft-",
         "v2.8-ft-LR", "v2.8.1-ft", "test-run", "v2.8-exp-a-b-c", "v2.8-ft--x", "release"]


def export(capsys: pytest.CaptureFixture[str], target: str, *args: str) -> tuple[object, str]:
    """`tagguard export TARGET ARGS`, run in this process: the document and the notes."""
    result = cli(capsys, "export", target, *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def by_name(rulesets: object) -> dict[str, dict]:
    assert isinstance(rulesets, list)
    return {r["name"]: r for r in rulesets}


def test_github_rulesets_use_the_documented_fields(capsys: pytest.CaptureFixture[str]) -> None:
    rulesets, _ = export(capsys, "github-ruleset")
    for ruleset in by_name(rulesets).values():
        assert set(ruleset) == GITHUB_RULESET_KEYS
        assert ruleset["target"] == "tag" and ruleset["target"] in GITHUB_TARGETS
        assert ruleset["enforcement"] in GITHUB_ENFORCEMENT
        assert ruleset["bypass_actors"] == []
        assert set(ruleset["conditions"]) == {"ref_name"}
        assert set(ruleset["conditions"]["ref_name"]) == {"include", "exclude"}
        for include in ruleset["conditions"]["ref_name"]["include"]:
            assert include == "~ALL" or include.startswith("refs/tags/")
        for rule in ruleset["rules"]:
            assert rule["type"] in GITHUB_RULE_TYPES
            if rule["type"] == "tag_name_pattern":
                assert set(rule["parameters"]) == GITHUB_PATTERN_KEYS
                assert rule["parameters"]["operator"] in GITHUB_OPERATORS


def test_github_rulesets_say_what_the_default_policy_means(capsys: pytest.CaptureFixture[str]) -> None:
    rulesets, notes = export(capsys, "github-ruleset")
    named = by_name(rulesets)
    assert [r["type"] for r in named["tagguard: published tags never move"]["rules"]] == ["update", "non_fast_forward"]
    protected = named["tagguard: protected tags"]
    assert protected["conditions"]["ref_name"]["include"] == [
        "refs/tags/v*-prod*", "refs/tags/v*-prod*/**/*", "refs/tags/v*/**/*-prod*", "refs/tags/v*/**/*-prod*/**/*"]
    assert protected["rules"] == [{"type": "deletion"}]
    temporary = named["tagguard: temporary tags stay local"]
    assert temporary["conditions"]["ref_name"]["include"] == [
        f"refs/tags/{t}-{form}" for t in ("tmp", "test", "wip") for form in ("*", "*/**/*")]
    assert temporary["rules"] == [{"type": "creation"}]
    assert "tagguard: tag names (GitHub Enterprise only)" in named
    assert notes.splitlines()[0] == "tagguard: what github-ruleset can't express of <embedded default policy>:"
    assert "TG301, TG302, TG304, TG305" in notes
    assert "works on GitHub Enterprise only" in notes
    assert "bypass_actors is empty: an admin adds who may bypass" in notes


def test_policy_changes_reach_the_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text(
        "[image]\npytorch = ['2.8', '2.9']\n[tags]\nrequire_signed = true\n[rules]\nTG104 = 'off'\nTG401 = 'warn'\n"
        "[groups]\nleads = ['ana']\n[[protect]]\npattern = 'v*-prod*'\nallow_delete = ['@leads', 'bob']\n"
    )
    rulesets, notes = export(capsys, "github-ruleset", "--policy", str(policy))
    assert sorted(by_name(rulesets)) == ["tagguard: protected tags", "tagguard: tag names (GitHub Enterprise only)"]
    assert "TG401 set to \"warn\": GitHub rulesets has no warnings; left out" in notes
    assert "allow_delete (@leads, bob): the platform knows accounts, not these names" in notes
    assert "TG303 unsigned-tag: GitHub rulesets can't require signed tags" in notes
    pattern = by_name(rulesets)["tagguard: tag names (GitHub Enterprise only)"]["rules"][0]["parameters"]["pattern"]
    assert pattern.startswith(r"^v(2\.8|2\.9)(-(")


@pytest.mark.parametrize("policy_text", ["", "[image]\npytorch = '2.8'\n", "[naming]\ndesc = 'lr[0-9]+'\n"])
def test_name_pattern_agrees_with_tagguard(tmp_path: Path, policy_text: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(policy_text)
    policy = load_policy_file(str(path)) if policy_text else DEFAULT_POLICY
    regex = name_regex(policy).regex
    assert regex is not None
    pattern = re.compile(regex)
    for name in [*NAMES, "v2.8-ft-lr22"]:
        assert bool(pattern.match(name)) == (not check_name(name, policy)), name


def test_gitlab_entries_use_the_documented_fields(capsys: pytest.CaptureFixture[str]) -> None:
    entries, notes = export(capsys, "gitlab-protected-tags")
    assert isinstance(entries, list)
    for entry in entries:
        assert set(entry) <= GITLAB_KEYS and "name" in entry
        assert entry["create_access_level"] in GITLAB_LEVELS
    assert entries == [
        {"name": "v*", "create_access_level": 30},
        {"name": "v*-prod*", "create_access_level": 30},
        {"name": "tmp-*", "create_access_level": 0},
        {"name": "test-*", "create_access_level": 0},
        {"name": "wip-*", "create_access_level": 0},
    ]
    assert notes.splitlines()[0] == "tagguard: what gitlab-protected-tags can't express of <embedded default policy>:"
    assert "protected tags can't check names" in notes
    assert "Maintainers delete it in the UI or API" in notes


def test_gitlab_overlapping_temporary_pattern_is_noted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text("[naming]\ntemporary = ['v*-wip']\n")
    entries, notes = export(capsys, "gitlab-protected-tags", "--policy", str(policy))
    assert {"name": "v*-wip", "create_access_level": 0} in entries
    assert "'v*-wip' overlaps 'v*'; GitLab lets either entry's creators create such a tag" in notes


def test_export_unknown_target_and_bad_policy(tmp_path: Path) -> None:
    assert tagguard("export", "bitbucket").returncode == 2
    policy = tmp_path / "p.toml"
    policy.write_text("[rules]\nTG999 = 'off'\n")
    result = tagguard("export", "github-ruleset", "--policy", str(policy))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"tagguard: error: {policy}: rules.TG999: no such rule (see `tagguard rules`)\n"


def name_rule(rulesets: object) -> str:
    return by_name(rulesets)["tagguard: tag names (GitHub Enterprise only)"]["rules"][0]["parameters"]["pattern"]


def test_readme_policy_keeps_its_naming_ruleset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text("[rules]\nTG103 = 'warn'\n")
    rulesets, notes = export(capsys, "github-ruleset", "--policy", str(policy))
    pattern = re.compile(name_rule(rulesets))
    assert pattern.match("v2.8-ft-ANY_thing") and not pattern.match("v2.8-zz") and not pattern.match("v2.8-ft-")
    assert notes.count("TG103") == 1
    assert "  - TG103 invalid-desc is 'warn': the pattern accepts any description\n" in notes


@pytest.mark.parametrize("level", ["warn", "off"])
def test_unknown_types_allowed_loosen_the_pattern(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  level: str) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text(f"[rules]\nTG102 = '{level}'\n")
    rulesets, notes = export(capsys, "github-ruleset", "--policy", str(policy))
    pattern = re.compile(name_rule(rulesets))
    assert pattern.match("v2.8-zz-X") and not pattern.match("V2.8") and not pattern.match("v2.8--x")
    assert f"  - TG102 unknown-type is '{level}': the pattern accepts any word after the version, " in notes


def test_grammar_off_leaves_the_naming_ruleset_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text("[rules]\nTG101 = 'off'\n")
    rulesets, notes = export(capsys, "github-ruleset", "--policy", str(policy))
    assert "tagguard: tag names (GitHub Enterprise only)" not in by_name(rulesets)
    assert "  - TG101 invalid-name is 'off': names outside the grammar pass" in notes
    assert "works on GitHub Enterprise only" not in notes


# Names near the convention: each part valid, or off by the mistakes people make.
VERSIONS = st.sampled_from(["2", "8", "0", "10", "02", "08", "00", "123456789", "1234567890", "x", "", "٣"])
WORDS = st.sampled_from(["ft", "base", "prod", "FT", "zz", "", "lr2", "lr22", "lr", "a", "LR", "x_y", "a.b", "ft/x"])
PREFIXES = st.sampled_from(["v", "V", "", "vv"])
NEAR_NAMES = st.one_of(
    st.builds(lambda p, a, b, words: f"{p}{a}.{b}" + "".join(f"-{w}" for w in words),
              PREFIXES, VERSIONS, VERSIONS, st.lists(WORDS, max_size=3)),
    st.builds(lambda glob, rest: glob + rest, st.sampled_from(["tmp-", "test-", "wip-", "v2.8-wip"]),
              st.sampled_from(["", "x", "ana/exp", "a-b"])),
    st.text(alphabet="v2.8-ftlrbase0/", max_size=14),
)
PROPERTY_POLICIES = [
    "",
    "[image]\npytorch = ['2.8', '2.10']\n",
    "[image]\npytorch = ['2.8']\n[rules]\nTG201 = 'warn'\n",
    "[naming]\ndesc = 'lr[0-9]+(-[a-z]+)?|a'\n",
    "[rules]\nTG103 = 'warn'\n",
]


@pytest.mark.parametrize("policy_text", PROPERTY_POLICIES)
def test_exported_pattern_accepts_exactly_what_tagguard_accepts(tmp_path: Path, policy_text: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(policy_text)
    policy = load_policy_file(str(path))
    regex = name_regex(policy).regex
    assert regex is not None
    pattern = re.compile(regex)  # Python re stands in for RE2: the pattern uses only what both share

    @given(NEAR_NAMES)
    @example("v2.2-ft-LR")  # upper case is TG101 whatever TG103 says (found by this test)
    @example("v2.2-ft-\u212a")  # the Kelvin sign lowercases to 'k': TG101 too
    @example("v2.2-ft-\u00c9t\u00e9")  # lowercases to no description character: TG103's to judge
    @settings(max_examples=400, deadline=None)
    def agrees(name: str) -> None:
        temporary = github_matches(name, [f for t in policy.naming.temporary for f in github_globs(t)])
        github = bool(pattern.match(name)) and not temporary
        refused = [v for v in check_name(name, policy) if v.severity == ERROR]
        assert github == (not refused), (name, refused)

    agrees()


@pytest.mark.parametrize(("desc", "construct"), [
    (r"(lr)[0-9]+\1", r"a backreference '\1'"), ("(?!x)[a-z]+", "a lookahead '(?!'"),
    ("[a-z]++", "a possessive quantifier '++'"), ("(?>lr|l)r", "an atomic group '(?>'"), ("^[a-z]+$", "an anchor '^'"),
])
def test_desc_pattern_re2_cannot_run_is_refused(tmp_path: Path, desc: str, construct: str) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text(f"[naming]\ndesc = '{desc}'\n")
    result = tagguard("export", "github-ruleset", "--policy", str(policy))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (f"tagguard: error: {policy}: naming.desc: pattern {desc!r} uses {construct}, which "
                             "GitHub's regex engine (RE2) can't run in the exported name pattern; rewrite it without\n")


def test_desc_matching_empty_is_noted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text("[naming]\ndesc = '[a-z]*'\n")
    _, notes = export(capsys, "github-ruleset", "--policy", str(policy))
    assert "naming.desc '[a-z]*' matches an empty description: the pattern also accepts a name ending in '-'" in notes


README = (Path(__file__).parent.parent / "README.md").read_text()
STUB = """#!/bin/sh
# records what it was given: stdin (gh --input -) or the value of --data (curl)
n=$(ls "$STUB_OUT" | wc -l)
if [ "$(basename "$0")" = gh ]; then cat > "$STUB_OUT/$n.body"; exit 0; fi
while [ $# -gt 0 ]; do
  if [ "$1" = --data ]; then printf '%s' "$2" > "$STUB_OUT/$n.body"; fi
  shift
done
"""


def readme_block(first_line: str) -> str:
    block = next(b.split("```", 1)[0] for b in README.split("```sh\n")[1:] if b.startswith(first_line))
    return block.replace("OWNER/REPO", "o/r")


@pytest.mark.parametrize(("first_line", "target", "newline"), [
    ("tagguard export github-ruleset > rulesets.json", "github-ruleset", "\n"),
    ("tagguard export gitlab-protected-tags | jq", "gitlab-protected-tags", ""),
    ("tagguard export gitea-protected-tags | jq", "gitea-protected-tags", ""),
])
def test_readme_loop_sends_the_exported_json_unchanged(tmp_path: Path, first_line: str, target: str,
                                                       newline: str, capsys: pytest.CaptureFixture[str]) -> None:
    import os
    import shutil
    import subprocess
    import sys

    if not shutil.which("jq"):
        pytest.skip("the README's loop needs jq")
    bin_dir, out = tmp_path / "bin", tmp_path / "out"
    bin_dir.mkdir(), out.mkdir()
    for stub in ("gh", "curl"):
        (bin_dir / stub).write_text(STUB)
        (bin_dir / stub).chmod(0o755)
    env = {**os.environ, "STUB_OUT": str(out), "TOKEN": "t",
           "PATH": f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("TAGGUARD_POLICY", None)
    shell = shutil.which("dash") or "/bin/sh"
    run = subprocess.run([shell, "-c", readme_block(first_line)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    expected, _ = export(capsys, target)
    assert isinstance(expected, list)
    sent = [(out / f"{n}.body").read_bytes() for n in range(len(expected))]
    compact = [json.dumps(e, separators=(",", ":"), ensure_ascii=False) + newline for e in expected]
    assert sent == [c.encode() for c in compact]


def github_matches(name: str, globs: list[str]) -> bool:
    """GitHub's reading of ref globs (Ruby File.fnmatch with FNM_PATHNAME): `*`, `?` and
    classes stop at '/'; `**/` is zero or more whole directories."""
    return any(re.fullmatch(re.sub(r"\\\*\\\*/|\\\*|\\\?", _glob_part, re.escape(g)), name) for g in globs)


def _glob_part(match: re.Match[str]) -> str:
    return {r"\*\*/": "(?:[^/]+/)*", r"\*": "[^/]*", r"\?": "[^/]"}[match.group()]


@given(st.sampled_from(["wip-*", "v*-prod*", "*-tmp", "a*b*c", "v*"]),
       st.text(alphabet="abcvw-ip/prodtm", max_size=16).filter(lambda n: "//" not in n and not n.startswith("/")))
@settings(max_examples=600, deadline=None)
def test_github_globs_cover_what_tagguard_globs_cover(glob: str, name: str) -> None:
    assert github_matches(name, github_globs(glob)) == (glob_match(name, (glob,)) is not None), name


def test_glob_differences_and_burned_names_are_noted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text("[naming]\ntemporary = ['tmp?x', 'a*b*c*d*e']\n")
    rulesets, notes = export(capsys, "github-ruleset", "--policy", str(policy))
    assert "refs/tags/a*b*c*d*e" in by_name(rulesets)["tagguard: temporary tags stay local"]["conditions"]["ref_name"]["include"]
    assert "  - 'tmp?x': '?' and '[...]' never match '/' on GitHub, tagguard's do;" in notes
    assert "  - 'a*b*c*d*e': over 3 '*', exported as is: its '*' stop at '/' on GitHub, tagguard's don't\n" in notes
    assert "  - TG403 reused-name: GitHub rulesets keeps no record of deleted tags, so a deleted tag can be re-created" in notes


def test_gitea_rules_use_the_documented_fields(capsys: pytest.CaptureFixture[str]) -> None:
    rules, notes = export(capsys, "gitea-protected-tags")
    assert rules == [{"name_pattern": p, "whitelist_usernames": [], "whitelist_teams": []}
                     for p in (r"/\Av.*-prod.*\z/", r"/\Atmp-.*\z/", r"/\Atest-.*\z/", r"/\Awip-.*\z/")]
    assert notes.splitlines()[0] == "tagguard: what gitea-protected-tags can't express of <embedded default policy>:"
    assert "TG401 moved-tag: a rule covers creating and moving together" in notes
    assert "TG101-TG103 and TG201 (names, types, image version): a rule can only stop names that match it" in notes
    assert "'v*-prod*': the rule also stops creating a matching tag" in notes
    assert "TG403 reused-name: Gitea protected tags keeps no record of deleted tags" in notes


@given(st.sampled_from(["wip-*", "v*-prod*", "tmp?x", "v[0-9].*", "r[!a-c]*", "a.b+c"]),
       st.text(alphabet="abcvw-ip/prodtm0.9x+", max_size=14))
@settings(max_examples=600, deadline=None)
def test_gitea_patterns_match_what_tagguard_globs_match(glob: str, name: str) -> None:
    exported = gitea_pattern(glob)
    assert exported.startswith("/") and exported.endswith("/")
    regex = exported[1:-1].replace("\\z", "\\Z")  # Python before 3.14 spells RE2's \z as \Z
    assert bool(re.match(regex, name)) == (glob_match(name, (glob,)) is not None), (exported, name)


def test_gitea_leaves_out_what_the_policy_switches_off(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text("[rules]\nTG104 = 'off'\nTG401 = 'warn'\n[[protect]]\npattern = 'v*-prod*'\nallow_delete = ['ana']\n")
    rules, notes = export(capsys, "gitea-protected-tags", "--policy", str(policy))
    assert rules == [{"name_pattern": r"/\Av.*-prod.*\z/", "whitelist_usernames": [], "whitelist_teams": []}]
    assert "TG401 set to \"warn\": Gitea protected tags has no warnings; left out" in notes
    assert "allow_delete (ana): the platform knows accounts, not these names; add their Gitea accounts" in notes
