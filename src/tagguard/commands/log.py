"""`tagguard log`: the tags that follow the convention, their taggers, dates and metrics."""

from __future__ import annotations

import argparse
import sys

from tagguard.git.repo import Git
from tagguard.ml.history import Snapshot, metric_names, ranked, read_tags, snapshots
from tagguard.output.history import FORMATS
from tagguard.policy.model import client_policy


def run_log(args: argparse.Namespace) -> int:
    policy = client_policy(args.policy, cwd=args.repo)
    history = snapshots(read_tags(Git(args.repo)), policy)
    if args.html:
        return _write_html(history, args.html)
    if args.best or args.sort:
        history = ranked(history, args.best or args.sort, minimize=args.minimize)
    if args.best:
        history = history[:1]
        if args.format == "table":
            print(history[0].tag.name)
            return 0
    FORMATS[args.format](history, sys.stdout)
    return 0


def _write_html(history: list[Snapshot], path: str) -> int:
    from tagguard.output.html import render

    with open(path, "w", encoding="utf-8") as out:
        out.write(render(history))
    print(f"wrote {path}: {_count(len(history), 'tag')}, {_count(len(metric_names(history)), 'metric')}")
    return 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
