"""`tagguard install --server PATH` and `tagguard uninstall --server PATH`.

The client form of install (no --server) lives in its own module; `install --server`
dispatches here.
"""

from __future__ import annotations

import argparse


def run_install(args: argparse.Namespace) -> int:
    from tagguard.git.repo import Git
    from tagguard.server.hookscripts import install, this_tagguard
    from tagguard.server.ledger import ledger_path, seed

    for line in install(args.server, this_tagguard(), args.outside_pushes):
        print(line)
    git = Git(args.server)
    recorded = seed(git, ledger_path(git.git_dir()))
    if recorded:
        print(f"{ledger_path(git.git_dir())}: recorded {recorded} existing tag{'s' if recorded != 1 else ''}")
    return 0


def run_uninstall(args: argparse.Namespace) -> int:
    from tagguard.server.hookscripts import uninstall

    for line in uninstall(args.server):
        print(line)
    return 0
