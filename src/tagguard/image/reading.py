"""What a reader found in a file: the `Reading`, and the one rule for torch pins in a list."""

from __future__ import annotations

import re

from tagguard.image.torchpins import torch_requirement, torch_wheel
from tagguard.lean import TYPE_CHECKING, NamedTuple
from tagguard.safetext import shown

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Callable, Union

    # Another file of the same commit, by its path in the repository: its bytes, a str saying
    # why there are none (too large, not a file), or None when it does not exist.
    Load = Callable[[str], Union[bytes, str, None]]


class Build(NamedTuple):
    """How a devcontainer builds the Dockerfile it names: `--build-arg`s and `--target`."""

    args: tuple[tuple[str, str], ...] = ()
    target: str = ""


class Reading(NamedTuple):
    path: str
    line: int | None  # 1-based line of what was found
    found: str  # the text that decided, e.g. "FROM pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime"
    version: str | None
    problem: str | None = None  # why there is no version
    follow: str | None = None  # another file to read instead (a devcontainer's Dockerfile)
    build: Build = Build()  # how `follow` is built

    @property
    def where(self) -> str:
        """`Dockerfile:3`, or the path alone when no line decided."""
        return f"{self.path}:{self.line}" if self.line else self.path


if TYPE_CHECKING:
    Reader = Callable[[str, str, Mapping[str, str], Union[Load, None]], Reading]


def no_version(path: str, problem: str, line: int | None = None, found: str = "") -> Reading:
    return Reading(path, line, found, None, problem)


class Entry(NamedTuple):
    """One requirement as a file lists it."""

    path: str
    line: int | None
    text: str  # `torch==2.8.1`, or conda's `pytorch=2.8.1=<build>`
    conda: bool = False
    constraint: bool = False  # from a pip constraints file: it pins, it installs nothing


_COMMENT = re.compile(r"(^|\s)#.*$")


MAX_TORCH_ENTRIES = 64


def torch_pin(path: str, entries: list[Entry]) -> Reading:
    """The one PyTorch major.minor the torch entries pin. Where they pin more than one (a later
    line, or a marker, decides which is installed) there is no answer: tagguard never guesses.
    A torch requirement with no pin of its own is fine when a constraint pins it."""
    torch: list[tuple[Entry, str, str | None]] = []
    for entry in entries:
        requirement = torch_spec(entry.text, conda=entry.conda)
        if requirement is None:
            continue
        spec, version = requirement
        if ";" in _COMMENT.sub("", entry.text):  # an environment marker
            return no_version(entry.path, f"'{shown(entry.text.strip(), 80)}' has an environment marker, which "
                              "decides whether it applies; tagguard can't evaluate markers: pin torch without one",
                              entry.line, spec)
        torch.append((entry, spec, version))
        if len(torch) > MAX_TORCH_ENTRIES:  # no file needs more; an attacker's would cost time
            return no_version(path, f"names torch more than {MAX_TORCH_ENTRIES} times")
    pinned = [t for t in torch if t[2] is not None]
    constrained = any(entry.constraint for entry, _, _ in pinned)
    loose = next((t for t in torch if t[2] is None and not (constrained and not t[0].constraint)), None)
    if loose is not None:
        return no_version(loose[0].path, f"'{loose[1]}' does not pin one PyTorch major.minor", loose[0].line, loose[1])
    if not pinned:
        return no_version(path, "names no torch requirement")
    if all(entry.constraint for entry, _, _ in torch):
        return no_version(path, "installs no torch: only a constraint names it, and a constraint limits what "
                          "something else installs; require torch itself (torch==X.Y.Z)")
    first, spec, version = pinned[0]
    other = next((t for t in pinned if t[2] != version), None)
    if other is not None:
        return no_version(first.path, f"pins torch twice, to {version} and to {other[2]} "
                          f"({_where(other[0], first.path)}: '{other[1]}')", first.line, spec)
    return Reading(first.path, first.line, spec, version)


def torch_spec(text: str, *, conda: bool = False) -> tuple[str, str | None] | None:
    """A torch requirement or wheel in `text`: (the text that says it, "X.Y" or None); None
    when `text` is about something else. `torch @ https://.../torch-2.8.0-...whl` says 2.8."""
    requirement = torch_requirement(text, conda=conda)
    if requirement is None or requirement[1] is None:
        return torch_wheel(text) or requirement
    return requirement


def _where(entry: Entry, path: str) -> str:
    return f"line {entry.line}" if entry.path == path else f"{entry.path}:{entry.line}"
