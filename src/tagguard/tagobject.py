"""Parsing annotated tag objects from raw bytes, and peeling tags to what they point at."""

from __future__ import annotations

from typing import NamedTuple

from tagguard.git import Git

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
        type_.decode("utf-8", "replace"),
        name.decode("utf-8", "surrogateescape"),
        None if tagger is None else tagger.decode("utf-8", "replace"),
        message.decode("utf-8", "replace"),
        signed,
    )


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


class Peeled(NamedTuple):
    """Where a pushed object leads: its own type, its tag objects, and the final object."""

    type: str  # type of the pushed object itself ("missing" if absent)
    tags: tuple[TagObject, ...]  # the chain of tag objects, outermost first
    target: str  # the object at the end of the chain
    target_type: str


def peel_all(git: Git, oids: list[str]) -> dict[str, Peeled]:
    """Peel many objects with one `cat-file --batch` per level of tag nesting."""
    types = git.object_types(oids)
    result: dict[str, Peeled] = {}
    pending: dict[str, tuple[list[TagObject], str]] = {}  # pushed oid -> (chain so far, next object)
    for oid, kind in types.items():
        if kind == "tag":
            pending[oid] = ([], oid)
        else:
            result[oid] = Peeled(kind, (), oid, kind)
    while pending:
        found = git.read_batch([current for _, current in pending.values()])
        next_round = {}
        for (oid, (chain, current)), item in zip(pending.items(), found):
            if item is None:
                result[oid] = Peeled("tag", tuple(chain), current, "missing")
                continue
            tag = parse_tag(current, item[1])
            chain.append(tag)
            if tag.target_type == "tag" and len(chain) < 32:
                next_round[oid] = (chain, tag.target)
            else:
                result[oid] = Peeled("tag", tuple(chain), tag.target, tag.target_type)
        pending = next_round
    return result
