"""`tagguard install` and `tagguard uninstall`: the pre-push hook in a clone, or with
--server PATH the server hooks in a repository."""

from __future__ import annotations

import argparse
import sys

from tagguard.errors import TagguardError
from tagguard.git.repo import Git


def run_install(args: argparse.Namespace) -> int:
    if args.server:
        return _install_server(args.server, args.outside_pushes)
    if args.outside_pushes:
        raise TagguardError("--outside-pushes goes with --server PATH: it is a server hook")
    from tagguard.client.install import install

    print(install(Git("."), sys.executable))
    return 0


def run_uninstall(args: argparse.Namespace) -> int:
    if args.server:
        return _uninstall_server(args.server)
    from tagguard.client.install import uninstall

    print(uninstall(Git(".")))
    return 0


def _install_server(repo: str, outside_pushes: bool) -> int:
    """The hooks, then every tag already in the repository recorded in its ledger."""
    from tagguard.hookfiles.launcher import this_tagguard
    from tagguard.server.install import as_owner, install, located, refuse_unusable
    from tagguard.server.ledger import ledger_path, seed

    layout = located(repo)
    refuse_unusable(repo, layout.git_dir)
    for line in install(layout.hooks, this_tagguard(), outside_pushes):
        print(line)
    with as_owner(layout.git_dir):  # what the seed makes (objects, the ledger's ref and cache) is theirs
        recorded = seed(Git(repo), layout.git_dir)
    if recorded:
        print(f"{ledger_path(layout.git_dir)}: recorded {recorded} existing tag{'s' if recorded != 1 else ''}")
    return 0


def _uninstall_server(repo: str) -> int:
    from tagguard.server.install import located, uninstall

    for line in uninstall(located(repo).hooks):
        print(line)
    return 0
