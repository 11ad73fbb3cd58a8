"""Hostile input to the server hooks: every odd byte in a ref name, tag object or image file
gets a rule code or a one-line refusal, never an internal error, and memory stays bounded.

Real pushes to bare repositories with tagguard's hooks installed; raw tag objects are written
with `git hash-object --literally`, so they hold what git's own commands would never write.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import git
from pushing import (annotated, clone, commit, no_identity, push, remote_lines, server,  # noqa: F401
                     server_tags, use_policy)

ZWJ_FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji: three joined by U+200D


def raw_tag(clone: Path, body: bytes) -> str:
    """Write any bytes as a tag object (no checks), return its id."""
    made = subprocess.run(["git", "hash-object", "-t", "tag", "-w", "--literally", "--stdin"], cwd=clone,
                          input=body, capture_output=True)
    assert made.returncode == 0, made.stderr
    return made.stdout.decode().strip()


def tag_body(clone: Path, name: bytes, message: bytes = b"acc=0.93\n", tagger: bytes | None = None) -> bytes:
    head = git("rev-parse", "HEAD", cwd=clone).encode()
    tagger = b"tagger T <t@example.com> 1700000000 +0000\n" if tagger is None else tagger
    return b"object %s\ntype commit\ntag %s\n%s\n%s" % (head, name, tagger, message)


def push_raw(clone: Path, oid: str, ref: bytes) -> tuple[int, list[str]]:
    """Push an object under any ref name (bytes); the hooks' lines as the pusher sees them."""
    done = subprocess.run([b"git", b"push", b"--porcelain", b"origin", oid.encode() + b":" + ref], cwd=clone,
                          capture_output=True)
    stderr = done.stderr.decode("utf-8", "backslashreplace")
    return done.returncode, remote_lines(subprocess.CompletedProcess([], done.returncode, "", stderr))


# --- ref names ---------------------------------------------------------------------------------


def test_branches_pass_untouched_whatever_their_characters(clone: Path, server: Path) -> None:
    for branch in (f"family-{ZWJ_FAMILY}", "rtl-\u202eevil", "nbsp\u00a0name", "nel\u0085x", "bom\ufeff"):
        result = push(clone, f"HEAD:refs/heads/{branch}")
        assert (result.returncode, remote_lines(result)) == (0, []), branch
    code, lines = push_raw(clone, git("rev-parse", "HEAD", cwd=clone), b"refs/heads/caf\xe9")
    assert (code, lines) == (0, [])
    branches = subprocess.run(["git", "for-each-ref", "--format=%(refname)", "refs/heads/"], cwd=server,
                              capture_output=True).stdout.splitlines()
    assert f"refs/heads/family-{ZWJ_FAMILY}".encode() in branches and b"refs/heads/caf\xe9" in branches
    assert len(branches) == 7
    assert server_tags(server) == {}


def test_tags_with_odd_characters_are_judged_by_the_naming_rules(clone: Path, server: Path) -> None:
    annotated(clone, f"v2.8-ft-{ZWJ_FAMILY}")
    annotated(clone, "v2.8-ft-lr2\u202e")
    result = push(clone, "--tags")
    assert result.returncode == 1
    lines = remote_lines(result)
    assert ("v2.8-ft-\\U0001f468\\u200d\\U0001f469\\u200d\\U0001f467: TG103 description "
            "'\\U0001f468\\u200d\\U0001f469\\u200d\\U0001f467' must be lowercase letters and digits, "
            "words joined by '-'") in lines
    assert any(line.startswith("v2.8-ft-lr2\\u202e: TG103 description 'lr2\\u202e'") for line in lines)
    assert lines[-1].startswith("tagguard: push refused: 2 tag refs break the tag policy")
    assert server_tags(server) == {}
