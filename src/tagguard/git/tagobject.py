"""Parsing annotated tag objects from raw bytes, and peeling tags to what they point at."""

from __future__ import annotations

from _operator import attrgetter, eq, itemgetter
from itertools import repeat

from tagguard.git.repo import Batched, Git, ObjectInfo, all_hex
from tagguard.lean import TYPE_CHECKING, NamedTuple, cached

if TYPE_CHECKING:
    from collections.abc import Generator

KEEP = 4096  # characters of a tag's name, tagger and message kept once it is parsed
# Letters and symbols that show as blank space; everything that is not a letter, number,
# punctuation or symbol (spaces, controls, NULs, format characters, lone marks) is blank too.
_BLANK_LOOKING = "\u115f\u1160\u2800\u3164\uffa0"

_SIGNATURE_STARTS = (
    b"-----BEGIN PGP SIGNATURE-----",
    b"-----BEGIN SSH SIGNATURE-----",
    b"-----BEGIN SIGNED MESSAGE-----",
)


class TagObject(NamedTuple):
    oid: str
    target: str  # the object header: what this tag points at
    target_type: str  # "commit", "tag" (a tag of a tag), "tree" or "blob"
    name: str  # the tag header: the name the tagger gave it
    tagger: str | None
    message: str  # without the signature
    signed: bool


def parse_tag(oid: str, raw: bytes) -> TagObject:
    """One tag object, as `parse_tags` parses it."""
    return parse_tags([oid], [raw])[0]


def parse_tags(oids: list[str], raws: list[bytes]) -> list[TagObject]:
    """Parse tag objects (one, or a push's 100,000); headers git did not write (a missing
    tagger) are simply None.

    The name is decoded as ref names are (bytes that are not UTF-8 kept as surrogates), so the
    two compare exactly; tagger and message are text for people (U+FFFD for such bytes).
    """
    tags = []
    for oid, raw in zip(oids, raws):
        lines = raw.decode("ascii").split("\n", 5) if raw.isascii() else ()  # ASCII: every decoding agrees
        if (len(lines) == 6 and not lines[4] and lines[0].startswith("object ") and lines[1].startswith("type ")
                and lines[2].startswith("tag ") and lines[3].startswith("tagger ") and "-----BEGIN " not in lines[5]):
            kind = lines[1][5:]  # as git writes an unsigned tag: its first four lines, a blank one, the message
            tags.append(_new(TagObject, (oid, lines[0][7:], _KINDS.get(kind, kind), lines[2][4:], lines[3][7:],
                                         lines[5], False)))
            continue
        head, _, body = raw.partition(b"\n\n")
        object_, type_, name, tagger = _headers(head.split(b"\n"))
        message, signed = _split_signature(body)
        tags.append(_new(TagObject, (
            oid,
            object_.decode("utf-8", "replace"),
            _TYPES.get(type_) or type_.decode("utf-8", "replace"),
            name.decode("utf-8", "surrogateescape"),
            None if tagger is None else tagger.decode("utf-8", "replace"),
            message.decode("utf-8", "replace"),
            signed,
        )))
    return tags


_new = tuple.__new__  # a TagObject from its fields in order, with no Python call per tag


_KINDS = {kind: kind for kind in ("commit", "tag", "tree", "blob")}  # one str each, not one per tag
_TYPES = {kind.encode(): kind for kind in _KINDS}


def first_visible(text: str) -> int:
    """Where the first character a reader can see is, or -1 when the text looks empty."""
    if "!" <= text[:1] <= "~":  # printable ASCII but space: nearly every message
        return 0
    for index, char in enumerate(text[:64]):  # almost every message answers here
        if _visible(char):
            return index
    if len(text) <= 64:
        return -1
    import regex  # a long blank run: search at C speed, not character by character

    found = regex.search(r"[[\p{L}\p{N}\p{P}\p{S}]--[" + _BLANK_LOOKING + "]]", text, flags=regex.V1)
    return -1 if found is None else found.start()


