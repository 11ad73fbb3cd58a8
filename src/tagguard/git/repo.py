"""The one way tagguard talks to git: subprocesses, batched, with one-line errors.

Every git call goes through `Git.run` (or a `cat-file --batch` session), so errors always
name the command, its exit code and git's own message. Callers ask `Git` questions
(`layout`, `commit_of`, `unverified_tags`, ...), never for a git command: only tagguard.git
runs git. Nothing here imports GitPython: hooks run on every push and pay for every import.
"""

from __future__ import annotations

import os
from _operator import add, sub
from itertools import accumulate, chain, repeat

from tagguard.errors import NotARepository, TagguardError
from tagguard.git.objects import make_dirs_like_parent
from tagguard.git.processes import Completed, Session, run, start
from tagguard.git.refs import TAG_PREFIX, short_name
from tagguard.lean import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from tagguard.git.processes import Started


_EMPTY_TREE_SHA1 = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
_BIG_INPUT = 1 << 16  # bytes of stdin from which git reads it from memory, not a pipe

# git must read the objects that are really there: no replace refs (a pusher can push
# refs/replace/*), no grafts, whatever the environment says.
_REAL_OBJECTS = {"GIT_NO_REPLACE_OBJECTS": "1", "GIT_GRAFT_FILE": os.devnull}
_INDIRECTION = ("GIT_REPLACE_REF_BASE",)
# What receive-pack sets while a push's objects wait in quarantine (see git's githooks(5)).
_QUARANTINE = ("GIT_QUARANTINE_PATH", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES")


class GitError(TagguardError):
    """A git command failed; the message names it and quotes git's last line."""


INFO_FORMAT = "%(objectname) %(objecttype) %(objectsize)"
SESSION_MOST = 1000  # names per request that `Batched` sends to its long-running process
EXACT_MOST = 64  # ref names `ref_values` gives git as patterns; past that it lists their folder


class ObjectInfo(NamedTuple):
    oid: str  # the object's id (the name asked for, when it is missing)
    type: str  # "commit", "tag", "tree", "blob", or "missing"
    size: int


class WorkTree(NamedTuple):
    commit: str | None  # HEAD; None before the first commit
    branch: str | None  # None on a detached HEAD
    dirty: bool  # tracked files changed, staged or not
    untracked: bool  # files git does not track and does not ignore


class Layout(NamedTuple):
    git_dir: str  # absolute
    hooks: str  # absolute: where git runs this repository's hooks (honours core.hooksPath)
    work_tree: bool  # asked from inside a work tree (not a bare repository, nor a git dir)


_KINDS = {kind: kind for kind in ("commit", "tag", "tree", "blob")}  # one str per type, not one per object
_new = tuple.__new__  # a NamedTuple from its fields in order, with no Python call each


class Git:
    """A repository, addressed by its git dir or work tree (`git -C`)."""

    _known: Mapping[str, ObjectInfo] = {}  # what the last `object_info` found (see `Batched`)

    def __init__(self, path: str = ".", env: dict[str, str] | None = None) -> None:
        self.path = path
        self.env = env

    def _command(self, args: Sequence[str]) -> list[str]:
        return ["git", "-c", "advice.graftFileDeprecated=false", "-C", self.path, *args]  # (GIT_GRAFT_FILE)

    def run(self, *args: str, input: bytes | None = None) -> str:
        """Run git and return its stdout as text (surrogate-escaped, never a decode error)."""
        return self.run_bytes(*args, input=input).decode("utf-8", "surrogateescape")

    def run_bytes(self, *args: str, input: bytes | None = None) -> bytes:
        """Run git and return its stdout; GitError when it fails."""
        completed = self._exec(args, input)
        if completed.returncode != 0:
            raise GitError(_failure(args, completed.returncode, completed.stderr))
        return completed.stdout

    def _succeeds(self, *args: str) -> bool:
        """True when the git command exits 0 (for questions such as `rev-parse --verify`)."""
        return self._exec(args, None).returncode == 0

    def _exec(self, args: Sequence[str], input: bytes | None, drop: Iterable[str] = (),
              timeout: float | None = None) -> Completed:
        """Run git (without the environment variables `drop`; stopped after `timeout` seconds);
        NotARepository when there is no repository here, whatever the command."""
        try:
            if input is not None and len(input) > _BIG_INPUT and hasattr(os, "memfd_create"):
                done = self._exec_from_memory(args, input)
            else:
                done = run(self._command(args), input=input, env=self._env(drop), timeout=timeout)
        except TimeoutError:
            raise GitError(f"no answer within {timeout:g} s") from None
        except OSError as exc:
            raise GitError(f"can't run git: {exc.strerror}") from None
        if done.returncode == 128:
            _check_repository(self.path, done.stderr)
        return done

    def _exec_from_memory(self, args: Sequence[str], input: bytes) -> Completed:
        """Big input and output (a 100,000-tag push) through in-memory files, not pipes:
        git writes a whole answer without waiting for us to read it."""
        return self._start(args, input).finish()

    def _start(self, args: Sequence[str], input: bytes, keep: Callable[[Running], None] | None = None) -> Running:
        """git started on `input` through in-memory files, left to run on its own; `keep`
        gets it before a stop signal can strike (see `processes.start`)."""
        stdin, stdout = os.memfd_create("tagguard-git-in"), os.memfd_create("tagguard-git-out")
        made: list[Running] = []

        def kept(process: Started) -> None:
            made.append(Running(process, stdout))
            if keep is not None:
                keep(made[0])

        try:
            view = memoryview(input)
            while view:
                view = view[os.write(stdin, view) :]
            os.lseek(stdin, 0, os.SEEK_SET)
            start(self._command(args), self._env(), stdin, stdout, kept)
            return made[0]
        except BaseException:
            if not made:
                os.close(stdout)
            elif keep is None:  # (a kept one is killed by its keeper)
                made[0].kill()
            raise
        finally:
            os.close(stdin)  # (git has its own)

    def _env(self, drop: Iterable[str] = ()) -> dict[str, str]:
        env = {**os.environ, **(self.env or {}), **_REAL_OBJECTS}
        for name in chain(_INDIRECTION, drop):
            env.pop(name, None)
        return env

    # --- batched object access ------------------------------------------------------------

    def _batch_check(self, names: Iterable[str], fmt: str, suffix: str = "") -> dict[str, str | None]:
        """One `cat-file --batch-check=<fmt>` for many object names (each + `suffix`):
        name -> the formatted line, or None when the object is missing."""
        unique = list(dict.fromkeys(names))
        asked = [n + suffix for n in unique] if suffix else unique
        return self._by_name(unique, asked, self._check_text(asked, fmt)) if unique else {}

    def _check_text(self, asked: list[str], fmt: str) -> str:
        """What `cat-file --batch-check=<fmt>` prints for these object names."""
        return self._cat_file("info", fmt, asked).decode("utf-8", "surrogateescape")

    @staticmethod
    def _by_name(unique: list[str], asked: list[str], text: str) -> dict[str, str | None]:
        """`_batch_check`'s answer from what git printed for `asked` (`unique`, each + its suffix)."""
        out = text.split("\n")[:-1]
        _same_count(asked, out)
        if " missing\n" not in text and " ambiguous\n" not in text:
            return dict(zip(unique, out))  # all found (no format here ends so): nothing to match by name
        result: dict[str, str | None] = {}
        for name, request, line in zip(unique, asked, out):
            missing = _missing(line)
            if missing is not None and missing != request:
                raise GitError(f"`git cat-file` answered for '{missing}' when asked for '{request}'")
            result[name] = None if missing is not None else line
        return result

    def _cat_file(self, command: str, fmt: str, names: list[str]) -> bytes:
        """What `cat-file --batch-check=<fmt>` ("info") or `--batch` ("contents", whose
        answers start with INFO_FORMAT) prints for these names."""
        return self.run_bytes(*_cat_file_args(command, fmt), input=_lines(names))

    def batched(self) -> Batched:
        """This repository, with its object reads answered by one long-running git process."""
        return Batched(self.path, self.env)

    def object_info(self, oids: Iterable[str]) -> dict[str, ObjectInfo]:
        """Type and size of many objects (`<oid>` or `<rev>:<path>`)."""
        unique = list(dict.fromkeys(oids))
        text = self._check_text(unique, INFO_FORMAT) if unique else ""
        if " missing\n" not in text and " ambiguous\n" not in text:  # each line `<oid> <type> <size>`: no name
            words = text[:-1].replace("\n", " ").split(" ")
            oids_, kinds, sizes = words[0::3], words[1::3], words[2::3]
            if len(words) == 3 * len(unique) and _KINDS.keys() >= set(kinds) and "".join(sizes).isdigit():
                fields = zip(oids_, map(_KINDS.get, kinds), map(int, sizes))
                return dict(zip(unique, map(_new, repeat(ObjectInfo), fields)))
        found = self._by_name(unique, unique, text)
        result = {}  # some missing: line by line
        for name, line in found.items():
            oid, kind, size = (line or f"{name} missing 0").rsplit(" ", 2)
            result[name] = ObjectInfo(oid, _KINDS.get(kind, kind), int(size))
        return result

    def peeled_targets(self, oids: Iterable[str]) -> dict[str, str]:
        """What each object finally points at (`<oid>^{}`: through any chain of tags).
        Missing objects map to themselves."""
        return {oid: target or oid for oid, target in self._batch_check(oids, "%(objectname)", "^{}").items()}

    def read_batch(self, names: list[str]) -> list[tuple[str, bytes] | None]:
        """(type, content) for each object name (`<oid>`, `<rev>:<path>`), in order; None if missing."""
        if not names:
            return []
        return self._answers(names, self._cat_file("contents", INFO_FORMAT, names), self._known)

    def _answers(self, names: list[str], data: bytes, known: Mapping[str, ObjectInfo]
                 ) -> list[tuple[str, bytes] | None]:
        """`cat-file --batch`'s answers to `names`, checked; `known`: what `object_info`
        found of them, if anything (see `_as_known`)."""
        answered, items = _as_known(data, names, known) or _parse_batch(data)
        _same_count(names, items)
        if answered != names:  # each answer names what was asked (a `<rev>:<path>` is answered by its id)
            for name, oid, item in zip(names, answered, items):
                if oid != name and (item is None or _is_oid(name)):  # (a missing one is answered by its name)
                    raise GitError(f"`git cat-file --batch` answered for '{oid}' when asked for '{name}'")
        return items

    def resolve(self, names: Iterable[str]) -> dict[str, str | None]:
        """Object ids of many revisions, as git looks them up; None where there is none. (A
        missing ref may be found as another: `ref_values` looks up exact refs.)"""
        return self._batch_check(names, "%(objectname)")

    def ref_values(self, refs: Iterable[str]) -> dict[str, str | None]:
        """What each of these full ref names holds, or None where there is no such ref. Exactly
        that ref: `resolve` (git's revision lookup) would answer for `refs/tags/x` with a
        branch `refs/heads/refs/tags/x` when the tag is missing. One `for-each-ref`, given the
        refs, or past EXACT_MOST of them the folder they share (git matches every ref it
        lists against every pattern)."""
        wanted = list(dict.fromkeys(refs))
        if not wanted:
            return {}
        patterns = wanted if len(wanted) <= EXACT_MOST else [_shared_folder(wanted)]
        held: dict[str, str] = {}
        for line in git_lines(self.run("for-each-ref", "--format=%(refname) %(objectname)", "--", *patterns)):
            ref, _, oid = line.rpartition(" ")
            held[ref] = oid
        return {ref: held.get(ref) for ref in wanted}

    def tag_refs(self) -> list[tuple[str, str, str]]:
        """Every tag as (ref, object id, commit it peels to or ""), with one `for-each-ref`."""
        out = self.run("for-each-ref", "--format=%(refname) %(objectname) %(*objectname)", "refs/tags")
        rows = []
        for line in git_lines(out):
            ref, oid, peeled = [*line.split(" "), ""][:3]
            rows.append((ref, oid, peeled or oid))
        return rows

    def rev_list(self, *args: str) -> list[str]:
        return self.run("rev-list", *args).split()

    def first_parents(self, tip: str, since: str | None) -> list[tuple[str, str | None]]:
        """(commit, first parent or None) along `tip`'s first parents, oldest first, down to
        (not including) `since`."""
        stop = [f"^{since}"] if since else []
        rows = [line.split(" ") for line in self.run("rev-list", "--first-parent", "--reverse", "--parents", tip,
                                                     *stop).splitlines()]
        return [(row[0], row[1] if len(row) > 1 else None) for row in rows]

    def object_format(self) -> str:
        """The repository's hash: "sha1" or "sha256". git knows the empty tree of its own hash
        without storing it, so asking for SHA-1's (in a session, with no process) tells."""
        return "sha1" if self.resolve([_EMPTY_TREE_SHA1])[_EMPTY_TREE_SHA1] else "sha256"

    def fetch_ref(self, remote: str, source: str, destination: str, timeout: float) -> str | None:
        """Fetch one ref of `remote` (a name or URL) into `destination`, no tags, no
        FETCH_HEAD, within `timeout` seconds: None when done, "missing" when the remote has no
        such ref, else why not (git's last line: the remote can't be reached, say)."""
        args = ("fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--no-recurse-submodules", remote,
                f"+{source}:{destination}")
        try:
            done = self._exec(args, None, timeout=timeout)
        except GitError as exc:
            return str(exc)
        if done.returncode == 0:
            return None
        message = done.stderr.decode("utf-8", "replace").strip()
        if "couldn't find remote ref" in message:
            return "missing"
        return message.splitlines()[-1] if message else f"git fetch exited {done.returncode}"

    def move_ref(self, ref: str, new: str, old: str | None, git_dir: str | None = None) -> bool:
        """Point `ref` at `new` if it still holds `old` (None: if it does not exist); False when
        it holds something else, GitError when it can't be locked though it holds `old` (a
        stale lock file, say). With `git_dir` of a repository that keeps refs as files, git's
        own protocol is followed here, with no process (`_move_ref_file`); else one
        `git update-ref`, run outside a push's quarantine (a pre-receive hook may not move refs
        inside it: the new objects must be in the repository's own store)."""
        if git_dir is not None and _refs_as_files(git_dir):
            return self._move_ref_file(os.path.join(git_dir, ref), ref, new, old)
        args = ("update-ref", ref, new, old or zero_oid(len(new)))
        done = self._exec(args, None, drop=_QUARANTINE)
        if done.returncode == 0:
            return True
        if b"cannot lock ref" in done.stderr and Git(self.path).resolve([ref])[ref] != old:
            return False  # another writer moved it first
        lines = done.stderr.decode("utf-8", "replace").splitlines()
        fatal = next((line for line in lines if line.startswith("fatal: ")), None)
        if fatal is None:
            raise GitError(_failure(args, done.returncode, done.stderr))
        raise _unlocked(ref, fatal[len("fatal: "):])

    def _move_ref_file(self, path: str, ref: str, new: str, old: str | None) -> bool:
        """`move_ref` as git's files backend does it: create `<ref>.lock` exclusively (every git
        writer of the ref does the same, so holding it is holding the ref), read the ref's value
        (git's answer: a loose file or packed-refs), write the new one and rename it into place."""
        lock = path + ".lock"
        try:
            make_dirs_like_parent(os.path.dirname(path))
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            raise _unlocked(ref, f"Unable to create '{lock}': File exists.") from None
        except OSError as exc:
            raise _unlocked(ref, f"Unable to create '{lock}': {exc.strerror}.") from None
        try:
            try:
                free = self.resolve([ref])[ref] == old
                if free:
                    os.write(fd, (new + "\n").encode())  # (unsynced, as git writes refs by default: core.fsync)
            finally:
                os.close(fd)
            if free:
                os.rename(lock, path)
                return True
        except BaseException:
            if os.path.exists(lock):
                os.unlink(lock)
            raise
        os.unlink(lock)
        return False

    def config_value(self, key: str) -> str | None:
        """One `git config --get`; None when the key is unset, GitError when git fails."""
        return _config_answer(key, self._exec(("config", "--get", key), None))

    def config_value_soon(self, key: str) -> Callable[[], str | None]:
        """`config_value`, with git started now and its answer taken when called, so that the
        caller works while git runs (where memory files exist, else git runs when called)."""
        if not hasattr(os, "memfd_create"):
            return lambda: self.config_value(key)
        try:
            running = self._start(("config", "--get", key), b"")
        except OSError as exc:
            raise GitError(f"can't run git: {exc.strerror}") from None
        return lambda: _config_answer(key, running.finish())

    def config_true(self, key: str) -> bool:
        """Whether a boolean config key is set to true (git's own reading: yes, on, 1, ...)."""
        completed = self._exec(("config", "--type=bool", "--get", key), None)
        return completed.returncode == 0 and completed.stdout.strip() == b"true"

    def git_dir(self) -> str:
        """The repository's git dir as an absolute path."""
        return self.run("rev-parse", "--absolute-git-dir").rstrip("\n")

    def layout(self) -> Layout:
        """The git dir, the hooks directory and whether this is a work tree, with one
        `rev-parse`; GitError when there is no repository here."""
        out = self.run("rev-parse", "--is-inside-work-tree", "--absolute-git-dir", "--git-path", "hooks")
        inside, git_dir, hooks = out.rstrip("\n").split("\n", 2)
        return Layout(git_dir, os.path.abspath(os.path.join(self.path, hooks)), inside == "true")

    def is_repository(self) -> bool:
        try:
            return self._succeeds("rev-parse", "--git-dir")
        except NotARepository:
            return False

    def commit_of(self, rev: str) -> str | None:
        """The commit `rev` names (through any tags), or None when it names none."""
        done = self._exec(("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"), None)
        return done.stdout.decode("utf-8", "surrogateescape").strip() if done.returncode == 0 else None

    def work_tree_state(self) -> WorkTree:
        """HEAD, its branch and whether the work tree has changes, with one `git status`."""
        out = self.run("status", "--porcelain=v2", "--branch", "--untracked-files=normal", "-z")
        headers = {}
        dirty = untracked = False
        for entry in out.split("\0"):
            if entry.startswith("# "):
                key, _, value = entry[2:].partition(" ")
                headers[key] = value
            elif entry[:2] in ("1 ", "2 ", "u "):
                dirty = True
            untracked = untracked or entry.startswith("? ")
        commit, branch = headers.get("branch.oid"), headers.get("branch.head")
        return WorkTree(None if commit == "(initial)" else commit,
                        None if branch == "(detached)" else branch, dirty, untracked)

    def describe(self) -> str:
        """`git describe --tags --always` of HEAD."""
        return self.run("describe", "--tags", "--always").strip()

    def top_level(self) -> str:
        """The work tree's top directory, absolute."""
        return self.run("rev-parse", "--show-toplevel").rstrip("\n")

    def changed_paths(self, leave_out: Sequence[str] = ()) -> list[str]:
        """Paths `git status --porcelain` lists: changed, staged or untracked (not ignored),
        bar the files in `leave_out` (paths inside the work tree)."""
        spec = [f":(exclude,literal){path}" for path in leave_out]
        out = self.run("status", "--porcelain", "--", *spec)
        return [line[3:] for line in out.splitlines() if len(line) > 3]

    def create_tag(self, name: str, commit: str, message: str, sign: bool) -> None:
        """An annotated (`sign`: signed) tag whose message is kept as written, bar whitespace."""
        self.run("tag", "-s" if sign else "-a", "--cleanup=whitespace", "-F", "-", "--", name, commit,
                 input=message.encode())

    def unverified_tags(self, oids: Sequence[str]) -> set[str]:
        """The tag objects whose signature this git can't verify: one `verify-tag` for all,
        then one per tag only when that fails (to find which)."""
        if not oids or self._succeeds("verify-tag", *oids):
            return set()
        return {oid for oid in oids if not self._succeeds("verify-tag", oid)}

    def for_each_ref(
        self,
        fields: Sequence[str],
        patterns: Sequence[str] = ("refs/tags",),
        *,
        sort: Sequence[str] = (),
        points_at: str | None = None,
    ) -> list[list[str]]:
        """The values of `fields` (atoms such as "refname") for many refs, with one call.

        Fields are NUL-separated; git cuts any value at a NUL, so the split is exact even for
        hostile tag messages. Later sort keys take precedence, as in git.
        """
        if not patterns:
            return []
        options = [f"--format={''.join(f'%({field})%00' for field in fields)}"]
        options += [f"--sort={key}" for key in sort]
        if points_at is not None:
            options.append(f"--points-at={points_at}")
        values = self.run("for-each-ref", *options, "--", *patterns).split("\0")
        width = len(fields)
        rows = [values[i : i + width] for i in range(0, len(values) - 1, width)]
        for row in rows[1:]:
            row[0] = row[0][1:]  # git ends each record with a newline
        return rows

    def remote_tags(self, remote: str) -> dict[str, str]:
        """Tag name -> object id on a remote, with one `git ls-remote`."""
        out = self.run("ls-remote", "--tags", "--refs", "--", remote)
        tags = {}
        for line in git_lines(out):
            oid, _, ref = line.partition("\t")
            if ref.startswith(TAG_PREFIX):
                tags[short_name(ref)] = oid
        return tags

    def delete_remote_tags(self, remote: str, names: Sequence[str]) -> None:
        """Delete tags on a remote with one `git push --delete`."""
        self.run("push", "--delete", "--", remote, *(f"{TAG_PREFIX}{name}" for name in names))

    def delete_refs(self, refs: dict[str, str]) -> None:
        """Delete many refs (ref -> the object id it must still hold) in one transaction."""
        if refs:
            lines = "".join(f"delete {ref} {oid}\n" for ref, oid in refs.items())
            self.run("update-ref", "--stdin", input=lines.encode("utf-8", "surrogateescape"))


class Batched(Git):
    """A Git whose `object_info` and object reads (`read_batch`) are answered by one
    `cat-file --batch-command` process for as long as it is open (`with git.batched() as
    objects:`), not one process per call: a one-tag push reads its tag in one git process.
    The answers are the bytes the one-shot calls print, checked the same way. Before git
    2.36 (no --batch-command) every call runs its own process, as in `Git`."""

    def __init__(self, path: str = ".", env: dict[str, str] | None = None) -> None:
        super().__init__(path, env)
        self._session: Session | None = None
        self._unsupported = False
        self._ahead: list[tuple[str, list[str], dict[str, ObjectInfo], Running]] = []  # (command, names, known, git)
        self._depth = 0  # `with` blocks open on it: the session ends with the outermost

    def __enter__(self) -> Batched:
        self._depth += 1
        return self

    def batched(self) -> Batched:
        """Itself: one session serves a whole hook run."""
        return self

    def resolve(self, names: Iterable[str]) -> dict[str, str | None]:
        """As `Git.resolve`, asked of the session (git reads each ref afresh for each question)."""
        found = Git.object_info(self, names)  # (not ours: that keeps `_known` for read_batch)
        return {name: None if info.type == "missing" else info.oid for name, info in found.items()}

    def object_info(self, oids: Iterable[str]) -> dict[str, ObjectInfo]:
        """As `Git.object_info`; the answers are kept until the next call, so that reading
        those objects next (`read_batch`) can cut git's answers by their known sizes."""
        self._known = {}
        self._known = super().object_info(oids)
        return self._known

    def start(self) -> None:
        """Start the session now, so that git starts while the caller works."""
        self._unsupported or self._started()

    def __exit__(self, kind: object, *_: object) -> None:
        self._depth -= 1
        if self._depth > 0:
            return  # (an error passes through the outermost `with` too, which kills the session)
        while self._ahead:
            self._ahead.pop()[3].kill()  # reads nobody took
        if self._session is not None:
            self._session.kill() if kind else self._session.close()
            self._session = None

    def read_ahead(self, names: list[str]) -> None:
        """Have git start reading these objects now, in a process of its own, while the
        caller works on something else; `read_batch(names)` then takes its answer. Only
        for batches too big for the session process (as in `_cat_file`)."""
        if len(names) > SESSION_MOST and hasattr(os, "memfd_create"):
            self._run_ahead("contents", names, {name: self._known[name] for name in names if name in self._known})

    def info_ahead(self, names: list[str]) -> None:
        """As `read_ahead`, for `object_info(names)` (`names` without repeats)."""
        if len(names) > SESSION_MOST and hasattr(os, "memfd_create"):
            self._run_ahead("info", names, {})

    def _run_ahead(self, command: str, names: list[str], known: dict[str, ObjectInfo]) -> None:
        try:  # kept before a stop can strike: leaving the session kills it
            self._start(_cat_file_args(command, INFO_FORMAT), _lines(names),
                        lambda git: self._ahead.append((command, names, known, git)))
        except OSError as exc:
            raise GitError(f"can't run git: {exc.strerror}") from None

    def _taken(self, command: str, names: list[str]) -> tuple[dict[str, ObjectInfo], bytes] | None:
        """The answer of a process started ahead for exactly this request, if there is one."""
        for index, (kind, asked, known, running) in enumerate(self._ahead):
            if kind == command and asked == names:
                del self._ahead[index]
                done = running.finish()
                if done.returncode != 0:
                    if done.returncode == 128:
                        _check_repository(self.path, done.stderr)
                    raise GitError(_failure(_cat_file_args(command, INFO_FORMAT), done.returncode, done.stderr))
                return known, done.stdout
        return None

    def read_batch(self, names: list[str]) -> list[tuple[str, bytes] | None]:
        taken = self._taken("contents", names)
        return super().read_batch(names) if taken is None else self._answers(names, taken[1], taken[0])

    def _cat_file(self, command: str, fmt: str, names: list[str]) -> bytes:
        taken = self._taken(command, names) if fmt == INFO_FORMAT and self._ahead else None
        if taken is not None:
            return taken[1]
        if len(names) > SESSION_MOST:  # a big batch: one process of its own, through memory files, is faster
            return super()._cat_file(command, fmt, names)
        session = None if self._unsupported or fmt != INFO_FORMAT else self._started()
        if session is None:
            return super()._cat_file(command, fmt, names)
        asked = _lines(names).split(b"\n")[:-1]  # (at newlines only: a name may hold a \r)
        session.send(b"".join(command.encode() + b" " + line + b"\n" for line in asked) + b"flush\n")
        answers = bytearray()
        for _ in names:
            line = session.read_line()
            if line is None:
                return self._ended(command, fmt, names, answered=bool(answers))
            answers += line + b"\n"
            if command == "contents" and not line.endswith((b" missing", b" ambiguous")):
                content = session.read_exact(_answer_size(line) + 1)
                if content is None:
                    return self._ended(command, fmt, names, answered=True)
                answers += content
        return bytes(answers)

    def _started(self) -> Session:
        if self._session is None:
            try:
                self._session = Session(self._command(["cat-file", f"--batch-command={INFO_FORMAT}", "--buffer"]),
                                        self._env())
            except OSError as exc:
                raise GitError(f"can't run git: {exc.strerror}") from None
        return self._session

    def _ended(self, command: str, fmt: str, names: list[str], answered: bool) -> bytes:
        """git stopped answering: before any answer with exit 129 it has no --batch-command
        (use one-shot calls from now on); otherwise it failed, and so does the caller."""
        assert self._session is not None  # (only called while a session answers)
        done, self._session = self._session.close(), None
        if not answered and done.returncode == 129:
            self._unsupported = True
            return super()._cat_file(command, fmt, names)
        if done.returncode == 128:
            _check_repository(self.path, done.stderr)
        raise GitError(_failure(("cat-file", "--batch-command"), done.returncode, done.stderr))


class Running:
    """A git command started through in-memory files (`Git._start`): `finish` waits for it
    and returns what it printed, `kill` stops it; either lets go of its files."""

    def __init__(self, process: Started, stdout: int) -> None:
        self._process, self._stdout = process, stdout

    def finish(self) -> Completed:
        try:
            done = self._process.wait()
            os.lseek(self._stdout, 0, os.SEEK_SET)
            with open(self._stdout, "rb", closefd=False) as f:
                return done._replace(stdout=f.read())
        finally:
            os.close(self._stdout)

    def kill(self) -> None:
        self._process.kill()
        os.close(self._stdout)


def git_lines(text: str) -> list[str]:
    """The lines of git's output or a hook's input: git ends each with a newline, and a ref
    name may hold U+2028, U+0085 and the other breaks `str.splitlines` also splits at."""
    lines = text.split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def _shared_folder(refs: list[str]) -> str:
    """The longest folder (`refs/tags`, `refs`) that holds all these ref names."""
    return os.path.commonpath(refs) or "refs"


def _cat_file_args(command: str, fmt: str) -> tuple[str, ...]:
    return ("cat-file", f"--batch-check={fmt}" if command == "info" else "--batch", "--buffer")


def _answer_size(header: bytes) -> int:
    parts = header.split(b" ")
    if len(parts) != 3 or not parts[2].isdigit():
        raise GitError(f"`git cat-file --batch-command` answered {header[:80]!r}, not `<oid> <type> <size>`")
    return int(parts[2])


def _lines(items: Iterable[str]) -> bytes:
    """One request per line for `cat-file --batch*`. A name that holds a newline (or a NUL,
    or is empty) would shift every later answer by one, so it is refused outright."""
    items = list(items)
    text = "\n".join(items)
    if text.count("\n") != max(len(items) - 1, 0) or "\0" in text or "" in items:
        bad = next(item for item in items if not item or "\n" in item or "\0" in item)
        raise GitError(f"refusing to ask git for the object name {bad!r}: empty or holds a newline or NUL")
    return f"{text}\n".encode("utf-8", "surrogateescape") if items else b""


def _missing(line: str) -> str | None:
    """The name echoed in `<name> missing` (or `ambiguous`), else None."""
    for word in (" missing", " ambiguous"):
        if line.endswith(word):
            return line[: -len(word)]
    return None


def _same_count(asked: Sequence[object], answered: Sequence[object]) -> None:
    if len(asked) != len(answered):
        raise GitError(f"`git cat-file` gave {len(answered)} answers to {len(asked)} requests")


def _is_oid(name: str) -> bool:
    return len(name) in (40, 64) and all(c in "0123456789abcdef" for c in name)


def _as_known(data: bytes, names: list[str], known: Mapping[str, ObjectInfo]
              ) -> tuple[list[str], list[tuple[str, bytes] | None]] | None:
    """What `_parse_batch` makes of `data` when git answered each name with the object
    `known` says (its id, type and size): cut at C speed, then proven by putting the pieces
    back together into `data`. None when that fails (a name not known, an object gone):
    `_parse_batch` then reads the answers one by one."""
    infos = list(map(known.get, names))
    if not infos or None in infos:
        return None
    oids, kinds, sizes = map(list, zip(*infos))
    headers = ("%s %s %d\n\0" * len(oids) % tuple(chain.from_iterable(zip(oids, kinds, sizes)))).encode().split(b"\0")
    del headers[-1]  # (after the last \0)
    ends = list(accumulate(map(add, map(len, headers), map(add, sizes, repeat(1)))))
    if ends[-1] != len(data):
        return None
    stops = list(map(sub, ends, repeat(1)))  # each content ends a newline before its answer does
    contents = list(map(data.__getitem__, map(slice, map(sub, stops, sizes), stops)))
    if b"".join(chain.from_iterable(zip(headers, contents, repeat(b"\n")))) != data:
        return None
    return oids, list(zip(kinds, contents))


def _parse_batch(data: bytes) -> tuple[list[str], list[tuple[str, bytes] | None]]:
    """(the object id or echoed name, (type, content) or None if missing) per answer, as two lists."""
    answered: list[str] = []
    items: list[tuple[str, bytes] | None] = []
    pos = 0
    while pos < len(data):
        end = data.index(b"\n", pos)
        line = data[pos:end].decode("utf-8", "surrogateescape")
        pos = end + 1
        if line.endswith((" missing", " ambiguous")):
            answered.append(_missing(line) or line)
            items.append(None)
            continue
        header = line.split(" ")
        if len(header) != 3:
            answered.append(line)
            items.append(None)
            continue
        size = int(header[2])
        if pos + size + 1 > len(data) or data[pos + size : pos + size + 1] != b"\n":
            raise GitError(f"`git cat-file --batch` cut its answer for '{header[0]}' short")
        answered.append(header[0])
        items.append((header[1], data[pos : pos + size]))
        pos += size + 1  # the content, then a newline
    return answered, items


def _check_repository(path: str, stderr: bytes) -> None:
    """NotARepository when git's error (exit 128) says the repository itself is missing or
    refused: the fix is then the same whatever the command was."""
    from tagguard.safetext import shown

    text = stderr.decode("utf-8", "replace")
    directory = os.path.abspath(path)
    if "dubious ownership" in text:
        raise NotARepository(_refused(directory, text), refused=True)
    if "not a git repository" in text or "cannot change to" in text:
        problem = "not a git repository" if os.path.isdir(directory) else "no such directory"
        raise NotARepository(f"{problem}: {shown(directory, limit=4096)}", refused=False)


def _refused(directory: str, text: str) -> str:
    """One line for git's `safe.directory` refusal: its reason, whose repository, and git's
    own fix (the tab-indented `git config --global --add safe.directory ...` it prints)."""
    from shlex import quote

    from tagguard.safetext import shown

    lines = [line.strip() for line in text.splitlines()]
    reason = next((line for line in lines if "dubious ownership" in line), "").removeprefix("fatal: ")
    fix = next((line for line in lines if line.startswith("git config")), "")
    fix = fix or f"git config --global --add safe.directory {quote(directory)}"
    return (f"git refuses {shown(directory, limit=4096)}: {shown(reason, limit=4096)} ({_owners(directory)}); "
            f"run tagguard as the repository's owner, or trust it: {shown(fix, limit=4096)}")


def _owners(directory: str) -> str:
    """'owned by git (uid 998), you are root (uid 0)'."""
    try:
        owner = os.stat(directory).st_uid
    except OSError:
        return f"you are {_user(os.getuid())}"
    return f"owned by {_user(owner)}, you are {_user(os.getuid())}"


def _user(uid: int) -> str:
    import pwd

    try:
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"


def _failure(args: Sequence[str], code: int, stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    last = lines[-1] if lines else "no message"
    how = f"killed by signal {-code}" if code < 0 else f"exit {code}"
    return f"`git {' '.join(args[:3])}` failed ({how}): {last}"


def _config_answer(key: str, done: Completed) -> str | None:
    if done.returncode == 1 and not done.stdout:
        return None
    if done.returncode != 0:
        raise GitError(_failure(("config", "--get", key), done.returncode, done.stderr))
    return done.stdout.decode("utf-8", "surrogateescape").rstrip("\n")


def _refs_as_files(git_dir: str) -> bool:
    """Whether refs are files in this git dir: not a reftable store (git 2.45's), nor a linked
    worktree's git dir (whose shared refs are in another)."""
    return not os.path.exists(os.path.join(git_dir, "reftable")) and not os.path.exists(
        os.path.join(git_dir, "commondir"))


def _unlocked(ref: str, why: str) -> GitError:
    return GitError(f"can't move {ref} ({why}); if no git process is writing there, a crash left the lock file: "
                    "remove it")


def zero_oid(length: int) -> str:
    return "0" * length


def all_hex(text: str) -> bool:
    """Lowercase hex digits only (an object id, or many joined), checked at C speed."""
    return text.isascii() and not text.encode().translate(None, b"0123456789abcdef")


def is_zero(oid: str) -> bool:
    return oid.count("0") == len(oid)
