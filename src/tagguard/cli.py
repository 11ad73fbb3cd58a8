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
    _ml_commands(sub)  # log, verify-checkpoint, prune (defined at the end of this file)

    policy = _command(sub, "policy", "show the effective policy, or validate policy files")
    _policy_option(policy)
    policy.add_argument("files", nargs="*", metavar="FILE", help="policy files to validate")
    return parser


def _command(sub: argparse._SubParsersAction, name: str, summary: str) -> argparse.ArgumentParser:
    command = sub.add_parser(name, help=summary, description=summary)
    command.set_defaults(command=name)
    return command


def _policy_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", metavar="FILE", help="policy file (default: see README)")


# command -> module under tagguard.commands that defines run_<command>(args) -> int
_MODULES = {"check": "check", "rules": "rules", "explain": "rules", "policy": "policy"}


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


# --- the ML side: the tag history, checkpoint provenance, cleaning up ----------------------

_MODULES.update({"log": "log", "verify-checkpoint": "verify", "prune": "prune"})


def _ml_commands(sub: argparse._SubParsersAction) -> None:
    log = _command(sub, "log", "the history: tags that follow the convention, with their metrics")
    _policy_option(log)
    _repo_option(log)
    log.add_argument("--format", choices=("table", "json", "csv"), default="table")
    log.add_argument("--sort", metavar="METRIC", help="best first by this metric")
    log.add_argument("--minimize", action="store_true", help="lower is better (loss, error)")
    choice = log.add_mutually_exclusive_group()
    choice.add_argument("--best", metavar="METRIC", help="print the one tag with the best value")
    choice.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")

    verify = _command(sub, "verify-checkpoint", "check the git provenance recorded in a checkpoint")
    _repo_option(verify)
    verify.add_argument("path", metavar="PATH", help="a torch.save checkpoint, or a JSON sidecar")

    prune = _command(sub, "prune", "delete temporary tags locally, and on a remote if asked")
    _policy_option(prune)
    _repo_option(prune)
    prune.add_argument("--older-than", metavar="AGE", help="only tags older than this: 12h, 14d, 2w")
    prune.add_argument("--remote", metavar="NAME", help="also delete them on this remote")
    prune.add_argument("--dry-run", action="store_true", help="list what would be deleted")


def _repo_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", metavar="DIR", default=".", help="the git repository (default: .)")
