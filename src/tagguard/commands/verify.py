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
    from tagguard.ml.history import TagInfo
    from tagguard.policy.model import Policy


def run_verify_checkpoint(args: argparse.Namespace) -> int:
    git, policy = Git(args.repo), client_policy(None, cwd=args.repo)
    files = [_read(path) for path in args.paths]
    by_hash = vouchers(git) if any(file.weights for file in files) else {}
    checked = [_judged(file, git, policy, by_hash) for file in files]
    FORMATS[args.format](checked, sys.stdout, sys.stderr)
    if any(file.error is not None for file in checked):
        return 2
    return 1 if any(failed(file.findings) for file in checked) else 0


def _read(path: str) -> Checked:
    """The file's git_info and, for a checkpoint (not a sidecar), its hash; or the error."""
    try:
        kind, info = load_git_info(path)
        weights = None if kind == "json" else hash_weights(path)
    except TagguardError as exc:
        return Checked(path, None, None, None, [], str(exc))
    return Checked(path, kind, weights, info, [], None)


def _judged(file: Checked, git: Git, policy: Policy, by_hash: dict[str, list[TagInfo]]) -> Checked:
    """The file with its findings; `by_hash`: the tags that vouch for each SHA-256."""
    if file.info is None:
        return file
    vouching = by_hash.get(file.weights.sha256, []) if file.weights else None
    return file._replace(findings=verify(file.info, git, policy, vouching))
