"""`tagguard install` and `tagguard uninstall`: the hook in a clone (or, with --server, a bare repository)."""

from __future__ import annotations

import argparse
import sys

from tagguard.errors import TagguardError


def run_install(args: argparse.Namespace) -> int:
    if args.server:
        return _server(args)
    from tagguard.git import Git
    from tagguard.install_client import install

    print(install(Git("."), sys.executable))
    return 0


def run_uninstall(args: argparse.Namespace) -> int:
    if args.server:
        return _server(args)
    from tagguard.git import Git
    from tagguard.install_client import uninstall

    print(uninstall(Git(".")))
    return 0


def _server(args: argparse.Namespace) -> int:
    # The server form lives in the server-side work; this branch only installs in clones.
    raise TagguardError(f"`tagguard {args.command} --server` is not available in this build")
