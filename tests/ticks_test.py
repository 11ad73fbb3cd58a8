"""Axis ticks: they cover the data, step by 1, 2 or 5 x 10^k, and read short and distinct."""

from __future__ import annotations

import math
from datetime import datetime, timezone

from hypothesis import example, given
from hypothesis import strategies as st

from tagguard.output.ticks import MOST, Ticks, date_ticks, number_ticks

values = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)
times = st.integers(min_value=0, max_value=32503679999)  # 1970 to the end of 2999


def mantissa_of(step: float) -> float:
    """1, 2 or 5 for a step of 1, 2 or 5 x 10^k (a difference of two ticks may be 0.000999...)."""
    return round(step / 10 ** math.floor(math.log10(step) + 1e-9), 6)


def assert_covers(ticks: Ticks, low: float, high: float, longest: int) -> None:
    """The ticks run from at or below `low` to at or above `high`, no more than one tick beyond
    either (the axis hugs the data), with at most MOST distinct labels of at most `longest` characters."""
    assert ticks.values[0] <= low and ticks.values[-1] >= high
    assert 2 <= len(ticks.values) <= MOST and ticks.values == sorted(set(ticks.values))
    assert len(set(ticks.labels)) == len(ticks.labels) and max(map(len, ticks.labels)) <= longest


@given(values, values)
@example(0.03125, 0.03125)  # (steps of 0.001 whose differences are 0.000999..., found by CI's run)
def test_number_ticks_hug_the_data_in_nice_steps_with_short_distinct_labels(a: float, b: float) -> None:
    low, high = min(a, b), max(a, b)
    ticks = number_ticks(low, high)
    assert_covers(ticks, low, high, longest=12)
    if high - low > abs(high) * 1e-9:  # one value is widened first
        assert ticks.values[1] > low and ticks.values[-2] < high
    steps = [later - earlier for earlier, later in zip(ticks.values, ticks.values[1:])]
    assert all(math.isclose(s, steps[0], rel_tol=1e-6) for s in steps)
    assert mantissa_of(steps[0]) in (1, 2, 5)
    assert not [label for label in ticks.labels if label.startswith("-") and float(label) == 0]
    exponent = math.floor(math.log10(steps[0]) + 1e-9)
    if -4 <= exponent < 6:  # beyond, labels are 1.5e-07 and 2.0e+08
        needed = max(0, -exponent)  # 0.05 needs 2 decimals, 20 none
        assert all(len(label.partition(".")[2]) == needed for label in ticks.labels)
    assert all(math.isclose(float(label), v, rel_tol=1e-9, abs_tol=steps[0] * 1e-6)
               for label, v in zip(ticks.labels, ticks.values))


def test_labels_carry_only_the_digits_the_step_needs() -> None:
    assert number_ticks(0.6, 0.95).labels == ["0.6", "0.7", "0.8", "0.9", "1.0"]
    assert number_ticks(0.871, 0.932).labels == ["0.86", "0.88", "0.90", "0.92", "0.94"]
    assert number_ticks(-0.01488, 0.9405).labels == ["-0.2", "0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]
    assert number_ticks(120, 480).labels == ["100", "200", "300", "400", "500"]
    assert number_ticks(1.2e-5, 1.9e-5).labels == ["1.2e-05", "1.4e-05", "1.6e-05", "1.8e-05", "2.0e-05"]
    assert number_ticks(0, 3e8).labels[:2] == ["0", "5.0e+07"]


def test_one_value_gets_an_axis_around_it() -> None:
    assert number_ticks(0.932, 0.932).labels == ["0.88", "0.90", "0.92", "0.94", "0.96", "0.98"]
    assert number_ticks(0, 0).labels == ["-1.0", "-0.5", "0.0", "0.5", "1.0"]


@given(times, times)
def test_date_ticks_hug_the_dates_with_distinct_labels(a: int, b: int) -> None:
    low, high = min(a, b), max(a, b)
    ticks = date_ticks(low, high)
    assert_covers(ticks, low, high, longest=11)
    if high - low >= 60:  # a single moment gets a day either side
        assert ticks.values[1] > low and ticks.values[-2] < high


def test_date_steps_are_calendar_steps() -> None:
    def at(text: str) -> float:
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()

    assert date_ticks(at("2025-03-01T10:00"), at("2025-03-06T10:00")).labels == [
        "2025-03-01", "2025-03-02", "2025-03-03", "2025-03-04", "2025-03-05", "2025-03-06", "2025-03-07"]
    assert date_ticks(at("2025-03-01"), at("2025-04-20")).labels == [  # two weeks, from Mondays
        "2025-02-17", "2025-03-03", "2025-03-17", "2025-03-31", "2025-04-14", "2025-04-28"]
    assert date_ticks(at("2024-11-05"), at("2025-09-01")).labels == [
        "2024-11", "2025-01", "2025-03", "2025-05", "2025-07", "2025-09"]
    assert date_ticks(at("2025-03-04T09:10"), at("2025-03-04T11:40")).labels == [
        "03-04 09:00", "03-04 09:30", "03-04 10:00", "03-04 10:30", "03-04 11:00", "03-04 11:30", "03-04 12:00"]


def test_dates_outside_the_years_people_tag_in_are_drawn_at_the_edge() -> None:
    """Tag dates are untrusted: a tagger line can say any number of seconds."""
    assert date_ticks(-(10**12), 10**15).labels[-1] == "3000"
    assert date_ticks(10**15, 10**15 + 1).labels == [
        "12-30 12:00", "12-31 00:00", "12-31 12:00", "01-01 00:00", "01-01 12:00", "01-02 00:00"]
