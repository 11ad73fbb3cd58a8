"""The shared push verdict, on real repositories and real tag objects."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from testing.tools import ZERO, git

from tagguard.git.refupdates import HookInputError, RefUpdate, parse_pre_push, parse_receive
from tagguard.git.repo import Git
from tagguard.git.tagobject import parse_tag, peel_all
from tagguard.policy.model import DEFAULT_POLICY, Policy, Protect, TagsPolicy
from tagguard.verdict.pushcheck import check_updates


def oid(repo: Path, rev: str) -> str:
    return git("rev-parse", rev, cwd=repo)


def created(repo: Path, *names: str) -> list[RefUpdate]:
    return [RefUpdate(f"refs/tags/{n}", ZERO, oid(repo, f"refs/tags/{n}")) for n in names]


def codes_by_ref(result: dict[str, list]) -> dict[str, list[str]]:
    return {ref.split("/", 2)[2]: [v.code for v in found] for ref, found in result.items()}


def test_creations(repo: Path) -> None:
    git("tag", "-a", "v2.8-ft-lr2", "-m", "acc=0.932", cwd=repo)
    git("tag", "v2.8-base", cwd=repo)
    git("tag", "-a", "v2.8-eval", "-m", "", cwd=repo)
    git("tag", "-a", "v2.8-aug", "-m", "tree", "HEAD^{tree}", cwd=repo)
    git("tag", "-a", "tmp-x", "-m", "scratch", cwd=repo)
    git("tag", "-a", "V2.8_FT", "-m", "x", cwd=repo)
    git("tag", "wip-light", cwd=repo)  # temporary and lightweight: one problem, not two
    names = ("v2.8-ft-lr2", "v2.8-base", "v2.8-eval", "v2.8-aug", "tmp-x", "V2.8_FT", "wip-light")
    result = check_updates(created(repo, *names), DEFAULT_POLICY, Git(str(repo)), None)
    assert codes_by_ref(result) == {
        "v2.8-ft-lr2": [],
        "v2.8-base": ["TG301"],
        "v2.8-eval": ["TG302"],
        "v2.8-aug": ["TG305"],
        "tmp-x": ["TG104"],
        "V2.8_FT": ["TG101"],
        "wip-light": ["TG104"],
    }
    hint = result["refs/tags/v2.8-base"][0].hint
    assert hint == f"git tag -d v2.8-base && git tag -a v2.8-base {oid(repo, 'HEAD')[:12]} -m \"acc=..., f1=...\""


def test_tag_of_a_tag_peels_to_the_commit_and_keeps_its_own_name(repo: Path) -> None:
    git("tag", "-a", "v2.8-ft", "-m", "inner", cwd=repo)
    git("-c", "advice.nestedTag=false", "tag", "-a", "v2.8-prod-ready", "-m", "outer", "v2.8-ft", cwd=repo)
    peeled = peel_all(Git(str(repo)), [oid(repo, "refs/tags/v2.8-prod-ready")], 1 << 20)
    chain = next(iter(peeled.values()))
    assert [t.name for t in chain.tags] == ["v2.8-prod-ready", "v2.8-ft"]
    assert (chain.target, chain.target_type) == (oid(repo, "HEAD"), "commit")
    result = check_updates(created(repo, "v2.8-prod-ready"), DEFAULT_POLICY, Git(str(repo)), None)
    assert codes_by_ref(result) == {"v2.8-prod-ready": []}


def test_object_pushed_under_another_name(repo: Path) -> None:
    git("tag", "-a", "v2.8-ft-a", "-m", "x", cwd=repo)
    update = RefUpdate("refs/tags/v2.8-ft-b", ZERO, oid(repo, "refs/tags/v2.8-ft-a"))
    [violation] = check_updates([update], DEFAULT_POLICY, Git(str(repo)), None)["refs/tags/v2.8-ft-b"]
    assert violation.code == "TG304"
    assert violation.message == "is a tag object named 'v2.8-ft-a', pushed as 'v2.8-ft-b'"


def test_moves_deletions_and_branches(repo: Path) -> None:
    head = oid(repo, "HEAD")
    git("commit", "-q", "--allow-empty", "-m", "second", cwd=repo)
    new = oid(repo, "HEAD")
    policy = DEFAULT_POLICY._replace(
        protect=(Protect("v*-prod*", ("alice", "@release")),), groups={"release": ("carol",)}
    )
    updates = [
        RefUpdate("refs/tags/v2.8-ft", head, new),
        RefUpdate("refs/tags/v2.8-prod-ready", head, ZERO),
        RefUpdate("refs/tags/v2.8-exp", head, ZERO),
        RefUpdate("refs/heads/main", head, new),
    ]
    for pusher, expected in (("alice", []), ("carol", []), ("mallory", ["TG402"]), (None, ["TG402"])):
        result = check_updates(updates, policy, Git(str(repo)), pusher)
        assert codes_by_ref(result) == {"v2.8-ft": ["TG401"], "v2.8-prod-ready": expected, "v2.8-exp": []}
    [refused] = check_updates(updates[1:2], policy, Git(str(repo)), "mallory")["refs/tags/v2.8-prod-ready"]
    assert refused.message == (
        "is protected (pattern 'v*-prod*'); it may be deleted by: alice, @release (you are mallory)"
    )


def test_missing_object(repo: Path) -> None:
    update = RefUpdate("refs/tags/v2.8-ft", ZERO, "1" * 40)
    [violation] = check_updates([update], DEFAULT_POLICY, Git(str(repo)), None)["refs/tags/v2.8-ft"]
    assert (violation.code, violation.message) == ("TG305", "object 111111111111 is missing")


def test_signatures_verified_by_git(repo: Path, tmp_path: Path) -> None:
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    signers = tmp_path / "allowed_signers"
    signers.write_text(f"test@example.com {(tmp_path / 'key.pub').read_text()}")
    for k, v in (("gpg.format", "ssh"), ("user.signingkey", str(key)),
                 ("gpg.ssh.allowedSignersFile", str(signers))):
        git("config", k, v, cwd=repo)
    git("tag", "-s", "v2.8-prod-ready", "-m", "signed", cwd=repo)
    git("tag", "-a", "v2.8-ft", "-m", "unsigned", cwd=repo)
    policy = DEFAULT_POLICY._replace(tags=TagsPolicy(require_signed=True))
    updates = created(repo, "v2.8-prod-ready", "v2.8-ft")
    assert codes_by_ref(check_updates(updates, policy, Git(str(repo)), None)) == {
        "v2.8-prod-ready": [], "v2.8-ft": ["TG303"]}
    other = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    signers.write_text("test@example.com " + (tmp_path / "other.pub").read_text())  # not the signer's key
    assert codes_by_ref(check_updates(updates, policy, Git(str(repo)), None)) == {
        "v2.8-prod-ready": ["TG303"], "v2.8-ft": ["TG303"]}
    tag = parse_tag("x", git("cat-file", "tag", "v2.8-prod-ready", cwd=repo).encode())
    assert tag.signed and tag.message == "signed"


def test_severities_apply_to_push_rules(repo: Path) -> None:
    git("tag", "v2.8-base", cwd=repo)
    policy: Policy = DEFAULT_POLICY._replace(severities={"TG301": "warn"})
    [found] = check_updates(created(repo, "v2.8-base"), policy, Git(str(repo)), None)["refs/tags/v2.8-base"]
    assert (found.code, found.severity) == ("TG301", "warn")
    off = DEFAULT_POLICY._replace(tags=TagsPolicy(require_annotated=False))
    assert codes_by_ref(check_updates(created(repo, "v2.8-base"), off, Git(str(repo)), None)) == {"v2.8-base": []}


def test_parse_tag_without_tagger_and_with_non_utf8_message() -> None:
    raw = b"object " + b"a" * 40 + b"\ntype commit\ntag v2.8-ft\n\nacc=0.9 caf\xe9\n"
    tag = parse_tag("t", raw)
    assert tag.tagger is None and tag.name == "v2.8-ft" and tag.message == "acc=0.9 caf\ufffd\n"
    named = parse_tag("t", raw.replace(b"tag v2.8-ft", b"tag v2.8-caf\xe9"))
    assert named.name == "v2.8-caf\udce9"  # as the ref name is decoded: the two compare equal


A, B = "a" * 40, "b" * 40


def test_hook_input_parsers() -> None:
    assert parse_receive(f"{ZERO} {A} refs/tags/v2.8\n") == [RefUpdate("refs/tags/v2.8", ZERO, A)]
    assert parse_pre_push(f"refs/tags/v2.8 {A} refs/tags/v2.8 {ZERO}\n") == [RefUpdate("refs/tags/v2.8", ZERO, A)]
    assert parse_pre_push(f"(delete) {ZERO} refs/tags/v2.8 {A}\n")[0].kind == "delete"
    sha256 = "c" * 64
    assert parse_receive(f"{'0' * 64} {sha256} refs/tags/x")[0].kind == "create"
    for odd in ("refs/heads/a\u200db", "refs/heads/\u202e", "refs/tags/v2.8-caf\udce9", "refs/heads/a\x85b"):
        assert parse_receive(f"{ZERO} {A} {odd}\n") == [RefUpdate(odd, ZERO, A)]  # git allows these; the rules judge


@pytest.mark.parametrize("line,message", [
    ("abc def", "stdin line 1: expected '<old> <new> <ref>', got 'abc def'"),
    (f"{ZERO} xyz refs/tags/v", "stdin line 1: 'xyz' is not an object id"),
    (f"{ZERO} {'c' * 64} refs/tags/v", "stdin line 1: object ids of different lengths"),
    (f"{ZERO} {A} v2.8", "stdin line 1: 'v2.8' is not a full ref name"),
    (f"{ZERO} {A} refs/tags/\x1b[2J", "stdin line 1: 'refs/tags/\\x1b[2J' is not a full ref name"),
    (f"{ZERO} {A} refs/heads/a\x7fb", "stdin line 1: 'refs/heads/a\\x7fb' is not a full ref name"),
    (f"{ZERO} {ZERO} refs/tags/v", "stdin line 1: both object ids are zero"),
])
def test_malformed_receive_lines(line: str, message: str) -> None:
    with pytest.raises(HookInputError) as caught:
        parse_receive(line)
    assert str(caught.value) == message


def test_malformed_pre_push_line() -> None:
    with pytest.raises(HookInputError, match="stdin line 2: expected '<local ref> <local oid> <remote ref> <remote oid>'"):
        parse_pre_push(f"refs/tags/a {A} refs/tags/a {ZERO}\nrefs/tags/b {B}\n")
