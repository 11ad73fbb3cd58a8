"""`tagguard log`: the tags that follow the convention, their taggers, dates and metrics."""

from __future__ import annotations

import argparse
import sys

from tagguard.git.repo import Git
from tagguard.lean import TYPE_CHECKING
from tagguard.ml.history import Snapshot, metric_names, ranked, read_tags, snapshots
from tagguard.output.dates import to_minute
from tagguard.policy.model import client_policy
from tagguard.safetext import shown

if TYPE_CHECKING:
    from typing import TextIO


_COLUMNS = ("tag", "date", "tagger", "type", "desc")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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
    {"table": _table, "json": _json, "csv": _csv}[args.format](history, sys.stdout)
    return 0


def _write_html(history: list[Snapshot], path: str) -> int:
    from tagguard.output.html import render

    with open(path, "w", encoding="utf-8") as out:
        out.write(render(history))
    print(f"wrote {path}: {_count(len(history), 'tag')}, {_count(len(metric_names(history)), 'metric')}")
    return 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _cells(snapshot: Snapshot) -> list[str]:
    tag = snapshot.tag
    return [tag.name, tag.date, tag.tagger or "", snapshot.parsed.type or "", snapshot.parsed.desc or ""]


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _table(history: list[Snapshot], out: TextIO) -> None:
    if not history:
        print("no tags follow the convention v<major>.<minor>[-type][-desc]", file=sys.stderr)
        return
    metrics = metric_names(history)
    header = [name.upper() for name in _COLUMNS] + [shown(m) for m in metrics]
    rows = [header]
    for snapshot in history:
        cells = _cells(snapshot)
        cells[1] = to_minute(cells[1])
        cells = [shown(c)[:40] if c else "-" for c in cells]
        rows.append(cells + [_number(snapshot.metrics.get(m)) or "-" for m in metrics])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip(), file=out)


def _json(history: list[Snapshot], out: TextIO) -> None:
    import json

    records = [
        {
            "tag": s.tag.name,
            "commit": s.tag.commit,
            "annotated": s.tag.annotated,
            "tagger": s.tag.tagger,
            "email": s.tag.email,
            "date": s.tag.date,
            "version": s.parsed.version,
            "type": s.parsed.type,
            "desc": s.parsed.desc,
            "metrics": s.metrics,
            "message": s.tag.message,
        }
        for s in history
    ]
    json.dump(records, out, indent=2, ensure_ascii=False)
    out.write("\n")


def _csv(history: list[Snapshot], out: TextIO) -> None:
    import csv

    metrics = metric_names(history)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*_COLUMNS, "commit", *metrics, "subject"])
    for s in history:
        subject = s.tag.message.split("\n", 1)[0]
        text = [_spreadsheet_safe(c) for c in (*_cells(s), s.tag.commit or "")]
        writer.writerow([*text, *(_number(s.metrics.get(m)) for m in metrics), _spreadsheet_safe(subject)])


def _spreadsheet_safe(text: str) -> str:
    """Tag messages are untrusted: a cell that a spreadsheet would run as a formula is quoted."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
