"""The tag history as one self-contained HTML page: a chart per metric (`output/chart.py`),
a line per version line with one legend for all, then the table.

No script, no network: a Content-Security-Policy forbids both, and every piece of text that
comes from a tag (names, taggers, messages) is escaped. Hovering a point shows the tag's
message (an SVG <title>); hovering a table row does the same (a title attribute). The page
flows with the window: charts share a row when there is room, and never make it scroll sideways.
"""

from __future__ import annotations

from types import MappingProxyType

from tagguard import __version__
from tagguard.lean import TYPE_CHECKING, NamedTuple
from tagguard.ml.history import Snapshot, best_first, metric_names
from tagguard.ml.weights import parse_weights
from tagguard.output.chart import Marks, Point, XAxis, chart
from tagguard.output.dates import to_minute
from tagguard.output.history import COLUMNS, cells, number
from tagguard.output.ticks import Ticks, date_ticks
from tagguard.safetext import for_html

if TYPE_CHECKING:
    from collections.abc import Mapping

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
MAX_MESSAGE = 4000
LONG_CELL = 24  # characters; longer cells wrap anywhere
_IN_THE_NAME = ("type", "desc")  # columns the page leaves out: the tag's name shows them
_PAGE_COMMIT = 8  # hex digits of a commit in the page's table
_CSP = "default-src 'none'; style-src 'unsafe-inline'"
_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; padding: 16px 24px; max-width: 1800px; color: #222; }
h1 { font-size: 22px; margin: 8px 0 4px; }
.summary { color: #555; margin: 0 0 12px; }
.legend { list-style: none; padding: 0; margin: 0 0 16px; display: flex; flex-wrap: wrap; gap: 6px 20px; }
.legend li { display: flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 18px; height: 4px; border-radius: 2px; }
.dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 6px; }
.ring { display: inline-block; width: 12px; height: 12px; border: 3px solid #e0a000; border-radius: 50%; }
.rule { display: inline-block; width: 0; height: 16px; border-left: 2px dashed #8a5a00; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 520px), 1fr)); gap: 16px; }
figure { margin: 0; padding: 8px 8px 0; border: 1px solid #ddd; border-radius: 6px; min-width: 0; }
figcaption { font-size: 15px; padding: 0 4px 4px; }
figcaption .how { color: #666; font-size: 13px; }
svg.chart { display: block; width: 100%; height: auto; }
.grid { stroke: #eee; } .axis { stroke: #999; }
.tick { font-size: 12px; fill: #555; } .tick.protected { font-weight: 600; fill: #8a5a00; }
.series { stroke-width: 2; stroke-linejoin: round; }
.mark-protected { stroke: #8a5a00; stroke-width: 1.5; stroke-dasharray: 5 4; }
.mark-best { fill: none; stroke: #e0a000; stroke-width: 3; }
.mark-best-label { font-size: 12px; font-weight: 600; fill: #7a5800; }
.table-wrap { overflow-x: auto; margin-top: 24px; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 6px; text-align: left; vertical-align: top; }
td { overflow-wrap: break-word; } td.long, td.message, td.image, td.weights { overflow-wrap: anywhere; }
td.message { min-width: 8em; } .whole { white-space: nowrap; }
@media (min-width: 1000px) { td.date { white-space: nowrap; } }
th { background: #f6f6f6; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.best { font-weight: 700; background: #fff4cc; }
tr.protected td:first-child { font-weight: 600; }
.badge { font-size: 11px; font-weight: 600; color: #8a5a00; border: 1px solid #8a5a00; border-radius: 3px;
  padding: 0 4px; margin-left: 6px; white-space: nowrap; }
.footer { color: #777; font-size: 12px; margin: 16px 0; }
"""


class Report(NamedTuple):
    """How to draw the history: what the lead can feed from the policy or the command line."""

    x_axis: str = "tag"  # or "date" (log --x)
    directions: Mapping[str, str] = MappingProxyType({})  # metric -> "max" or "min"; absent: no best marked
    protected: frozenset[str] = frozenset()  # the tags the policy protects


def render(history: list[Snapshot], report: Report) -> str:
    metrics = metric_names(history)
    colors = {line: COLORS[i % len(COLORS)] for i, line in enumerate(version_lines(history))}
    best = {m: best_first(history, m, report.directions[m] == "min")[0].tag.name if m in report.directions else None
            for m in metrics}
    axis = _x_axis(history, report.x_axis)
    figures = [_figure(history, m, axis, Marks(best[m], report.protected, colors), report) for m in metrics]
    if not figures:
        figures = ["<p>No metrics found in the tag messages (write them as acc=0.932, f1=0.897).</p>"]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
            "<title>Tag history</title>",
            f"<style>{_STYLE}</style></head><body>",
            "<h1>Tag history</h1>",
            _summary(history, colors),
            _legend(colors),
            '<div class="charts">',
            *figures,
            "</div>",
            _table(history, metrics, best, report.protected, colors),
            f'<p class="footer">Made by tagguard {__version__}.</p>',
            "</body></html>",
            "",
        ]
    )


def version_lines(history: list[Snapshot]) -> list[str]:
    """The version lines the tags belong to, oldest version first: v2.8, v2.9, v2.10."""
    by_version = sorted(history, key=lambda s: (s.parsed.major, s.parsed.minor))
    return list(dict.fromkeys(_line(s) for s in by_version))


def _line(snapshot: Snapshot) -> str:
    return f"v{snapshot.parsed.version}"


def _message(snapshot: Snapshot) -> str:
    message = snapshot.tag.message or "(no message)"
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + "..."


def _summary(history: list[Snapshot], colors: dict[str, str]) -> str:
    text = f"{len(history)} tag{'' if len(history) == 1 else 's'}"
    if history:
        first, last = (to_minute(s.tag.date)[:10] for s in (history[0], history[-1]))
        text += f", {first} to {last}; version lines: {', '.join(colors)}"
    return f'<p class="summary">{for_html(text)}</p>'


def _legend(colors: dict[str, str]) -> str:
    items = [f'<li class="legend-line" data-line="{line}"><span class="swatch" style="background:{color}"></span>'
             f"{line}</li>" for line, color in colors.items()]
    items.append('<li class="legend-best"><span class="ring"></span>best value</li>')
    items.append('<li class="legend-protected"><span class="rule"></span>protected tag</li>')
    return f'<ul class="legend">{"".join(items)}</ul>'


def _x_axis(history: list[Snapshot], kind: str) -> XAxis:
    if kind == "date":
        times = [s.tag.timestamp for s in history] or [0]
        ticks = date_ticks(min(times), max(times))
        return XAxis(kind, ticks.values[0], ticks.values[-1], ticks)
    names = [s.tag.name for s in history]
    return XAxis(kind, -0.5, len(names) - 0.5, Ticks([float(i) for i in range(len(names))], names))


def _figure(history: list[Snapshot], metric: str, axis: XAxis, marks: Marks, report: Report) -> str:
    points = [
        Point(float(s.tag.timestamp) if axis.kind == "date" else float(i), s.tag.name, _line(s),
              s.metrics.get(metric), _tip(s, metric))
        for i, s in enumerate(history)
    ]
    how = _how(history, metric, marks, report)
    caption = f'<figcaption><b>{for_html(metric)}</b> <span class="how">{how}</span></figcaption>'
    return f'<figure>{caption}\n{chart(metric, points, axis, marks)}</figure>'


def _how(history: list[Snapshot], metric: str, marks: Marks, report: Report) -> str:
    """Which way is better, and the best tag; or how to say which way (no "best" mark is guessed)."""
    best = next((s for s in history if s.tag.name == marks.best), None)
    if best is None:
        return for_html(f"no best marked: declare which way is better in the policy "
                        f"([metrics] {metric} = \"max\" or \"min\")")
    how = "lower is better" if report.directions.get(metric) == "min" else "higher is better"
    return for_html(f"{how}; best: {best.tag.name} ({number(best.metrics[metric])})")


def _tip(snapshot: Snapshot, metric: str) -> str:
    """What hovering a point shows: the value, when and from which commit, the weights the tag
    vouches for, and its message."""
    value, tag = snapshot.metrics.get(metric), snapshot.tag
    lines = [tag.name, f"{metric} = {'no value' if value is None else number(value)}", to_minute(tag.date)]
    if tag.commit:
        lines[-1] += f", commit {tag.commit[:12]}"
    lines += [f"weights: {w.path} (sha256 {w.sha256[:12]}, {w.size:,} bytes)" for w in parse_weights(tag.message)]
    return "\n".join([*lines, "", _message(snapshot)])


def _table(history: list[Snapshot], metrics: list[str], best: dict[str, str | None], protected: frozenset[str],
           colors: dict[str, str]) -> str:
    shown = [i for i, column in enumerate(COLUMNS) if column not in _IN_THE_NAME]
    head = "".join(f"<th>{for_html(h)}</th>" for h in (*(COLUMNS[i] for i in shown), *metrics, "message"))
    rows = [f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>']
    for s in history:
        row = cells(s)
        row[COLUMNS.index("date")] = to_minute(row[COLUMNS.index("date")])
        row[COLUMNS.index("commit")] = row[COLUMNS.index("commit")][:_PAGE_COMMIT]  # (hover a point for more)
        texts = [row[i] for i in shown]
        first = f'<span class="dot" style="background:{colors[_line(s)]}"></span>{for_html(texts[0])}'
        if s.tag.name in protected:
            first += '<span class="badge">protected</span>'
        subject = s.tag.message.split("\n", 1)[0]
        kind = ' class="protected"' if s.tag.name in protected else ""
        rows.append(
            f'<tr{kind} title="{for_html(_message(s))}"><td>{first}</td>'
            + "".join(_text_cell(COLUMNS[i], text) for i, text in zip(shown[1:], texts[1:]))
            + "".join(_metric_cell(s, m, best[m]) for m in metrics)
            + f'<td class="message">{for_html(subject)}</td></tr>'
        )
    rows.append("</tbody></table></div>")
    return "\n".join(rows)


def _text_cell(column: str, text: str) -> str:
    """A cell classed by its column; a long one may break anywhere (a 160-letter tagger name
    must not widen the table), a short one only between words."""
    kind = f"{column} long" if len(text) > LONG_CELL else column
    if column in ("date", "commit"):  # breaks between words only: "2025-01-01 / 09:00", a whole short id
        inner = " ".join(f'<span class="whole">{for_html(word)}</span>' for word in text.split(" "))
        return f'<td class="{column}">{inner}</td>'
    return f'<td class="{for_html(kind)}">{for_html(text)}</td>'


def _metric_cell(snapshot: Snapshot, metric: str, best: str | None) -> str:
    if snapshot.tag.name == best:
        return f'<td class="num best" title="best {for_html(metric)}">{number(snapshot.metrics[metric])}</td>'
    return f'<td class="num">{number(snapshot.metrics.get(metric))}</td>'
