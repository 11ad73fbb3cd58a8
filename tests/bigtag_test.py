"""A tag far over [tags] max_tag_bytes is refused (or, in warn mode, accepted) without any hook
reading it whole: the hooks' peak memory, git children included, stays well under its size."""

from __future__ import annotations

import os
from pathlib import Path

from testing.server import push, remote_lines, server_tags, use_policy
from testing.tools import TAGGUARD, bench, git

SIZE = 20 << 20  # bytes of the tag's message: held whole, a hook would peak over it (Python alone takes 15 MB)


def hook_peak(server: Path, hook: str, stdin: str, objects: Path, code: int) -> int:
    """The peak memory, in bytes, of a server hook run by itself, git children included (it
    must exit with `code`)."""
    env = {**os.environ, "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(objects)}
    return int(bench().tree_peak([TAGGUARD, hook], server, stdin.encode(), env, code)[1])


def test_a_huge_tag_is_refused_and_never_read_whole(clone: Path, server: Path) -> None:
    policy = use_policy(server, "[tags]\nmax_tag_bytes = 65536\n")
    message = clone / "message.txt"
    message.write_bytes(b"acc=0.91 " * (SIZE // 9))
    git("tag", "-a", "v2.8-exp-huge", "-F", str(message), cwd=clone)
    oid = git("rev-parse", "v2.8-exp-huge", cwd=clone)
    result = push(clone, "v2.8-exp-huge")
    assert result.returncode != 0 and remote_lines(result)[0].startswith("v2.8-exp-huge: TG307 is a tag object of ")
    assert server_tags(server) == {}
    stdin = f"{'0' * 40} {oid} refs/tags/v2.8-exp-huge\n"
    objects = clone / ".git" / "objects"
    assert hook_peak(server, "pre-receive", stdin, objects, 1) < SIZE
    policy.write_text('[tags]\nmax_tag_bytes = 65536\n[server]\nmode = "warn"\n')
    for hook in ("pre-receive", "post-receive"):
        assert hook_peak(server, hook, stdin, objects, 0) < SIZE, hook
