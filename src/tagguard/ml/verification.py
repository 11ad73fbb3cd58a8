"""Whether the provenance a checkpoint recorded still stands, as findings.

Each finding is `ok`, `FAIL` or `note`, a short code (findings about one file, not policy
rules, so they have names rather than TG codes) and what it means. Two things tie a file to
the code: the `git_info` saved in it (its commit and the tags on it), and the tags whose
`Checkpoint:` trailers vouch for the file's SHA-256, which a tag made after the save has too.
"""

from __future__ import annotations

from tagguard.git.repo import Git
from tagguard.lean import TYPE_CHECKING, NamedTuple
from tagguard.ml.history import TagInfo, read_tags
from tagguard.ml.weights import Weights, parse_weights
from tagguard.policy.model import Policy
from tagguard.rules.naming import TagName, parse_name
from tagguard.safetext import shown

if TYPE_CHECKING:
    from typing import Final, Literal

    from tagguard.ml.provenance import GitInfo

    Status = Literal["ok", "FAIL", "note"]


OK: Final = "ok"
FAIL: Final = "FAIL"
NOTE: Final = "note"


class Finding(NamedTuple):
    status: Status
    code: str
    message: str


class Checked(NamedTuple):
    """One file's verdict, or the error that kept it from being read."""

    path: str
    kind: str | None  # "torch", "safetensors", "json"; None when unreadable
    weights: Weights | None  # the file's hash and size (not for a JSON sidecar)
    info: GitInfo | None
    findings: list[Finding]
    error: str | None


def failed(findings: list[Finding]) -> int:
    return sum(f.status == FAIL for f in findings)


def vouchers(git: Git) -> dict[str, list[TagInfo]]:
    """sha256 -> the annotated tags whose `Checkpoint:` trailers name it, oldest first, from
    one `git for-each-ref` that reads every tag's message (a lightweight tag has none)."""
    found: dict[str, list[TagInfo]] = {}
    for tag in read_tags(git):
        for digest in dict.fromkeys(w.sha256 for w in parse_weights(tag.message)):
            found.setdefault(digest, []).append(tag)
    return found


def verify(info: GitInfo, git: Git, policy: Policy, vouching: list[TagInfo] | None) -> list[Finding]:
    """The findings for one file's `info`; `vouching`: the tags that vouch for its weights
    (None for a JSON sidecar, which has no weights of its own)."""
    commit, recorded = info.get("commit"), recorded_tags(info)
    weights = [] if vouching is None else [_weights(vouching, commit)]
    if commit is None:
        why = info.get("error") or "no commit recorded"
        return [Finding(FAIL, "no-provenance", f"the checkpoint records no commit: {shown(why)}"), *weights]
    known = git.object_info([commit])[commit].type == "commit"
    findings = [_commit(commit, known), _dirty(info)]
    if info.get("untracked"):
        findings.append(Finding(NOTE, "untracked", "the work tree had untracked files when it was saved; "
                                                   "code among them is in no commit"))
    targets = _tag_commits(git, recorded)
    findings += [_tag(tag, commit, targets[tag]) for tag in recorded]
    if not recorded and not vouching:
        described = shown(info.get("describe") or commit[:12])
        findings.append(Finding(NOTE, "untagged", f"saved from untagged code ({described})"))
    findings += weights
    findings.append(_version([*recorded, *(t.name for t in vouching or [])], info, policy))
    return findings


def recorded_tags(info: GitInfo) -> list[str]:
    """The tags git_info names: all conventional ones on HEAD (`tags`), and `tag`, which is
    all an older checkpoint has."""
    return [name for name in dict.fromkeys([*(info.get("tags") or []), info.get("tag")]) if name]


