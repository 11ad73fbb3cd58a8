"""Checks on pushed tag refs: names, tag objects, moves and protected deletions.

Both client and server hooks turn their input into `RefUpdate`s and call `check_updates`;
it reads every pushed object with one batch of git reads.
"""

from __future__ import annotations

from tagguard.git.refs import REPLACE_PREFIX, is_own_ref
from tagguard.git.refupdates import RefUpdate
from tagguard.git.repo import Git
from tagguard.git.tagobject import PEEL_CHUNK, Peeled, first_visible, peel_all, tagger_parts
from tagguard.lean import TYPE_CHECKING
from tagguard.policy.model import Policy
from tagguard.rules.catalog import Violation
from tagguard.safetext import shown
from tagguard.verdict.namecheck import apply_severities, check_name

if TYPE_CHECKING:
    from tagguard.image.files import Reading




def check_updates(
    updates: list[RefUpdate], policy: Policy, git: Git, pusher: str | None, targets: dict[str, str] | None = None
) -> dict[str, list[Violation]]:
    """Violations per tag ref (every tag ref gets an entry), and per reserved ref (TG404);
    branch refs are left alone. `targets`, if given, gets each created tag's object id ->
    the object its chain of tags ends at (the server records it)."""
    tags = [u for u in updates if u.is_tag]
    created = [u for u in tags if u.kind == "create"]
    ends: dict[str, str] = {} if targets is None else targets
    commits: list[str] = []  # the created tags' commits, for [image] file
    same: dict[str, str] = {}
    unsigned: list[RefUpdate] = []
    results: dict[str, list[Violation]] = {u.ref: [] for u in tags}  # in the push's order
    for start in range(0, len(created), PEEL_CHUNK):  # in bounded memory, whatever the push
        part = created[start : start + PEEL_CHUNK]
        peeled = peel_all(git, [u.new for u in part], policy.tags.max_tag_bytes)
        for update in part:
            found = _creation(update, peeled[update.new], policy)
            if found:
                results[update.ref] = apply_severities(found, policy)
        ends.update((oid, same.setdefault(p.target, p.target)) for oid, p in peeled.items())  # one str per commit
        commits += [ends[oid] for oid, p in peeled.items() if p.target_type == "commit"]
        unsigned += _signatures(part, peeled, policy, git)
    for update in tags if len(created) < len(tags) else ():
        if update.kind == "delete":
            results[update.ref] = apply_severities(_deletion(update, policy, pusher), policy)
        elif update.kind == "update":
            results[update.ref] = apply_severities([_moved(update)], policy)
    readings = _image_readings(git, commits, policy)
    if readings:
        for update in created:
            results[update.ref] += apply_severities(_image(update, ends[update.new], readings, policy), policy)
    for update in unsigned:
        results[update.ref] += apply_severities([_unsigned(update)], policy)
    for update in updates:
        if is_own_ref(update.ref):
            results[update.ref] = [_reserved(update, "is tagguard's own ref; only its hooks write it")]
        elif update.ref.startswith(REPLACE_PREFIX) and not policy.server.allow_replace_refs:
            found = [_reserved(update, "is a replace ref: it makes git show another object in place of this one")]
            results[update.ref] = apply_severities(found, policy)
    return results


def _reserved(update: RefUpdate, why: str) -> Violation:
    return Violation(
        update.ref, "TG404", f"{why}; pushes may not write it",
        "push branches and tags only" if is_own_ref(update.ref)
        else "fix the history in a new commit (an admin can set [server] allow_replace_refs = true)",
    )


def _image_readings(git: Git, commits: list[str], policy: Policy) -> dict[str, Reading]:
    """What the code at each tagged commit declares, when the policy reads [image] file."""
    if not policy.image.files or not commits:
        return {}
    from tagguard.verdict.imagecheck import readings_at

    return readings_at(git, commits, policy.image.files, policy.image.ngc)


def _image(update: RefUpdate, target: str, readings: dict[str, Reading], policy: Policy) -> list[Violation]:
    reading = readings.get(target)
    if reading is None:
        return []
    from tagguard.verdict.imagecheck import check_image_reading

    return check_image_reading(update.name, reading, target, policy)


def _deletion(update: RefUpdate, policy: Policy, pusher: str | None) -> list[Violation]:
    protect = policy.protection(update.name)
    if protect is None or policy.may_delete(protect, pusher):
        return []
    who = ", ".join(protect.allow_delete) or "nobody"
    as_whom = f"you are {shown(pusher)}" if pusher else "the server could not tell who you are"
    return [
        Violation(
            update.name,
            "TG402",
            f"is protected (pattern {protect.pattern!r}); it may be deleted by: {who} ({as_whom})",
            f"keep the tag; if it must go, ask {who if protect.allow_delete else 'an admin to change the policy'}",
        )
    ]