def _visible(char: str) -> bool:
    import unicodedata  # only for a message that starts with a space or a character past ASCII

    return unicodedata.category(char)[0] in "LNPS" and char not in _BLANK_LOOKING


@cached(64)  # the tags of one push mostly share a tagger line
def tagger_parts(tagger: str | None) -> tuple[str, str, str] | None:
    """(name, email, "<seconds> <+hhmm>") of a tagger header written as git writes it, or
    None when it is missing or is no record of who tagged and when."""
    if tagger is None:
        return None
    who, close, when = tagger.rpartition("> ")
    name, opened, email = who.partition("<")
    stamp, _, zone = when.partition(" ")
    if (close and opened and name.strip() and stamp.isascii() and stamp.isdigit() and len(stamp) <= 20
            and len(zone) == 5 and zone[0] in "+-" and zone[1:].isascii() and zone[1:].isdigit()):
        return name.strip(), email, when
    return None


def _compact(tag: TagObject) -> TagObject:
    """The tag as the checks need it, in bounded memory: the message from its first visible
    character (so an empty one stays empty), each text at most about KEEP characters. A cut
    name ends with a newline, which no ref name holds, so it equals none; a tagger keeps
    whether it is well formed."""
    start = first_visible(tag.message)
    if start == 0 and max(len(tag.message), len(tag.name), len(tag.tagger or "")) <= KEEP:
        return tag  # nearly every tag: nothing to cut
    message = "" if start < 0 else tag.message[start : start + KEEP]
    tagger = tag.tagger
    if tagger is not None and len(tagger) > KEEP:
        parts = tagger_parts(tagger)
        tagger = _cut(tagger) if parts is None else f"{parts[0][:KEEP]} <{parts[1][:KEEP]}> {parts[2]}"
    return tag._replace(name=_cut(tag.name), tagger=tagger, message=message)


def _compact_all(tags: list[TagObject]) -> list[TagObject]:
    """`_compact` of each; at once when none needs it (nearly every push): every message
    starts with printable ASCII but space, and no text is longer than KEEP."""
    texts = (list(map(_MESSAGE, tags)), list(map(_NAME, tags)), list(filter(None, map(_TAGGER, tags))))
    if starts_visible(texts[0]) and max(max(map(len, column), default=0) for column in texts) <= KEEP:
        return tags
    return list(map(_compact, tags))


def starts_visible(messages: list[str]) -> bool:
    """Whether every message starts with printable ASCII but space (`first_visible` is 0),
    told for them all at once."""
    firsts = "".join(map(_FIRST, messages))
    return len(firsts) == len(messages) and firsts.isascii() and firsts.isprintable() and " " not in firsts


_MESSAGE, _NAME, _TAGGER = attrgetter("message"), attrgetter("name"), attrgetter("tagger")
_FIRST = itemgetter(slice(1))


def _cut(text: str) -> str:
    return text if len(text) <= KEEP else text[:KEEP] + "\n"


def _headers(lines: list[bytes]) -> tuple[bytes, bytes, bytes, bytes | None]:
    """object, type, tag and tagger headers, in any order (the first of each; tagger None if
    absent). For a tag as git writes it, the first four lines in that order."""
    headers: dict[bytes, bytes] = {}
    for line in lines:
        key, _, value = line.partition(b" ")
        headers.setdefault(key, value)
    return headers.get(b"object", b""), headers.get(b"type", b""), headers.get(b"tag", b""), headers.get(b"tagger")


def without_signature(message: str) -> str:
    """A tag message as people wrote it: any trailing GPG or SSH signature removed."""
    return _split_signature(message.encode("utf-8", "surrogateescape"))[0].decode("utf-8", "replace")


def _split_signature(body: bytes) -> tuple[bytes, bool]:
    if b"-----BEGIN " not in body:  # most tags: one scan instead of six
        return body, False
    starts = [body.rfind(b"\n" + marker) for marker in _SIGNATURE_STARTS]
    starts += [0 for marker in _SIGNATURE_STARTS if body.startswith(marker)]
    cut = max(starts)
    if cut < 0:
        return body, False
    return body[:cut], True


