"""Ref names as a file system that ignores case stores them (`folded`), and the refs that
would land there as a tag, a replace ref or tagguard's own unjudged (`lookalike`, TG405)."""

from __future__ import annotations

import pytest

from tagguard.git.refs import folded, lookalike, misplaced, namespaced


@pytest.mark.parametrize("ref,key", [
    ("refs/Tags/V2.8", "refs/tags/v2.8"),
    ("refs/tags./x.y", "refs/tags/x.y"),  # NTFS cuts dots that end a part, not others
    ("refs/tags.../x", "refs/tags/x"),
    ("refs/ta\u200cgs/x\ufeff", "refs/tags/x"),  # HFS+ leaves these out
    ("refs/tag\u017f/\u212a", "refs/tags/k"),  # long s and the Kelvin sign fold to ASCII
    ("refs/heads/Caf\u00e9", "refs/heads/cafe\u0301"),
])
def test_folded_is_the_name_such_a_file_system_compares(ref: str, key: str) -> None:
    assert folded(ref) == key


@pytest.mark.parametrize("ref,stored_as", [
    ("refs/Tags/V2.8_BAD", "refs/tags/V2.8_BAD"),  # the name after the folder as it was pushed
    ("refs/tags./v2.8-base", "refs/tags/v2.8-base"),
    ("refs/rePlace/abc", "refs/replace/abc"),
    ("refs/TAGGUARD/ledger", "refs/tagguard/ledger"),
    ("refs/heads/refs/TagGuard/ledger", "refs/heads/refs/tagguard/ledger"),
    ("refs/tags/refs/Tagguard/x", "refs/tags/refs/tagguard/x"),
    ("refs/tags/V2.8_BAD", None),  # a tag: judged by its name
    ("refs/heads/Main", None),
    ("refs/heads/Tags/x", None),
    ("refs/tagsx/y", None),
])
def test_a_lookalike_is_the_reserved_ref_it_is_stored_as(ref: str, stored_as: str | None) -> None:
    assert lookalike(ref) == stored_as


@pytest.mark.parametrize("ref,inside", [
    ("refs/namespaces/team/refs/tags/v2.8-x", ("team", "refs/tags/v2.8-x")),
    ("refs/namespaces/a/refs/namespaces/b/refs/heads/main", ("a/b", "refs/heads/main")),
    ("refs/Namespaces./A/refs/tags/x", ("A", "refs/tags/x")),  # the same folder where case is ignored
    ("refs/namespaces/a/HEAD", ("a", "HEAD")),
    ("refs/namespaces/a", None),
    ("refs/heads/refs/namespaces/a/refs/tags/x", None),  # git strips a namespace at the start only
])
def test_namespaced_is_the_ref_a_namespace_sees(ref: str, inside: tuple[str, str] | None) -> None:
    assert namespaced(ref) == inside


def test_misplaced_refs_are_found_among_many_refs() -> None:
    many = [f"refs/tags/v2.8-exp-run{i}" for i in range(1000)]
    assert misplaced(many) == {}
    assert misplaced([*many, "refs/heads/Main", "refs/heads/x./y", "refs/namespaces/a/refs/heads/main"]) == {}
    assert misplaced([*many, "refs/Tags/v2.8-x", "refs/heads/Main", "refs/namespaces/a/refs/Tags/y"]) == {
        "refs/Tags/v2.8-x": ("refs/tags/v2.8-x", None), "refs/namespaces/a/refs/Tags/y": ("refs/tags/y", "a")}
