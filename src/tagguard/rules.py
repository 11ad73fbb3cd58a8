"""The rules tagguard enforces: each has a stable code, a name and an explanation.

Codes are grouped by concern: TG1xx tag names, TG2xx the training image.
The registry below is the list of rules; `tagguard rules` prints it.
"""

from __future__ import annotations

from typing import NamedTuple

ERROR = "error"
WARN = "warn"
OFF = "off"
SEVERITIES = (ERROR, WARN, OFF)


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
    severity: str = ERROR

    @property
    def rule(self) -> Rule:
        return RULES[self.code]


RULES: dict[str, Rule] = {}


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


def find_rule(key: str) -> Rule | None:
    """Look a rule up by code (any case) or by name."""
    rule = RULES.get(key.upper())
    if rule is not None:
        return rule
    return next((r for r in RULES.values() if r.name == key), None)
