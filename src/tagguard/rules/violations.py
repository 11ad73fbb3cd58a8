"""Every `Violation` tagguard reports, worded here: one builder per rule (TG201 one per place
the image's version is read from). The checks find the facts and call these; where a client
and the server say it differently, the builder takes that as a parameter.
"""

from __future__ import annotations

from tagguard.lean import TYPE_CHECKING, NamedTuple
from tagguard.rules.catalog import Violation
from tagguard.rules.naming import NameProblem, NamingPolicy, TagName, next_name, suggest_name
from tagguard.safetext import shown

if TYPE_CHECKING:
    from tagguard.image.files import Reading


# --- names (TG1xx) -----------------------------------------------------------------------


class PushedTag(NamedTuple):
    """A tag in a push that its hints re-create: the commit it peels to (None: not a commit)."""

    commit: str | None


def bad_name(name: str, problem: NameProblem, naming: NamingPolicy, pushed: PushedTag | None = None) -> Violation:
    """TG101-TG103: the grammar's complaint, and the conventional spelling when there is one; for
    a `pushed` tag, one command that re-creates it annotated under that name."""
    better = suggest_name(name, naming)
    if better is None:
        first = naming.types[0]
        example = f"v2.8-{first} or v2.8-{naming.types[1] if len(naming.types) > 1 else first}-lr2"
        names = f"names look like {example}: v<major>.<minor>[-type][-desc]"
        return Violation(name, problem.code, problem.message,
                         names if pushed is None else f"{names}; {_retag(name, '<new-name>', pushed)}")
    how = f"git tag -a {shown(better)} -m \"...\"" if pushed is None else _retag(name, shown(better), pushed)
    return Violation(name, problem.code, problem.message, f"did you mean '{shown(better)}'? {how}")


def _retag(name: str, new_name: str, pushed: PushedTag) -> str:
    """The command that replaces a pushed tag by an annotated one named `new_name` (shown)."""
    return (f"git tag -d {_arg(name)} && git tag -a {new_name} {_commit_or_placeholder(pushed.commit)} "
            "-m \"acc=..., f1=...\"")


_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/+=,@%:")


def _arg(text: str) -> str:
    """`text` (shown) as one shell word: single-quoted unless plain (shlex would import re)."""
    text = shown(text)
    return text if text and _PLAIN.issuperset(text) else "'" + text.replace("'", "'\\''") + "'"


def temporary_tag(name: str, pattern: str, pushed: PushedTag | None = None) -> Violation:
    """TG104; a `pushed` tag was refused, so it is on no remote."""
    if pushed is None:
        hint = f"keep it local; to remove it from a remote: git push origin {_arg(':refs/tags/' + name)}"
    else:
        hint = "keep it local: this push did not publish it; push tags by name, not with --tags or --follow-tags"
    return Violation(name, "TG104", f"is a temporary tag (matches {pattern!r}) and must not be published", hint)


# --- the training image (TG2xx) ----------------------------------------------------------


def policy_image_version(
    name: str, tagged: TagName, allowed: tuple[str, ...], ref: str | None, origin: str,
    pushed: PushedTag | None = None,
) -> Violation:
    """TG201 against the policy's [image] ref or pytorch versions (`allowed`, oldest first)."""
    image = f"{ref} (PyTorch {allowed[0]})" if ref else f"PyTorch {' or '.join(allowed)}"
    better = shown(str(tagged.with_version(allowed[-1])))
    how = f"git tag -a {better} -m \"...\"" if pushed is None else _retag(name, better, pushed)
    return _version_mismatch(name, tagged, f"the training image is {image}",
                             f"name it for the image (policy: {origin}): {how}")


def code_image_version(name: str, tagged: TagName, reading: Reading, commit: str) -> Violation:
    """TG201 against what the code at `commit` declares ([image] file)."""
    better = tagged.with_version(str(reading.version))  # (the caller compared it: not None)
    return _version_mismatch(name, tagged, f"{_at(reading, commit)} says {reading.version} ({reading.found})",
                             f"name it for the image: git tag -a {shown(str(better))} {commit[:12]} -m \"...\"")


