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
    """Parse a tag object; headers git did not write (a missing tagger) are simply None."""
    head, _, body = raw.partition(b"\n\n")
    headers: dict[str, str] = {}
    for line in head.split(b"\n"):
        key, _, value = line.partition(b" ")
        headers.setdefault(key.decode("ascii", "replace"), value.decode("utf-8", "replace"))
    message, signed = _split_signature(body)
    return TagObject(
        oid,
        headers.get("object", ""),
        headers.get("type", ""),
        headers.get("tag", ""),
        headers.get("tagger"),
        message.decode("utf-8", "replace"),
        signed,
    )


def without_signature(message: str) -> str:
    """A tag message as people wrote it: any trailing GPG or SSH signature removed."""
    return _split_signature(message.encode("utf-8", "surrogateescape"))[0].decode("utf-8", "replace")


def _split_signature(body: bytes) -> tuple[bytes, bool]:
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
    oids = list(dict.fromkeys(oids))  # two refs may push the same object
    info = git.object_info(oids)
    chains: dict[str, list[TagObject]] = {oid: [] for oid in oids}
    ends = {oid: (oid, info[oid].type) for oid in oids}
    pending = [oid for oid in oids if info[oid].type == "tag"]
    while pending:
        objects = git.read_objects(ends[oid][0] for oid in pending)
        next_round = []
        for oid in pending:
            current = ends[oid][0]
            if current not in objects:
                ends[oid] = (current, "missing")
                continue
            tag = parse_tag(current, objects[current][1])
            chains[oid].append(tag)
            ends[oid] = (tag.target, tag.target_type)
            if tag.target_type == "tag" and len(chains[oid]) < 32:
                next_round.append(oid)
        pending = next_round
    return {
        oid: Peeled(info[oid].type, tuple(chains[oid]), ends[oid][0], ends[oid][1]) for oid in oids
    }
