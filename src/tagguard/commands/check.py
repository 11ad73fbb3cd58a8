"""`tagguard check NAME...`: judge tag names with no git repository involved."""

from __future__ import annotations

import sys

from tagguard.git.refs import short_name
from tagguard.lean import TYPE_CHECKING
from tagguard.output.report import has_errors, print_json, print_text
from tagguard.policy.model import client_policy
from tagguard.verdict.namecheck import check_name

if TYPE_CHECKING:
    import argparse


def run_check(args: argparse.Namespace) -> int:
    policy = client_policy(args.policy)
    results = {
        short_name(name): check_name(name, policy, pushed=not args.local) for name in args.names
    }
    if args.format == "json":
        print_json(results, policy.origin, sys.stdout)
    else:
        print_text(results, sys.stdout, show_ok=not args.quiet)
    return 1 if any(has_errors(v) for v in results.values()) else 0
