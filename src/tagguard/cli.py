"""The `tagguard` command line: parses arguments and hands off to one command module.

Command modules are imported only when their command runs, so a name check stays fast.
"""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace

from tagguard import __version__
from tagguard.errors import NotARepository, TagguardError
from tagguard.lean import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence


if TYPE_CHECKING:  # argparse is imported when a parser is built: a plain name check needs none
    import argparse

EXIT_OK, EXIT_VIOLATION, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def _Formatter(prog: str) -> argparse.HelpFormatter:  # noqa: N802 - argparse's formatter_class
    """argparse's formatter, sized without `shutil` (whose import pulls in bz2 and lzma).

    argparse builds a formatter for every add_argument, so this runs on every command.
    """
    import argparse

    return argparse.HelpFormatter(prog, width=_terminal_width() - 2)


def _terminal_width() -> int:
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns if sys.__stdout__ is not None else 80
    except (AttributeError, ValueError, OSError):
        return 80


def _parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with `only`, just that command's parser is really built."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="tagguard",
        description="Git tag policy for PyTorch training snapshots.",
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"tagguard {__version__}")
    sub = _Commands(parser.add_subparsers(dest="command", metavar="COMMAND", required=True), only)

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
    image = _command(sub, "image", "show the training image tagguard reads at a revision")
    _policy_option(image)
    image.add_argument("rev", nargs="?", default="HEAD", metavar="REV", help="default: HEAD")
    _client_commands(sub)
    _server_commands(sub)
    return parser


def _client_commands(sub: _Commands) -> None:
    """The commands for a clone and for CI: hooks, install, tag, check-ref, export."""
    pre_push = _command(sub, "pre-push", "git's pre-push hook: check every pushed tag (reads stdin)")
    _policy_option(pre_push)
    pre_push.add_argument("remote", metavar="REMOTE")
    pre_push.add_argument("url", metavar="URL")

    pre_commit = _command(sub, "pre-commit-push", "the pre-push check as a pre-commit hook (PRE_COMMIT_* variables)")
    _policy_option(pre_commit)

    for name, summary in (("install", "install the pre-push hook in this clone"),
                          ("uninstall", "remove the hook `tagguard install` added")):
        command = _command(sub, name, summary)
        command.add_argument("--server", metavar="PATH",
                             help="a repository on a git server: its pre-receive and post-receive hooks")
        if name == "install":
            command.add_argument("--outside-pushes", action="store_true",
                                 help="with --server: also the reference-transaction hook, for tags made on "
                                      "the server outside a push (a web UI's git tag)")

    tag = _command(sub, "tag", "create an annotated snapshot tag at HEAD, with image and metrics")
    _policy_option(tag)
    tag.add_argument("name", metavar="NAME")
    tag.add_argument("-m", "--message", required=True, help="what the snapshot is")
    tag.add_argument("--metric", action="append", default=[], metavar="KEY=VALUE", help="e.g. acc=0.932 (repeatable)")
    tag.add_argument("--image", metavar="REF", help="training image (default: the policy's [image] ref)")
    tag.add_argument("--checkpoint", action="append", default=[], metavar="PATH",
                     help="weights the tag vouches for: records the file's SHA-256, size and path (repeatable)")
    tag.add_argument("-s", "--sign", action="store_true", help="sign the tag (git tag -s)")

    check_ref = _command(sub, "check-ref", "check tags that exist in this repository (for CI on tag push)")
    _policy_option(check_ref)
    check_ref.add_argument("--format", choices=("text", "json", "github"), default="text")
    check_ref.add_argument("--remote", default="origin", metavar="NAME",
                           help="whose ledger to read with [client] fetch_ledger (default: origin)")
    check_ref.add_argument("refs", nargs="+", metavar="REF", help="a tag name or refs/tags/NAME")

    export = _command(sub, "export", "print the policy as platform settings (JSON for their REST APIs)")
    _policy_option(export)
    export.add_argument("target", choices=("github-ruleset", "gitlab-protected-tags", "gitea-protected-tags"))


