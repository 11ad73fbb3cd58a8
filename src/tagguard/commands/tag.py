"""`tagguard tag NAME -m MESSAGE [--metric K=V ...] [--checkpoint PATH ...]`: an annotated
snapshot tag at HEAD, vouching for the weights it names by their SHA-256."""

from __future__ import annotations

import argparse
import os
import sys

from tagguard.errors import TagguardError
from tagguard.git.repo import Git
from tagguard.lean import TYPE_CHECKING
from tagguard.policy.model import Policy
from tagguard.safetext import one_line, shown

if TYPE_CHECKING:
    from tagguard.image.files import Reading
    from tagguard.rules.catalog import Violation


def run_tag(args: argparse.Namespace) -> int:
    from tagguard.client.tagmessage import check_image, parse_metric_options, tag_message
    from tagguard.ml.weights import hash_weights
    from tagguard.output.report import has_errors, print_text
    from tagguard.policy.model import client_policy
    from tagguard.verdict.namecheck import check_name

    policy = client_policy(args.policy)
    metrics = parse_metric_options(args.metric, policy)
    check_image(args.image)
    if not args.message.strip():
        raise TagguardError("the message is empty; say what the snapshot is: -m \"fine-tune, lr/2\"")
    git = Git(".")
    head = _head(git)
    reading = _code_reading(git, head, policy)
    found = check_name(args.name, policy, pushed=False) + _image_mismatch(args.name, args.image, policy, reading)
    found += _code_image(head, args.name, reading, policy)
    if found:
        print_text({args.name: found}, sys.stderr, show_ok=False)
        if has_errors(found):
            return 1
    _refuse_existing(git, args.name)
    files = [_where_typed(path) for path in args.checkpoint]
    _refuse_dirty(git, _inside(git, files))
    checkpoints = [hash_weights(file)._replace(path=path) for file, path in zip(files, args.checkpoint)]
    _refuse_foreign_weights(files, head)
    image = args.image or _read_image(reading) or policy.image.ref
    _create(git, args.name, head, tag_message(args.message, image, metrics, checkpoints), args.sign)
    print(f"created {args.name} at {head[:12]} (annotated{', signed' if args.sign else ''})")
    if not image:
        print("no image recorded: pass --image REF, or set [image] ref or file in the policy", file=sys.stderr)
    print(f"publish it: git push origin {args.name}")
    return 0


def _create(git: Git, name: str, head: str, message: str, sign: bool) -> None:
    """`git tag`; a signature git can't make is said in one line, with what to do."""
    from tagguard.git.repo import GitError

    try:
        git.create_tag(name, head, message, sign)
    except GitError as exc:
        if not sign or "sign" not in str(exc):
            raise
        raise TagguardError(
            "git could not sign the tag (no gpg, or no key for user.signingkey or your email): set one up "
            "(gpg --list-secret-keys; git config user.signingkey KEYID), or leave out -s"
        ) from None


def _head(git: Git) -> str:
    head = git.commit_of("HEAD")  # NotARepository outside a clone
    if head is None:
        raise TagguardError("HEAD has no commit yet: commit the code first, then tag it")
    return head


def _code_reading(git: Git, head: str, policy: Policy) -> Reading | None:
    """With [image] file, what the code at HEAD declares."""
    if not policy.image.files:
        return None
    from tagguard.verdict.imagecheck import readings_at

    return readings_at(git, [head], policy.image.files, policy.image.ngc)[head]


def _read_image(reading: Reading | None) -> str | None:
    """The image the code declares, as provenance records it: `Dockerfile:1: FROM ...`."""
    return f"{shown(reading.where)}: {shown(reading.found)}" if reading is not None and reading.version else None


def _image_mismatch(name: str, image: str | None, policy: Policy, reading: Reading | None) -> list[Violation]:
    """A --image whose PyTorch version disagrees with the code's or the policy's (which decide:
    they are what the server checks), or else with the tag's name."""
    from tagguard.image.reference import pytorch_from_ref
    from tagguard.rules.naming import TagName, parse_name
    from tagguard.rules.violations import option_image_version

    version = pytorch_from_ref(image, policy.image.ngc) if image else None
    parsed = parse_name(name, policy.naming)
    if not image or version is None or not isinstance(parsed, TagName):
        return []
    if reading is not None and reading.version:
        decides: tuple[str, tuple[str, ...]] | None = (f"{reading.where} at HEAD", (reading.version,))
    else:
        decides = ("the policy", policy.image.pytorch) if policy.image.pytorch else None
    if decides is not None and version not in decides[1]:
        return [option_image_version(name, parsed, version, image, decides)]
    if parsed.version == version:
        return []
    return [option_image_version(name, parsed, version, image)]


def _code_image(head: str, name: str, reading: Reading | None, policy: Policy) -> list[Violation]:
    """With [image] file, the tag's version against what the code at HEAD declares (TG201, TG202)."""
    if reading is None:
        return []
    from tagguard.verdict.imagecheck import check_image_reading
    from tagguard.verdict.namecheck import apply_severities

    return apply_severities(check_image_reading(name, reading, head, policy), policy)


def _refuse_existing(git: Git, name: str) -> None:
    existing = git.ref_values([f"refs/tags/{name}"])[f"refs/tags/{name}"]
    if existing:
        raise TagguardError(
            f"tag {shown(name)} already exists ({existing[:12]}); tags never move: "
            f"pick a new name, e.g. tagguard tag {shown(name)}-2 -m \"...\""
        )


def _where_typed(path: str) -> str:
    """A path as the user meant it: `git tg` (a `!` alias) runs in the top directory, and
    git says in GIT_PREFIX where the user was."""
    return os.path.join(os.environ.get("GIT_PREFIX", ""), path)


def _inside(git: Git, paths: list[str]) -> list[str]:
    """The checkpoints that lie in the work tree, as absolute paths: their being untracked is
    not uncommitted code."""
    if not paths:
        return []
    top = os.path.realpath(git.top_level())
    real = [os.path.realpath(path) for path in paths]
    return [path for path in real if os.path.commonpath([top, path]) == top]


def _refuse_foreign_weights(paths: list[str], head: str) -> None:
    """Weights whose git_info says they came from other code than HEAD's can't be vouched for;
    a file without a readable git_info is vouched for by its hash alone (said on stderr)."""
    from tagguard.ml.checkpoint import load_git_info

    for path in paths:
        try:
            info = load_git_info(path).info
        except TagguardError as exc:
            print(f"note: {exc}; the tag vouches for it by its hash alone", file=sys.stderr)
            continue
        commit, where = info.get("commit"), f"{one_line(path)}: its git_info says"
        if commit is not None and commit != head:
            raise TagguardError(f"{where} it was trained at {commit[:12]}, not at HEAD ({head[:12]}); tag the "
                                f"commit that trained it: git checkout {commit[:12]}, then tagguard tag again")
        if info.get("dirty"):
            raise TagguardError(f"{where} the code had uncommitted changes when it was saved; "
                                "commit the code, train again, then tag")


def _refuse_dirty(git: Git, checkpoints: list[str]) -> None:
    paths = git.changed_paths(checkpoints)
    if paths:
        listed = ", ".join(shown(p) for p in paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        raise TagguardError(
            f"the working tree has uncommitted changes ({listed}); a tag must name the code that ran: "
            "commit them (git add -A && git commit -m \"...\") or set them aside (git stash -u), then tag"
        )
