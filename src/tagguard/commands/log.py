"""`tagguard log`: the tags that follow the convention, their taggers, dates and metrics."""

from __future__ import annotations

import argparse
import sys

from tagguard.errors import TagguardError
from tagguard.git.repo import Git
from tagguard.ml.history import Snapshot, metric_names, ranked, read_tags, snapshots
from tagguard.output.history import FORMATS
from tagguard.policy.model import Policy, client_policy


def run_log(args: argparse.Namespace) -> int:
    if args.x and not args.html:
        raise TagguardError("--x sets the HTML report's x axis: add --html FILE (log --html report.html --x date)")
    policy = client_policy(args.policy, cwd=args.repo)
    history = snapshots(read_tags(Git(args.repo)), policy)
    if args.html:
        return _write_html(args, history, policy)
    if args.best or args.sort:
        metric = args.best or args.sort
        history = ranked(history, metric, minimize=_directions(args, metric).get(metric.lower()) == "min")
    if args.best:
        history = history[:1]
        if args.format == "table":
            print(history[0].tag.name)
            return 0
    FORMATS[args.format](history, sys.stdout)
    return 0


def _directions(args: argparse.Namespace, ranked_by: str | None) -> dict[str, str]:
    """metric -> "min" for each metric --minimize names; a bare --minimize names the one ranked by."""
    named = [name or ranked_by for name in args.minimize or ()]
    if None in named:
        raise TagguardError("--minimize needs a metric name with --html (log --html report.html --minimize loss)")
    return {str(name).lower(): "min" for name in named}


def _write_html(args: argparse.Namespace, history: list[Snapshot], policy: Policy) -> int:
    from tagguard.output.html import Report, render

    protected = frozenset(s.tag.name for s in history if policy.protection(s.tag.name))
    report = Report(args.x or "tag", _directions(args, None), protected)
    with open(args.html, "w", encoding="utf-8") as out:
        out.write(render(history, report))
    print(f"wrote {args.html}: {_count(len(history), 'tag')}, {_count(len(metric_names(history)), 'metric')}")
    return 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
