"""Checks on a tag name: the convention, temporary tags and the image version.

Pure functions of a name and a policy; the hooks and commands all call these.
"""

from __future__ import annotations

from tagguard.git.refs import short_name
from tagguard.patterns import glob_match
from tagguard.policy.model import Policy
from tagguard.rules.catalog import OFF, Violation
from tagguard.rules.naming import NameProblem, TagName, parse_name, suggest_name
from tagguard.safetext import shown


def check_name(name: str, policy: Policy, *, pushed: bool = True) -> list[Violation]:
    """All violations of one tag name. `pushed=False` exempts temporary tags (local use)."""
    name = short_name(name)
    temporary = glob_match(name, policy.naming.temporary)
    if temporary is not None:
        found = [] if not pushed else [_temporary(name, temporary)]
    else:
        parsed = parse_name(name, policy.naming)
        if isinstance(parsed, NameProblem):
            found = [_bad_name(name, parsed, policy)]
        else:
            found = _image_version(name, parsed, policy)
    return apply_severities(found, policy)


def apply_severities(found: list[Violation], policy: Policy) -> list[Violation]:
    """Drop rules the policy switched off; mark the ones it set to warn."""
    result = []
    for violation in found:
        severity = policy.severity(violation.code)
        if severity != OFF:
            result.append(violation._replace(severity=severity))
    return result


def _temporary(name: str, pattern: str) -> Violation:
    return Violation(
        name,
        "TG104",
        f"is a temporary tag (matches {pattern!r}) and must not be published",
        f"keep it local; to remove it from a remote: git push origin :refs/tags/{shown(name)}",
    )


def _bad_name(name: str, problem: NameProblem, policy: Policy) -> Violation:
    better = suggest_name(name, policy.naming)
    if better is not None:
        hint = f"did you mean '{shown(better)}'? git tag -a {shown(better)} -m \"...\""
    else:
        hint = f"names look like v2.8-{policy.naming.types[0]} or v2.8-ft-lr2: v<major>.<minor>[-type][-desc]"
    return Violation(name, problem.code, problem.message, hint)


def _image_version(name: str, parsed: TagName, policy: Policy) -> list[Violation]:
    allowed = policy.image.pytorch
    if not allowed or parsed.version in allowed:
        return []
    image = f"{policy.image.ref} (PyTorch {allowed[0]})" if policy.image.ref else f"PyTorch {' or '.join(allowed)}"
    better = parsed.with_version(allowed[-1])
    return [
        Violation(
            name,
            "TG201",
            f"says PyTorch {parsed.version}, but the training image is {image}",
            f"name it for the image: git tag -a {shown(str(better))} -m \"...\" (policy: {policy.origin})",
        )
    ]

