"""`tagguard verify-checkpoint PATH...`: does the code each checkpoint recorded still stand?

Exit 0 when nothing failed (notes allowed), 1 when a finding failed, 2 when a file can't
be read or has no `git_info` (the other files are still checked).
"""

from __future__ import annotations

import argparse
import sys

from tagguard.errors import TagguardError
from tagguard.git.repo import Git
from tagguard.lean import TYPE_CHECKING
from tagguard.ml.checkpoint import load_git_info
from tagguard.ml.verification import Checked, failed, verify, vouchers
from tagguard.ml.weights import hash_weights
from tagguard.output.findings import FORMATS
from tagguard.policy.model import client_policy

if TYPE_CHECKING:
    from collections.abc import Callable

    from tagguard.ml.history import TagInfo
    from tagguard.policy.model import Policy


def run_verify_checkpoint(args: argparse.Namespace) -> int:
    git, policy = Git(args.repo), client_policy(None, cwd=args.repo)
    by_hash: list[dict[str, list[TagInfo]]] = []  # read once, when the first file has weights

    def vouching(sha256: str) -> list[TagInfo]:
        if not by_hash:
            by_hash.append(vouchers(git))
        return by_hash[0].get(sha256, [])

    checked = [_check(path, git, policy, vouching) for path in args.paths]
    FORMATS[args.format](checked, sys.stdout, sys.stderr)
    if any(file.error is not None for file in checked):
        return 2
    return 1 if any(failed(file.findings) for file in checked) else 0


def _check(path: str, git: Git, policy: Policy, vouching: Callable[[str], list[TagInfo]]) -> Checked:
    """One file's findings; `vouching`: the tags that vouch for a SHA-256."""
    try:
        kind, info = load_git_info(path)
        weights = None if kind == "json" else hash_weights(path)
    except TagguardError as exc:
        return Checked(path, None, None, None, [], str(exc))
    found = vouching(weights.sha256) if weights else None
    return Checked(path, kind, weights, info, verify(info, git, policy, found), None)
