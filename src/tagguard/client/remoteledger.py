"""TG403 before a push leaves the machine: the remote's ledger, fetched (policy `[client]
fetch_ledger = true`).

One `git fetch` of the remote's refs/tagguard/ledger into refs/tagguard/remotes/<remote>/ledger,
read through a cache of its own in the git dir, as the server reads its ledger. When the
ledger can't be fetched the client can't be sure, so it passes and says so; the server
decides.
"""

from __future__ import annotations

import os

from tagguard.errors import TagguardError
from tagguard.git.refupdates import RefUpdate
from tagguard.git.repo import Git
from tagguard.lean import TYPE_CHECKING
from tagguard.policy.model import Policy
from tagguard.safetext import shown
from tagguard.server.ledger import recorded, reused_names
from tagguard.server.ledgerstore import LEDGER_REF

if TYPE_CHECKING:
    from tagguard.rules.catalog import Violation


MOST_BYTES = 64 << 20  # of the remote's ledger read here (a 100,000-tag repository's is 40 MB)


def _unsure(why: str) -> str:
    return f"tagguard: {why}; the server still checks re-used names"


def remote_key(remote: str) -> str:
    """A ref-safe name for a remote given by name or by URL."""
    if remote and remote.replace("-", "a").replace("_", "a").replace(".", "a").isalnum() and remote.isascii() \
            and not remote.startswith("."):
        return remote
    import hashlib

    return "url-" + hashlib.sha1(remote.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def add_remote_reuse(git: Git, remote: str, updates: list[RefUpdate], policy: Policy,
                     results: dict[str, list[Violation]]) -> None:
    """`remote_reuse`'s TG403s added to `results` (by full ref), its note printed."""
    import sys

    found, note = remote_reuse(git, remote, updates, policy)
    if note:
        print(note, file=sys.stderr)
    for violation in found:
        results.setdefault(f"refs/tags/{violation.ref}", []).append(violation)


def remote_reuse(git: Git, remote: str, updates: list[RefUpdate], policy: Policy) -> tuple[list[Violation], str]:
    """TG403 for the created tags whose names the remote's ledger burned; and a note to print
    when the ledger could not be read ("" when it was, or when the remote keeps none)."""
    created = [u for u in updates if u.is_tag and u.kind == "create"]
    if not created:
        return [], ""
    key = remote_key(remote)
    local = f"refs/tagguard/remotes/{key}/ledger"
    failed = git.fetch_ref(remote, LEDGER_REF, local, policy.client.fetch_timeout)
    if failed == "missing":
        return [], ""  # a server without tagguard's hooks, or no tag yet: nothing is burned there
    if failed:
        return [], _unsure(f"could not fetch {LEDGER_REF} from {shown(remote)} ({shown(failed)})")
    git_dir = git.git_dir()
    cache = os.path.join(git_dir, f"tagguard-ledger-{key}.jsonl")
    try:
        history = recorded(git, git_dir, {u.name for u in created}, ref=local, cache=cache, most=MOST_BYTES)
    except TagguardError as exc:  # a ledger the remote keeps damaged, or too big to read here
        return [], _unsure(f"could not read {shown(remote)}'s {LEDGER_REF}: {exc}")
    again = [u for u in created if u.name in history]
    if not again:
        return [], ""
    from tagguard.verdict.namecheck import apply_severities

    targets = git.peeled_targets([u.new for u in again])
    return apply_severities(reused_names(again, history, targets, policy.naming), policy), ""
