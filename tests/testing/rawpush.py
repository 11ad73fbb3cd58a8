"""A raw git push: speaks receive-pack's protocol (v0) itself, so a test can send what stock
`git push` never does (two commands for one ref) or hang up before the report."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from testing.tools import ZERO


class RawResult(NamedTuple):
    returncode: int  # receive-pack's exit code (negative: killed by that signal)
    report: list[str]  # "unpack ok", "ok <ref>", "ng <ref> <why>"; empty after a hang-up
    stderr: str  # what the hooks printed


def pkt(line: bytes) -> bytes:
    return b"%04x" % (len(line) + 4) + line


def read_pkts(stream: object) -> list[bytes]:
    """pkt-lines up to the next flush packet."""
    lines = []
    while True:
        size = stream.read(4)  # type: ignore[attr-defined]
        if len(size) < 4 or size == b"0000":
            return lines
        lines.append(stream.read(int(size, 16) - 4))  # type: ignore[attr-defined]


def pack_of(clone: Path, oids: Sequence[str], unwalked: Sequence[str] = ()) -> bytes:
    """A pack with every object reachable from `oids` (tags, commits, trees, blobs), and the
    `unwalked` objects as they are (a tag git can't parse, which no stock push would send)."""
    listed = subprocess.run(["git", "rev-list", "--objects", *oids], cwd=clone, capture_output=True, check=True)
    names = listed.stdout + "".join(f"{oid}\n" for oid in unwalked).encode()
    done = subprocess.run(["git", "pack-objects", "--stdout", "-q"], cwd=clone, input=names, capture_output=True,
                          check=True)
    return done.stdout


def raw_push(server: Path, commands: Sequence[tuple[str, str, str]], clone: Path,
             hang_up: bool = False, unwalked: Sequence[str] = ()) -> RawResult:
    """Send `(old, new, ref)` commands and a pack of the new objects to the server (those
    named in `unwalked` packed as they are: see `pack_of`).

    With `hang_up`, the client closes its end right after the pack, as a `git push` killed
    at that moment would: receive-pack dies of SIGPIPE when it writes the report."""
    proc = subprocess.Popen(["git", "receive-pack", str(server)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdin and proc.stdout and proc.stderr
    read_pkts(proc.stdout)  # the advertised refs
    request = b""
    for number, (old, new, ref) in enumerate(commands):
        line = f"{old} {new} {ref}".encode("utf-8", "surrogateescape")
        request += pkt(line + (b"\0report-status" if number == 0 else b"") + b"\n")
    request += b"0000"
    news = [new for _, new, _ in commands if new != ZERO and new not in unwalked]
    if news or unwalked:
        request += pack_of(clone, news, unwalked)
    proc.stdin.write(request)
    proc.stdin.close()
    report: list[str] = []
    if hang_up:
        proc.stdout.close()
    else:
        report = [line.decode().rstrip("\n") for line in read_pkts(proc.stdout)]
    stderr = proc.stderr.read().decode("utf-8", "replace")
    return RawResult(proc.wait(timeout=120), report, stderr)
