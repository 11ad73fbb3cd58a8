"""Reading the `git_info` a training script stored in a checkpoint or a JSON sidecar.

A checkpoint is untrusted input: torch.load runs with weights_only=True (no arbitrary
unpickling), and every field of git_info is type-checked before anything uses it.
"""

from __future__ import annotations

import os

from tagguard.errors import TagguardError
from tagguard.lean import TYPE_CHECKING, cast
from tagguard.ml.provenance import KEYS
from tagguard.safetext import shown

if TYPE_CHECKING:
    from typing import Any

    from tagguard.ml.provenance import GitInfo


MAX_SIDECAR = 10 << 20
_HEX = frozenset("0123456789abcdef")
_STRING_FIELDS = tuple(key for key in KEYS if key != "dirty")  # (true, false or None)


def load_git_info(path: str) -> GitInfo:
    """The validated git_info dict from a torch.save file or a JSON file."""
    if not os.path.isfile(path):
        raise TagguardError(f"{shown(path)}: no such file")
    with open(path, "rb") as f:
        start = f.read(64).lstrip()
    document = _load_json(path) if start.startswith(b"{") else _load_torch(path)
    if isinstance(document, dict) and "git_info" in document:
        document = document["git_info"]
    elif not (isinstance(document, dict) and "commit" in document):
        raise TagguardError(
            f"{shown(path)}: no 'git_info' entry; save one with "
            "torch.save({..., \"git_info\": tagguard.provenance.git_info()}, PATH)"
        )
    return _validated(document, path)


def _load_json(path: str) -> Any:
    import json

    with open(path, "rb") as f:
        raw = f.read(MAX_SIDECAR + 1)
    if len(raw) > MAX_SIDECAR:
        raise TagguardError(f"{shown(path)}: over 10 MiB; a git_info sidecar is a few lines")
    try:
        return json.loads(raw)
    except ValueError as exc:  # also bad UTF-8
        raise TagguardError(f"{shown(path)}: not valid JSON ({exc})") from None


def _load_torch(path: str) -> Any:
    import warnings

    try:
        with warnings.catch_warnings():  # e.g. "Failed to initialize NumPy": not ours to report
            warnings.simplefilter("ignore")
            import torch
    except ImportError:
        raise TagguardError(
            "reading a torch checkpoint needs PyTorch: pip install 'tagguard[torch]' "
            "(or pass the checkpoint's JSON sidecar)"
        ) from None
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds; all mean "can't read"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TagguardError(f"{shown(path)}: can't be read as a torch checkpoint: {shown(first)}") from None


def _validated(info: Any, path: str) -> GitInfo:
    """`info` checked field by field; a file written by hand, or by an older tagguard, may
    lack some (read them with .get)."""
    where = f"{shown(path)}: git_info"
    if not isinstance(info, dict):
        raise TagguardError(f"{where}: expected a dict, got {type(info).__name__}")
    for key in _STRING_FIELDS:
        value = info.get(key)
        if value is not None and not isinstance(value, str):
            raise TagguardError(f"{where}.{key}: expected a string or None, got {type(value).__name__}")
    if info.get("dirty") not in (True, False, None):
        raise TagguardError(f"{where}.dirty: expected true, false or None")
    commit = info.get("commit")
    if commit is not None and (len(commit) not in (40, 64) or not _HEX.issuperset(commit)):
        raise TagguardError(f"{where}.commit: expected a full object id, got {shown(commit)!r}")
    tag = info.get("tag")
    if tag is not None and not _plausible_tag(tag):
        raise TagguardError(f"{where}.tag: {shown(tag)!r} is not a tag name")
    return cast("GitInfo", info)


def _plausible_tag(name: str) -> bool:
    """Enough of git's ref-name rules that the name is safe to hand to git as a revision."""
    bad = any(c.isspace() or c in "~^:?*[\\" or not c.isprintable() for c in name)
    return bool(name) and not bad and not name.startswith("-") and ".." not in name
