"""`tagguard install` and `tagguard uninstall`: the hook in a clone (or, with --server, a bare repository)."""

from __future__ import annotations

import argparse
import sys


def run_install(args: argparse.Namespace) -> int:
    if args.server:
        return _server(args)
    if args.outside_pushes:
        from tagguard.errors import TagguardError

        raise TagguardError("--outside-pushes goes with --server PATH: it is a server hook")
    from tagguard.client.install import install
    from tagguard.git.repo import Git

    print(install(Git("."), sys.executable))
    return 0


def run_uninstall(args: argparse.Namespace) -> int:
    if args.server:
        return _server(args)
    from tagguard.client.install import uninstall
    from tagguard.git.repo import Git

    print(uninstall(Git(".")))
    return 0


def _server(args: argparse.Namespace) -> int:
    from tagguard.commands import serverinstall

    return int(getattr(serverinstall, f"run_{args.command}")(args))
