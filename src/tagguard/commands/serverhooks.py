"""`tagguard pre-receive`, `update` and `post-receive`: the server hooks.

Each turns git's input into `RefUpdate`s, judges them with the same checks as the client
(plus the tag ledger), prints every problem at once and fails closed on any error.
"""

from __future__ import annotations

import sys

from tagguard.git.refupdates import RefUpdate, landing, parse_receive
from tagguard.git.repo import Git
from tagguard.lean import TYPE_CHECKING
from tagguard.output.report import has_errors, violation_lines
from tagguard.policy.model import Policy
from tagguard.rules.catalog import WARN, Violation
from tagguard.safetext import shown
from tagguard.server.hookscripts import mark_push, transaction_hook_near
from tagguard.server.receive import (
    REFUSED,
    WARNED,
    audit,
    guarded,
    held_as_claimed,
    hook_git_dir,
    judge,
    ledger_writable,
    open_context,
    post_receive_in_place,
    record_pending,
    run_chained,
    say,
    verdicts,
)

if TYPE_CHECKING:
    import argparse

    from tagguard.server.records import Verdict


def run_pre_receive(args: argparse.Namespace) -> int:
    stdin = [sys.stdin.buffer.read()]  # let go of once parsed: 100,000 tags are 10 MB of input

    def body() -> int:
        chained = run_chained(args.chain, [], stdin[0])
        mine = _receive(parse_receive(_text(stdin.pop())), args, "push", args.chain)
        return mine or (1 if chained else 0)

    return guarded("push refused", body)


def run_update(args: argparse.Namespace) -> int:
    def body() -> int:
        chained = run_chained(args.chain, [args.ref, args.old, args.new], None)
        updates = parse_receive(f"{args.old} {args.new} {args.ref}", "arguments")
        mine = _receive(updates, args, shown(args.ref))
        return mine or (1 if chained else 0)

    return guarded(f"{shown(args.ref)} refused", body)


def run_post_receive(args: argparse.Namespace) -> int:
    stdin = [sys.stdin.buffer.read()]  # let go of once parsed, as in pre-receive

    def body() -> int:
        chained = run_chained(args.chain, [], stdin[0])
        _record(parse_receive(_text(stdin.pop())))
        return 1 if chained else 0

    return guarded("the push landed, but recording its tags in the ledger failed", body)


def run_reference_transaction(args: argparse.Namespace) -> int:
    """Tag changes made on the server outside a push (the hook passes only those): judged
    when "prepared" (a refusal aborts the change), recorded when "committed"."""
    stdin = sys.stdin.buffer.read()

    def body() -> int:
        updates = parse_receive(_text(stdin))
        if args.state == "prepared":
            return _receive(updates, args, "tag change")
        _record(updates)
        return 0

    return guarded(f"tag change {'refused' if args.state == 'prepared' else 'not recorded'}", body)


def _text(stdin: bytes) -> str:
    return stdin.decode("utf-8", "surrogateescape")


def _receive(updates: list[RefUpdate], args: argparse.Namespace, what: str, hook: str | None = None) -> int:
    """Judge and report; `hook` (pre-receive's --chain) says where to look for post-receive."""
    context = open_context(args.policy)
    lands = landing(updates)
    with context.git:
        post_receive_in_place(hook, context.policy, lands)
        current = held_as_claimed(context, updates)
        ledger_writable(context.git_dir, lands)
        targets: dict[str, str] = {}
        results = judge(updates, context, targets)
        decided = verdicts(results, updates, context.policy.server.mode)
        audit(context, updates, results, decided)
        say(_report(results, decided, context.policy, what))
        if REFUSED in decided.values():
            return 1
        del results, decided  # (15 MB of a 100,000-tag push, let go of before its records are written)
        record_pending(context, updates, lands, current, targets)
    if hook and any(u.is_tag for u in updates) and transaction_hook_near(hook):
        mark_push(context.git_dir, accepted=True)
    return 0


def _report(results: dict[str, list[Violation]], decided: dict[str, Verdict], policy: Policy, what: str) -> list[str]:
    found_any = list(filter(None, results.values()))  # (none in nearly every push)
    warned = bool(found_any) and WARNED in decided.values()
    lines = []
    for found in found_any:
        for violation in found:
            lines += violation_lines(violation._replace(severity=WARN) if warned else violation)
    failing = sum(1 for found in found_any if has_errors(found))
    refs = f"{failing} tag ref{'s' if failing != 1 else ''} break{'s' if failing == 1 else ''} the tag policy"
    if REFUSED in decided.values():
        lines.append(f"tagguard: {what} refused: {refs} (policy: {policy.origin})")
    elif warned:
        lines.append(f"tagguard: warn mode: {what} accepted, but {refs} (policy: {policy.origin})")
    return lines


def _record(updates: list[RefUpdate]) -> None:
    """The landed marks of the tags that landed (pre-receive wrote their pending records);
    post-receive's sh script does the same itself unless a name needs JSON escapes."""
    from tagguard.server.ledger import landed_marks, write

    git = Git(".")
    git_dir = hook_git_dir(git)
    if any(u.is_tag for u in updates):
        mark_push(git_dir, accepted=False)
    write(git, git_dir, landed_marks(updates), detach=True)
