"""The `tagguard` command line: parses arguments and hands off to one command module.

Command modules are imported only when their command runs, so a name check stays fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import import_module
from typing import Sequence

from tagguard import __version__
from tagguard.errors import TagguardError

EXIT_OK, EXIT_VIOLATION, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tagguard", description="Git tag policy for PyTorch training snapshots."
    )
    parser.add_argument("--version", action="version", version=f"tagguard {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    check = _command(sub, "check", "check tag names against the policy (no git needed)")
    _policy_option(check)
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--local", action="store_true", help="allow temporary tags (not pushed)")
    check.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    check.add_argument("names", nargs="+", metavar="NAME")

    rules = _command(sub, "rules", "list the rules, their codes and severities")
    _policy_option(rules)

    explain = _command(sub, "explain", "explain one rule: what, why, example, instead")
    explain.add_argument("rule", metavar="CODE", help="a rule code (TG101) or name")

    policy = _command(sub, "policy", "show the effective policy, or validate policy files")
    _policy_option(policy)
    policy.add_argument("files", nargs="*", metavar="FILE", help="policy files to validate")

    _server_commands(sub)
    return parser


def _server_commands(sub: argparse._SubParsersAction) -> None:
    hooks = {
        "pre-receive": "server hook: judge a whole push (stdin: <old> <new> <ref> lines)",
        "update": "server hook: judge one ref (arguments: REF OLD NEW)",
        "post-receive": "server hook: record the tags that landed in the tag ledger",
    }
    for name, summary in hooks.items():
        hook = _command(sub, name, summary)
        _policy_option(hook)
        hook.add_argument("--chain", metavar="HOOK", help="a hook to run first with the same input, if it exists")
        if name == "update":
            hook.add_argument("ref", metavar="REF")
            hook.add_argument("old", metavar="OLD")
            hook.add_argument("new", metavar="NEW")
    for name, summary in (("install", "install tagguard's hooks"), ("uninstall", "remove tagguard's hooks")):
        command = _command(sub, name, summary)
        command.add_argument("--server", metavar="PATH", required=True,
                             help="a repository on a git server: its pre-receive and post-receive hooks")


def _command(sub: argparse._SubParsersAction, name: str, summary: str) -> argparse.ArgumentParser:
    command = sub.add_parser(name, help=summary, description=summary)
    command.set_defaults(command=name)
    return command


def _policy_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", metavar="FILE", help="policy file (default: see README)")


# command -> module under tagguard.commands that defines run_<command>(args) -> int
_MODULES = {"check": "check", "rules": "rules", "explain": "rules", "policy": "policy"}
_MODULES.update({"pre-receive": "server", "update": "server", "post-receive": "server"})
_MODULES.update({"install": "serverinstall", "uninstall": "serverinstall"})


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    module = import_module(f"tagguard.commands.{_MODULES[args.command]}")
    try:
        return int(getattr(module, f"run_{args.command.replace('-', '_')}")(args))
    except TagguardError as exc:
        print(f"tagguard: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `tagguard ... | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_VIOLATION
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, no traceback
        if os.environ.get("TAGGUARD_DEBUG"):
            raise
        print(
            f"tagguard: internal error: {type(exc).__name__}: {exc} "
            "(set TAGGUARD_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
