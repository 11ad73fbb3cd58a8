"""Reading the `git_info` a training script stored in a checkpoint or a JSON sidecar.

A checkpoint is untrusted input: torch.load runs with weights_only=True (no arbitrary
unpickling), a safetensors header is read by size with a bound, and every field of
git_info is type-checked before anything uses it.
"""

from __future__ import annotations

import os

from tagguard.errors import TagguardError
from tagguard.lean import TYPE_CHECKING, NamedTuple, cast
from tagguard.ml.provenance import KEYS
from tagguard.safetext import one_line, shown

if TYPE_CHECKING:
    from typing import Any, BinaryIO

    from tagguard.ml.provenance import GitInfo


MAX_SIDECAR = 10 << 20
MAX_HEADER = 100_000_000  # safetensors' own limit on its JSON header
_ZIP = b"PK\x03\x04"  # torch.save's format since 1.6; older files are a bare pickle
_HEX = frozenset("0123456789abcdef")
_FLAGS = ("dirty", "untracked")  # true, false or None
_STRING_FIELDS = tuple(key for key in KEYS if key not in (*_FLAGS, "tags"))  # ("tags": a list of them)
_SAVE_HINT = {
    "torch": "torch.save({..., \"git_info\": tagguard.provenance.git_info()}, PATH)",
    "safetensors": "save_file(tensors, PATH, metadata=tagguard.provenance.safetensors_metadata())",
    "json": "json.dump(tagguard.provenance.git_info(), f)",
}


class Loaded(NamedTuple):
    kind: str  # "torch", "safetensors" or "json" (a sidecar: no weights of its own)
    info: GitInfo


def load_git_info(path: str) -> Loaded:
    """The validated git_info of a torch.save file, a safetensors file or a JSON sidecar,
    read without loading the weights."""
    if not os.path.isfile(path):
        raise TagguardError(f"{one_line(path)}: no such file")
    with open(path, "rb") as f:
        start = f.read(64)
        header_size = _safetensors_header_size(start, os.fstat(f.fileno()).st_size)
        if header_size is not None:
            kind, document = "safetensors", _safetensors_git_info(f, header_size, path)
        elif start.lstrip().startswith(b"{"):
            kind, document = "json", _load_json(f, path)
        else:
            kind, document = "torch", _load_torch(path, zipped=start.startswith(_ZIP))
    if isinstance(document, dict) and "git_info" in document:
        document = document["git_info"]
    elif not (isinstance(document, dict) and "commit" in document):
        raise TagguardError(f"{one_line(path)}: no 'git_info' entry; save one with {_SAVE_HINT[kind]}")
    return Loaded(kind, _validated(document, path))


def _safetensors_header_size(start: bytes, file_size: int) -> int | None:
    """A safetensors file starts with its header's size (8 bytes, little-endian), then '{'."""
    size = int.from_bytes(start[:8], "little")
    return size if start[8:9] == b"{" and 2 <= size <= file_size - 8 else None


def _safetensors_git_info(f: BinaryIO, size: int, path: str) -> Any:
    """`git_info` from the header's `__metadata__`: a JSON string (metadata values are strings)."""
    import json

    if size > MAX_HEADER:
        raise TagguardError(f"{one_line(path)}: a safetensors header of {size} bytes is over the format's limit "
                            f"({MAX_HEADER}); the file is damaged")
    f.seek(8)
    try:
        metadata = json.loads(f.read(size)).get("__metadata__") or {}
    except (ValueError, AttributeError):
        raise TagguardError(f"{one_line(path)}: the safetensors header is not a JSON object; the file is damaged"
                            ) from None
    text = metadata.get("git_info") if isinstance(metadata, dict) else None
    if text is None:
        return {}
    try:
        return {"git_info": json.loads(text)}
    except (ValueError, TypeError):
        raise TagguardError(f"{one_line(path)}: __metadata__.git_info is not a JSON string") from None


def _load_json(f: BinaryIO, path: str) -> Any:
    import json

    f.seek(0)
    raw = f.read(MAX_SIDECAR + 1)
    if len(raw) > MAX_SIDECAR:
        raise TagguardError(f"{one_line(path)}: over 10 MiB; a git_info sidecar is a few lines")
    try:
        return json.loads(raw)
    except ValueError as exc:  # also bad UTF-8
        raise TagguardError(f"{one_line(path)}: not valid JSON ({exc})") from None


def _load_torch(path: str, zipped: bool) -> Any:
    """The checkpoint's objects; a zip checkpoint's tensors are mapped from the file, not read
    (a 1 GB checkpoint costs no 1 GB of memory), an old pickle-only one is read whole."""
    import warnings

    try:
        with warnings.catch_warnings():  # e.g. "Failed to initialize NumPy": not ours to report
            warnings.simplefilter("ignore")
            import torch
    except ImportError:
        raise TagguardError(
            f"{shown(path)}: reading a torch checkpoint needs PyTorch: pip install 'tagguard[torch]' "
            "(or pass the checkpoint's JSON sidecar)"
        ) from None
    try:
        return torch.load(path, map_location="cpu", weights_only=True, mmap=zipped)
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds; all mean "can't read"
        said = " ".join(line.strip() for line in str(exc).splitlines() if line.strip()) or type(exc).__name__
        raise TagguardError(f"{one_line(path)}: can't be read as a torch checkpoint: {one_line(said)}") from None


def _validated(info: Any, path: str) -> GitInfo:
    """`info` checked field by field; a file written by hand, or by an older tagguard, may
    lack some (read them with .get)."""
    where = f"{one_line(path)}: git_info"
    if not isinstance(info, dict):
        raise TagguardError(f"{where}: expected a dict, got {type(info).__name__}")
    for key in _STRING_FIELDS:
        value = info.get(key)
        if value is not None and not isinstance(value, str):
            raise TagguardError(f"{where}.{key}: expected a string or None, got {type(value).__name__}")
    for key in _FLAGS:
        if info.get(key) is not None and not isinstance(info.get(key), bool):  # (1 == True: not `in`)
            raise TagguardError(f"{where}.{key}: expected true, false or None")
    tags = info.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        raise TagguardError(f"{where}.tags: expected a list of tag names or None")
    commit = info.get("commit")
    if commit is not None and (len(commit) not in (40, 64) or not _HEX.issuperset(commit)):
        raise TagguardError(f"{where}.commit: expected a full object id, got {shown(commit)!r}")
    for tag in [info.get("tag"), *(tags or [])]:
        if tag is not None and not _plausible_tag(tag):
            raise TagguardError(f"{where}.tag: {shown(tag)!r} is not a tag name")
    return cast("GitInfo", info)


def _plausible_tag(name: str) -> bool:
    """Enough of git's ref-name rules that the name is safe to hand to git as a revision."""
    bad = any(c.isspace() or c in "~^:?*[\\" or not c.isprintable() for c in name)
    return bool(name) and not bad and not name.startswith("-") and ".." not in name
