"""The training image's PyTorch version as the code at a commit declares it.

Reads the policy's `[image] file` list at many commits with two batched git calls
(sizes, then contents), plus one more when a devcontainer points at a Dockerfile.
"""

from __future__ import annotations

from typing import Mapping

from tagguard.display import one_line, shown
from tagguard.git import Git
from tagguard.imagefiles import Reading, reader_for
from tagguard.naming import TagName, parse_name
from tagguard.policy import Policy
from tagguard.refs import short_name
from tagguard.rules import Violation

MAX_FILE_BYTES = 1 << 20


def readings_at(git: Git, commits: list[str], files: tuple[str, ...], ngc: Mapping[str, str]) -> dict[str, Reading]:
    """For each commit, what the first of `files` that exists there says."""
    commits = list(dict.fromkeys(commits))
    blobs = _blobs(git, [f"{commit}:{path}" for commit in commits for path in files])
    result = {}
    for index, commit in enumerate(commits):
        row = blobs[index * len(files) : (index + 1) * len(files)]
        result[commit] = _first(files, row, ngc)
    result.update({c: _checked_follow(r) for c, r in result.items() if r.follow})
    to_follow = {c: r for c, r in result.items() if r.follow}
    if to_follow:
        followed = _blobs(git, [f"{c}:{r.follow}" for c, r in to_follow.items()])
        for (commit, reading), blob in zip(to_follow.items(), followed):
            result[commit] = _followed(reading, blob, ngc)
    return result


def each_reading(git: Git, commit: str, files: tuple[str, ...], ngc: Mapping[str, str]) -> list[Reading | None]:
    """What every one of `files` says at one commit (None: the file is absent)."""
    readings: list[Reading | None] = []
    for path, blob in zip(files, _blobs(git, [f"{commit}:{path}" for path in files])):
        reading = None if blob is None else _read(path, blob, ngc)
        if reading is not None and reading.follow:
            reading = _checked_follow(reading)
        if reading is not None and reading.follow:
            reading = _followed(reading, _blobs(git, [f"{commit}:{reading.follow}"])[0], ngc)
        readings.append(reading)
    return readings


def _checked_follow(reading: Reading) -> Reading:
    """A file named inside another (a devcontainer's Dockerfile) goes into git's batch input
    as `<commit>:<path>`: it must be a plain path inside the repository."""
    target = str(reading.follow)
    if any(c in target for c in "\n\r\0") or not target:
        why = "is not a path git can look up (it holds a line break or NUL)"
    elif target.startswith(("..", "/")):
        why = "is outside the repository"
    else:
        return reading
    return reading._replace(follow=None, found=one_line(reading.found), problem=f"names the file '{shown(target)}', which {why}")


def _blobs(git: Git, names: list[str]) -> list[bytes | str | None]:
    """Each name's content; a str says why not (too large, not a file); None: absent."""
    info = git.object_info(names)
    small = [n for n in names if info[n].type == "blob" and info[n].size <= MAX_FILE_BYTES]
    contents = dict(zip(small, git.read_batch([info[n].oid for n in small])))  # by id: the answer must match
    result: list[bytes | str | None] = []
    for name in names:
        kind = info[name].type
        if kind == "missing":
            result.append(None)
        elif kind != "blob":
            result.append(f"is a {kind}, not a file")
        elif name not in contents or contents[name] is None:
            result.append("is larger than 1 MiB")
        else:
            result.append(contents[name][1])  # type: ignore[index]
    return result


def _first(files: tuple[str, ...], row: list[bytes | str | None], ngc: Mapping[str, str]) -> Reading:
    for path, blob in zip(files, row):
        if blob is None:
            continue
        return _read(path, blob, ngc)
    return Reading(", ".join(files), None, "", None, "none of these files exists")


def _read(path: str, blob: bytes | str, ngc: Mapping[str, str]) -> Reading:
    if isinstance(blob, str):
        return Reading(path, None, "", None, blob)
    reader = reader_for(path)
    if reader is None:
        return Reading(path, None, "", None, "is not a kind of file tagguard reads")
    return reader(path, blob.decode("utf-8", "replace"), ngc)


def _followed(via: Reading, blob: bytes | str | None, ngc: Mapping[str, str]) -> Reading:
    target = str(via.follow)
    if blob is None:
        return via._replace(version=None, follow=None, problem=f"names {target}, which does not exist")
    reading = _read(target, blob, ngc)
    return reading._replace(found=f"{reading.found} (via {via.path})")


def describe(reading: Reading, commit: str) -> str:
    """`Dockerfile:3 at 1a2b3c4d5e6f` for messages."""
    where = f"{reading.path}:{reading.line}" if reading.line else reading.path
    return f"{where} at {commit[:12]}"


def check_image_reading(name: str, reading: Reading, commit: str, policy: Policy) -> list[Violation]:
    """The tag's vX.Y against what the code at `commit` declares ([image] file)."""
    parsed = parse_name(short_name(name), policy.naming)
    if not isinstance(parsed, TagName):
        return []  # the name rules already report it
    where = describe(reading, commit)
    if reading.version is None:
        found = f" ({reading.found})" if reading.found else ""
        return [Violation(
            short_name(name), "TG202", f"{where}: {reading.problem}{found}",
            f"see what tagguard reads there: tagguard image {commit[:12]}",
        )]
    if reading.version == parsed.version:
        return []
    better = parsed.with_version(reading.version)
    return [Violation(
        short_name(name), "TG201",
        f"says PyTorch {parsed.version}, but {where} says {reading.version} ({reading.found})",
        f"name it for the image: git tag -a {shown(str(better))} {commit[:12]} -m \"...\"",
    )]
