"""`tagguard check NAME...`: judge tag names with no git repository involved."""

from __future__ import annotations

import sys

from tagguard.git.refs import short_name
from tagguard.lean import TYPE_CHECKING
from tagguard.output.report import any_errors, print_results
from tagguard.policy.model import client_policy
from tagguard.verdict.namecheck import check_name

if TYPE_CHECKING:
    import argparse


def run_check(args: argparse.Namespace) -> int:
    policy = client_policy(args.policy)
    results = {
        short_name(name): check_name(name, policy, pushed=not args.local) for name in args.names
    }
    print_results(results, args.format, policy.origin, sys.stdout, show_ok=not args.quiet)
    return 1 if any_errors(results) else 0
