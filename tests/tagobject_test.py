"""Tag objects in bounded memory: size checked first, read in capped batches, kept compacted."""

from __future__ import annotations

import subprocess
from pathlib import Path

from testing.tools import git

from tagguard.git.batches import READ_BUDGET, by_size
from tagguard.git.repo import Batched
from tagguard.git.tagobject import KEEP, TagObject, _compact, first_visible, peel_all, tagger_parts

GOOD_TAGGER = "Ana <ana@example.com> 1700000000 +0100"


def test_first_visible_skips_everything_a_reader_cannot_see() -> None:
    assert first_visible("acc=0.9") == 0
    assert first_visible(" \t\n\0\u200b\u202e\u3164\u0301x") == 8
    assert first_visible("\u200b" * 10_000 + "x") == 10_000  # past the quick look: the regex search
    assert first_visible("\u200b" * 10_000) == -1
    assert first_visible("") == -1
    assert first_visible("\ufffd") == 0  # bytes that were not UTF-8 are something, not nothing


def test_tagger_parts() -> None:
    assert tagger_parts(GOOD_TAGGER) == ("Ana", "ana@example.com", "1700000000 +0100")
    assert tagger_parts("A <a> b> 1 -0500") == ("A", "a> b", "1 -0500")  # the last "> " ends the email
    for bad in (None, "", "Ana", "Ana <ana@example.com>", "<a@b> 1 +0000", "Ana <a@b> 1 0000", "Ana <a@b> x +0000",
                "Ana a@b> 1 +0000", "Ana <a@b> 1 +00000", "Ana <a@b> " + "1" * 21 + " +0000", "Ana <a@b> \u0661 +0000"):
        assert tagger_parts(bad) is None, bad


def tag_value(name: str = "v2.8-ft", tagger: str | None = GOOD_TAGGER, message: str = "acc=0.9\n") -> TagObject:
    return TagObject("o", "c" * 40, "commit", name, tagger, message, False)


def test_compacted_tags_keep_what_the_checks_decide_on() -> None:
    assert _compact(tag_value()) == tag_value()
    long = _compact(tag_value(message=" " * 10 * KEEP + "acc=0.9" + "x" * 10 * KEEP))
    assert long.message.startswith("acc=0.9") and len(long.message) == KEEP
    assert _compact(tag_value(message="\u200b" * 10 * KEEP)).message == ""
    name = "v2.8-ft-" + "a" * 10 * KEEP
    assert _compact(tag_value(name=name)).name == name[:KEEP] + "\n" != name  # equals no ref name
    well_formed = _compact(tag_value(tagger="A" * 10 * KEEP + " <" + "e" * 10 * KEEP + "> 1700000000 +0000"))
    assert len(well_formed.tagger or "") < 3 * KEEP and tagger_parts(well_formed.tagger) is not None
    garbled = _compact(tag_value(tagger="A" * 10 * KEEP))
    assert len(garbled.tagger or "") == KEEP + 1 and tagger_parts(garbled.tagger) is None


def test_batches_are_capped_by_total_size() -> None:
    sizes = {"a": 5 << 20, "b": 5 << 20, "c": 1, "d": 20 << 20, "e": 1}
    assert list(by_size(list(sizes), sizes)) == [["a"], ["b", "c"], ["d"], ["e"]]
    assert list(by_size([], {})) == []


class CountingGit(Batched):
    """The real git, noting how much each read of object contents returned."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.batches: list[int] = []

    def batched(self) -> CountingGit:
        return self

    def read_batch(self, names: list[str]) -> list[tuple[str, bytes] | None]:
        found = super().read_batch(names)
        self.batches.append(sum(len(item[1]) for item in found if item))
        return found


def test_many_large_tags_are_read_in_bounded_batches_and_kept_small(repo: Path) -> None:
    head = git("rev-parse", "HEAD", cwd=repo)
    oids = []
    for index in range(12):  # 12 tags of 1 MiB minus a little: 12 MiB in all
        body = (f"object {head}\ntype commit\ntag v2.8-exp-{index}\ntagger {GOOD_TAGGER}\n\nacc=0.{index}\n"
                ).encode() + b"x" * ((1 << 20) - 200)
        oids.append(subprocess.run(["git", "hash-object", "-t", "tag", "-w", "--stdin"], cwd=repo, input=body,
                                   capture_output=True, check=True).stdout.decode().strip())
    counting = CountingGit(str(repo))
    peeled = peel_all(counting, oids, 1 << 20)
    assert len(counting.batches) >= 2 and max(counting.batches) <= READ_BUDGET
    assert sum(counting.batches) > READ_BUDGET
    for index, oid in enumerate(oids):
        outer = peeled[oid].tags[0]
        assert (outer.name, outer.target, peeled[oid].target_type) == (f"v2.8-exp-{index}", head, "commit")
        assert outer.message.startswith(f"acc=0.{index}\n") and len(outer.message) == KEEP
    small = CountingGit(str(repo))
    unread = peel_all(small, oids, max_bytes=1 << 19)
    assert small.batches == [] and all(p.too_large > 1 << 19 and p.tags == () for p in unread.values())
