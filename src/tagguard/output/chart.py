"""One metric over the tags as inline SVG: a line per version line (v2.8, v2.9), broken where
a tag of that line records no value, the best value ringed and protected tags marked with a
dashed rule. Text from tags arrives escaped by the caller's `esc`.

The SVG scales with its box (a viewBox and no fixed width), so the page decides its size.
"""

from __future__ import annotations

import math

from tagguard.lean import TYPE_CHECKING, NamedTuple
from tagguard.output.ticks import Ticks, number_ticks

if TYPE_CHECKING:
    from collections.abc import Callable

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
    best: str  # the tag with the best value
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


def chart(metric: str, points: list[Point], x_axis: XAxis, marks: Marks, esc: Callable[[str], str]) -> str:
    values = [p.value for p in points if p.value is not None]
    y_ticks = number_ticks(min(values), max(values))
    bottom = HEIGHT - BOTTOM[x_axis.kind]

    def x(value: float) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (value - x_axis.low) / (x_axis.high - x_axis.low)

    def y(value: float) -> float:
        low, high = y_ticks.values[0], y_ticks.values[-1]
        return bottom - (bottom - TOP) * (value - low) / (high - low)

    parts = [f'<svg class="chart" data-metric="{esc(metric)}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{esc(metric)} by {x_axis.kind}">']
    parts += _y_axis(y_ticks, y)
    parts += _x_axis(x_axis, x, bottom, marks.protected, esc)
    parts += _protected_rules(points, marks.protected, x, bottom, esc)
    for line in marks.colors:
        mine = [p for p in points if p.line == line]
        parts += [_polyline(run, line, marks.colors[line], x, y) for run in runs(mine) if len(run) > 1]
    parts += _best_ring(points, marks.best, x, y, esc)
    parts += [_point(p, p.value, marks.colors[p.line], x, y, esc) for p in points if p.value is not None]
    parts.append("</svg>")
    return "\n".join(parts)


def _y_axis(ticks: Ticks, y: Callable[[float], float]) -> list[str]:
    lines = []
    for value, label in zip(ticks.values, ticks.labels):
        pos = y(value)
        lines.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{pos:.1f}" y2="{pos:.1f}"/>')
        lines.append(f'<text class="tick y" x="{LEFT - 8}" y="{pos + 4:.1f}" text-anchor="end">{label}</text>')
    return lines


def _x_axis(axis: XAxis, x: Callable[[float], float], bottom: float, protected: frozenset[str],
            esc: Callable[[str], str]) -> list[str]:
    lines = [f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{bottom}" y2="{bottom}"/>']
    if axis.kind == "date":
        for value, label in zip(axis.ticks.values, axis.ticks.labels):
            pos = x(value)
            lines.append(f'<line class="grid" x1="{pos:.1f}" x2="{pos:.1f}" y1="{TOP}" y2="{bottom}"/>')
            lines.append(f'<text class="tick x" x="{pos:.1f}" y="{bottom + 18}" text-anchor="middle">{label}</text>')
        return lines
    names = list(zip(axis.ticks.values, axis.ticks.labels))
    every = math.ceil(LABEL_GAP * len(names) / (WIDTH - LEFT - RIGHT))
    for at, name in names[::-1][::every][::-1]:  # counted from the newest tag, which is always named
        pos, shown = x(at), name if len(name) <= AXIS_NAME else name[: AXIS_NAME - 1] + "\u2026"
        kind = "tick x protected" if name in protected else "tick x"
        lines.append(f'<text class="{kind}" x="{pos:.1f}" y="{bottom + 14}" text-anchor="end" '
                     f'transform="rotate(-45 {pos:.1f} {bottom + 14})">{esc(shown)}<title>{esc(name)}</title></text>')
    return lines


def _protected_rules(points: list[Point], protected: frozenset[str], x: Callable[[float], float], bottom: float,
                     esc: Callable[[str], str]) -> list[str]:
    return [f'<line class="mark-protected" data-tag="{esc(p.tag)}" x1="{x(p.x):.1f}" x2="{x(p.x):.1f}" '
            f'y1="{TOP}" y2="{bottom}"><title>{esc(p.tag)}: protected</title></line>'
            for p in points if p.tag in protected]


def _polyline(run: list[Point], line: str, color: str, x: Callable[[float], float],
              y: Callable[[float], float]) -> str:
    coords = " ".join(f"{x(p.x):.1f},{y(p.value):.1f}" for p in run if p.value is not None)
    return f'<polyline class="series" data-line="{line}" fill="none" stroke="{color}" points="{coords}"/>'


def _best_ring(points: list[Point], best: str, x: Callable[[float], float], y: Callable[[float], float],
               esc: Callable[[str], str]) -> list[str]:
    cx, cy = next((x(p.x), y(p.value)) for p in points if p.tag == best and p.value is not None)
    label_y = cy - 14 if cy > TOP + 20 else cy + 24
    anchor = "end" if cx > WIDTH - RIGHT - 40 else "start" if cx < LEFT + 40 else "middle"
    return [f'<circle class="mark-best" data-tag="{esc(best)}" cx="{cx:.1f}" cy="{cy:.1f}" r="10"/>',
            f'<text class="mark-best-label" x="{cx:.1f}" y="{label_y:.1f}" text-anchor="{anchor}">best</text>']


def _point(point: Point, value: float, color: str, x: Callable[[float], float], y: Callable[[float], float],
           esc: Callable[[str], str]) -> str:
    return (f'<circle class="point" data-tag="{esc(point.tag)}" data-line="{point.line}" data-value="{value:g}" '
            f'cx="{x(point.x):.1f}" cy="{y(value):.1f}" r="5" fill="{color}"><title>{esc(point.tip)}</title></circle>')
