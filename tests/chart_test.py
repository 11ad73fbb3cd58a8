"""The chart's gap logic and version lines, on their own."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tagguard.ml.history import Snapshot, TagInfo
from tagguard.output.chart import Marks, Point, XAxis, chart, runs
from tagguard.output.html import version_lines
from tagguard.output.ticks import Ticks
from tagguard.rules.naming import TagName


def point(x: int, value: float | None) -> Point:
    return Point(float(x), f"v2.8-ft-run{x}", "v2.8", value, "")


def test_a_tag_without_a_value_cuts_the_line() -> None:
    points = [point(0, 0.5), point(1, 0.6), point(2, None), point(3, 0.7), point(4, None), point(5, None),
              point(6, 0.8), point(7, 0.9)]
    assert [[p.x for p in run] for run in runs(points)] == [[0, 1], [3], [6, 7]]
    assert runs([point(0, None)]) == [] and runs([]) == []


@given(st.lists(st.one_of(st.none(), st.floats(0, 1)), max_size=30))
def test_runs_keep_every_value_in_order_and_join_only_neighbours(values: list[float | None]) -> None:
    points = [point(x, v) for x, v in enumerate(values)]
    found = runs(points)
    assert [p for run in found for p in run] == [p for p in points if p.value is not None]
    for run in found:
        assert [p.x for p in run] == list(range(int(run[0].x), int(run[0].x) + len(run)))  # no tag skipped
    assert len(found) == len([x for x, v in enumerate(values) if v is not None and (x == 0 or values[x - 1] is None)])


def snapshot(name: str, major: int, minor: int) -> Snapshot:
    return Snapshot(TagInfo(name, "0" * 40, None, True, None, None, "", 0, ""), TagName(major, minor, "ft"), {}, None, [])


def test_version_lines_in_version_order() -> None:
    history = [snapshot("v2.10-ft", 2, 10), snapshot("v2.9-ft", 2, 9), snapshot("v1.13-ft", 1, 13),
               snapshot("v2.9-ft-b", 2, 9)]
    assert version_lines(history) == ["v1.13", "v2.9", "v2.10"]


def test_a_best_value_of_zero_is_ringed() -> None:
    points = [point(0, 0.3), point(1, 0.0), point(2, None), point(3, 0.1)]
    axis = XAxis("tag", -0.5, 3.5, Ticks([0.0, 1.0, 2.0, 3.0], [p.tag for p in points]))
    svg = chart("loss", points, axis, Marks("v2.8-ft-run1", frozenset({"v2.8-ft-run3"}), {"v2.8": "#1f77b4"}))
    assert svg.count('<circle class="mark-best" data-tag="v2.8-ft-run1"') == 1
    assert svg.count('<circle class="point"') == 3 and svg.count("<polyline") == 1
    assert svg.count('<line class="mark-protected" data-tag="v2.8-ft-run3"') == 1
