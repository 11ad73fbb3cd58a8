"""The tag history as `tagguard log` prints it (a table, JSON, CSV), and the cells and numbers
the HTML page shows the same way."""

from __future__ import annotations

import sys

from tagguard.lean import TYPE_CHECKING
from tagguard.ml.history import Snapshot, metric_names
from tagguard.output.dates import to_minute
from tagguard.safetext import shown

if TYPE_CHECKING:
    from typing import Callable, TextIO

COLUMNS = ("tag", "date", "tagger", "type", "desc")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cells(snapshot: Snapshot) -> list[str]:
    tag = snapshot.tag
    return [tag.name, tag.date, tag.tagger or "", snapshot.parsed.type or "", snapshot.parsed.desc or ""]


def number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _table(history: list[Snapshot], out: TextIO) -> None:
    if not history:
        print("no tags follow the convention v<major>.<minor>[-type][-desc]", file=sys.stderr)
        return
    metrics = metric_names(history)
    header = [name.upper() for name in COLUMNS] + [shown(m) for m in metrics]
    rows = [header]
    for snapshot in history:
        text = cells(snapshot)
        text[1] = to_minute(text[1])
        values = [number(snapshot.metrics.get(m)) or "-" for m in metrics]
        rows.append([shown(c)[:40] if c else "-" for c in text] + values)
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
    writer.writerow([*COLUMNS, "commit", *metrics, "subject"])
    for s in history:
        subject = s.tag.message.split("\n", 1)[0]
        text = [_spreadsheet_safe(c) for c in (*cells(s), s.tag.commit or "")]
        writer.writerow([*text, *(number(s.metrics.get(m)) for m in metrics), _spreadsheet_safe(subject)])


def _spreadsheet_safe(text: str) -> str:
    """Tag messages are untrusted: a cell that a spreadsheet would run as a formula is quoted."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


FORMATS: dict[str, Callable[[list[Snapshot], TextIO], None]] = {"table": _table, "json": _json, "csv": _csv}
