"""The training image's PyTorch version as the code at a commit declares it.

Reads the policy's `[image] file` list at many commits with batched git calls: sizes first,
then the contents of the first file present at each commit, in batches of bounded total size
(plus the same again when a devcontainer points at a Dockerfile). What a reading says comes
from the pushed files: it is escaped and cut to a line here, once, for every message.
"""

from __future__ import annotations

from tagguard.git.batches import read_in_batches
from tagguard.git.refs import short_name
from tagguard.git.repo import Git, ObjectInfo
from tagguard.image.files import Reading, read_dockerfile, reader_for
from tagguard.lean import TYPE_CHECKING
from tagguard.policy.model import Policy
from tagguard.rules.catalog import Violation
from tagguard.rules.naming import TagName, parse_name
from tagguard.rules.violations import code_image_version, image_unreadable
from tagguard.safetext import shown

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Callable

    from tagguard.image.reading import Load


MAX_FILE_BYTES = 1 << 20
_SHOWN = 160  # characters of a file's text (or path) a message quotes


def readings_at(git: Git, commits: list[str], files: tuple[str, ...], ngc: Mapping[str, str]) -> dict[str, Reading]:
    """For each commit, what the first of `files` that exists there says. A file shared by
    many commits is parsed once, and one push has at most PARSE_BUDGET bytes parsed."""
    commits = list(dict.fromkeys(commits))
    info = git.object_info(f"{commit}:{path}" for commit in commits for path in files)
    first = {c: next((p for p in files if info[f"{c}:{p}"].type != "missing"), None) for c in commits}
    result = {c: Reading(", ".join(files), None, "", None, "none of these files exists")
              for c, path in first.items() if path is None}
    chosen = {f"{c}:{path}": (c, path) for c, path in first.items() if path is not None}
    once = _Once()
    for name, blob in _blobs(git, list(chosen), info):
        commit, path = chosen[name]
        content = "is missing" if blob is None else blob  # present at the size check
        # parse calls the lambda at once, or never
        result[commit] = once.parse(info[name].oid, path, content, _Files(git, commit, once),
                                    lambda load: _read(path, content, ngc, load))  # noqa: B023
    result.update({c: _checked_follow(r) for c, r in result.items() if r.follow})
    to_follow = {f"{c}:{r.follow}": c for c, r in result.items() if r.follow}
    if to_follow:
        follow_info = git.object_info(to_follow)
        for name, blob in _blobs(git, list(to_follow), follow_info):
            commit = to_follow[name]
            via = result[commit]
            result[commit] = once.parse(follow_info[name].oid, f"{via.path}>{via.follow}>{via.build}", blob,
                                        _Files(git, commit, once), lambda load: _followed(via, blob, ngc))  # noqa: B023
    return result


PARSE_BUDGET = 16 << 20  # bytes of distinct image files tagguard parses for one push
INCLUDE_READS = 64  # files that others include (`-r base.txt`) tagguard reads for one push, each a git call


class _Once:
    """Each distinct file parsed once per push, and no more than PARSE_BUDGET bytes in all:
    a push of many commits that each hold a different 1 MiB file would otherwise keep the
    server busy for minutes. A reading that read other files of its commit (a requirements
    file's `-r base.txt`) holds for that commit only: it is not kept."""

    def __init__(self) -> None:
        self.readings: dict[tuple[str, str], Reading] = {}
        self.left = PARSE_BUDGET
        self.reads_left = INCLUDE_READS  # files read one at a time, for the files others include

    def parse(self, oid: str, path: str, content: bytes | str | None, files: _Files,
              reading: Callable[[Load], Reading]) -> Reading:
        key = (oid, path)
        if key not in self.readings:
            if not self.spend(content):
                return Reading(path.partition(">")[0], None, "", None, _past_budget())
            found = reading(files)
            if not files.asked:
                self.readings[key] = found
            return found
        return self.readings[key]

    def spend(self, content: bytes | str | None) -> bool:
        """Whether `content` fits in what is left to parse (and if so, it is spent)."""
        size = len(content) if isinstance(content, bytes) else 0
        if size > self.left:
            return False
        self.left -= size
        return True


def _past_budget() -> str:
    return (f"is past what tagguard reads for one push ({PARSE_BUDGET >> 20} MiB of image files); "
            "push fewer tags at once")


