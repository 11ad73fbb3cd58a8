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
NAMESPACE_PREFIX = "refs/namespaces/"  # what a server serving GIT_NAMESPACE=x reads as its refs/ is refs/namespaces/x/


def is_own_ref(ref: str) -> bool:
    """tagguard's own refs, and any ref holding their names (`refs/heads/refs/tagguard/ledger`):
    git looks a name that does not exist up under refs/, refs/tags/, refs/heads/ and
    refs/remotes/ in turn, so such a branch would stand in for a ledger not made yet."""
    return ref.startswith(OWN_PREFIX) or "/" + OWN_PREFIX in ref


# Code points HFS+ leaves out of a file name (git's own list, in `is_hfs_dotgit`): zero-width
# joiners and marks, bidi embeddings, deprecated format characters, the byte order mark.
_HFS_IGNORED = dict.fromkeys([*range(0x200C, 0x2010), *range(0x202A, 0x202F), *range(0x206A, 0x2070), 0xFEFF])


def folded(ref: str) -> str:
    """`ref` as a file system that ignores case compares names (NTFS; APFS and HFS+ as macOS
    formats them): case folded, HFS+'s ignored code points dropped, and the dots NTFS cuts
    from the end of each part of a path cut. A loose ref is a file, so on such a server
    `refs/Tags/x` is stored as `refs/tags/x`."""
    if ref.isascii():
        key = ref.lower()
    else:
        import unicodedata

        key = unicodedata.normalize("NFD", ref.translate(_HFS_IGNORED)).casefold()
    return "/".join(part.rstrip(".") for part in key.split("/")) if "./" in key else key


def lookalike(ref: str) -> str | None:
    """The ref tagguard reads specially (a tag, a replace ref, its own) that `ref`, spelt
    otherwise, is stored as on a file system that ignores case (`folded`); None for any other
    ref. Such a ref would land unjudged there, as a tag or over one."""
    key = folded(ref)
    if key == ref:
        return None  # nearly every ref: lowercase ASCII, no part ending with a dot
    for prefix in (TAG_PREFIX, REPLACE_PREFIX, OWN_PREFIX):
        if key.startswith(prefix) and not ref.startswith(prefix):
            return prefix + ref.split("/", 2)[2]  # (the parts fold one to one: the same name, spelt exactly)
    return key if is_own_ref(key) and not is_own_ref(ref) else None


def all_folded(refs: Sequence[str]) -> bool:
    """Whether each ref is its own `folded` form (lowercase ASCII, no part ending with a dot),
    told for them all at once."""
    joined = "\n".join(refs)
    return joined.isascii() and "./" not in joined and joined.lower() == joined


def namespaced(ref: str) -> tuple[str, str] | None:
    """(namespace, ref) that `ref` is to a server serving that GIT_NAMESPACE:
    `refs/namespaces/a/refs/namespaces/b/refs/tags/x` is the tag `refs/tags/x` of `a/b`; None
    for a ref outside refs/namespaces/. Read as `folded`: where case is ignored,
    refs/Namespaces/ is the same folder."""
    parts, keys = ref.split("/"), folded(ref).split("/")  # (the parts fold one to one)
    start = 0
    while keys[start : start + 2] == ["refs", "namespaces"] and len(keys) > start + 3:
        start += 3
    if not start:
        return None
    return "/".join(parts[2:start:3]), "/".join(parts[start:])


def _reads_specially(ref: str) -> bool:
    return ref.startswith((TAG_PREFIX, REPLACE_PREFIX, OWN_PREFIX)) or is_own_ref(ref)


def misplaced(refs: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    """Each ref among `refs` that some reader takes for a tag, a replace ref or tagguard's own
    while the hooks read it as another -> (that ref, the namespace it is in or None): a
    `lookalike` of one, or one inside a namespace (`namespaced`). None of them when they are
    all folded already and none is under refs/namespaces/, told at C speed (a push's 100,000
    tags)."""
    if all_folded(refs) and NAMESPACE_PREFIX not in "\n".join(refs):
        return {}
    found: dict[str, tuple[str, str | None]] = {}
    for ref in refs:
        inside = namespaced(ref)
        if inside is not None:
            stored_as = lookalike(inside[1]) or inside[1]
            if _reads_specially(stored_as):
                found[ref] = (stored_as, inside[0])
        else:
            alike = lookalike(ref)
            if alike is not None:
                found[ref] = (alike, None)
    return found


def short_name(ref: str) -> str:
    """`refs/tags/NAME` -> `NAME`; anything else is returned as it is."""
    return ref[len(TAG_PREFIX) :] if ref.startswith(TAG_PREFIX) else ref


def short_names(refs: Sequence[str]) -> list[str]:
    """`short_name` of each (a push's 100,000 tags at C speed)."""
    if all(map(str.startswith, refs, repeat(TAG_PREFIX))):
        return list(map(itemgetter(slice(len(TAG_PREFIX), None)), refs))
    return list(map(short_name, refs))