def _moved(update: RefUpdate) -> Violation:
    return Violation(
        update.name,
        "TG401",
        f"already points at {update.old[:12]}; published tags never move (to {update.new[:12]})",
        f"give the new commit a new name, e.g. git tag -a {shown(update.name)}-2 {update.new[:12]} -m \"...\"",
    )


def _creation(update: RefUpdate, peeled: Peeled, policy: Policy) -> list[Violation]:
    by_name = check_name(update.name, policy)
    if by_name and any(v.code == "TG104" for v in by_name):
        return by_name  # a temporary tag is refused whatever its object is
    return by_name + _object_problems(update, peeled, policy)


def _object_problems(update: RefUpdate, peeled: Peeled, policy: Policy) -> list[Violation]:
    if peeled.type == "missing":
        return [Violation(update.name, "TG305", f"object {update.new[:12]} is missing", "push the object with the tag")]
    if peeled.too_large:
        return [_too_large(update, peeled, policy)]
    problems = []
    if peeled.target_type != "commit":
        problems.append(Violation(
            update.name, "TG305", f"points at a {peeled.target_type}, not a commit",
            f"tag a commit: git tag -a {shown(update.name)} <commit> -m \"...\"",
        ))
    if not peeled.tags:
        if policy.tags.require_annotated:
            problems.append(Violation(
                update.name, "TG301", "is a lightweight tag; the policy requires annotated tags",
                f"git tag -d {shown(update.name)} && git tag -a {shown(update.name)} {update.new[:12]} -m \"acc=..., f1=...\"",
            ))
        return problems
    return problems + _annotated_problems(update, peeled)


def _annotated_problems(update: RefUpdate, peeled: Peeled) -> list[Violation]:
    """What is wrong with the outermost tag object: its message, tagger and name."""
    outer = peeled.tags[0]
    if outer.name == update.name and first_visible(outer.message) >= 0 and tagger_parts(outer.tagger) is not None:
        return []  # nearly every tag: the tests below, at once
    name = shown(update.name)
    at = peeled.target[:12] if peeled.target_type == "commit" else "<commit>"  # a target from the object: untrusted
    problems = []
    if first_visible(outer.message) < 0:  # nothing but spaces, NULs, controls, invisible characters
        problems.append(Violation(
            update.name, "TG302", "has an empty message",
            f"git tag -f -a {name} {at} -m \"what it is: acc=..., f1=...\"",
        ))
    if tagger_parts(outer.tagger) is None:
        problems.append(Violation(
            update.name, "TG306", "has no tagger line: it records neither who made it nor when" if outer.tagger is None
            else "has a tagger line without a name, email and date as git writes them",
            f"make it with git, which writes the tagger: git tag -f -a {name} {at} -m \"acc=...\"",
        ))
    if outer.name != update.name:
        problems.append(Violation(
            update.name, "TG304", f"is a tag object named '{shown(outer.name)}', pushed as '{name}'",
            f"push it under its own name: git push origin {shown(outer.name)}",
        ))
    return problems


def _too_large(update: RefUpdate, peeled: Peeled, policy: Policy) -> Violation:
    which = "is a tag object" if _unread(peeled) else f"leads through tag object {peeled.target[:12]}"
    return Violation(
        update.name, "TG307",
        f"{which} of {peeled.too_large:,} bytes, over the limit of {policy.tags.max_tag_bytes:,} "
        "([tags] max_tag_bytes); it was not read",
        f"keep the message short (metrics, a summary) and the rest in the repository: "
        f"git tag -f -a {shown(update.name)} {update.new[:12]}^{{}} -m \"acc=..., f1=...\"",
    )


def _signatures(tags: list[RefUpdate], peeled: dict[str, Peeled], policy: Policy, git: Git) -> list[RefUpdate]:
    """The created tags that lack a signature the repository's git can verify."""
    if not policy.tags.require_signed:
        return []
    created = [u for u in tags if u.kind == "create" and not _unread(peeled[u.new])]
    annotated = [u for u in created if peeled[u.new].tags]
    signed = [u for u in annotated if peeled[u.new].tags[0].signed]
    bad = [u for u in annotated if not peeled[u.new].tags[0].signed]
    unverified = git.unverified_tags([u.new for u in signed])
    bad += [u for u in signed if u.new in unverified]
    lightweight = [u for u in created if not peeled[u.new].tags]
    return bad + lightweight


def _unread(peeled: Peeled) -> bool:
    """A pushed tag object over [tags] max_tag_bytes: refused (TG307), never read, not even by git."""
    return bool(peeled.too_large) and not peeled.tags


def _unsigned(update: RefUpdate) -> Violation:
    return Violation(
        update.name,
        "TG303",
        "has no signature this server can verify; the policy requires signed tags",
        f"git tag -d {shown(update.name)} && git tag -s {shown(update.name)} {update.new[:12]} -m \"...\"",
    )
