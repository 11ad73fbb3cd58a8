"""What a checkpoint should record about the code that produced it: `git_info()`.

Call it in a training script just before saving:

    torch.save({"model": model.state_dict(), "git_info": git_info()}, "model.pth")

It never raises: outside a git repository (or when git is missing) `commit` is None and
`error` says why. It costs three git subprocesses (two more to read `[image] file`) and
imports nothing heavy; it reads the PyTorch version of a `torch` the caller has already
imported, and never imports torch itself.
"""

from __future__ import annotations

import sys

from tagguard import __version__
from tagguard.errors import TagguardError
from tagguard.git.repo import Git
from tagguard.lean import TYPE_CHECKING, TypedDict, cast
from tagguard.policy.model import DEFAULT_POLICY, Policy, client_policy
from tagguard.rules.naming import TagName, parse_name

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    _T = TypeVar("_T")


class GitInfo(TypedDict):
    """What `git_info()` returns, in this order (the README's table says what each means)."""

    commit: str | None
    tag: str | None
    tags: list[str] | None
    describe: str | None
    dirty: bool | None
    untracked: bool | None
    branch: str | None
    image: str | None
    pytorch: str | None
    torch_runtime: str | None
    tagguard: str | None
    error: str | None


KEYS: tuple[str, ...] = tuple(GitInfo.__annotations__)


def git_info(path: str = ".") -> GitInfo:
    """A plain dict (str, bool, None and a list of str) that `torch.save` and `json.dump` take.

    `dirty` and `untracked` are None when unknown (no repository); `error` is None when all
    went well, else says what could not be recorded.
    """
    info = cast("GitInfo", dict.fromkeys(KEYS))
    info.update({"tagguard": __version__, "torch_runtime": _torch_runtime()})
    policy = _attempt(info, "the policy could not be read", lambda: client_policy(None, cwd=path)) or DEFAULT_POLICY
    git = Git(path)
    commit = _attempt(info, "no git provenance", lambda: _read_head(git, policy, info))
    if commit is not None:
        image = _attempt(info, "the image could not be read", lambda: declared_image(git, commit, policy))
        info["image"], info["pytorch"] = image or (None, None)
    return info


def _attempt(info: GitInfo, what: str, step: Callable[[], _T]) -> _T | None:
    """`step()`, or None with `what` and the reason added to info's error: never raises, as a
    training run must not lose its checkpoint to provenance."""
    try:
        return step()
    except Exception as exc:  # noqa: BLE001 - any failure (git missing, a broken repository) is recorded
        reason = str(exc) if isinstance(exc, TagguardError) else f"{type(exc).__name__}: {exc}"
        info["error"] = "; ".join(filter(None, (info["error"], f"{what}: {reason}")))
        return None


def _read_head(git: Git, policy: Policy, info: GitInfo) -> str:
    """Fill in what HEAD is: commit, branch, describe, dirty, untracked, tags; return its commit."""
    state = git.work_tree_state()
    if state.commit is None:
        raise TagguardError("the repository has no commit yet")
    described = git.describe() + ("-dirty" if state.dirty else "")  # what `--dirty` prints
    conventional, any_tag = tags_on_head(git, policy)
    info.update({"commit": state.commit, "branch": state.branch, "describe": described, "dirty": state.dirty,
                 "untracked": state.untracked, "tags": conventional, "tag": any_tag})
    return state.commit


def tags_on_head(git: Git, policy: Policy) -> tuple[list[str], str | None]:
    """The tags on HEAD that follow the convention, newest first, and the one tag to name:
    the newest of those, else the newest of any."""
    rows = git.for_each_ref(("refname:strip=2",), sort=("refname", "creatordate"), points_at="HEAD")
    names = [row[0] for row in reversed(rows)]
    conventional = [n for n in names if isinstance(parse_name(n, policy.naming), TagName)]
    first = conventional or names
    return conventional, first[0] if first else None


def declared_image(git: Git, commit: str, policy: Policy) -> tuple[str | None, str | None]:
    """The training image and its PyTorch major.minor, as declared for `commit`.

    With [image] file, the code at the commit says (`Dockerfile:1: FROM pytorch/...`, as
    `tagguard image` shows it); otherwise the policy's [image] ref and version (several
    versions, allowed during a migration, are joined with ',').
    """
    if policy.image.files:
        from tagguard.verdict.imagecheck import readings_at

        reading = readings_at(git, [commit], policy.image.files, policy.image.ngc)[commit]
        return f"{reading.where}: {reading.found or reading.problem}", reading.version
    return policy.image.ref, ",".join(policy.image.pytorch) or None


def _torch_runtime() -> str | None:
    """The version of the torch module the caller already imported, if any."""
    torch = sys.modules.get("torch")
    version = getattr(torch, "__version__", None)
    return str(version) if version is not None else None


def safetensors_metadata(path: str = ".") -> dict[str, str]:
    """`git_info()` as safetensors metadata (whose values are strings): its JSON under "git_info".

        save_file(tensors, "model.safetensors", metadata=safetensors_metadata())
    """
    import json

    return {"git_info": json.dumps(git_info(path))}
