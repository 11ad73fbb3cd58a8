"""`tagguard check-ref REF...`: check tags that exist in this repository, for CI on tag push.

Each tag is judged as if it were being pushed now to an empty remote: name, image version,
annotated, message, signature (when the policy requires it) and target.
"""

from __future__ import annotations

import argparse
import sys

from tagguard.errors import TagguardError
from tagguard.git.refs import TAG_PREFIX, short_name
from tagguard.lean import TYPE_CHECKING
from tagguard.safetext import shown

if TYPE_CHECKING:
    from tagguard.rules.catalog import Violation


def run_check_ref(args: argparse.Namespace) -> int:
    from tagguard.git.refupdates import RefUpdate
    from tagguard.git.repo import Git, zero_oid
    from tagguard.output.report import has_errors
    from tagguard.policy.model import client_policy
    from tagguard.verdict.pushcheck import check_updates

    refs = [_tag_ref(arg) for arg in args.refs]
    git = Git(".")
    found = git.resolve(refs)
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
    results = {short_name(ref): violations for ref, violations in by_ref.items()}
    _print(results, args.format, policy.origin)
    return 1 if any(has_errors(v) for v in results.values()) else 0


def _tag_ref(arg: str) -> str:
    if arg.startswith("refs/") and not arg.startswith(TAG_PREFIX):
        raise TagguardError(f"{shown(arg)} is not a tag; check-ref checks tags (refs/tags/NAME or NAME)")
    return TAG_PREFIX + short_name(arg)


def _print(results: dict[str, list[Violation]], format: str, origin: str) -> None:
    if format == "json":
        from tagguard.output.report import print_json

        print_json(results, origin, sys.stdout)
    elif format == "github":
        from tagguard.output.github import print_github

        print_github(results, sys.stdout)
    else:
        from tagguard.output.report import print_text

        print_text(results, sys.stdout, show_ok=True)
