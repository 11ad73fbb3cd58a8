"""The rules tagguard enforces: each has a stable code, a name and an explanation.

Codes are grouped by concern: TG1xx tag names, TG2xx the training image, TG3xx the tag
object (annotated, message, signature, target), TG4xx immutability and protection.
The registry below is the list of rules; `tagguard rules` prints it.
"""

from __future__ import annotations

from tagguard.lean import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from typing import Literal

    Severity = Literal["error", "warn", "off"]

ERROR: Severity = "error"
WARN: Severity = "warn"
OFF: Severity = "off"
SEVERITIES: tuple[Severity, ...] = (ERROR, WARN, OFF)


class Rule(NamedTuple):
    code: str
    name: str
    summary: str
    why: str
    example: str
    instead: str


class Violation(NamedTuple):
    """One problem with one ref: what is wrong and what to do instead."""

    ref: str
    code: str
    message: str
    hint: str
    severity: Severity = ERROR

    @property
    def rule(self) -> Rule:
        return RULES[self.code]


RULES: dict[str, Rule] = {}
# Rules a policy can't set to "warn" or "off", and why (said when it tries).
ALWAYS_ERRORS: dict[str, str] = {}


def _rule(code: str, name: str, summary: str, why: str, example: str, instead: str) -> None:
    RULES[code] = Rule(code, name, summary, why, example, instead)


_rule(
    "TG101",
    "invalid-name",
    "Tag names follow vX.Y[-type][-desc]: lowercase, hyphen-separated.",
    "A name that follows the convention says which PyTorch image trained the snapshot and "
    "what kind of snapshot it is, and sorts and filters with plain `git tag -l 'v2.8-*'`.",
    "V2.8_FT_lr2, 2.8-ft, v2.8.1-ft, release-final",
    "v2.8-ft-lr2, v2.8-ft, v2.8-base",
)
_rule(
    "TG102",
    "unknown-type",
    "The word after vX.Y must be one of the policy's snapshot types.",
    "The type (base, ft, aug, ...) is how a team finds every fine-tune or every production "
    "candidate; a misspelt or private type hides a snapshot from those searches.",
    "v2.8-finetune-lr2, v2.8-lr2",
    "v2.8-ft-lr2 (or add the type to [naming] types in the policy)",
)
_rule(
    "TG103",
    "invalid-desc",
    "The description after the type must match the policy's desc pattern.",
    "Descriptions are read by people and by scripts; the default allows lowercase letters and "
    "digits in hyphen-joined words, so every name is safe in a shell, a URL and a file name.",
    "v2.8-ft-lr--2, v2.8-ft-",
    "v2.8-ft-lr2",
)
_rule(
    "TG104",
    "temporary-tag",
    "Temporary tags (tmp-*, test-*, wip-* by default) must not be published.",
    "Temporary tags are scratch marks for one person's experiments; once pushed, others fetch "
    "them and they outlive their purpose. Keep them local and delete them when done.",
    "git push origin test-run-alpha",
    "keep the tag local, or give the snapshot a real name: git tag -a v2.8-exp-alpha",
)
_rule(
    "TG201",
    "image-version",
    "The tag's vX.Y must be the PyTorch major.minor of the training image.",
    "The version in the name is the promise of which environment reproduces the snapshot; a "
    "v2.8 tag on code that trains on a PyTorch 2.9 image sends people to the wrong image.",
    "v2.7-ft-lr2 while the policy's image is pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime",
    "v2.8-ft-lr2",
)
_rule(
    "TG202",
    "image-unreadable",
    "When the policy reads the image from the code ([image] file), the tagged commit must say it.",
    "With [image] file set, the Dockerfile (or requirements, environment.yml, ...) at the tagged "
    "commit is the truth about the training image; if tagguard can't read a version there, it "
    "can't vouch for the tag, so it refuses instead of passing silently.",
    "FROM nvcr.io/nvidia/pytorch:24.08-py3 with no [image.ngc] mapping; no Dockerfile at the commit",
    "pin the image or torch version in the file, or map the NGC release in [image.ngc]",
)