class _Files:
    """The other files of one commit that a reader asks for, read from git one at a time
    (the files a requirements file includes; few, and bounded by the reader)."""

    def __init__(self, git: Git, commit: str, budget: _Once | None) -> None:
        self.git = git
        self.commit = commit
        self.budget = budget
        self.asked = 0

    def __call__(self, path: str) -> bytes | str | None:
        self.asked += 1
        if self.budget is not None:
            self.budget.reads_left -= 1
            if self.budget.reads_left < 0:
                return (f"is past what tagguard reads for one push ({INCLUDE_READS} included files); "
                        "push fewer tags at once")
        blob = next(_blobs(self.git, [f"{self.commit}:{path}"]))[1]
        if self.budget is not None and not self.budget.spend(blob):
            return _past_budget()
        return blob


def each_reading(git: Git, commit: str, files: tuple[str, ...], ngc: Mapping[str, str]) -> list[Reading | None]:
    """What every one of `files` says at one commit (None: the file is absent)."""
    names = [f"{commit}:{path}" for path in files]
    blobs = dict(_blobs(git, names))
    readings: list[Reading | None] = []
    for path, name in zip(files, names):
        blob = blobs[name]
        reading = None if blob is None else _read(path, blob, ngc, _Files(git, commit, None))
        if reading is not None and reading.follow:
            reading = _checked_follow(reading)
        if reading is not None and reading.follow:
            reading = _followed(reading, next(_blobs(git, [f"{commit}:{reading.follow}"]))[1], ngc)
        readings.append(reading)
    return readings


def _checked_follow(reading: Reading) -> Reading:
    """A file named inside another (a devcontainer's Dockerfile) is read as `<commit>:<path>`:
    it must be inside the repository. (The readers refuse control characters in it, and git.py
    refuses any request with a newline.)"""
    target = str(reading.follow)
    if not target.startswith(("..", "/")):
        return reading
    return reading._replace(follow=None, problem=f"names the file '{shown(target, _SHOWN)}', which is outside "
                                                 "the repository")


def _blobs(git: Git, names: list[str], info: Mapping[str, ObjectInfo] | None = None
           ) -> Iterator[tuple[str, bytes | str | None]]:
    """(name, content) for each name, in order, read in batches of bounded size; the content
    is a str saying why there is none (too large, not a file), or None: absent."""
    info = info if info is not None else git.object_info(names)
    small = [n for n in names if info[n].type == "blob" and info[n].size <= MAX_FILE_BYTES]
    by_id = [info[n].oid for n in small]  # asked by id, so git's answer must name the same id
    contents = read_in_batches(git, by_id, {info[n].oid: info[n].size for n in small})
    for name in names:
        kind = info[name].type
        if kind == "missing":
            yield name, None
        elif kind != "blob":
            yield name, f"is a {kind}, not a file"
        elif info[name].size > MAX_FILE_BYTES:
            yield name, "is larger than 1 MiB"
        else:
            _, item = next(contents)  # the small ones come back in the same order
            yield name, "is missing" if item is None else item[1]


def _read(path: str, blob: bytes | str, ngc: Mapping[str, str], load: Load) -> Reading:
    if isinstance(blob, str):
        return _safe(Reading(path, None, "", None, blob))
    reader = reader_for(path)
    if reader is None:
        return _safe(Reading(path, None, "", None, "is not a kind of file tagguard reads"))
    return _safe(reader(path, blob.decode("utf-8", "replace"), ngc, load))


def _safe(reading: Reading) -> Reading:
    """A reading fit for messages: the text it quotes from a pushed file escaped (no control
    or invisible characters) and cut to a line, so that is all it keeps. `follow` stays as is:
    it is a path to read, never shown."""
    return reading._replace(
        path=shown(reading.path, _SHOWN),
        found=shown(reading.found, _SHOWN) if reading.found else "",
        problem=None if reading.problem is None else shown(reading.problem, 2 * _SHOWN),
    )


def _followed(via: Reading, blob: bytes | str | None, ngc: Mapping[str, str]) -> Reading:
    target = str(via.follow)
    if blob is None:
        return via._replace(version=None, follow=None, problem=f"names {shown(target, _SHOWN)}, which does not exist")
    if isinstance(blob, str):
        reading = _safe(Reading(target, None, "", None, blob))
    else:  # a Dockerfile whatever its name, as the devcontainers CLI builds it
        reading = _safe(read_dockerfile(target, blob.decode("utf-8", "replace"), ngc, None, via.build))
    return reading._replace(found=f"{reading.found} (via {via.path})")


def check_image_reading(name: str, reading: Reading, commit: str, policy: Policy) -> list[Violation]:
    """The tag's vX.Y against what the code at `commit` declares ([image] file)."""
    parsed = parse_name(short_name(name), policy.naming)
    if not isinstance(parsed, TagName):
        return []  # the name rules already report it
    if reading.version is None:
        return [image_unreadable(short_name(name), reading, commit)]
    if reading.version == parsed.version:
        return []
    return [code_image_version(short_name(name), parsed, reading, commit)]
