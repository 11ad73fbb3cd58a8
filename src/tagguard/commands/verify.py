"""`tagguard verify-checkpoint PATH`: does the code a checkpoint recorded still stand?

Each finding is a line: `ok`, `FAIL` or `note`, a short code (these are findings about one
file, not policy rules, so they have names rather than TG codes) and what it means.
Exit 1 when any finding fails.
"""

from __future__ import annotations

import argparse

from tagguard.git.repo import Git
from tagguard.lean import TYPE_CHECKING, NamedTuple
from tagguard.ml.checkpoint import load_git_info
from tagguard.policy.model import client_policy
from tagguard.rules.naming import TagName, parse_name
from tagguard.safetext import shown

if TYPE_CHECKING:
    from typing import Final, Literal

    from tagguard.ml.provenance import GitInfo

    Status = Literal["ok", "FAIL", "note"]


OK: Final = "ok"
FAIL: Final = "FAIL"
NOTE: Final = "note"


class Finding(NamedTuple):
    status: Status
    code: str
    message: str


def run_verify_checkpoint(args: argparse.Namespace) -> int:
    info = load_git_info(args.path)
    findings = verify(info, Git(args.repo), args.repo)
    for finding in findings:
        print(f"{finding.status:<4}  {finding.code:<16}  {finding.message}")
    failed = sum(f.status == FAIL for f in findings)
    print(f"{shown(args.path)}: " + (f"{failed} problem(s)" if failed else "provenance ok"))
    return 1 if failed else 0


def verify(info: GitInfo, git: Git, repo: str) -> list[Finding]:
    commit, tag = info.get("commit"), info.get("tag")
    if commit is None:
        why = info.get("error") or "no commit recorded"
        return [Finding(FAIL, "no-provenance", f"the checkpoint records no commit: {shown(why)}")]
    known = git.object_info([commit])[commit].type == "commit"
    findings = [_commit(commit, known), _dirty(info)]
    if tag:
        findings.append(_tag(tag, commit, _tag_commit(git, tag)))
    else:
        described = shown(info.get("describe") or commit[:12])
        findings.append(Finding(NOTE, "untagged", f"saved from untagged code ({described})"))
    findings.append(_version(tag, info, repo))
    return findings


def _tag_commit(git: Git, tag: str) -> str | None:
    """What the tag points at now (peeled through any tags to its commit), or None when gone."""
    ref = f"refs/tags/{tag}"
    oid = git.resolve([ref])[ref]
    return git.peeled_targets([oid])[oid] if oid else None


def _commit(commit: str, known: bool) -> Finding:
    if not known:
        return Finding(FAIL, "commit-missing",
                       f"commit {commit[:12]} is not in this repository (fetch it, or use --repo)")
    return Finding(OK, "commit-known", f"commit {commit[:12]} is in this repository")


def _dirty(info: GitInfo) -> Finding:
    dirty = info.get("dirty")
    if dirty is None:
        return Finding(NOTE, "dirty-unknown", "the checkpoint does not say whether the code was clean")
    if dirty:
        described = shown(info.get("describe") or "")
        return Finding(FAIL, "dirty", f"the code had uncommitted changes when it was saved ({described}); "
                                      "the commit alone does not reproduce it")
    return Finding(OK, "clean", "the code was committed when it was saved")


def _tag(tag: str, commit: str, resolved: str | None) -> Finding:
    name = shown(tag)
    if resolved is None:
        return Finding(FAIL, "tag-missing",
                       f"tag {name} no longer exists here (deleted, or not fetched: git fetch --tags)")
    if resolved != commit:
        return Finding(FAIL, "tag-moved", f"tag {name} now points at {resolved[:12]}, not at {commit[:12]} "
                                          "where the checkpoint was trained")
    return Finding(OK, "tag-intact", f"tag {name} still points at {commit[:12]}")


def _version(tag: str | None, info: GitInfo, repo: str) -> Finding:
    parsed = parse_name(tag, client_policy(None, cwd=repo).naming) if tag else None
    if not isinstance(parsed, TagName):
        return Finding(NOTE, "version-unknown", "no vX.Y tag to compare the PyTorch version with")
    runtime, declared = info.get("torch_runtime"), info.get("pytorch")
    if runtime:
        if _major_minor(runtime) != parsed.version:
            return Finding(FAIL, "version-mismatch",
                           f"saved with PyTorch {shown(runtime)}, but the tag says v{parsed.version}")
        return Finding(OK, "version-match", f"saved with PyTorch {shown(runtime)}, as v{parsed.version} says")
    if declared:
        if parsed.version not in declared.split(","):
            return Finding(FAIL, "version-mismatch",
                           f"the image declared PyTorch {shown(declared)}, but the tag says v{parsed.version}")
        return Finding(OK, "version-match", f"the image declared PyTorch {shown(declared)}, as v{parsed.version} says")
    return Finding(NOTE, "version-unknown", "the checkpoint records no PyTorch version")


def _major_minor(version: str) -> str:
    """'2.13.0+cpu' -> '2.13'."""
    return ".".join(version.split("+", 1)[0].split(".")[:2])
