"""Ref updates: the one value every hook turns its input into."""

from __future__ import annotations

from _operator import itemgetter
from itertools import compress, repeat

from tagguard.errors import TagguardError
from tagguard.git.refs import TAG_PREFIX, short_names
from tagguard.git.repo import all_hex, git_lines, is_zero
from tagguard.lean import TYPE_CHECKING
from tagguard.safetext import shown

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Literal

    Kind = Literal["create", "update", "delete"]

_HEX = frozenset("0123456789abcdef")
_ZEROS = frozenset(("0" * 40, "0" * 64))  # the null id of SHA-1 and SHA-256 (all ids are checked for length)
_ZERO_OF = {zero: zero for zero in _ZEROS}
_CHUNK = 10_000  # lines checked at a time


class HookInputError(TagguardError):
    """A hook got input it can't trust; on a server this refuses the push."""


class RefUpdate(tuple):  # type: ignore[type-arg]
    """One ref of a push, `RefUpdate(ref, old, new)`, with what those say worked out once
    (a push of 100,000 tags asks each several times): `name`, the tag's name (the ref itself
    when it is not a tag), `kind` ("create", "update" or "delete") and `is_tag`."""

    __slots__ = ()

    def __new__(cls, ref: str, old: str, new: str) -> RefUpdate:
        return cls.many([ref], [old], [new])[0]

    @classmethod
    def many(cls, refs: Sequence[str], olds: Sequence[str], news: Sequence[str]) -> list[RefUpdate]:
        """`RefUpdate(ref, old, new)` of each, each step over them all (a push's 100,000)."""
        is_tags = list(map(str.startswith, refs, repeat(TAG_PREFIX)))
        names = short_names(refs)
        if _ZEROS.issuperset(olds) and _ZEROS.isdisjoint(news):  # (a push of new refs)
            kinds: list[str] = ["create"] * len(refs)
        else:
            kinds = ["delete" if new in _ZEROS else "create" if old in _ZEROS else "update"
                     for old, new in zip(olds, news)]
        return list(map(tuple.__new__, repeat(cls), zip(refs, olds, news, names, kinds, is_tags)))

    def __repr__(self) -> str:
        return f"RefUpdate(ref={self.ref!r}, old={self.old!r}, new={self.new!r})"

    if TYPE_CHECKING:
        ref: str
        old: str  # all zeros: the ref did not exist
        new: str  # all zeros: the ref is being deleted
        name: str
        kind: Kind
        is_tag: bool
    else:
        ref, old, new, name, kind, is_tag = map(property, map(itemgetter, range(6)))


# A RefUpdate's fields, for columns at C speed: `list(map(NEW, updates))`.
REF, NEW, NAME = itemgetter(0), itemgetter(2), itemgetter(3)
_KIND, _IS_TAG = itemgetter(4), itemgetter(5)


def landing(updates: list[RefUpdate]) -> list[RefUpdate]:
    """The tags these updates create or move (not delete), told at C speed over a push's 100,000."""
    return tag_updates(updates, "create", "update")


def tag_updates(updates: list[RefUpdate], *kinds: Kind) -> list[RefUpdate]:
    """The tag refs among these updates (only those of these kinds, if any are given), in
    order, at C speed."""
    tags = list(compress(updates, map(_IS_TAG, updates)))
    if not kinds:
        return tags
    return list(compress(tags, map(frozenset(kinds).__contains__, map(_KIND, tags))))


def parse_receive(text: str, source: str = "stdin") -> list[RefUpdate]:
    """pre-receive / post-receive input: `<old> <new> <ref>` per line.

    git's own client names each ref once; a raw client can send two commands for one ref,
    which git then runs in order. Judging them one by one can't tell what lands, so such a
    push is refused outright."""
    plain = _plain_updates(git_lines(text))
    if plain is not None and len(set(map(itemgetter(0), plain))) == len(plain):
        return plain
    lines = git_lines(text)
    updates = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        parts = line.split(" ")
        if len(parts) != 3:
            raise HookInputError(f"{source} line {number}: expected '<old> <new> <ref>', got '{shown(line)}'")
        update = _update(parts[2], parts[0], parts[1], source, number)
        first = seen.setdefault(update.ref, number)
        if first != number:
            raise HookInputError(f"{source} line {number}: '{shown(update.ref)}' is named twice in one push "
                                 f"(also line {first}); push each ref once")
        updates.append(update)
    return updates


