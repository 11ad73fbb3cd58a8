"""What the server hooks write to disk, as types: the ledger's lines and the audit log's.

For the type checker: the hook path imports this module only under `TYPE_CHECKING`
(importing `typing` costs a hook 20 ms), so at run time these are plain dicts and strings.
"""

from __future__ import annotations

from typing import Literal, TypedDict

LedgerState = Literal["pending", "landed"]  # see `tagguard.server.ledger`
Verdict = Literal["accepted", "warned", "refused"]  # a ref's, in a push


class LandedRecord(TypedDict):
    """A tag that landed: the tags a repository had when tagguard was installed, and, with a
    state, what pre-receive writes."""

    name: str
    object: str
    commit: str  # what `object` peels to
    pusher: str | None  # None: the server could not tell
    time: str  # `tagguard.output.dates.utc_now`


class PendingRecord(LandedRecord):
    """Written by pre-receive before the refs move: it burns the name once a mark lands it."""

    state: Literal["pending"]


class LandedMark(TypedDict):
    """Written once the refs moved (post-receive, or a later pre-receive that finds the tag
    still holding the pending object): the pending record of this object landed."""

    name: str
    object: str
    state: Literal["landed"]


class LedgerLine(TypedDict, total=False):
    """A ledger line read back: any of the above, or a landed mark joined with its pending
    record (no state). A ledger is a file on disk, so any key may be missing."""

    name: str
    object: str
    commit: str
    pusher: str | None
    time: str
    state: LedgerState


class AuditRecord(TypedDict):
    """One ref of one push in `[server] audit_log`."""

    time: str
    repo: str  # the git dir
    pusher: str | None
    ref: str
    old: str
    new: str
    verdict: Verdict
    codes: list[str]  # the rules it broke, warnings included
