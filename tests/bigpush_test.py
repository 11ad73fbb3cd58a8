"""A push of thousands of tags: git's input and output go through in-memory files, and the
answers are the same as through pipes in small batches."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tagguard.git.repo import _BIG_INPUT, Git
from tagguard.git.tagobject import peel_all


def test_big_batches_read_the_same_as_small_ones(tmp_path: Path) -> None:
    stamp = "T <t@example.com> 1700000000 +0000"
    stream = [f"commit refs/heads/main\nmark :1\ncommitter {stamp}\ndata 2\nx\n\n"]
    stream += [f"tag v2.8-exp-{i}\nfrom :1\ntagger {stamp}\ndata 6\nacc {i % 10}\n\n" for i in range(2000)]
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=tmp_path, input="".join(stream).encode(), check=True)
    out = subprocess.run(["git", "for-each-ref", "--format=%(objectname)", "refs/tags"], cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout.split()
    oids = [*out, "1234567890" * 4]  # and one missing object
    assert len("".join(f"{o}\n" for o in oids)) > _BIG_INPUT  # the in-memory path
    git = Git(str(tmp_path))
    whole = peel_all(git, oids, 1 << 20)
    pieces: dict[str, object] = {}
    for start in range(0, len(oids), 200):  # pipes
        pieces.update(peel_all(git, oids[start : start + 200], 1 << 20))
    assert whole == pieces
    assert whole[oids[0]].tags[0].message.startswith("acc ") and whole[oids[-1]].type == "missing"
    assert git.read_batch(oids) == [item for s in range(0, len(oids), 200) for item in git.read_batch(oids[s:s + 200])]
