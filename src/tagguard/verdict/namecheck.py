"""Checks on a tag name: the convention, temporary tags and the image version.

Pure functions of a name and a policy; the hooks and commands all call these.
"""

from __future__ import annotations

from tagguard.git.refs import short_name
from tagguard.patterns import glob_match
from tagguard.policy.model import Policy
from tagguard.rules.catalog import OFF, Violation
from tagguard.rules.naming import NameProblem, TagName, parse_name
from tagguard.rules.violations import PushedTag, bad_name, policy_image_version, temporary_tag


def check_name(name: str, policy: Policy, *, pushed: bool = True, tag: PushedTag | None = None) -> list[Violation]:
    """All violations of one tag name. `pushed=False` exempts temporary tags (local use); `tag`:
    the pushed tag it names, which the hints then re-create."""
    name = short_name(name)
    temporary = glob_match(name, policy.naming.temporary)
    if temporary is not None:
        found = [] if not pushed else [temporary_tag(name, temporary, tag)]
    else:
        parsed = parse_name(name, policy.naming)
        if isinstance(parsed, NameProblem):
            found = [bad_name(name, parsed, policy.naming, tag)]
        else:
            found = _image_version(name, parsed, policy, tag)
    return apply_severities(found, policy)


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
