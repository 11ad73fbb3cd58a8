"""How tagguard writes times: records stamped in UTC, dates in tables cut to the minute."""

from __future__ import annotations

import time


def utc_now() -> str:
    """Now, as the ledger and the audit log stamp their records: `2026-01-02T03:04:05Z`."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def to_minute(date: str) -> str:
    """An ISO 8601 date as a table shows it, to the minute: `2026-01-02 03:04`."""
    return date[:16].replace("T", " ")
