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

COLUMNS = ("tag", "date", "tagger", "type", "desc", "commit", "image", "weights")
SHORT_COMMIT = 12
CELL = 64  # characters of a cell the table shows: an image reference fits, a long message doesn't
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cells(snapshot: Snapshot, *, full: bool = False) -> list[str]:
    """The COLUMNS as people read them (the date to the minute, a short commit, weights by path),
    or with `full` as programs do (ISO date, whole commit id, each `Checkpoint:` trailer's value)."""
    tag, parsed = snapshot.tag, snapshot.parsed
    if full:
        date, commit = tag.date, tag.commit or ""
        weights = "; ".join(f"sha256:{w.sha256} {w.size} {w.path}" for w in snapshot.weights)
    else:
        date, commit = to_minute(tag.date), (tag.commit or "")[:SHORT_COMMIT]
        weights = ", ".join(w.path for w in snapshot.weights)
    return [tag.name, date, tag.tagger or "", parsed.type or "", parsed.desc or "", commit,
            snapshot.image or "", weights]


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
        values = [number(snapshot.metrics.get(m)) or "-" for m in metrics]
        rows.append([shown(c)[:CELL] if c else "-" for c in text] + values)
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
            "image": s.image,
            "weights": [w._asdict() for w in s.weights],
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
    writer.writerow([*COLUMNS, *metrics, "subject"])
    for s in history:
        subject = s.tag.message.split("\n", 1)[0]
        text = [_spreadsheet_safe(c) for c in cells(s, full=True)]
        writer.writerow([*text, *(number(s.metrics.get(m)) for m in metrics), _spreadsheet_safe(subject)])


def _spreadsheet_safe(text: str) -> str:
    """Tag messages are untrusted: a cell that a spreadsheet would run as a formula is quoted."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


FORMATS: dict[str, Callable[[list[Snapshot], TextIO], None]] = {"table": _table, "json": _json, "csv": _csv}
