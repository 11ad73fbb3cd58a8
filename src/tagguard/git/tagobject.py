"""Parsing annotated tag objects from raw bytes, and peeling tags to what they point at."""

from __future__ import annotations

import unicodedata

from tagguard.git.repo import Git
from tagguard.lean import NamedTuple, cached

KEEP = 4096  # characters of a tag's name, tagger and message kept once it is parsed
# Letters and symbols that show as blank space; everything that is not a letter, number,
# punctuation or symbol (spaces, controls, NULs, format characters, lone marks) is blank too.
_BLANK_LOOKING = "\u115f\u1160\u2800\u3164\uffa0"
_HEX = frozenset("0123456789abcdef")

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
    """Parse a tag object; headers git did not write (a missing tagger) are simply None.

    The name is decoded as ref names are (bytes that are not UTF-8 kept as surrogates), so the
    two compare exactly; tagger and message are text for people (U+FFFD for such bytes).
    """
    head, _, body = raw.partition(b"\n\n")
    object_, type_, name, tagger = _headers(head.split(b"\n"))
    message, signed = _split_signature(body)
    return TagObject(
        oid,
        object_.decode("utf-8", "replace"),
        _TYPES.get(type_) or type_.decode("utf-8", "replace"),
        name.decode("utf-8", "surrogateescape"),
        None if tagger is None else tagger.decode("utf-8", "replace"),
        message.decode("utf-8", "replace"),
        signed,
    )


_TYPES = {kind.encode(): kind for kind in ("commit", "tag", "tree", "blob")}  # one str each, not one per tag


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


def _cut(text: str) -> str:
    return text if len(text) <= KEEP else text[:KEEP] + "\n"


def _headers(lines: list[bytes]) -> tuple[bytes, bytes, bytes, bytes | None]:
    """object, type, tag and tagger headers (the first of each; tagger None if absent)."""
    if (len(lines) >= 4 and lines[0].startswith(b"object ") and lines[1].startswith(b"type ")
            and lines[2].startswith(b"tag ") and lines[3].startswith(b"tagger ")):
        return lines[0][7:], lines[1][5:], lines[2][4:], lines[3][7:]  # as git writes them
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
    compacted, so memory stays bounded whatever is pushed."""
    result: dict[str, Peeled] = {}
    pending: dict[str, tuple[list[TagObject], str]] = {oid: ([], oid) for oid in oids}  # -> (chain, next)
    with git.batched() as objects:
        while pending:
            info = objects.object_info(current for _, current in pending.values())
            waiting: dict[str, list[str]] = {}  # tag object to read -> the pushed oids it is next for
            for oid, (chain, current) in pending.items():
                kind, size = info[current].type, info[current].size
                if kind != "tag":  # the end (or missing, or not the tag its tag said it was)
                    result[oid] = Peeled("tag" if chain else kind, tuple(chain), current, kind)
                elif size > max_bytes:
                    result[oid] = Peeled("tag", tuple(chain), current, "tag", size)
                else:
                    waiting.setdefault(current, []).append(oid)
            pending = _read_level(objects, waiting, {c: info[c].size for c in waiting}, pending, result)
    return result


def peel_ends(git: Git, oids: list[str], max_bytes: int) -> dict[str, str]:
    """Where each object's chain of tags ends, as the checks peel (by real types, PEEL_CHUNK
    at a time); a tag over `max_bytes` stands for itself, unread (git's own `^{}` would
    read it whole)."""
    found: dict[str, str] = {}
    for start in range(0, len(oids), PEEL_CHUNK):
        found.update((oid, p.target) for oid, p in peel_all(git, oids[start : start + PEEL_CHUNK], max_bytes).items())
    return found


def _read_level(git: Git, waiting: dict[str, list[str]], sizes: dict[str, int],
                pending: dict[str, tuple[list[TagObject], str]], result: dict[str, Peeled]
                ) -> dict[str, tuple[list[TagObject], str]]:
    """Read one level of tag objects in bounded batches; fill `result` for the chains that
    end here, return the ones that go on (at most 32 tags deep)."""
    from tagguard.git.batches import read_in_batches

    next_round = {}
    for current, item in read_in_batches(git, list(waiting), sizes):
        tag = None if item is None else _compact(parse_tag(current, item[1]))
        for oid in waiting[current]:
            chain = pending[oid][0]
            if tag is None:  # gone since the size check
                result[oid] = Peeled("tag", tuple(chain), current, "missing")
            elif not (len(tag.target) == len(current) and _HEX.issuperset(tag.target)):
                result[oid] = Peeled("tag", (*chain, tag), tag.target, "missing")  # no object id: never resolved
            elif len(chain) < 31:  # on to the target, whatever type the tag declares: its real type counts
                next_round[oid] = ([*chain, tag], tag.target)
            else:
                result[oid] = Peeled("tag", (*chain, tag), tag.target, tag.target_type)
    return next_round
