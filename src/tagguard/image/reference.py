"""Reading the PyTorch major.minor out of a container image reference."""

from __future__ import annotations

import re
from types import MappingProxyType

from tagguard.lean import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping


# The version at the start of a tag: 2.8.0-cuda12.8-cudnn9-runtime, v2.8, 2.8
_TAG_VERSION = re.compile(r"v?(\d+)\.(\d+)(?![\d])", re.IGNORECASE | re.ASCII)
# The version inside a name: pytorch-cuda-v2.8, PyTorch-CUDA-v2.8, torch2.8
_NAME_VERSION = re.compile(r"(?:^|[-_])(?:torch)?v?(\d+)\.(\d+)(?![\d])", re.IGNORECASE | re.ASCII)
_NGC_REPOSITORIES = ("nvcr.io/nvidia/pytorch", "nvidia/pytorch")
_NO_MAPPING: Mapping[str, str] = MappingProxyType({})
MAX_MAJOR = 9  # PyTorch majors are single digits; NGC tags like 24.08 are release dates
_MAX_DIGITS = 9  # longer numbers are no version (and Python refuses int() past 4,300 digits)


def split_ref(ref: str) -> tuple[str, str, str]:
    """Split `registry/path/name:tag@digest` into (repository, tag, digest)."""
    name, _, digest = ref.strip().partition("@")
    slash, colon = name.rfind("/"), name.rfind(":")
    if colon > slash:
        return name[:colon], name[colon + 1 :], digest
    return name, "", digest


def is_ngc(ref: str) -> bool:
    repository = split_ref(ref)[0]
    return repository in _NGC_REPOSITORIES or repository.startswith("nvcr.io/")


def ngc_release(ref: str) -> str:
    """The release an NGC tag names: "24.08" for nvcr.io/nvidia/pytorch:24.08-py3."""
    return split_ref(ref)[1].split("-", 1)[0]


def pytorch_from_ref(ref: str, ngc: Mapping[str, str] = _NO_MAPPING) -> str | None:
    """Return "X.Y" for refs such as pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime.

    NVIDIA NGC tags (nvcr.io/nvidia/pytorch:24.08-py3) name a release, not a PyTorch
    version: only the policy's `ngc` mapping ("24.08" -> "2.5") can answer for them.
    Returns None when the reference does not say: tagguard never guesses.
    """
    repository, tag, _ = split_ref(ref)
    if is_ngc(ref):
        return ngc.get(ngc_release(ref))
    name = repository.rsplit("/", 1)[-1]
    if "torch" not in name.lower():
        return None
    match = _TAG_VERSION.match(tag) or _NAME_VERSION.search(name)
    if match is None or max(len(match[1]), len(match[2])) > _MAX_DIGITS or int(match[1]) > MAX_MAJOR:
        return None
    return f"{int(match[1])}.{int(match[2])}"
