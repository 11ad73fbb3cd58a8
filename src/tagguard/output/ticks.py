"""Axis ticks people read at a glance.

A value axis steps by 1, 2 or 5 x 10^k, a date axis by minutes, hours, days, weeks, months or
years. Each axis runs from the tick at or below the lowest value to the tick at or above the
highest, with the smallest step that needs at most `MOST` ticks, so it hugs the data. Labels
carry only the digits the step needs: 0.85 0.90 0.95, not 0.8500 or 0.9405.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

from tagguard.lean import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

MOST = 7
_MANTISSAS = (1, 2, 5)
_SCIENTIFIC_BELOW, _SCIENTIFIC_FROM = -4, 6  # step exponents shown as 1.5e-05 or 2e+07
_MINUTE, _HOUR, _DAY = 60, 3600, 86400
_MONDAY = 4 * _DAY  # 1970-01-05: weeks start on Mondays
_SECOND_STEPS = tuple(n * _MINUTE for n in (1, 5, 15, 30)) + tuple(n * _HOUR for n in (1, 3, 6, 12)) \
    + tuple(n * _DAY for n in (1, 2, 7, 14))
_MONTH_STEPS = (1, 2, 3, 6, 12, 24, 60, 120, 240, 600, 1200, 2400, 6000, 12000)
# Tag dates are untrusted: the date axis shows what lies outside these years at its edge.
_EARLIEST, _LATEST = 0, int(datetime(3000, 1, 1, tzinfo=timezone.utc).timestamp()) - 1


class Ticks(NamedTuple):
    values: list[float]  # ascending; the first and last are the axis's ends
    labels: list[str]


def number_ticks(low: float, high: float) -> Ticks:
    """Ticks for values from `low` to `high` (equal values get an axis around them)."""
    low, high = _widened(low, high)
    k = math.floor(math.log10((high - low) / (MOST - 1)))
    while True:
        for mantissa in _MANTISSAS:
            tick, step = _multiples(mantissa, k), _scaled(mantissa, k)
            first, last = _bounds(low, high, tick, math.floor(low / step), math.ceil(high / step))
            if last - first < MOST:
                values = [tick(n) for n in range(first, last + 1)]
                return Ticks(values, _number_labels(values, k))
        k += 1


def _multiples(mantissa: int, k: int) -> Callable[[int], float]:
    return lambda n: _scaled(n * mantissa, k)


def _widened(low: float, high: float) -> tuple[float, float]:
    if high - low > abs(high) * 1e-9:
        return low, high
    pad = abs(high) * 0.05 or 1.0
    return low - pad, high + pad


def _scaled(n: int, k: int) -> float:
    """n x 10^k, as close as a float gets (0.3, not 0.30000000000000004)."""
    return n * 10**k if k >= 0 else n / 10**-k


def _bounds(low: float, high: float, tick: Callable[[int], float], first: int, last: int) -> tuple[int, int]:
    """The indexes of the last tick at or below `low` and the first at or above `high`, from
    guesses that float rounding may have put one off; `tick(n)` increases with n."""
    while tick(first) > low:
        first -= 1
    while tick(first + 1) <= low:
        first += 1
    while tick(last) < high:
        last += 1
    while tick(last - 1) >= high:
        last -= 1
    return first, last


def _number_labels(values: list[float], k: int) -> list[str]:
    if _SCIENTIFIC_BELOW <= k < _SCIENTIFIC_FROM:
        labels = [f"{v:.{max(0, -k)}f}" for v in values]
    else:
        magnitude = math.floor(math.log10(max(abs(v) for v in values)))
        labels = [f"{v:.{max(0, magnitude - k)}e}" for v in values]
    return [_tidy(label) for label in labels]


def _tidy(label: str) -> str:
    """Zero without a sign: 0.0, not -0.0; 0, not 0.0e+00."""
    if float(label) != 0:
        return label
    return "0" if "e" in label else label.lstrip("-")


class _DateStep(NamedTuple):
    tick: Callable[[int], float]  # the n-th tick
    index_of: Callable[[float], float]  # about which n a time is
    shape: str  # strftime, for its labels


def date_ticks(low: float, high: float) -> Ticks:
    """Ticks for Unix times from `low` to `high`, in UTC (one moment gets a day either side)."""
    low, high = (min(max(t, _EARLIEST), _LATEST) for t in (low, high))
    if high - low < _MINUTE:
        low, high = low - _DAY, high + _DAY
    for step in _date_steps():
        first, last = _bounds(low, high, step.tick, math.floor(step.index_of(low)), math.ceil(step.index_of(high)))
        if last - first < MOST:
            break
    values = [step.tick(n) for n in range(first, last + 1)]
    return Ticks(values, [_utc(v).strftime(step.shape) for v in values])


def _date_steps() -> Iterator[_DateStep]:
    """Shortest first: minutes to weeks (which start on Mondays), then months to millennia."""
    for seconds in _SECOND_STEPS:
        yield _seconds(seconds)
    for months in _MONTH_STEPS:
        yield _months(months)


def _seconds(seconds: int) -> _DateStep:
    shape = "%m-%d %H:%M" if seconds < _DAY else "%Y-%m-%d"
    return _DateStep(lambda n: float(_MONDAY + n * seconds), lambda t: (t - _MONDAY) / seconds, shape)


def _months(months: int) -> _DateStep:
    shape = "%Y-%m" if months < 12 else "%Y"
    return _DateStep(lambda n: _month_start(n * months), lambda t: _month_of(t) / months, shape)


def _month_start(month: int) -> float:
    """The first moment of a month counted from January of year 0."""
    return datetime(month // 12, month % 12 + 1, 1, tzinfo=timezone.utc).timestamp()


def _month_of(timestamp: float) -> int:
    day = _utc(timestamp)
    return day.year * 12 + day.month - 1


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, timezone.utc)
