"""Ref names as a file system that ignores case stores them (`folded`), and the refs that
would land there as a tag, a replace ref or tagguard's own unjudged (`lookalike`, TG405)."""

from __future__ import annotations

import pytest

from tagguard.git.refs import folded, lookalike, lookalikes


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


def test_lookalikes_are_found_among_many_refs() -> None:
    many = [f"refs/tags/v2.8-exp-run{i}" for i in range(1000)]
    assert lookalikes(many) == {}
    assert lookalikes([*many, "refs/heads/Main", "refs/heads/x./y"]) == {}
    assert lookalikes([*many, "refs/Tags/v2.8-x", "refs/heads/Main"]) == {"refs/Tags/v2.8-x": "refs/tags/v2.8-x"}
