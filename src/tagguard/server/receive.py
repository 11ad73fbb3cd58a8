"""What the server hooks share: who is pushing, which policy, the verdict, the audit log.

A server hook fails closed: any error while judging a push refuses it, with one line that
says why. Under GitLab every line starts with `GL-HOOK-ERR: ` so the UI shows it.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # signal's C core: `signal` adds enums, and `enum` costs a hook 3 ms
import os
import sys
from itertools import chain, filterfalse

from tagguard.errors import TagguardError
from tagguard.git.processes import STOP_SIGNALS, run
from tagguard.git.refs import TAG_PREFIX, all_folded, folded, is_own_ref, short_name
from tagguard.git.refupdates import NAME, NEW, REF, RefUpdate, tag_updates
from tagguard.git.repo import Batched, Git
from tagguard.lean import TYPE_CHECKING, NamedTuple
from tagguard.output.dates import utc_now
from tagguard.output.report import has_errors
from tagguard.policy.model import DEFAULT_POLICY, Policy, load_policy_file
from tagguard.rules.catalog import Violation
from tagguard.safetext import shown

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Callable, Final

    from tagguard.server.records import AuditRecord, LandedMark, LedgerLine, Verdict


GITLAB_MARKERS = ("GL_ID", "GL_PROTOCOL", "GL_USERNAME")
_JUDGING = ("tagguard.server.ledger", "tagguard.verdict.pushcheck")  # what `judge` imports
GITLAB_PREFIX = "GL-HOOK-ERR: "
ACCEPTED: Final = "accepted"
WARNED: Final = "warned"  # accepted in warn mode, though it breaks the policy
REFUSED: Final = "refused"


class Context(NamedTuple):
    """The receiving repository, its policy and the pusher: read once per hook run."""

    git: Batched
    git_dir: str
    policy: Policy
    pusher: str | None


def line_prefix(env: Mapping[str, str] = os.environ) -> str:
    return GITLAB_PREFIX if any(env.get(name) for name in GITLAB_MARKERS) else ""


def say(lines: Iterable[str]) -> None:
    """Print lines for the pusher (git shows a hook's stderr as `remote: ...`)."""
    prefix = line_prefix()
    text = "".join(f"{prefix}{line}\n" for line in lines)
    sys.stderr.write(text)
    sys.stderr.flush()


class Stopped(TagguardError):
    """The hook was told to stop (SIGTERM, SIGINT, SIGHUP) before it finished."""


def _stop(number: int, _frame: object) -> None:
    raise Stopped(f"stopped by {STOP_SIGNALS.get(number, number)} before the check finished")


def guarded(failure: str, body: Callable[[], int]) -> int:
    """Run a hook body; any error becomes one line `tagguard: <failure>: why` and exit 2 or 3.

    A stop signal is such an error too: git then refuses the push (pre-receive) and a
    running child is killed on the way out (`tagguard.git.processes`).
    """
    import gc

    gc.disable()  # a short run that makes no cycles; collecting would cost a 100,000-tag push seconds
    for number in STOP_SIGNALS:
        _signal.signal(number, _stop)
    try:
        return body()
    except TagguardError as exc:
        say([f"tagguard: {failure}: {exc}"])
        return 2
    except Exception as exc:  # fail closed, one line, no traceback
        if os.environ.get("TAGGUARD_DEBUG"):
            raise
        say([f"tagguard: {failure}: internal error: {type(exc).__name__}: {exc}"])
        return 3


def pusher_of(names: Iterable[str], env: Mapping[str, str] = os.environ) -> str | None:
    """The first non-empty identity variable, or None when the server can't tell."""
    return next((env[n].strip() for n in names if env.get(n, "").strip()), None)


def server_policy(explicit: str | None, git_dir: str, configured: Callable[[], str | None]) -> Policy:
    """--policy, else $TAGGUARD_POLICY, else `git config tagguard.policy` (`configured`), else
    the default. Never anything inside the push. A relative `tagguard.policy` is relative to the
    git dir."""
    if explicit:
        return load_policy_file(explicit)
    from_env = os.environ.get("TAGGUARD_POLICY")
    if from_env:
        return load_policy_file(from_env)
    path = configured()
    if path:
        return load_policy_file(os.path.join(git_dir, os.path.expanduser(path)))
    return DEFAULT_POLICY


def hook_git_dir(git: Git) -> str:
    """The repository a hook runs in: $GIT_DIR, which git sets for push hooks (one git call
    fewer per push), else git's answer."""
    return os.path.abspath(os.environ["GIT_DIR"]) if os.environ.get("GIT_DIR") else git.git_dir()


def open_context(explicit_policy: str | None) -> Context:
    """The context; its `git` answers object and ref questions from one session while open
    (`with context.git:`)."""
    git = Batched(".")
    git_dir = hook_git_dir(git)
    needed = not explicit_policy and not os.environ.get("TAGGUARD_POLICY")
    configured = git.config_value_soon("tagguard.policy") if needed else (lambda: None)
    git.start()
    for module in _JUDGING:  # read while git starts
        __import__(module)
    policy = server_policy(explicit_policy, git_dir, configured)
    return Context(git, git_dir, policy, pusher_of(policy.server.identity_env))


def run_chained(hook: str | None, args: list[str], stdin: bytes | None) -> int:
    """Run the hook that was in place before tagguard (if any) with git's own input."""
    if not hook or not os.path.isfile(hook) or not os.access(hook, os.X_OK):
        return 0
    sys.stdout.flush()
    try:
        return run([hook, *args], input=stdin, capture=False).returncode
    except OSError as exc:
        raise TagguardError(f"can't run the chained hook {hook}: {exc.strerror}") from None


def verdicts(results: dict[str, list[Violation]], updates: list[RefUpdate], mode: str) -> dict[str, Verdict]:
    """accepted / warned / refused for each ref; one refusing ref refuses the whole push. In
    warn mode failing refs land, but never tagguard's own refs, nor a ref a file system
    ignoring case stores as another (TG405)."""
    if not any(results.values()):  # nearly every push: nothing at all to report
        return dict.fromkeys(map(REF, updates), ACCEPTED)
    failing = {ref for ref, found in results.items() if found and has_errors(found)}
    if failing and (mode != "warn" or any(is_own_ref(ref) or _has(results[ref], "TG405") for ref in failing)):
        return {u.ref: REFUSED for u in updates}
    return {u.ref: WARNED if u.ref in failing else ACCEPTED for u in updates}


def _has(found: list[Violation], code: str) -> bool:
    return any(v.code == code for v in found)


def audit(context: Context, updates: list[RefUpdate], results: dict[str, list[Violation]],
          decided: dict[str, Verdict]) -> None:
    """One JSON line per ref to `[server] audit_log`, if the policy names one."""
    target = context.policy.server.audit_log
    if not target:
        return
    from tagguard.server.jsonlog import append_records

    path = os.path.join(context.git_dir, os.path.expanduser(target))
    now = utc_now()
    records: list[AuditRecord] = [
        {"time": now, "repo": context.git_dir, "pusher": context.pusher, "ref": u.ref, "old": u.old,
         "new": u.new, "verdict": decided[u.ref], "codes": [v.code for v in results.get(u.ref, [])]}
        for u in updates
    ]
    try:
        append_records(path, records)
    except OSError as exc:
        raise TagguardError(f"can't write the audit log {path}: {exc.strerror}") from None


def ledger_writable(git_dir: str, landing: list[RefUpdate]) -> None:
    """Refuse up front a push whose tags (`landing`: created or moved) post-receive could not
    record in the ledger.

    Once a push lands it can't be undone, and an unrecorded name is not burned (TG403), so
    a read-only or full filesystem under an existing ledger refuses tag pushes until fixed.
    """
    if not landing:
        return
    from tagguard.server.ledger import RECORD_ROOM, ledger_path

    path = ledger_path(git_dir)
    if not os.path.exists(path):
        return  # no ledger yet (or none at all, as on GitHub Enterprise, which has no post-receive)
    if not os.access(path, os.W_OK):
        raise TagguardError(f"the tag ledger {path} is not writable, so the names of these tags could not "
                            "be burned; tag pushes are refused until it is (ask the server's admin)")
    free = os.statvfs(path)
    if free.f_bavail * free.f_frsize < len(landing) * RECORD_ROOM:
        raise TagguardError(f"the disk of the tag ledger {path} is full, so the names of these tags could "
                            "not be burned; tag pushes are refused until there is room (ask the server's admin)")


def post_receive_in_place(chain: str | None, policy: Policy, landing: list[RefUpdate]) -> None:
    """Refuse pushes that land tags (`landing`: created or moved) when tagguard's post-receive
    is gone from beside this pre-receive (a platform's "resync hooks" may have rewritten it):
    the ledger could not be kept.

    The hook scripts pass `--chain "$0.pre-tagguard"`, which says where this hook lives; run
    by hand (no --chain) there is nothing to look at."""
    from tagguard.server.hookscripts import CHAINED, post_receive_beside

    if not chain or not chain.endswith(CHAINED) or not policy.server.require_post_receive or not landing:
        return
    looked = post_receive_beside(chain[: -len(CHAINED)])
    if isinstance(looked, str):
        raise TagguardError(
            f"tagguard's post-receive hook is missing ({looked}; a hook resync may have replaced it), so the "
            "names of these tags could not be kept in the ledger; tag pushes are refused until an admin runs "
            f"`tagguard install --server {os.path.abspath('.')}` again")


def held_as_claimed(context: Context, updates: list[RefUpdate]) -> dict[str, str | None]:
    """What each tag ref the push deletes or moves holds now; refuse the push unless that is
    the old id it names. git deletes a ref whatever it holds when the old id names no object,
    so a deletion judged before its tag landed could otherwise remove it unseen."""
    touched = tag_updates(updates, "update", "delete")
    stored = {u.ref: stored_ref(u.ref) for u in touched}
    found = context.git.ref_values(stored.values()) if touched else {}
    current = {ref: found[name] for ref, name in stored.items()}
    for update in touched:
        held = current[update.ref]
        if held != update.old:
            now = f"holds {held[:12]}" if held else "does not exist"
            raise TagguardError(f"{shown(update.ref)} {now}, not the {update.old[:12]} this push names as its "
                                "old value; fetch and push again")
    return current


def stored_ref(ref: str, env: Mapping[str, str] = os.environ) -> str:
    """Where receive-pack keeps `ref`: under refs/namespaces/... when the server sets
    GIT_NAMESPACE (hooks see the names without it)."""
    parts = [part for part in env.get("GIT_NAMESPACE", "").split("/") if part]
    return "".join(f"refs/namespaces/{part}/" for part in parts) + ref


def record_pending(context: Context, updates: list[RefUpdate], landing: list[RefUpdate],
                   current: dict[str, str | None], targets: dict[str, str]) -> None:
    """Before the refs move of an accepted push: a pending ledger record for every tag it
    lands (`landing`), and a landed one for any earlier tag whose post-receive never ran (see
    `tagguard.server.ledger`). `current`: what the tag refs the push deletes or moves hold now;
    `targets`: what the created tags peel to, as `judge` found."""
    from tagguard.server.jsonlog import encode_lines
    from tagguard.server.ledger import PENDING, confirmations, landed_lines, recorded, write

    records: list[LandedMark] = []
    touched = [u for u in updates if u.ref in current] if current else []
    if touched:
        history = recorded(context.git, context.git_dir, {u.name for u in touched})
        records += confirmations(history, {u.name: current[u.ref] for u in touched})
    unknown = list(filterfalse(targets.__contains__, map(NEW, landing)))  # moves, landing in warn mode
    if unknown:
        from tagguard.git.tagobject import peel_ends

        targets = {**targets, **peel_ends(context.git, unknown, context.policy.tags.max_tag_bytes)}
    if records or landing or touched:  # (a deletion also folds post-receive's marks into the ledger's ref)
        lines = landed_lines(landing, targets, context.pusher, PENDING)
        write(context.git, context.git_dir, chain([encode_lines(records)], lines), index=False)


def _held_counts(context: Context, created: list[RefUpdate]) -> dict[str, list[LedgerLine]]:
    """The history of names a push creates again, where a pending record counts as landed
    while its tag still holds its object: a push deleting that tag at this moment (it
    confirms the record, then deletes) must not leave the name free for this one. The tags
    are looked at first and the ledger read again after, so such a deletion is seen either
    way: the tag still there, or its confirmation written."""
    from tagguard.server.ledger import recorded, with_held

    refs = {u.name: stored_ref(u.ref) for u in created}
    found = context.git.ref_values(refs.values())
    history = recorded(context.git, context.git_dir, set(refs))
    return with_held(history, {name: found[ref] for name, ref in refs.items()})


def judge(updates: list[RefUpdate], context: Context, targets: dict[str, str]) -> dict[str, list[Violation]]:
    """Every rule of `check_updates`, plus TG403 from the ledger and TG405 from the server's
    tags, per tag ref; `targets` gets what each created tag peels to."""
    from tagguard.rules.violations import case_twin
    from tagguard.server.ledger import recorded, reused_names
    from tagguard.verdict.namecheck import apply_severities
    from tagguard.verdict.pushcheck import check_updates

    results = check_updates(updates, context.policy, context.git, context.pusher, targets)
    created = tag_updates(updates, "create")
    history = recorded(context.git, context.git_dir, set(map(NAME, created)))
    again: list[RefUpdate] = []
    if history:
        history = _held_counts(context, [u for u in created if u.name in history])
        unread = {u.ref for u in created if any(v.code == "TG307" for v in results[u.ref])}  # never read
        again = [u for u in created if u.name in history and u.ref not in unread]
    if again:
        for violation in apply_severities(reused_names(again, history, targets, context.policy.naming), context.policy):
            results[f"refs/tags/{violation.ref}"].append(violation)
    for update, twin, pushed in _case_twins(context, created):
        results[update.ref].append(case_twin(update.name, short_name(twin), pushed=pushed))
    return results


def _case_twins(context: Context, created: list[RefUpdate]) -> list[tuple[RefUpdate, str, bool]]:
    """The created tags that a file system ignoring case stores as another tag: (the tag, the
    other's ref, whether that is one of this push). Only a policy with a `desc` of its own lets
    names differ in case alone; under the default one, only names that break it (warn mode)
    are looked at, and nearly every push has none and costs no git call."""
    if not created or (context.policy.naming.desc is None and all_folded(list(map(REF, created)))):
        return []
    folder = stored_ref(TAG_PREFIX)  # (under GIT_NAMESPACE, the namespace's)
    cut = len(folder) - len(TAG_PREFIX)
    listed = context.git.for_each_ref(["refname"], [folder.rstrip("/")])
    taken = {folded(row[0][cut:]): (row[0][cut:], False) for row in listed}
    twins = []
    for update in created:
        twin, pushed = taken.setdefault(folded(update.ref), (update.ref, True))
        if twin != update.ref:
            twins.append((update, twin, pushed))
    return twins
