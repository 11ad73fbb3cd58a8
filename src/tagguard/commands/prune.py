"""`tagguard prune`: delete temporary tags (the policy's [naming] temporary globs).

Only tags matching those globs are candidates, and a protected one ([[protect]]) is always
kept. With --remote the remote's temporary tags are deleted too, with one `git push --delete`.
A tag's age is its tagger date, or its commit's date for a lightweight tag.
"""

from __future__ import annotations

import argparse
import time

from tagguard.git.repo import Git
from tagguard.lean import NamedTuple
from tagguard.ml.history import TagInfo, read_tags
from tagguard.output.dates import AGE_UNITS, parse_age
from tagguard.patterns import glob_match
from tagguard.policy.model import Policy, client_policy
from tagguard.safetext import shown


class Plan(NamedTuple):
    local: dict[str, str]  # name -> object id, to delete here
    remote: list[str]  # names to delete on the remote
    kept: list[str]  # "name: why", temporary tags left alone


def run_prune(args: argparse.Namespace) -> int:
    policy = client_policy(args.policy, cwd=args.repo)
    git = Git(args.repo)
    if args.older_than:
        parse_age(args.older_than, "--older-than")  # a typo stops here, before the remote is asked
    remote = git.remote_tags(args.remote) if args.remote else {}
    plan = make_plan(read_tags(git), remote, policy, args.older_than, time.time())
    for line in plan.kept:
        print(f"kept {line}")
    verb = "would delete" if args.dry_run else "deleted"
    if not args.dry_run:
        if plan.remote:  # the remote first: if it refuses, nothing local is lost
            git.delete_remote_tags(args.remote, plan.remote)
        git.delete_refs({f"refs/tags/{name}": oid for name, oid in plan.local.items()})
    for name in sorted(set(plan.local) | set(plan.remote)):
        places = [p for p, chosen in (("local", name in plan.local), (args.remote, name in plan.remote)) if chosen]
        print(f"{verb} {shown(name)} ({', '.join(places)})")
    if not plan.local and not plan.remote:
        print("no temporary tags to delete")
    return 0


def make_plan(
    local: list[TagInfo], remote: dict[str, str], policy: Policy, older_than: str | None, now: float
) -> Plan:
    """Which temporary tags go, here and on the remote, and why the others stay."""
    by_name = {tag.name: tag for tag in local}
    plan = Plan({}, [], [])
    for name in sorted(set(by_name) | set(remote)):
        if glob_match(name, policy.naming.temporary) is None:
            continue  # not a temporary tag: never touched
        tag = by_name.get(name)
        why = _keep_reason(name, tag, remote.get(name), policy, older_than, now)
        if why:
            plan.kept.append(f"{shown(name)}: {why}")
            continue
        if tag is not None:
            plan.local[name] = tag.oid
        if name in remote:
            plan.remote.append(name)
    return plan


def _keep_reason(
    name: str, tag: TagInfo | None, remote_oid: str | None, policy: Policy, older_than: str | None, now: float
) -> str | None:
    protect = policy.protection(name)
    if protect is not None:
        return f"protected by {protect.pattern!r}"
    if older_than is None:
        return None
    if tag is None or (remote_oid is not None and remote_oid != tag.oid):
        return "its age is unknown here (fetch the remote's tags first)"
    age = now - tag.timestamp
    if age <= parse_age(older_than, "--older-than"):
        return f"{_duration(age)} old, not older than {older_than}"
    return None


def _duration(seconds: float) -> str:
    for unit in ("w", "d", "h"):
        if seconds >= AGE_UNITS[unit]:
            return f"{seconds / AGE_UNITS[unit]:.0f}{unit}"
    return f"{max(seconds, 0) / 60:.0f}m"