def _plain_updates(lines: list[str]) -> list[RefUpdate] | None:
    """The updates, when every line is the usual kind (`_update`'s first test), checked a
    column at a time at C speed, a chunk of lines at a time to bound memory (a push of
    100,000 tags: each chunk's lines are let go of, so `lines` ends empty); else None, and
    the lines are read one by one to say which one is wrong."""
    updates: list[RefUpdate] = []
    while lines:
        rows = [line.split(" ") for line in lines[:_CHUNK]]
        del lines[:_CHUNK]
        if set(map(len, rows)) != {3}:
            return None
        olds, news, refs = zip(*rows)
        width = set(map(len, olds)) | set(map(len, news))
        zero = "0" * min(width)
        if not (len(width) == 1 and width <= {40, 64} and all_hex("".join(olds)) and all_hex("".join(news))
                and all(map(str.startswith, refs, repeat("refs/"))) and "".join(refs).isprintable()
                and (zero, zero) not in zip(olds, news)):
            return None
        distinct = set(olds)
        if len(distinct) == 1 and zero in distinct:  # (a push of new refs)
            shared: Sequence[str] = [_ZERO_OF[zero]] * len(olds)
        else:
            shared = [_ZERO_OF.get(old, old) for old in olds]  # one shared zero id: less memory
        updates += RefUpdate.many(refs, shared, news)
    return updates or None


def parse_pre_push(text: str, source: str = "stdin") -> list[RefUpdate]:
    """pre-push input: `<local ref> <local oid> <remote ref> <remote oid>` per line."""
    updates = []
    for number, line in enumerate(git_lines(text), 1):
        parts = line.split(" ")
        if len(parts) != 4:
            raise HookInputError(
                f"{source} line {number}: expected '<local ref> <local oid> <remote ref> <remote oid>', "
                f"got '{shown(line)}'"
            )
        if parts[1] == parts[3] and len(parts[1]) in (40, 64) and is_zero(parts[1]):
            continue  # deleting a ref the remote does not have: git itself says so
        updates.append(_update(parts[2], parts[3], parts[1], source, number))
    return updates


_ASCII_CONTROLS = frozenset(map(chr, [*range(32), 127]))


def _git_ref_chars(ref: str) -> bool:
    """No ASCII control character, which git never allows in a ref name (`git check-ref-format`).

    Everything else git allows is let through: bytes that are not UTF-8, format characters
    (the zero-width joiner of emoji sequences), bidi controls, C1 controls. A branch then passes
    untouched, and a tag with such a name is judged by the naming rules, which show it escaped.
    """
    return _ASCII_CONTROLS.isdisjoint(ref)


def _update(ref: str, old: str, new: str, source: str, number: int) -> RefUpdate:
    if (len(old) in (40, 64) and len(new) == len(old) and _HEX.issuperset(old) and _HEX.issuperset(new)
            and ref.startswith("refs/") and ref.isprintable() and not (old in _ZEROS and new in _ZEROS)):
        return RefUpdate(ref, old, new)  # the usual line, checked in one go
    where = f"{source} line {number}"
    for oid in (old, new):
        if len(oid) not in (40, 64) or not _HEX.issuperset(oid):
            raise HookInputError(f"{where}: '{shown(oid)}' is not an object id")
    if len(old) != len(new):
        raise HookInputError(f"{where}: object ids of different lengths")
    if not ref.startswith("refs/") or not _git_ref_chars(ref):
        raise HookInputError(f"{where}: '{shown(ref)}' is not a full ref name")
    if old in _ZEROS and new in _ZEROS:
        raise HookInputError(f"{where}: both object ids are zero")
    return RefUpdate(ref, old, new)