def option_image_version(
    name: str, tagged: TagName, version: str, image: str, decides: tuple[str, tuple[str, ...]] | None = None
) -> Violation:
    """TG201 against the image `tagguard tag --image` names; when the code or the policy `decides`
    (where, its versions), the --image is what is wrong: the name follows them."""
    if decides is None:
        return _version_mismatch(name, tagged, f"--image {shown(image)} is PyTorch {version}",
                                 f"tagguard tag {tagged.with_version(version)} -m \"...\" --image {shown(image)}")
    where, versions = decides
    return Violation(
        name, "TG201",
        f"--image {shown(image)} is PyTorch {version}, but {where} says {' or '.join(versions)}, and that decides",
        f"leave out --image (or pass one with PyTorch {versions[-1]}): "
        f"tagguard tag {tagged.with_version(versions[-1])} -m \"...\"",
    )


def _version_mismatch(name: str, tagged: TagName, image_says: str, hint: str) -> Violation:
    return Violation(name, "TG201", f"says PyTorch {tagged.version}, but {image_says}", hint)


def image_unreadable(name: str, reading: Reading, commit: str) -> Violation:
    """TG202: the code at `commit` does not say which PyTorch its image has."""
    found = f" ({reading.found})" if reading.found else ""
    return Violation(name, "TG202", f"{_at(reading, commit)}: {reading.problem}{found}",
                     f"see what tagguard reads there: tagguard image {commit[:12]}")


def _at(reading: Reading, commit: str) -> str:
    """`Dockerfile:3 at 1a2b3c4d5e6f`."""
    return f"{reading.where} at {commit[:12]}"


# --- the tag object (TG3xx) --------------------------------------------------------------


def lightweight_tag(name: str, commit: str | None, *, renamed: bool = False) -> Violation:
    """TG301; `renamed`: a name rule above already gave the command that re-creates it annotated."""
    hint = "the command above re-creates it annotated" if renamed else _retag(name, _arg(name), PushedTag(commit))
    return Violation(name, "TG301", "is a lightweight tag; the policy requires annotated tags", hint)


def empty_message(name: str, commit: str | None) -> Violation:
    """TG302; `commit`: what the tag peels to, None when that is not a commit."""
    return Violation(
        name, "TG302", "has an empty message",
        f"git tag -f -a {shown(name)} {_commit_or_placeholder(commit)} -m \"what it is: acc=..., f1=...\"",
    )


def unsigned_tag(name: str, oid: str) -> Violation:
    return Violation(
        name,
        "TG303",
        "has no signature this server can verify; the policy requires signed tags",
        f"git tag -d {shown(name)} && git tag -s {shown(name)} {oid[:12]} -m \"...\"",
    )


def tag_name_mismatch(name: str, inner: str) -> Violation:
    """TG304: the tag object says `inner`, the push says `name`."""
    return Violation(
        name, "TG304", f"is a tag object named '{shown(inner)}', pushed as '{shown(name)}'",
        f"push it under its own name: git push origin {shown(inner)}",
    )


def missing_object(name: str, oid: str) -> Violation:
    return Violation(name, "TG305", f"object {oid[:12]} is missing", "push the object with the tag")


def not_a_commit(name: str, target_type: str) -> Violation:
    return Violation(
        name, "TG305", f"points at a {target_type}, not a commit",
        f"tag a commit: git tag -a {shown(name)} <commit> -m \"...\"",
    )


def missing_tagger(name: str, commit: str | None, *, has_line: bool) -> Violation:
    """TG306: no tagger line, or (`has_line`) one git would not write."""
    return Violation(
        name, "TG306", "has a tagger line without a name, email and date as git writes them" if has_line
        else "has no tagger line: it records neither who made it nor when",
        f"make it with git, which writes the tagger: git tag -f -a {shown(name)} {_commit_or_placeholder(commit)} "
        "-m \"acc=...\"",
    )


def _commit_or_placeholder(commit: str | None) -> str:
    return commit[:12] if commit else "<commit>"


def oversized_tag(name: str, oid: str, size: int, limit: int, via: str | None) -> Violation:
    """TG307: the pushed tag object (or the tag object `via` it leads through) has `size` bytes."""
    which = "is a tag object" if via is None else f"leads through tag object {via[:12]}"
    return Violation(
        name, "TG307",
        f"{which} of {size:,} bytes, over the limit of {limit:,} ([tags] max_tag_bytes); it was not read",
        f"keep the message short (metrics, a summary) and the rest in the repository: "
        f"git tag -f -a {shown(name)} {oid[:12]}^{{}} -m \"acc=..., f1=...\"",
    )


# --- immutability and protection (TG4xx) -------------------------------------------------


