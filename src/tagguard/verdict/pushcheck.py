"""Checks on pushed tag refs: names, tag objects, moves and protected deletions.

Both client and server hooks turn their input into `RefUpdate`s and call `check_updates`;
it reads every pushed object with one batch of git reads.
"""

from __future__ import annotations

from _operator import attrgetter, itemgetter

from tagguard.git.refs import OWN_PREFIX, REPLACE_PREFIX, is_own_ref, misplaced
from tagguard.git.refupdates import NAME, NEW, REF, RefUpdate, tag_updates
from tagguard.git.repo import Git
from tagguard.git.tagobject import (
    PEEL_CHUNK,
    Peeled,
    first_visible,
    peel_all,
    peel_parts,
    starts_visible,
    tagger_parts,
)
from tagguard.lean import TYPE_CHECKING
from tagguard.policy.model import Policy
from tagguard.rules.catalog import Violation
from tagguard.rules.violations import (
    PushedTag,
    empty_message,
    lightweight_tag,
    lookalike_ref,
    missing_object,
    missing_tagger,
    moved_tag,
    not_a_commit,
    oversized_tag,
    protected_delete,
    reserved_ref,
    tag_name_mismatch,
    unsigned_tag,
)
from tagguard.verdict.namecheck import apply_severities, check_names

if TYPE_CHECKING:
    from tagguard.image.files import Reading


def check_updates(
    updates: list[RefUpdate], policy: Policy, git: Git, pusher: str | None, targets: dict[str, str] | None = None,
    *, user_variable: str | None = None,
) -> dict[str, list[Violation]]:
    """Violations per tag ref (every tag ref gets an entry), per reserved ref (TG404) and per
    ref spelt like either or inside a namespace (TG405); branch refs are left alone. `targets`, if given, gets each
    created tag's object id -> the object its chain of tags ends at (the server records it).
    A client passes the `user_variable` its `pusher` comes from (see
    `violations.protected_delete`)."""
    tags = tag_updates(updates)
    created = tag_updates(tags, "create")
    ends: dict[str, str] = {} if targets is None else targets
    commits: list[str] = []  # the created tags' commits, for [image] file
    unsigned: list[RefUpdate] = []
    results: dict[str, list[Violation]] = {u.ref: [] for u in tags}  # in the push's order
    parts = [created[start : start + PEEL_CHUNK] for start in range(0, len(created), PEEL_CHUNK)]  # bounded memory
    peeled_parts = peel_parts(git, [list(map(NEW, part)) for part in parts], policy.tags.max_tag_bytes)
    try:
        for part, peeled in zip(parts, peeled_parts):
            peels = list(map(peeled.__getitem__, map(NEW, part)))
            # a target from the object: untrusted, but the hints re-create the tag on it
            commits_of = _commits_of(peels)
            # the refs: check_names takes one refs/tags/ off, so refs/tags/refs/tags/x is judged as refs/tags/x
            by_names = check_names(list(map(REF, part)), policy, tags=list(map(PushedTag, commits_of)))
            checked = () if _all_sound(part, peels, by_names) else zip(part, by_names, commits_of)
            for update, by_name, commit in checked:
                found = _creation(update, peeled[update.new], by_name, commit, policy)
                if found:
                    results[update.ref] = found
            ends.update(zip(peeled, map(_PEELED_TO, peeled.values())))
            if policy.image.files:
                commits += [ends[oid] for oid, p in peeled.items() if p.target_type == "commit"]
            unsigned += _signatures(part, peeled, policy, git)
    finally:
        peeled_parts.close()  # stops git's read of a next part, on any error
    for update in tags if len(created) < len(tags) else ():
        if update.kind == "delete":
            results[update.ref] = apply_severities(_deletion(update, policy, pusher, user_variable), policy)
    moved = [u for u in tags if u.kind == "update"]
    for update, commit in zip(moved, _commits(git, list(map(NEW, moved)), policy)):
        move = moved_tag(update.name, update.old, update.new, commit, policy.naming)
        results[update.ref] = apply_severities([move], policy)
    readings = _image_readings(git, commits, policy)
    if readings:
        for update in created:
            results[update.ref] += apply_severities(_image(update, ends[update.new], readings, policy), policy)
    for update in unsigned:
        results[update.ref] += apply_severities([unsigned_tag(update.name, update.new)], policy)
    for update in _reserved(updates):
        if is_own_ref(update.ref):
            results[update.ref] = [reserved_ref(update.ref, own=True)]
        elif update.ref.startswith(REPLACE_PREFIX) and not policy.server.allow_replace_refs:
            results[update.ref] = apply_severities([reserved_ref(update.ref, own=False)], policy)
    for ref, (stored_as, namespace) in misplaced(list(map(REF, updates))).items():
        results[ref] = [*results.get(ref, ()), lookalike_ref(ref, stored_as, namespace)]
    return results