PEEL_CHUNK = 10_000  # objects peeled at a time: their parsed tags are then dropped


class Peeled(NamedTuple):
    """Where a pushed object leads: its own type, its tag objects, and the final object."""

    type: str  # type of the pushed object itself ("missing" if absent)
    tags: tuple[TagObject, ...]  # the chain of tag objects read, outermost first (compacted)
    target: str  # the object at the end of the chain (or the tag object too large to read)
    target_type: str
    too_large: int = 0  # the size of `target`, a tag object over the cap, left unread


def peel_all(git: Git, oids: list[str], max_bytes: int) -> dict[str, Peeled]:
    """Peel many objects: per level of tag nesting, one `cat-file` info request for types
    and sizes, then reads of bounded total size, all from one git process (`Git.batched`).
    A tag object over `max_bytes` is never read (`too_large`); the others are kept
    compacted, so memory stays bounded whatever is pushed. Each object is looked at once,
    however many chains pass through it (a push's tags mostly share a handful of commits)."""
    [peeled] = peel_parts(git, [oids], max_bytes)
    return peeled


def peel_parts(git: Git, parts: list[list[str]], max_bytes: int
               ) -> Generator[dict[str, Peeled], None, None]:
    """`peel_all` of each part in turn, from one git session. While a part is peeled and
    judged, git reads the next part's tag objects (`Batched.read_ahead`) and looks up the
    types and sizes of the part after that (`Batched.info_ahead`), so that its work overlaps
    ours and the caller's; close the iterator (or finish it) to stop git."""
    with git.batched() as objects:
        for index in range(min(2, len(parts))):
            objects.info_ahead(list(dict.fromkeys(parts[index])))
        looked = _look(objects, parts[0], max_bytes) if parts else ({}, {})
        for index, part in enumerate(parts):
            upcoming = _look(objects, parts[index + 1], max_bytes) if index + 1 < len(parts) else ({}, {})
            if index + 2 < len(parts):
                objects.info_ahead(list(dict.fromkeys(parts[index + 2])))
            yield _peel(objects, part, *looked, max_bytes)
            looked = upcoming


def _look(objects: Batched, oids: list[str], max_bytes: int) -> tuple[dict[str, ObjectInfo], dict[str, int]]:
    """The types and sizes of a part's objects, and the tags to read (`_readable`); git
    starts reading the first batch of those."""
    from tagguard.git.batches import by_size

    info = objects.object_info(dict.fromkeys(oids))
    readable = _readable(info, max_bytes)
    objects.read_ahead(next(by_size(list(readable), readable), []))
    return info, readable


def _readable(info: dict[str, ObjectInfo], max_bytes: int) -> dict[str, int]:
    """The tag objects to read (not over `max_bytes`), with their sizes."""
    return {oid: i.size for oid, i in info.items() if i.type == "tag" and i.size <= max_bytes}


def _peel(objects: Batched, oids: list[str], info: dict[str, ObjectInfo], readable: dict[str, int],
          max_bytes: int) -> dict[str, Peeled]:
    """`peel_all`, what `_look` found of the pushed objects known."""
    steps: dict[str, TagObject | ObjectInfo | None] = {}  # object -> its tag, or where a chain ends there
    unresolved: set[str] = set()  # tag objects whose object header is no object id
    for depth in range(1, _DEPTH + 1):
        steps.update(info)
        steps.update(_read_tags(objects, readable))
        read = [t for t in map(steps.__getitem__, readable) if type(t) is TagObject]
        unresolved.update(_unresolved(read))
        resolved = [t for t in read if t.oid not in unresolved] if unresolved else read
        level = [target for target in dict.fromkeys(map(_TARGET, resolved)) if target not in steps]  # (a few commits)
        if not level or depth == _DEPTH:
            break
        info = objects.object_info(level)
        readable = _readable(info, max_bytes)
    unique = list(dict.fromkeys(oids))
    return _tags_of_commits(unique, steps, unresolved) or {oid: _chain(oid, steps, unresolved) for oid in unique}


