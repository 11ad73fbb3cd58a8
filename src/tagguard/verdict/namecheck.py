"""Checks on a tag name: the convention, temporary tags and the image version.

Pure functions of a name and a policy; the hooks and commands all call these.
"""

from __future__ import annotations

from tagguard.git.refs import short_names
from tagguard.lean import TYPE_CHECKING
from tagguard.patterns import glob_matches
from tagguard.policy.model import Policy
from tagguard.rules.catalog import OFF, Violation
from tagguard.rules.naming import NameProblem, TagName, parse_names
from tagguard.rules.violations import PushedTag, bad_name, policy_image_version, temporary_tag

if TYPE_CHECKING:
    from collections.abc import Sequence


def check_name(name: str, policy: Policy, *, pushed: bool = True, tag: PushedTag | None = None) -> list[Violation]:
    """All violations of one tag name. `pushed=False` exempts temporary tags (local use); `tag`:
    the pushed tag it names, which the hints then re-create."""
    return check_names([name], policy, pushed=pushed, tags=[tag])[0]


def check_names(names: list[str], policy: Policy, *, pushed: bool = True,
                tags: Sequence[PushedTag | None] | None = None) -> list[list[Violation]]:
    """`check_name` of each name, one or a push's 100,000, each step over all of them; `tags`:
    the pushed tag each names (see `check_name`), None for none."""
    names = short_names(names)
    temporary = glob_matches(names, policy.naming.temporary)
    judged = parse_names([n for n, t in zip(names, temporary) if t is None], policy.naming)
    if len(judged) == len(names) and not policy.image.pytorch and NameProblem not in set(map(type, judged)):
        return [[] for _ in names]  # nearly every push: nothing temporary, every name well formed
    parsed = iter(judged)
    found = []
    for name, pattern, tag in zip(names, temporary, [None] * len(names) if tags is None else tags):
        if pattern is not None:
            found.append([temporary_tag(name, pattern, tag)] if pushed else [])
            continue
        tagged = next(parsed)
        if isinstance(tagged, NameProblem):
            found.append([bad_name(name, tagged, policy.naming, tag)])
        elif policy.image.pytorch:
            found.append(_image_version(name, tagged, policy, tag))
        else:
            found.append([])
    return [apply_severities(each, policy) if each else each for each in found]


def apply_severities(found: list[Violation], policy: Policy) -> list[Violation]:
    """Drop rules the policy switched off; mark the ones it set to warn."""
    result = []
    for violation in found:
        severity = policy.severity(violation.code)
        if severity != OFF:
            result.append(violation._replace(severity=severity))
    return result


def _image_version(name: str, parsed: TagName, policy: Policy, tag: PushedTag | None) -> list[Violation]:
    allowed = policy.image.pytorch
    if not allowed or parsed.version in allowed:
        return []
    return [policy_image_version(name, parsed, allowed, policy.image.ref, policy.origin, tag)]