def moved_tag(name: str, old: str, new: str, commit: str | None, naming: NamingPolicy) -> Violation:
    """TG401: the push moves `name` from `old` to the object `new`, which peels to `commit`."""
    return Violation(
        name,
        "TG401",
        f"already points at {old[:12]}; published tags never move (to {new[:12]})",
        f"give the new commit a new name, e.g. git tag -a {_new_name(name, naming)} "
        f"{_commit_or_placeholder(commit)} -m \"...\"",
    )


def protected_delete(
    name: str, pattern: str, allowed: tuple[str, ...], pusher: str | None, user_variable: str | None = None
) -> Violation:
    """TG402. The server knows who pushes; a client (`user_variable` given) knows only what that
    variable says, so its words leave the verdict to the server."""
    who = ", ".join(allowed) or "nobody"
    if user_variable is None:
        as_whom = f"you are {shown(pusher)}" if pusher else "the server could not tell who you are"
        return Violation(
            name, "TG402", f"is protected (pattern {pattern!r}); it may be deleted by: {who} ({as_whom})",
            f"keep the tag; if it must go, ask {who if allowed else 'an admin to change the policy'}",
        )
    ref = _arg(f":refs/tags/{name}")
    if not allowed:
        return Violation(
            name, "TG402", "is protected; this clone's policy lets nobody delete it",
            "keep the tag; if the server's policy lets you, knowingly skip this check: "
            f"git push --no-verify origin {ref}",
        )
    as_whom = f"${user_variable} is {shown(pusher)}" if pusher else "this clone can't tell who you are"
    return Violation(
        name, "TG402", f"is protected; it may be deleted by: {who} ({as_whom})",
        f"the server decides; if you are one of them: {user_variable}=<your server login> git push origin {ref}",
    )


def reused_name(
    name: str, commit: str, earlier: str | None, pusher: str | None, time: str | None, naming: NamingPolicy
) -> Violation:
    """TG403: `name` landed before for the commit (or object) `earlier`, pushed by `pusher` at
    `time` (as the ledger recorded them: any may be missing); now it is pushed for `commit`."""
    return Violation(
        name,
        "TG403",
        f"was published before for commit {str(earlier or '?')[:12]} (by {shown(str(pusher or 'unknown'))}, "
        f"{'?' if time is None else time}); a published name is never reused for another commit",
        f"give this commit a new name: git tag -a {_new_name(name, naming)} {commit[:12]} -m \"...\"",
    )


def _new_name(name: str, naming: NamingPolicy) -> str:
    """A valid name for another snapshot like `name`, else a placeholder."""
    better = next_name(name, naming)
    return "<new-name>" if better is None else shown(better)


def lookalike_ref(ref: str, stored_as: str, namespace: str | None = None) -> Violation:
    """TG405: `ref` is `stored_as` where case is ignored (`git.refs.lookalike`), or to a
    server serving its `namespace` (`git.refs.namespaced`)."""
    if namespace is not None:
        return Violation(
            ref, "TG405",
            f"is {shown(stored_as)} of the namespace {shown(namespace)}, as the server serves it to that "
            "namespace's clients, though no hook judged it there",
            f"push it through that namespace (the server's GIT_NAMESPACE={shown(namespace)}), where it is judged",
        )
    return Violation(
        ref, "TG405",
        f"is stored as {shown(stored_as)} on a server whose file system ignores case (Windows, macOS), "
        "where it would land unjudged",
        f"spell it exactly: push to {shown(stored_as)}",
    )


def case_twin(name: str, twin: str, *, pushed: bool) -> Violation:
    """TG405: the tag `name` is stored as the tag `twin` (on the server, or `pushed` with it)
    where case is ignored."""
    where = "another tag of this push" if pushed else "a tag the server has"
    return Violation(
        name, "TG405",
        f"is stored as {shown(twin)}, {where}, on a server whose file system ignores case (Windows, macOS), "
        "where one would stand in for the other",
        f"choose a name that differs from {shown(twin)} in more than case",
    )


def reserved_ref(ref: str, *, own: bool) -> Violation:
    """TG404: tagguard's `own` ref, or a replace ref."""
    if own:
        return Violation(ref, "TG404", "is tagguard's own ref; only its hooks write it; pushes may not write it",
                         "push branches and tags only")
    return Violation(
        ref, "TG404",
        "is a replace ref: it makes git show another object in place of this one; pushes may not write it",
        "fix the history in a new commit (an admin can set [server] allow_replace_refs = true)",
    )