_rule(
    "TG301",
    "lightweight-tag",
    "Published tags must be annotated: tagger, date and message.",
    "A lightweight tag is a bare pointer: it records nobody, no time and no metrics. The "
    "annotated tag object is the audit trail of who declared this snapshot and why.",
    "git tag v2.8-ft-lr2 && git push origin v2.8-ft-lr2",
    "git tag -a v2.8-ft-lr2 -m \"acc=0.932, f1=0.897\"",
)
_rule(
    "TG302",
    "empty-message",
    "An annotated tag needs a message: what the snapshot is, ideally its metrics.",
    "The message is where a team records what a snapshot achieved (acc=0.932, f1=0.897); an "
    "empty one leaves the history of tags with nothing to compare.",
    "git tag -a v2.8-ft-lr2 -m \"\"",
    "git tag -a v2.8-ft-lr2 -m \"fine-tune, lr/2: acc=0.932, f1=0.897\"",
)
_rule(
    "TG303",
    "unsigned-tag",
    "When the policy requires it, tags carry a signature the server can verify.",
    "A signature proves who created the tag; with [tags] require_signed, a tag that is "
    "unsigned, or signed with a key the server does not trust, is refused.",
    "git tag -a v2.8-prod-ready -m \"...\" (no -s)",
    "git tag -s v2.8-prod-ready -m \"...\" (GPG, or SSH with gpg.format=ssh)",
)
_rule(
    "TG304",
    "tag-name-mismatch",
    "A tag object is pushed under the name it was created with.",
    "The name inside an annotated tag is what `git describe` and `git show` print; pushing "
    "v2.8-a's object as refs/tags/v2.8-b makes the two disagree forever.",
    "git push origin v2.8-ft-a:refs/tags/v2.8-ft-b",
    "git tag -a v2.8-ft-b <commit> -m \"...\" && git push origin v2.8-ft-b",
)
_rule(
    "TG305",
    "tag-target",
    "A snapshot tag points at a commit (directly or through tags), not a tree or blob.",
    "A snapshot is a state of the code that can be checked out and trained; a tag of a tree "
    "or a blob has no history, no parent and no commit to build.",
    "git tag -a v2.8-ft HEAD^{tree} -m \"...\"",
    "git tag -a v2.8-ft HEAD -m \"...\"",
)
_rule(
    "TG306",
    "missing-tagger",
    "An annotated tag records who made it and when: a tagger line with name, email and date.",
    "The tagger and date are the audit trail that makes a tag worth more than a pointer. git "
    "always writes them, but a tag object made by hand (git hash-object --literally, git mktag) "
    "can leave them out or garble them, and then records nobody and no time.",
    "printf 'object ...\\ntype commit\\ntag v2.8-ft\\n\\nacc=0.93\\n' | git hash-object -t tag -w --literally --stdin",
    "git tag -a v2.8-ft <commit> -m \"acc=0.93\" (git writes the tagger line)",
)
_rule(
    "TG307",
    "oversized-tag",
    "A tag object is at most [tags] max_tag_bytes (1 MiB by default).",
    "A tag message holds what a snapshot is and its metrics, a few lines; a tag object of "
    "hundreds of megabytes is a mistake or an attack on the server's memory. Larger ones are "
    "refused without being read, so none of their other checks can run: this rule can't be "
    "set to warn or off (raise max_tag_bytes instead).",
    "git tag -a v2.8-ft -F metrics-dump.json (300 MiB)",
    "git tag -a v2.8-ft -m \"acc=0.932, f1=0.897\" (keep the data in a file in the repository)",
)
ALWAYS_ERRORS["TG307"] = ("can't be \"warn\" or \"off\": a tag over the limit is never read, so none of its "
                          "other checks could run; raise [tags] max_tag_bytes instead")