def _tags_of_commits(oids: list[str], steps: dict[str, TagObject | ObjectInfo | None], unresolved: set[str]
                     ) -> dict[str, Peeled] | None:
    """`_chain` of each when every one is a tag object of a commit (nearly every push), at C
    speed; else None."""
    tags = list(map(steps.__getitem__, oids))
    if not tags or set(map(type, tags)) != {TagObject} or not unresolved.isdisjoint(oids):
        return None
    ends = list(map(steps.get, map(_TARGET, tags)))
    if set(map(type, ends)) != {ObjectInfo} or set(map(_TYPE, ends)) != {"commit"}:
        return None
    fields = zip(repeat("tag"), zip(tags), map(_OID, ends), repeat("commit"), repeat(0))  # (one-tag chains)
    return dict(zip(oids, map(_new, repeat(Peeled), fields)))


_TARGET, _TYPE, _OID = attrgetter("target"), attrgetter("type"), attrgetter("oid")


_DEPTH = 32  # tag objects read at most in one chain


def _chain(oid: str, steps: dict[str, TagObject | ObjectInfo | None], unresolved: set[str]) -> Peeled:
    """Where `oid` leads, following `steps` (see `peel_all`)."""
    chain: tuple[TagObject, ...] = ()
    current = oid
    while True:
        step = steps[current]
        if step is None:  # gone since the size check
            return _new(Peeled, ("tag", chain, current, "missing", 0))
        if not isinstance(step, TagObject):  # the end (or missing, or not the tag its tag said it was), or too large
            too_large = step.size if step.type == "tag" else 0  # (step.oid: one str for all chains ending here)
            return _new(Peeled, ("tag" if chain else step.type, chain, step.oid, step.type, too_large))
        chain = (*chain, step)
        if current in unresolved:  # no object id: never resolved
            return _new(Peeled, ("tag", chain, step.target, "missing", 0))
        if len(chain) == _DEPTH:  # as deep as tags are read: the type the last one declares
            return _new(Peeled, ("tag", chain, step.target, step.target_type, 0))
        current = step.target  # on to the target, whatever type the tag declares: its real type counts


def _unresolved(tags: list[TagObject]) -> list[str]:
    """The tags whose object header is not an object id like their own (checked on them
    all at once, then one by one when some are not)."""
    targets = list(map(_TARGET, tags))
    if all(map(eq, map(len, targets), map(len, map(_OID, tags)))) and all_hex("".join(targets)):
        return []
    return [t.oid for t in tags if not (len(t.target) == len(t.oid) and all_hex(t.target))]


def peel_ends(git: Git, oids: list[str], max_bytes: int) -> dict[str, str]:
    """Where each object's chain of tags ends, as the checks peel (by real types, PEEL_CHUNK
    at a time); a tag over `max_bytes` stands for itself, unread (git's own `^{}` would
    read it whole)."""
    found: dict[str, str] = {}
    for peeled in peel_parts(git, [oids[start : start + PEEL_CHUNK] for start in range(0, len(oids), PEEL_CHUNK)],
                             max_bytes):
        found.update((oid, p.target) for oid, p in peeled.items())
    return found


def _read_tags(git: Git, sizes: dict[str, int]) -> dict[str, TagObject | None]:
    """Read and parse these tag objects, compacted, in bounded batches; None for any gone
    since its size was asked."""
    from tagguard.git.batches import by_size

    found: dict[str, TagObject | None] = {}
    for run in by_size(list(sizes), sizes):
        items = git.read_batch(run)
        read = [name for name, item in zip(run, items) if item is not None]
        found.update(dict.fromkeys(run))
        found.update(zip(read, _compact_all(parse_tags(read, [item[1] for item in items if item is not None]))))
    return found
