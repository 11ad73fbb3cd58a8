"""Reading the PyTorch major.minor out of a container image reference."""

from __future__ import annotations

import re

# The version at the start of a tag: 2.8.0-cuda12.8-cudnn9-runtime, v2.8, 2.8
_TAG_VERSION = re.compile(r"v?(\d+)\.(\d+)(?![\d])", re.IGNORECASE)
# The version inside a name: pytorch-cuda-v2.8, PyTorch-CUDA-v2.8, torch2.8
_NAME_VERSION = re.compile(r"(?:^|[-_])(?:torch)?v?(\d+)\.(\d+)(?![\d])", re.IGNORECASE)
_NGC_REGISTRY = "nvcr.io"
MAX_MAJOR = 9  # PyTorch majors are single digits; NGC tags like 24.08 are release dates


def split_ref(ref: str) -> tuple[str, str, str]:
    """Split `registry/path/name:tag@digest` into (repository, tag, digest)."""
    name, _, digest = ref.strip().partition("@")
    slash, colon = name.rfind("/"), name.rfind(":")
    if colon > slash:
        return name[:colon], name[colon + 1 :], digest
    return name, "", digest


def pytorch_from_ref(ref: str) -> str | None:
    """Return "X.Y" for refs such as pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime.

    Returns None when the reference does not say: tagguard never guesses.
    """
    repository, tag, _ = split_ref(ref)
    if repository.split("/", 1)[0] == _NGC_REGISTRY:
        return None
    name = repository.rsplit("/", 1)[-1]
    if "torch" not in name.lower():
        return None
    match = _TAG_VERSION.match(tag) or _NAME_VERSION.search(name)
    if match is None or int(match[1]) > MAX_MAJOR:
        return None
    return f"{int(match[1])}.{int(match[2])}"
