"""The tag history as one self-contained HTML page: an inline SVG chart per metric, then a table.

No script, no network: a Content-Security-Policy forbids both, and every piece of text that
comes from a tag (names, taggers, messages) is escaped. Hovering a point shows the tag's
message (an SVG <title>); hovering a table row does the same (a title attribute).
"""

from __future__ import annotations

import html
import math

from tagguard import __version__
from tagguard.lean import TYPE_CHECKING
from tagguard.ml.history import Snapshot, metric_names
from tagguard.output.dates import to_minute
from tagguard.output.history import COLUMNS, cells, number

if TYPE_CHECKING:
    from typing import Callable


WIDTH, HEIGHT = 760, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 20, 84
LABEL_GAP = 14  # pixels between two tag names on the axis; closer ones are thinned out
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
MAX_MESSAGE = 4000
_CSP = "default-src 'none'; style-src 'unsafe-inline'"
_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
h2 { font-size: 16px; margin: 24px 0 4px; }
svg { background: #fff; border: 1px solid #ddd; }
.grid { stroke: #eee; } .axis { stroke: #888; }
.label { font-size: 11px; fill: #555; }
table { border-collapse: collapse; margin-top: 24px; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; vertical-align: top; }
td { white-space: nowrap; } td:last-child { white-space: normal; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
"""


def render(history: list[Snapshot]) -> str:
    metrics = metric_names(history)
    charts = [_chart(history, m, COLORS[i % len(COLORS)]) for i, m in enumerate(metrics)]
    if not charts:
        charts = ["<p>No metrics found in the tag messages (write them as acc=0.932, f1=0.897).</p>"]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
            "<title>Tag history</title>",
            f"<style>{_STYLE}</style></head><body>",
            f"<h1>Tag history: {len(history)} tags</h1>",
            *charts,
            _table(history, metrics),
            f"<p class=\"label\">Made by tagguard {__version__}.</p>",
            "</body></html>",
            "",
        ]
    )


def _esc(text: str) -> str:
    """Escape for HTML text and attributes, dropping control characters other than newline."""
    kept = "".join(c for c in text if c in "\n\t" or (c >= " " and not "\x7f" <= c <= "\x9f"))
    return html.escape(kept, quote=True)


def _message(snapshot: Snapshot) -> str:
    message = snapshot.tag.message or "(no message)"
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + "..."


def _chart(history: list[Snapshot], metric: str, color: str) -> str:
    points = [(i, s) for i, s in enumerate(history) if metric in s.metrics]
    low, high = _value_range([s.metrics[metric] for _, s in points])
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = inner_w / max(len(history) - 1, 1)

    def x(index: int) -> float:
        return LEFT + (index * step if len(history) > 1 else inner_w / 2)

    def y(value: float) -> float:
        return TOP + inner_h * (high - value) / (high - low)

    parts = [f'<h2>{_esc(metric)}</h2>', f'<svg class="chart" data-metric="{_esc(metric)}" width="{WIDTH}" '
             f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img">']
    parts += _value_axis(low, high, y)
    parts += _tag_axis(history, x)
    coords = " ".join(f"{x(i):.1f},{y(s.metrics[metric]):.1f}" for i, s in points)
    parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{coords}"/>')
    for i, s in points:
        value = s.metrics[metric]
        tip = f"{s.tag.name}\n{metric} = {value:g}\n\n{_message(s)}"
        parts.append(
            f'<circle class="point" data-tag="{_esc(s.tag.name)}" data-value="{value:g}" '
            f'cx="{x(i):.1f}" cy="{y(value):.1f}" r="5" fill="{color}"><title>{_esc(tip)}</title></circle>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _value_range(values: list[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or abs(high) * 0.05 or 1.0
    return low - pad, high + pad


def _value_axis(low: float, high: float, y: Callable[[float], float]) -> list[str]:
    lines = []
    for k in range(5):
        value = low + (high - low) * k / 4
        pos = y(value)
        lines.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{pos:.1f}" y2="{pos:.1f}"/>')
        lines.append(f'<text class="label" x="{LEFT - 6}" y="{pos + 4:.1f}" text-anchor="end">{value:.4g}</text>')
    lines.append(f'<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{HEIGHT - BOTTOM}"/>')
    return lines


def _tag_axis(history: list[Snapshot], x: Callable[[int], float]) -> list[str]:
    base = HEIGHT - BOTTOM
    lines = [f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base}" y2="{base}"/>']
    step = x(1) - x(0) if len(history) > 1 else LABEL_GAP
    every = max(1, math.ceil(LABEL_GAP / step))
    for i, s in enumerate(history):
        if (len(history) - 1 - i) % every:  # counted from the newest tag, which is always named
            continue
        pos = x(i)
        lines.append(
            f'<text class="label" x="{pos:.1f}" y="{base + 14}" text-anchor="end" '
            f'transform="rotate(-35 {pos:.1f} {base + 14})">{_esc(s.tag.name)}</text>'
        )
    return lines


def _table(history: list[Snapshot], metrics: list[str]) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in (*COLUMNS, *metrics, "message"))
    rows = [f"<table><thead><tr>{head}</tr></thead><tbody>"]
    for s in history:
        shown_cells = cells(s)
        shown_cells[1] = to_minute(shown_cells[1])
        values = [s.metrics.get(m) for m in metrics]
        subject = s.tag.message.split("\n", 1)[0]
        rows.append(
            f'<tr title="{_esc(_message(s))}">'
            + "".join(f"<td>{_esc(c)}</td>" for c in shown_cells)
            + "".join(f'<td class="num">{number(v)}</td>' for v in values)
            + f"<td>{_esc(subject)}</td></tr>"
        )
    rows.append("</tbody></table>")
    return "\n".join(rows)
