"""`tagguard check-ref REF...`: check tags that exist in this repository, for CI on tag push.

Each tag is judged as if it were being pushed now to an empty remote: name, image version,
annotated, message, signature (when the policy requires it) and target.
"""

from __future__ import annotations

import argparse
import sys

from tagguard.errors import TagguardError
from tagguard.git.refs import TAG_PREFIX, short_name
from tagguard.safetext import shown


def run_check_ref(args: argparse.Namespace) -> int:
    from tagguard.git.refupdates import RefUpdate
    from tagguard.git.repo import Git, zero_oid
    from tagguard.output.report import any_errors, print_results
    from tagguard.policy.model import client_policy
    from tagguard.verdict.pushcheck import check_updates

    refs = [_tag_ref(arg) for arg in args.refs]
    git = Git(".")
    found = git.ref_values(refs)
    missing = [short_name(ref) for ref in refs if not found[ref]]
    if missing:
        first = shown(missing[0])
        raise TagguardError(
            f"no tag {', '.join(shown(m) for m in missing)} in this repository; fetch it first: "
            f"git fetch --force origin refs/tags/{first}:refs/tags/{first}"
        )
    policy = client_policy(args.policy)
    updates = [RefUpdate(ref, zero_oid(len(oid)), oid) for ref, oid in found.items() if oid]
    by_ref = check_updates(updates, policy, git, None)
    if policy.client.fetch_ledger:
        from tagguard.client.remoteledger import add_remote_reuse

        add_remote_reuse(git, args.remote, updates, policy, by_ref)
    results = {short_name(ref): violations for ref, violations in by_ref.items()}
    print_results(results, args.format, policy.origin, sys.stdout)
    return 1 if any_errors(results) else 0


def _tag_ref(arg: str) -> str:
    if arg.startswith("refs/") and not arg.startswith(TAG_PREFIX):
        raise TagguardError(f"{shown(arg)} is not a tag; check-ref checks tags (refs/tags/NAME or NAME)")
    return TAG_PREFIX + short_name(arg)