def _reserved(updates: list[RefUpdate]) -> list[RefUpdate]:
    """The replace refs and tagguard's own refs (`is_own_ref`) among `updates`: none unless
    some ref names either prefix at all, which one search over a push's refs tells."""
    refs = "\n".join(map(REF, updates))
    if REPLACE_PREFIX not in refs and OWN_PREFIX not in refs:
        return []
    return [u for u in updates if u.ref.startswith(REPLACE_PREFIX) or is_own_ref(u.ref)]


def _commits_of(found: list[Peeled]) -> list[str | None]:
    """The commit each peeled object ends at (None where it ends elsewhere), at C speed when
    every one ends at a commit (nearly every push)."""
    if set(map(_TARGET_TYPE, found)) == {"commit"}:
        return list(map(_PEELED_TO, found))
    return [p.target if p.target_type == "commit" else None for p in found]


def _all_sound(part: list[RefUpdate], found: list[Peeled], by_names: list[list[Violation]]) -> bool:
    """Whether `_creation` finds nothing wrong with any of these created tags (`found`:
    what each peels to), told for them all at once in nearly every push: good names, each an
    annotated tag of a commit whose tag object names it, with a message starting with a
    visible character and a tagger."""
    if any(by_names):
        return False
    if set(map(_TARGET_TYPE, found)) != {"commit"} or any(map(_TOO_LARGE, found)) or not all(map(_TAGS, found)):
        return False
    outers = list(map(_FIRST, map(_TAGS, found)))
    return (list(map(_NAME, outers)) == list(map(NAME, part)) and starts_visible(list(map(_MESSAGE, outers)))
            and None not in map(tagger_parts, set(map(_TAGGER, outers))))


_PEELED_TO = attrgetter("target")
_TARGET_TYPE, _TOO_LARGE, _TAGS = attrgetter("target_type"), attrgetter("too_large"), attrgetter("tags")
_FIRST = itemgetter(0)
_NAME, _MESSAGE, _TAGGER = attrgetter("name"), attrgetter("message"), attrgetter("tagger")


def _commits(git: Git, oids: list[str], policy: Policy) -> list[str | None]:
    """The commit each object peels to (None: it ends elsewhere, or at a tag too large to read)."""
    found: list[str | None] = []
    for start in range(0, len(oids), PEEL_CHUNK):
        part = oids[start : start + PEEL_CHUNK]
        peeled = peel_all(git, part, policy.tags.max_tag_bytes)
        found += _commits_of(list(map(peeled.__getitem__, part)))
    return found


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


def _deletion(update: RefUpdate, policy: Policy, pusher: str | None, user_variable: str | None) -> list[Violation]:
    protect = policy.protection(update.name)
    if protect is None or policy.may_delete(protect, pusher):
        return []
    return [protected_delete(update.name, protect.pattern, protect.allow_delete, pusher, user_variable)]


def _creation(update: RefUpdate, peeled: Peeled, by_name: list[Violation], commit: str | None, policy: Policy
              ) -> list[Violation]:
    """What is wrong with a created tag: `by_name` (`check_names`, told of `commit`), then its object."""
    if by_name and any(v.code == "TG104" for v in by_name):
        return by_name  # a temporary tag is refused whatever its object is
    problems = _object_problems(update, peeled, policy, commit, renamed=bool(by_name))
    return by_name + apply_severities(problems, policy) if problems else by_name


def _object_problems(update: RefUpdate, peeled: Peeled, policy: Policy, commit: str | None,
                     *, renamed: bool) -> list[Violation]:
    """`renamed`: a name rule's hint already re-creates the tag under another name."""
    if peeled.target_type == "commit" and peeled.tags and not peeled.too_large:
        return _annotated_problems(update, peeled, commit)  # nearly every tag: an annotated tag of a commit
    if peeled.type == "missing":
        return [missing_object(update.name, update.new)]
    if peeled.too_large:
        via = None if _unread(peeled) else peeled.target
        return [oversized_tag(update.name, update.new, peeled.too_large, policy.tags.max_tag_bytes, via)]
    problems = []
    if peeled.target_type != "commit":
        problems.append(not_a_commit(update.name, peeled.target_type))
    if not peeled.tags:
        if policy.tags.require_annotated:
            problems.append(lightweight_tag(update.name, commit, renamed=renamed))
        return problems
    return problems + _annotated_problems(update, peeled, commit)


def _annotated_problems(update: RefUpdate, peeled: Peeled, commit: str | None) -> list[Violation]:
    """What is wrong with the outermost tag object: its message, tagger and name."""
    outer = peeled.tags[0]
    if outer.name == update.name and first_visible(outer.message) >= 0 and tagger_parts(outer.tagger) is not None:
        return []  # nearly every tag: the tests below, at once
    problems = []
    if first_visible(outer.message) < 0:  # nothing but spaces, NULs, controls, invisible characters
        problems.append(empty_message(update.name, commit))
    if tagger_parts(outer.tagger) is None:
        problems.append(missing_tagger(update.name, commit, has_line=outer.tagger is not None))
    if outer.name != update.name:
        problems.append(tag_name_mismatch(update.name, outer.name))
    return problems


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

