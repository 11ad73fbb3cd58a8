"""Ref names: tags (`refs/tags/v2.8-ft` and its short form `v2.8-ft`) and the namespaces
tagguard reserves."""

from __future__ import annotations

from _operator import itemgetter
from itertools import repeat

from tagguard.lean import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

TAG_PREFIX = "refs/tags/"
REPLACE_PREFIX = "refs/replace/"  # replace refs: pushes are refused unless the policy allows them (TG404)
OWN_PREFIX = "refs/tagguard/"  # tagguard's own namespace: refused to every pusher (TG404)


def is_own_ref(ref: str) -> bool:
    """tagguard's own refs, and any ref holding their names (`refs/heads/refs/tagguard/ledger`):
    git looks a name that does not exist up under refs/, refs/tags/, refs/heads/ and
    refs/remotes/ in turn, so such a branch would stand in for a ledger not made yet."""
    return ref.startswith(OWN_PREFIX) or "/" + OWN_PREFIX in ref


def short_name(ref: str) -> str:
    """`refs/tags/NAME` -> `NAME`; anything else is returned as it is."""
    return ref[len(TAG_PREFIX) :] if ref.startswith(TAG_PREFIX) else ref


def short_names(refs: Sequence[str]) -> list[str]:
    """`short_name` of each (a push's 100,000 tags at C speed)."""
    if all(map(str.startswith, refs, repeat(TAG_PREFIX))):
        return list(map(itemgetter(slice(len(TAG_PREFIX), None)), refs))
    return list(map(short_name, refs))