def _server_commands(sub: _Commands) -> None:
    """The ledger, and the hooks a git server runs (installed by `tagguard install --server PATH`)."""
    ledger = _command(sub, "ledger", "show the names the server's ledger burned (refs/tagguard/ledger), or verify it")
    _repo_option(ledger)
    ledger.add_argument("action", nargs="?", choices=("show", "verify"), default="show",
                        help="show (default): name, commit, pusher, time; verify: check it against the tags")
    ledger.add_argument("--format", choices=("text", "json"), default="text")
    hooks = {
        "pre-receive": "server hook: judge a whole push (stdin: <old> <new> <ref> lines)",
        "update": "server hook: judge one ref (arguments: REF OLD NEW)",
        "post-receive": "server hook: record the tags that landed in the tag ledger",
        "reference-transaction": "server hook: judge and record tags changed outside a push (stdin as pre-receive)",
    }
    for name, summary in hooks.items():
        hook = _command(sub, name, summary)
        _policy_option(hook)
        hook.add_argument("--chain", metavar="HOOK", help="a hook to run first with the same input, if it exists")
        if name == "reference-transaction":
            hook.add_argument("state", choices=("prepared", "committed"))
        if name == "update":
            hook.add_argument("ref", metavar="REF")
            hook.add_argument("old", metavar="OLD")
            hook.add_argument("new", metavar="NEW")


def _command(sub: _Commands, name: str, summary: str) -> argparse.ArgumentParser:
    command = sub.add_parser(name, help=summary, description=summary, formatter_class=_Formatter)
    command.set_defaults(command=name)
    return command


class _Commands:
    """The table of subcommands. With `only`, just that command's parser is built: building
    all twenty takes about 8 ms, a tenth of a hook's run, and parsing needs only one."""

    def __init__(self, sub: argparse._SubParsersAction, only: str | None) -> None:
        self.sub, self.only = sub, only

    def add_parser(self, name: str, **kwargs: object) -> argparse.ArgumentParser:
        if self.only not in (None, name):
            return _Skipped()  # type: ignore[return-value]
        return self.sub.add_parser(name, **kwargs)  # type: ignore[arg-type]


class _Skipped:
    """Stands in for a command parser that is not needed: every call does nothing."""

    def __getattr__(self, _name: str) -> object:
        return lambda *args, **kwargs: self


def _policy_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", metavar="FILE", help="policy file (default: see README)")


# Every command: its module under tagguard.commands and the function that runs it. A module
# is imported only when its command runs, so a name check stays fast.
COMMANDS = {
    "check": "check:run_check",
    "rules": "rules:run_rules",
    "explain": "rules:run_explain",
    "policy": "policy:run_policy",
    "image": "image:run_image",
    "log": "log:run_log",
    "verify-checkpoint": "verify:run_verify_checkpoint",
    "prune": "prune:run_prune",
    "pre-push": "prepush:run_pre_push",
    "pre-commit-push": "prepush:run_pre_commit_push",
    "install": "install:run_install",
    "uninstall": "install:run_uninstall",
    "tag": "tag:run_tag",
    "check-ref": "checkref:run_check_ref",
    "export": "export:run_export",
    "ledger": "ledger:run_ledger",
    "pre-receive": "serverhooks:run_pre_receive",
    "update": "serverhooks:run_update",
    "post-receive": "serverhooks:run_post_receive",
    "reference-transaction": "serverhooks:run_reference_transaction",
}


def _plain_check(argv: list[str]) -> SimpleNamespace | None:
    """`check NAME...` without options, the commonest call, parsed without argparse (importing
    it and building a parser cost a fifth of a name check)."""
    if len(argv) < 2 or argv[0] != "check" or any(arg.startswith("-") for arg in argv[1:]):
        return None
    return SimpleNamespace(command="check", policy=None, format="text", local=False, quiet=False, names=argv[1:])


# hook -> (its positional arguments, its options that take a value)
_SERVER = ("--policy", "--chain")
_HOOKS = {"pre-receive": ((), _SERVER), "post-receive": ((), _SERVER), "update": (("ref", "old", "new"), _SERVER),
          "reference-transaction": (("state",), _SERVER), "pre-push": (("remote", "url"), ("--policy",))}