_rule(
    "TG401",
    "moved-tag",
    "A published tag never moves to another object.",
    "Anyone who fetched the tag, and every checkpoint that recorded it, points at the old "
    "commit; moving it silently changes what a result means.",
    "git tag -f v2.8-ft-lr2 HEAD && git push --force origin v2.8-ft-lr2",
    "tag the new commit with a new name: git tag -a v2.8-ft-lr3 -m \"...\"",
)
_rule(
    "TG402",
    "protected-delete",
    "Protected tags ([[protect]], v*-prod* by default) are deleted only by the people named.",
    "Production tags are what deployments and audits refer to; deleting one breaks them, so "
    "only the people or groups in the entry's allow_delete may do it.",
    "git push origin :refs/tags/v2.8-prod-ready",
    "leave the tag; if it must go, ask someone in the policy's allow_delete for that pattern",
)
_rule(
    "TG403",
    "reused-name",
    "A tag name that was published is never re-created for a different commit.",
    "Deleting a tag and pushing it again on another commit is a move in two steps: every clone, "
    "checkpoint and log that recorded the name now disagrees with the server. The server keeps "
    "a ledger of every tag that landed, so a deleted name stays burned, as PyPI file names do.",
    "git push origin :refs/tags/v2.8-ft-lr2 && git tag -f -a v2.8-ft-lr2 HEAD && git push origin v2.8-ft-lr2",
    "tag the new commit with a new name: git tag -a v2.8-ft-lr2b -m \"...\"",
)
_rule(
    "TG404",
    "reserved-ref",
    "Pushes don't write refs/replace/* (unless [server] allow_replace_refs) or tagguard's own refs/tagguard/*.",
    "A replace ref makes git show another object in place of the real one, to every reader "
    "including the hooks' own git commands; tagguard reads the real objects, but clones that "
    "fetch replace refs would still see the decoy. refs/tagguard/* holds tagguard's own records "
    "and is written only by its hooks; a ref holding that name (refs/heads/refs/tagguard/ledger) "
    "is refused too, as git would look tagguard's ledger up there while it has none.",
    "git push origin refs/replace/1a2b3c...:refs/replace/1a2b3c...",
    "fix the history in a new commit; an admin who needs replace refs sets [server] allow_replace_refs = true",
)

_rule(
    "TG405",
    "lookalike-ref",
    "Pushes spell refs/tags/, refs/replace/ and refs/tagguard/ exactly (not refs/Tags/, refs/tags./ "
    "or with invisible characters) and outside refs/namespaces/, and a new tag's name differs from the "
    "server's tags in more than case.",
    "git keeps a ref as a file named after it, and the file systems of Windows and macOS ignore "
    "case (and NTFS a dot ending a folder's name, HFS+ some invisible characters). There, a "
    "pushed refs/Tags/v2.8-base is stored as the tag refs/tags/v2.8-base while git and the "
    "hooks read it as some other ref: it would land unjudged, or move or delete a published tag. "
    "Where a policy's desc allows capitals, a new v2.8-ft-A would answer for v2.8-ft-a on the server. "
    "A server serving GIT_NAMESPACE=team reads refs/namespaces/team/refs/tags/x as its tag x, which a "
    "push straight to that name would have written unjudged.",
    "git push origin v2.8-base:refs/Tags/v2.8-base",
    "spell the folder exactly: git push origin v2.8-base:refs/tags/v2.8-base",
)
ALWAYS_ERRORS["TG405"] = ("can't be \"warn\" or \"off\": on a server whose file system ignores case, such a ref "
                          "lands as a tag no rule judged")


def find_rule(key: str) -> Rule | None:
    """Look a rule up by code (any case) or by name."""
    rule = RULES.get(key.upper())
    if rule is not None:
        return rule
    return next((r for r in RULES.values() if r.name == key), None)
