"""Writing a commit of one file as loose objects, the way git stores them, with no git process.

A server hook records every push in a commit (`tagguard.server.ledgerstore`): starting
`git hash-object`, `mktree` and `commit-tree` would cost a one-tag push three processes. A
loose object is `<type> <size>\\0<content>`, zlib-compressed, at `objects/ab/cdef...` named
by its hash; it is written to a temporary file and renamed into place, so a reader never sees
half of one and a crash leaves at most a stray temporary file. The file's content comes in
chunks: a 100,000-tag push's records are never in memory twice.

The caller moves a ref to the commit with `Git.move_ref`.
"""

from __future__ import annotations

import os
import zlib

from tagguard.lean import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

_LEVEL = 1  # zlib level: git's own default for loose objects (core.looseCompression)
_IOV_MOST = 512  # parts per writev (Linux and macOS allow 1,024)
_SMALL = 1 << 20  # bytes below which CPython's own hash modules beat importing OpenSSL's (3 ms)
# and from which an object is stored uncompressed (`_Stored`): compressing a 100,000-tag push's
# 20 MB of records costs 0.2 s, in the hook, and `git gc` compresses them into a pack anyway


def hash_name(oid_length: int) -> str:
    """The repository's hash, from the length of one of its object ids."""
    return "sha256" if oid_length == 64 else "sha1"


def write_object(objects: str, kind: str, size: int, chunks: Iterable[bytes], algorithm: str) -> str:
    """Store an object of `size` bytes, given in chunks, in the `objects` directory; its id."""
    header = f"{kind} {size}\0".encode()
    digest, packer = _hasher(algorithm, size), _Deflated() if size < _SMALL else _Stored()
    digest.update(header)
    temporary = os.path.join(objects, f"tmp_obj_tagguard_{os.getpid()}_{os.urandom(6).hex()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)  # (never a killed writer's)
    try:
        _write_parts(fd, packer.compress(header))
        given = 0
        for piece in chunks:
            digest.update(piece)
            _write_parts(fd, packer.compress(piece))
            given += len(piece)
        if given != size:
            raise ValueError(f"{kind} object: {given} bytes given for a size of {size}")
        _write_parts(fd, [packer.flush()])  # (not synced, as git writes loose objects by default: core.fsync)
    except BaseException:
        os.close(fd)
        os.unlink(temporary)
        raise
    os.close(fd)
    oid = digest.hexdigest()
    _place(temporary, os.path.join(objects, oid[:2], oid[2:]))
    return oid


class _Deflated:
    """zlib at git's level, its output in parts as `_Stored` gives them."""

    def __init__(self) -> None:
        self._zlib = zlib.compressobj(_LEVEL)

    def compress(self, data: bytes) -> list[bytes | memoryview]:
        return [self._zlib.compress(data)]

    def flush(self) -> bytes:
        return self._zlib.flush()


class _Stored:
    """A zlib stream of stored (uncompressed) deflate blocks, as zlib's `compressobj` makes
    them, in parts that are written without being copied: zlib's level 0 still takes a tenth
    of a second on 20 MB."""

    def __init__(self) -> None:
        self._adler, self._header = 1, b"\x78\x01"

    def compress(self, data: bytes) -> list[bytes | memoryview]:
        self._adler = zlib.adler32(data, self._adler)
        view = memoryview(data)
        parts: list[bytes | memoryview] = [self._header]
        self._header = b""
        for start in range(0, len(view), 0xFFFF):
            block = view[start : start + 0xFFFF]
            parts += [b"\0" + len(block).to_bytes(2, "little") + (len(block) ^ 0xFFFF).to_bytes(2, "little"), block]
        return parts

    def flush(self) -> bytes:
        """An empty final block, then the checksum."""
        return self._header + b"\x01\x00\x00\xff\xff" + self._adler.to_bytes(4, "big")


def _hasher(algorithm: str, size: int) -> Any:
    """A hash object: CPython's built-in one for a small object (a one-tag push imports no
    OpenSSL), OpenSSL's for a big one (ten times faster on a 100,000-tag push's records)."""
    if size < _SMALL:
        names = ("_sha1",) if algorithm == "sha1" else ("_sha256", "_sha2")  # (_sha2 from Python 3.12)
        for name in names:
            try:
                return getattr(__import__(name), algorithm)()
            except (ImportError, AttributeError):
                continue
    import hashlib

    return hashlib.new(algorithm)


def file_commit(objects: str, algorithm: str, path: str, size: int, chunks: Iterable[bytes],
                parent: str | None, message: str, when: int) -> str:
    """A commit whose tree holds one file `path` (`size` bytes, in chunks), on `parent`."""
    blob = write_object(objects, "blob", size, chunks, algorithm)
    entry = b"100644 " + path.encode() + b"\0" + bytes.fromhex(blob)
    tree = write_object(objects, "tree", len(entry), [entry], algorithm)
    ident = f"tagguard <tagguard@invalid> {when} +0000"
    parents = f"parent {parent}\n" if parent else ""
    text = f"tree {tree}\n{parents}author {ident}\ncommitter {ident}\n\n{message}"
    body = text.encode()
    return write_object(objects, "commit", len(body), [body], algorithm)


def _place(temporary: str, final: str) -> None:
    """Rename the object into place (an object already there has the same content)."""
    make_dirs_like_parent(os.path.dirname(final))
    os.replace(temporary, final)


def make_dirs_like_parent(path: str) -> None:
    """`os.makedirs`, each new directory with its parent's permission bits: git makes
    `objects/ab` and `refs/x` that way in a repository shared by a group (core.sharedRepository),
    so that its other users can write there too."""
    if os.path.isdir(path):
        return
    parent = os.path.dirname(path)
    make_dirs_like_parent(parent)
    try:
        os.mkdir(path)
    except FileExistsError:
        return
    os.chmod(path, os.stat(parent).st_mode & 0o7777)


def _write_parts(fd: int, parts: list[bytes | memoryview]) -> None:
    """Write every byte of the parts, in order, with as few system calls as the system allows."""
    for start in range(0, len(parts), _IOV_MOST):
        batch = parts[start : start + _IOV_MOST]
        written = os.writev(fd, batch)
        for part in batch:  # after a short write (rare), the rest a part at a time
            if written >= len(part):
                written -= len(part)
                continue
            view, written = memoryview(part)[written:], 0
            while view:
                view = view[os.write(fd, view) :]
