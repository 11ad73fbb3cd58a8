"""One metric over the tags as inline SVG: a line per version line (v2.8, v2.9), broken where
a tag of that line records no value, the best value ringed and protected tags marked with a
dashed rule. Text from tags is escaped.

The SVG scales with its box (a viewBox and no fixed width), so the page decides its size.
"""

from __future__ import annotations

import math

from tagguard.lean import NamedTuple
from tagguard.output.ticks import Ticks, number_ticks
from tagguard.safetext import for_html

WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP = 60, 40, 20  # room for a date label centred on the last tick
BOTTOM = {"tag": 100, "date": 44}  # rotated tag names need more room than dates
LABEL_GAP = 15  # pixels between two names on the tag axis; closer ones are thinned out
AXIS_NAME = 16  # characters of a tag name the axis shows (the point's hover shows it whole)


class Point(NamedTuple):
    x: float  # along the x axis: the tag's position in the history, or its time
    tag: str
    line: str  # the version line: "v2.8"
    value: float | None  # None: the tag records no value of this metric
    tip: str  # what hovering the point shows


class XAxis(NamedTuple):
    kind: str  # "tag" (ticks at each tag's position, labelled with its name) or "date"
    low: float
    high: float
    ticks: Ticks


class Marks(NamedTuple):
    best: str | None  # the tag with the best value (None: the direction is not known)
    protected: frozenset[str]
    colors: dict[str, str]  # version line -> color


def runs(points: list[Point]) -> list[list[Point]]:
    """One line's points, in order, cut where a tag has no value: each run is drawn as one
    polyline, so no line crosses a tag without a value."""
    found: list[list[Point]] = [[]]
    for point in points:
        if point.value is None:
            found.append([])
        else:
            found[-1].append(point)
    return [run for run in found if run]


class _Frame(NamedTuple):
    """Where a value lands in the SVG."""

    x_axis: XAxis
    y_ticks: Ticks
    bottom: float  # the x axis's line

    def x(self, value: float) -> float:
        low, high = self.x_axis.low, self.x_axis.high
        return LEFT + (WIDTH - LEFT - RIGHT) * (value - low) / (high - low)

    def y(self, value: float) -> float:
        low, high = self.y_ticks.values[0], self.y_ticks.values[-1]
        return self.bottom - (self.bottom - TOP) * (value - low) / (high - low)


def chart(metric: str, points: list[Point], x_axis: XAxis, marks: Marks) -> str:
    values = [p.value for p in points if p.value is not None]
    frame = _Frame(x_axis, number_ticks(min(values), max(values)), HEIGHT - BOTTOM[x_axis.kind])
    parts = [f'<svg class="chart" data-metric="{for_html(metric)}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{for_html(metric)} by {x_axis.kind}">']
    parts += _y_axis(frame)
    parts += _dates(frame) if x_axis.kind == "date" else _tag_names(frame, marks.protected)
    parts += [_protected_rule(p.x, p.tag, frame) for p in points if p.tag in marks.protected]
    for line, color in marks.colors.items():
        mine = [p for p in points if p.line == line]
        parts += [_polyline(run, line, color, frame) for run in runs(mine) if len(run) > 1]
    valued = [(p, value) for p in points if (value := p.value) is not None]
    parts += next((_best_ring(p.x, value, p.tag, frame) for p, value in valued if p.tag == marks.best), [])
    parts += [_point(p, value, marks.colors[p.line], frame) for p, value in valued]
    parts.append("</svg>")
    return "\n".join(parts)


def _y_axis(frame: _Frame) -> list[str]:
    lines = []
    for value, label in zip(frame.y_ticks.values, frame.y_ticks.labels):
        pos = frame.y(value)
        lines.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{pos:.1f}" y2="{pos:.1f}"/>')
        lines.append(f'<text class="tick y" x="{LEFT - 8}" y="{pos + 4:.1f}" text-anchor="end">{label}</text>')
    return lines


def _dates(frame: _Frame) -> list[str]:
    lines = [f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{frame.bottom}" y2="{frame.bottom}"/>']
    for value, label in zip(frame.x_axis.ticks.values, frame.x_axis.ticks.labels):
        pos = frame.x(value)
        lines.append(f'<line class="grid" x1="{pos:.1f}" x2="{pos:.1f}" y1="{TOP}" y2="{frame.bottom}"/>')
        lines.append(f'<text class="tick x" x="{pos:.1f}" y="{frame.bottom + 18}" text-anchor="middle">{label}</text>')
    return lines


def _tag_names(frame: _Frame, protected: frozenset[str]) -> list[str]:
    """The tags' names along the axis, slanted; thinned out where they would overlap."""
    lines = [f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{frame.bottom}" y2="{frame.bottom}"/>']
    names = list(zip(frame.x_axis.ticks.values, frame.x_axis.ticks.labels))
    every = math.ceil(LABEL_GAP * len(names) / (WIDTH - LEFT - RIGHT))
    top = frame.bottom + 14
    for at, name in names[::-1][::every][::-1]:  # counted from the newest tag, which is always named
        pos, short = frame.x(at), name if len(name) <= AXIS_NAME else name[: AXIS_NAME - 1] + "\u2026"
        kind = "tick x protected" if name in protected else "tick x"
        lines.append(f'<text class="{kind}" x="{pos:.1f}" y="{top}" text-anchor="end" transform="rotate(-45 '
                     f'{pos:.1f} {top})">{for_html(short)}<title>{for_html(name)}</title></text>')
    return lines


def _protected_rule(at: float, tag: str, frame: _Frame) -> str:
    pos = frame.x(at)
    return (f'<line class="mark-protected" data-tag="{for_html(tag)}" x1="{pos:.1f}" x2="{pos:.1f}" y1="{TOP}" '
            f'y2="{frame.bottom}"><title>{for_html(tag)}: protected</title></line>')


def _polyline(run: list[Point], line: str, color: str, frame: _Frame) -> str:
    coords = " ".join(f"{frame.x(p.x):.1f},{frame.y(p.value):.1f}" for p in run if p.value is not None)
    return f'<polyline class="series" data-line="{line}" fill="none" stroke="{color}" points="{coords}"/>'


def _best_ring(at: float, value: float, tag: str, frame: _Frame) -> list[str]:
    """A ring under the best point, and the word "best" beside it, kept inside the chart."""
    cx, cy = frame.x(at), frame.y(value)
    label_y = cy - 14 if cy > TOP + 20 else cy + 24
    anchor = "end" if cx > WIDTH - RIGHT - 40 else "start" if cx < LEFT + 40 else "middle"
    return [f'<circle class="mark-best" data-tag="{for_html(tag)}" cx="{cx:.1f}" cy="{cy:.1f}" r="10"/>',
            f'<text class="mark-best-label" x="{cx:.1f}" y="{label_y:.1f}" text-anchor="{anchor}">best</text>']


def _point(point: Point, value: float, color: str, frame: _Frame) -> str:
    return (f'<circle class="point" data-tag="{for_html(point.tag)}" data-line="{point.line}" data-value="{value:g}" '
            f'cx="{frame.x(point.x):.1f}" cy="{frame.y(value):.1f}" r="5" fill="{color}">'
            f"<title>{for_html(point.tip)}</title></circle>")
