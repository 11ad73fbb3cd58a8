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
from tagguard.lean import TypedDict, cast
from tagguard.policy.model import DEFAULT_POLICY, Policy, client_policy
from tagguard.rules.naming import TagName, parse_name

DIRTY_MARK = ":dirty"  # ':' can't be in a tag name, so this suffix can't be mistaken for one


class GitInfo(TypedDict):
    """What `git_info()` returns, in this order (the README's table says what each means)."""

    commit: str | None
    tag: str | None
    describe: str | None
    dirty: bool | None
    branch: str | None
    image: str | None
    pytorch: str | None
    torch_runtime: str | None
    tagguard: str | None
    error: str | None


KEYS: tuple[str, ...] = tuple(GitInfo.__annotations__)


def git_info(path: str = ".") -> GitInfo:
    """A plain dict (str, bool or None values) that `torch.save` and `json.dump` both take.

    `dirty` is None when unknown (no repository); `error` is None when all went well.
    """
    info = cast("GitInfo", dict.fromkeys(KEYS))
    info.update({"tagguard": __version__, "torch_runtime": _torch_runtime()})
    try:
        policy = client_policy(None, cwd=path)
    except TagguardError as exc:
        policy, info["error"] = DEFAULT_POLICY, f"the policy could not be read: {exc}"
    git = Git(path)
    try:
        commit = _read_head(git, policy, info)
    except TagguardError as exc:
        empty = git.is_repository()  # a repository, but HEAD names no commit
        info["error"] = "no git provenance: " + ("the repository has no commit yet" if empty else str(exc))
        return info
    info["image"], info["pytorch"] = declared_image(git, commit, policy)
    return info


def _read_head(git: Git, policy: Policy, info: GitInfo) -> str:
    """Fill in what HEAD is: commit, branch, describe, dirty, tag; return its commit."""
    commit, branch = git.head()
    described = git.describe(DIRTY_MARK)
    dirty = described.endswith(DIRTY_MARK)
    if dirty:
        described = described[: -len(DIRTY_MARK)] + "-dirty"  # what plain `--dirty` prints
    info.update({"commit": commit, "branch": branch,  # None: a detached HEAD
                 "describe": described, "dirty": dirty, "tag": exact_tag(git, policy)})
    return commit


def exact_tag(git: Git, policy: Policy) -> str | None:
    """The tag on HEAD: the newest that follows the convention, else the newest of any."""
    rows = git.for_each_ref(("refname:strip=2",), sort=("refname", "creatordate"), points_at="HEAD")
    names = [row[0] for row in reversed(rows)]
    conventional = [n for n in names if isinstance(parse_name(n, policy.naming), TagName)]
    return (conventional or names)[0] if names else None


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
