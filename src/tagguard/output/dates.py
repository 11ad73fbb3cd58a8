"""How tagguard writes times: records stamped in UTC, dates in tables cut to the minute."""

from __future__ import annotations

import time

from tagguard.errors import TagguardError
from tagguard.safetext import shown

AGE_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def utc_now() -> str:
    """Now, as the ledger and the audit log stamp their records: `2026-01-02T03:04:05Z`."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def to_minute(date: str) -> str:
    """An ISO 8601 date as a table shows it, to the minute: `2026-01-02 03:04`."""
    return date[:16].replace("T", " ")


def parse_age(text: str, option: str) -> float:
    """'14d' -> seconds. Units: m (minutes), h, d, w. `option` names where it was given."""
    number, unit = text[:-1], text[-1:].lower()
    if unit not in AGE_UNITS or not number.isdigit():
        raise TagguardError(f"{option}: expected a number and a unit (m, h, d or w), such as 14d; got {shown(text)!r}")
    return int(number) * AGE_UNITS[unit]
