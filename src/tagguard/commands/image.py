"""`tagguard image [REV]`: what tagguard reads as the training image at a revision."""

from __future__ import annotations

import argparse

from tagguard.errors import TagguardError
from tagguard.git.repo import Git
from tagguard.image.files import DEFAULT_CANDIDATES, Reading
from tagguard.policy.model import Policy, client_policy
from tagguard.verdict.imagecheck import each_reading


def run_image(args: argparse.Namespace) -> int:
    policy = client_policy(args.policy)
    git = Git(".")
    commit = _commit(git, args.rev)
    files = policy.image.files or DEFAULT_CANDIDATES
    readings = each_reading(git, commit, files, policy.image.ngc)
    print(f"commit:  {commit[:12]} ({args.rev})")
    print(f"policy:  {policy.origin}")
    _print_policy_image(policy)
    for path, reading in zip(files, readings):
        print(_line(path, reading))
    present = [r for r in readings if r is not None]
    for warning in disagreements(present, policy.image.files):
        print(warning)
    if not policy.image.files:
        print("note:    the policy reads no file; set [image] file = \"Dockerfile\" to check tags against it")
        return 0
    decided = present[0] if present else None
    if decided is None or decided.version is None:
        return 1
    print(f"verdict: tags on this commit must be v{decided.version}-* (from {decided.path})")
    return 0


def _commit(git: Git, rev: str) -> str:
    commit = git.commit_of(rev)
    if commit is None:
        raise TagguardError(f"no commit {rev!r} in this repository")
    return commit


def _print_policy_image(policy: Policy) -> None:
    image = policy.image
    configured = f"PyTorch {' or '.join(image.pytorch)}" if image.pytorch else "not set"
    print(f"image:   {configured} in the policy; reads {', '.join(image.files) or 'no file'}")


def _line(path: str, reading: Reading | None) -> str:
    if reading is None:
        return f"{path}: absent"
    if reading.version is None:
        found = f" ({reading.found})" if reading.found else ""
        return f"{reading.where}: no version: {reading.problem}{found}"
    return f"{reading.where}: {reading.found} -> PyTorch {reading.version}"


def disagreements(readings: list[Reading], named: tuple[str, ...]) -> list[str]:
    """A warning for each file that says another PyTorch version than the first file that
    says one: the image is declared twice, and the two can't both be right."""
    versions = [r for r in readings if r.version is not None]
    if not versions:
        return []
    first = versions[0]
    settle = (f": tags are checked against {first.path} only (the first file of [image] file present)" if named
              else f", then set [image] file = \"{first.path}\" to check tags against it")
    return [f"warning: {first.where} says PyTorch {first.version} ({first.found}) but {other.where} says "
            f"{other.version} ({other.found}); make them agree{settle}"
            for other in versions[1:] if other.version != first.version]