def _tag_commits(git: Git, tags: list[str]) -> dict[str, str | None]:
    """What each tag points at now (peeled through any tags to its commit), or None when gone."""
    refs = git.ref_values(f"refs/tags/{tag}" for tag in tags)
    oids = {tag: refs[f"refs/tags/{tag}"] for tag in tags}
    peeled = git.peeled_targets(oid for oid in oids.values() if oid)
    return {tag: peeled[oid] if oid else None for tag, oid in oids.items()}


def _commit(commit: str, known: bool) -> Finding:
    if not known:
        return Finding(FAIL, "commit-missing",
                       f"commit {commit[:12]} is not in this repository (fetch it, or use --repo)")
    return Finding(OK, "commit-known", f"commit {commit[:12]} is in this repository")


def _dirty(info: GitInfo) -> Finding:
    dirty = info.get("dirty")
    if dirty is None:
        return Finding(NOTE, "dirty-unknown", "the checkpoint does not say whether the code was clean")
    if dirty:
        described = shown(info.get("describe") or "")
        return Finding(FAIL, "dirty", f"the code had uncommitted changes when it was saved ({described}); "
                                      "the commit alone does not reproduce it")
    return Finding(OK, "clean", "the code was committed when it was saved")


def _tag(tag: str, commit: str, resolved: str | None) -> Finding:
    name = shown(tag)
    if resolved is None:
        return Finding(FAIL, "tag-missing",
                       f"tag {name} no longer exists here (deleted, or not fetched: git fetch --tags)")
    if resolved != commit:
        return Finding(FAIL, "tag-moved", f"tag {name} now points at {resolved[:12]}, not at {commit[:12]} "
                                          "where the checkpoint was trained")
    return Finding(OK, "tag-intact", f"tag {name} still points at {commit[:12]}")


def _weights(vouching: list[TagInfo], commit: str | None) -> Finding:
    """Which tags vouch for the file's hash, and whether they point where it was trained."""
    if not vouching:
        return Finding(NOTE, "weights-unvouched", "no tag vouches for these weights "
                                                  "(tagguard tag NAME -m \"...\" --checkpoint PATH records them)")
    one = len(vouching) == 1
    elsewhere = [t for t in vouching if commit is not None and t.commit != commit]
    if commit is not None and elsewhere:
        listed = ", ".join(f"tag {shown(t.name)} at {(t.commit or 'no commit')[:12]}" for t in elsewhere)
        return Finding(FAIL, "weights-elsewhere", f"{listed} {'vouches' if len(elsewhere) == 1 else 'vouch'} "
                                                  f"for these weights, but they were trained at {commit[:12]}")
    names = ", ".join(shown(t.name) for t in vouching)
    return Finding(OK, "weights-vouched", f"{'tag' if one else 'tags'} {names} {'vouches' if one else 'vouch'} "
                                          "for these weights (their SHA-256)")


def _version(tags: list[str], info: GitInfo, policy: Policy) -> Finding:
    """Every `vX.Y` among the tags against the PyTorch the script ran, else the image it declared."""
    parsed = (parse_name(tag, policy.naming) for tag in tags)
    versions = list(dict.fromkeys(p.version for p in parsed if isinstance(p, TagName)))
    if not versions:
        return Finding(NOTE, "version-unknown", "no vX.Y tag to compare the PyTorch version with")
    runtime, declared = info.get("torch_runtime"), info.get("pytorch")
    if runtime:
        said, allowed = f"saved with PyTorch {shown(runtime)}", [_major_minor(runtime)]
    elif declared:
        said, allowed = f"the image declared PyTorch {shown(declared)}", declared.split(",")
    else:
        return Finding(NOTE, "version-unknown", "the checkpoint records no PyTorch version")
    wrong = [version for version in versions if version not in allowed]
    if wrong:
        return Finding(FAIL, "version-mismatch", f"{said}, but the tag says v{wrong[0]}")
    return Finding(OK, "version-match", f"{said}, as v{versions[0]} says")


def _major_minor(version: str) -> str:
    """'2.13.0+cpu' -> '2.13'."""
    return ".".join(version.split("+", 1)[0].split(".")[:2])
