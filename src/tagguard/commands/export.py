"""`tagguard export github-ruleset|gitlab-protected-tags|gitea-protected-tags`: the policy as
platform settings."""

from __future__ import annotations

import argparse
import json
import sys


def run_export(args: argparse.Namespace) -> int:
    from tagguard.output.export import EXPORTS
    from tagguard.policy.model import client_policy

    policy = client_policy(args.policy)
    export = EXPORTS[args.target](policy)
    json.dump(export.document, sys.stdout, indent=2)
    sys.stdout.write("\n")
    print(f"tagguard: what {args.target} can't express of {policy.origin}:", file=sys.stderr)
    for note in export.notes:
        print(f"  - {note}", file=sys.stderr)
    return 0
