"""`tagguard log`: the tags that follow the convention, their taggers, dates, commits, images,
weights and metrics; filtered by name, type, date or version line; ranked by a metric."""

from __future__ import annotations

import argparse
import re
import sys
import time

from tagguard.errors import TagguardError
from tagguard.git.repo import Git
from tagguard.ml.history import Selection, Snapshot, metric_names, ranked, read_tags, select, snapshots
from tagguard.output.history import FORMATS
from tagguard.policy.model import Policy, client_policy
from tagguard.safetext import shown

_VERSION = re.compile(r"(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})", re.ASCII)  # as tag names write it


def run_log(args: argparse.Namespace) -> int:
    if args.x and not args.html:
        raise TagguardError("--x sets the HTML report's x axis: add --html FILE (log --html report.html --x date)")
    policy = client_policy(args.policy, cwd=args.repo)
    selection = _selection(args, policy)  # a typo in a filter stops here, before git is asked
    history = select(snapshots(read_tags(Git(args.repo)), policy), selection)
    if not history and selection != Selection() and args.format == "table" and not args.html:
        print("no tag that follows the convention matches the filters", file=sys.stderr)
        return 0
    if args.html:
        if (args.minimize or args.maximize) and not args.sort:
            raise TagguardError("--minimize and --maximize say which way --sort's or --best's metric is better; "
                                "for the HTML report, declare each metric's direction in the policy "
                                "([metrics] loss = \"min\")")
        return _write_html(args, history, policy)
    if args.best or args.sort:
        flag = "min" if args.minimize else "max" if args.maximize else None
        history = ranked(history, args.best or args.sort, policy, flag)
    if args.best:
        history = history[:1]
        if args.format == "table":
            print(history[0].tag.name)
            return 0
    FORMATS[args.format](history, sys.stdout)
    return 0


def _selection(args: argparse.Namespace, policy: Policy) -> Selection:
    if args.type is not None and args.type not in policy.naming.types:
        raise TagguardError(f"--type {shown(args.type)!r}: not a type the policy allows "
                            f"({', '.join(policy.naming.types)})")
    if args.pytorch is not None and not _VERSION.fullmatch(args.pytorch):
        raise TagguardError(f"--pytorch {shown(args.pytorch)!r}: expected a PyTorch major.minor, such as 2.9")
    since = _since(args.since) if args.since else None
    return Selection(tuple(args.patterns), args.type, since, args.pytorch)


def _since(text: str) -> float:
    """`2025-03-01`, `2025-03-01T12:00` (UTC unless it says otherwise), or an age: `14d`."""
    from datetime import datetime, timezone

    from tagguard.output.dates import parse_age

    if text[:1].isdigit() and text[-1:].isalpha() and text[:-1].isdecimal():
        return time.time() - parse_age(text, "--since")
    try:
        when = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)  # (3.9 reads no Z)
    except ValueError:
        raise TagguardError(f"--since {shown(text)!r}: expected a date (2025-03-01, 2025-03-01T12:00) "
                            "or an age (12h, 14d, 2w)") from None
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp()




def _directions(args: argparse.Namespace, history: list[Snapshot], policy: Policy) -> dict[str, str]:
    """Which way is better for each metric the page draws (the policy's [metrics], else the
    name; --minimize or --maximize for the --sort metric); a metric none of them tells of
    gets no "best" mark."""
    from tagguard.ml.metrics import direction

    flag = "min" if args.minimize else "max" if args.maximize else None
    from tagguard.policy.model import metric_key

    ranked_by = metric_key(args.sort) if args.sort else None
    ways = {m: direction(m, policy.metrics, flag if m == ranked_by else None) for m in metric_names(history)}
    return {metric: way for metric, way in ways.items() if way}


def _write_html(args: argparse.Namespace, history: list[Snapshot], policy: Policy) -> int:
    from tagguard.output.html import Report, render

    protected = frozenset(s.tag.name for s in history if policy.protection(s.tag.name))
    report = Report(args.x or "tag", _directions(args, history, policy), protected)
    with open(args.html, "w", encoding="utf-8") as out:
        out.write(render(history, report))
    print(f"wrote {args.html}: {_count(len(history), 'tag')}, {_count(len(metric_names(history)), 'metric')}")
    return 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
