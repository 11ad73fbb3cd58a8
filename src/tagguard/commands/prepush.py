"""`tagguard pre-push REMOTE URL` (git's hook) and `tagguard pre-commit-push` (pre-commit's)."""

from __future__ import annotations

import os
import sys

from tagguard.git.refupdates import parse_pre_push
from tagguard.lean import TYPE_CHECKING
from tagguard.rules.catalog import Violation

if TYPE_CHECKING:
    import argparse


def run_pre_push(args: argparse.Namespace) -> int:
    text = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
    tags = [u for u in parse_pre_push(text) if u.is_tag]
    if not tags:  # a branch-only push costs no policy and no git call
        return 0
    from tagguard.client.prepush import check_client, client_user
    from tagguard.git.repo import Git
    from tagguard.policy.model import client_policy

    policy = client_policy(args.policy)
    results = check_client(tags, policy, Git("."), client_user(os.environ), args.remote)
    return _verdict(results, policy.origin, args.remote)


def run_pre_commit_push(args: argparse.Namespace) -> int:
    from tagguard.client.install import native_hook_installed
    from tagguard.client.prepush import check_client, pre_commit_push, pre_commit_updates
    from tagguard.git.repo import Git

    push = pre_commit_push(os.environ)
    if push is None:
        print("tagguard: nothing to check outside a push: pre-commit names no pushed ref "
              "(PRE_COMMIT_REMOTE_BRANCH); `git push` runs this check", file=sys.stderr)
        return 0
    git = Git(".")
    if native_hook_installed(git):  # it has run already, on every ref git sends: say each problem once
        return 0
    reported, followed = pre_commit_updates(push, git)
    if not reported and not followed:
        return 0
    from tagguard.policy.model import client_policy

    policy = client_policy(args.policy)
    results = check_client(reported + followed, policy, git, None, push.remote_name or "origin")
    if any(results[u.ref] for u in followed):
        print("tagguard: push.followTags is set, so git sends the annotated tags on the pushed "
              "commits too", file=sys.stderr)
    return _verdict(results, policy.origin, push.remote_name or "origin")


def _verdict(results: dict[str, list[Violation]], origin: str, remote: str) -> int:
    from tagguard.output.report import has_errors, print_text

    print_text(results, sys.stderr, show_ok=False)
    problems = sum(len(v) for v in results.values() if has_errors(v))
    if not problems:
        return 0
    bad = sum(1 for v in results.values() if has_errors(v))
    print(
        f"tagguard: push stopped: {problems} problem(s) in {bad} tag(s) (policy: {origin}). "
        f"Fix them and push again; `git push --no-verify {remote} ...` skips this check, "
        "not the server's.",
        file=sys.stderr,
    )
    return 1