def _plain_hook(argv: list[str]) -> SimpleNamespace | None:
    """A hook's arguments as the hook scripts pass them, parsed without argparse (importing
    it costs a tenth of a hook's run); anything else is left to argparse and its errors."""
    if not argv or argv[0] not in _HOOKS:
        return None
    names, options = _HOOKS[argv[0]]
    args = SimpleNamespace(command=argv[0], **{option[2:]: None for option in options})
    import gc

    gc.disable()  # before the checks are imported: a hook's short run makes no cycles to collect
    positional: list[str] = []
    rest = argv[1:]
    while rest:
        word = rest.pop(0)
        if word in options and rest:
            setattr(args, word[2:], rest.pop(0))
        elif word.startswith("-") or len(positional) == len(names):
            return None
        else:
            positional.append(word)
    if len(positional) != len(names) or (argv[0] == "reference-transaction" and
                                         positional[0] not in ("prepared", "committed")):
        return None
    args.__dict__.update(zip(names, positional))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = (_plain_check(argv) or _plain_hook(argv)
            or _parser(argv[0] if argv and argv[0] in COMMANDS else None).parse_args(argv))
    module_name, function = COMMANDS[args.command].split(":")
    module = __import__(f"tagguard.commands.{module_name}", fromlist=[function])  # (importlib costs more)
    try:
        return int(getattr(module, function)(args))
    except TagguardError as exc:
        print(f"tagguard: error: {exc}{_repository_fix(exc, args)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `tagguard ... | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_VIOLATION
    except Exception as exc:  # the last line of defence: one line, no traceback
        if os.environ.get("TAGGUARD_DEBUG"):
            raise
        print(
            f"tagguard: internal error: {type(exc).__name__}: {exc} "
            "(set TAGGUARD_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def run() -> None:
    """The `tagguard` command (and a hook's): `main`, then out at once. Every file tagguard
    writes is closed by then, so Python's tidying up on the way out (a millisecond and a half
    with a hook's modules loaded, on every push) is skipped; only stdout and stderr are flushed."""
    code = main()
    for stream in filter(None, (sys.stdout, sys.stderr)):  # (None: closed when Python started)
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that left, or a stream closed
            code = code or EXIT_VIOLATION
    os._exit(code)


def _repository_fix(exc: TagguardError, args: argparse.Namespace | SimpleNamespace) -> str:
    """What to do when the command's repository is missing."""
    if not isinstance(exc, NotARepository) or exc.refused:
        return ""
    if getattr(args, "server", None):
        return "; --server takes the path of a repository (a bare repository or a clone)"
    repo = getattr(args, "repo", None)
    if repo is None:
        return f"; cd into a clone, then run `tagguard {args.command}` there"
    if repo != ".":
        return "; --repo takes the path of a clone (or of a bare repository)"
    return "; cd into a clone, or pass its path: --repo DIR"


# --- the ML side: the tag history, checkpoint provenance, cleaning up ----------------------

def _ml_commands(sub: _Commands) -> None:
    log = _command(sub, "log", "the history: tags that follow the convention, with commit, image, weights and metrics")
    _policy_option(log)
    _repo_option(log)
    log.add_argument("patterns", nargs="*", metavar="GLOB", help="only tags whose name matches, e.g. 'v2.9*'")
    log.add_argument("--type", metavar="TYPE", help="only tags of this type (ft, base, ...)")
    log.add_argument("--since", metavar="WHEN", help="only tags made since a date (2025-03-01) or within an age (14d)")
    log.add_argument("--pytorch", metavar="X.Y", help="only one version line: tags named vX.Y...")
    log.add_argument("--format", choices=("table", "json", "csv"), default="table")
    log.add_argument("--sort", metavar="METRIC", help="best first by this metric")
    way = log.add_mutually_exclusive_group()
    way.add_argument("--minimize", action="store_true", help="lower is better (default: the policy, or the name)")
    way.add_argument("--maximize", action="store_true", help="higher is better (default: the policy, or the name)")
    choice = log.add_mutually_exclusive_group()
    choice.add_argument("--best", metavar="METRIC", help="print the one tag with the best value")
    choice.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    log.add_argument("--x", choices=("tag", "date"), help="the HTML report's x axis: each tag in turn, or dates")

    verify = _command(sub, "verify-checkpoint", "check the git provenance recorded in a checkpoint")
    _repo_option(verify)
    verify.add_argument("--format", choices=("text", "json"), default="text")
    verify.add_argument("paths", nargs="+", metavar="PATH",
                        help="a torch.save or safetensors checkpoint, or a JSON sidecar")

    prune = _command(sub, "prune", "delete temporary tags locally, and on a remote if asked")
    _policy_option(prune)
    _repo_option(prune)
    prune.add_argument("--older-than", metavar="AGE", help="only tags older than this: 12h, 14d, 2w")
    prune.add_argument("--remote", metavar="NAME", help="also delete them on this remote")
    prune.add_argument("--dry-run", action="store_true", help="list what would be deleted")


def _repo_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", metavar="DIR", default=".", help="the git repository (default: .)")
