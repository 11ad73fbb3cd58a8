"""The policy as settings for hosts that run no custom hooks (github.com, gitlab.com, Gitea).

Each export returns the JSON bodies for the platform's REST API and notes on what the
policy has that the platform can't express; the command prints the notes on stderr.
"""

from __future__ import annotations

from tagguard.errors import PolicyError
from tagguard.lean import TYPE_CHECKING, NamedTuple
from tagguard.output.re2 import re2_problem
from tagguard.policy.model import Policy
from tagguard.rules.catalog import ERROR, OFF, RULES
from tagguard.rules.naming import MAX_VERSION_DIGITS

if TYPE_CHECKING:
    from typing import Any, Callable


_DEFAULT_DESC = "[a-z0-9]+(-[a-z0-9]+)*"
_OBJECT_RULES = ("TG301", "TG302", "TG304", "TG305")
_NAME_RULES = ("TG101", "TG102", "TG103")
# GitLab's access levels for who may create a matching tag.
GITLAB_NO_ACCESS, GITLAB_DEVELOPER, GITLAB_MAINTAINER = 0, 30, 40


class Export(NamedTuple):
    document: list[dict[str, Any]]
    notes: list[str]


class NamePattern(NamedTuple):
    regex: str | None  # None: the policy enforces nothing a pattern can say
    notes: list[str]  # one line per name rule the pattern leaves out, and why


def name_regex(policy: Policy) -> NamePattern:
    """The names the policy still refuses as one anchored regular expression, loosened where a
    name rule is "warn" or "off"."""
    if not _on(policy, "TG101"):
        return NamePattern(None, [
            f"TG101 invalid-name is {policy.severity('TG101')!r}: names outside the grammar pass, which a "
            "pattern can't say without lookaround; the tag_name_pattern ruleset is left out (TG102, TG103 too)"])
    version = _version_regex(policy)
    if not _on(policy, "TG102"):
        return NamePattern(f"^v{version}(-[^-]+(-.*)?)?$", [
            f"TG102 unknown-type is {policy.severity('TG102')!r}: the pattern accepts any word after the version, "
            "so it checks neither the description (TG103) nor a '-' left at the end"])
    types = "|".join(policy.naming.types)
    if not _on(policy, "TG103"):
        # any description, but one that only a lowercasing from good (upper-case ASCII, or the
        # Kelvin sign that lowercases to 'k') is TG101 whatever TG103 says: without lookaround,
        # "all good characters, or at least one that lowercases to none of them"
        desc = ".+" if policy.naming.desc is not None else "[a-z0-9-]+|.*[^A-Za-z0-9\u212a-].*"
        notes = [f"TG103 invalid-desc is {policy.severity('TG103')!r}: the pattern accepts any description"]
    else:
        desc, notes = _desc_regex(policy)
    return NamePattern(f"^v{version}(-({types})(-({desc}))?)?$", notes)


def _version_regex(policy: Policy) -> str:
    """The policy's image versions, else any major.minor without leading zeros (ASCII digits only)."""
    versions = policy.image.pytorch if policy.severity("TG201") == ERROR else ()
    if versions:
        return "(" + "|".join(v.replace(".", r"\.") for v in versions) + ")"
    number = f"(0|[1-9][0-9]{{0,{MAX_VERSION_DIGITS - 1}}})"
    return rf"{number}\.{number}"


def _desc_regex(policy: Policy) -> tuple[str, list[str]]:
    """The description pattern, refused in one line if GitHub's engine (RE2) can't run it."""
    desc = policy.naming.desc
    if desc is None:
        return _DEFAULT_DESC, []
    problem = re2_problem(desc.source)
    if problem:
        raise PolicyError(desc.origin, desc.key, f"pattern {desc.source!r} uses {problem}, which GitHub's "
                          "regex engine (RE2) can't run in the exported name pattern; rewrite it without")
    if desc.fullmatch(""):
        return desc.source, [f"naming.desc {desc.source!r} matches an empty description: the pattern also accepts "
                             "a name ending in '-' (v2.8-ft-), which tagguard refuses"]
    return desc.source, []


def _common_notes(policy: Policy, platform: str, noted: tuple[str, ...] = ()) -> list[str]:
    notes = [
        f"{', '.join(_OBJECT_RULES)} ({', '.join(RULES[c].name for c in _OBJECT_RULES)}): {platform} "
        "can't look inside tag objects; run `tagguard check-ref` in CI on tag push"
    ]
    if _on(policy, "TG403"):
        notes.append(f"TG403 reused-name: {platform} keeps no record of deleted tags, so a deleted tag can be "
                     "re-created for another commit; only tagguard's server hooks (their ledger) burn a name")
    if policy.tags.require_signed:
        notes.append(f"TG303 unsigned-tag: {platform} can't require signed tags; check-ref in CI verifies them")
    warned = sorted(code for code, level in policy.severities.items()
                    if level not in (ERROR, OFF) and code not in noted)
    if warned:
        notes.append(f"{', '.join(warned)} set to \"warn\": {platform} has no warnings; left out")
    return notes


def _on(policy: Policy, *codes: str) -> bool:
    return all(policy.severity(code) == ERROR for code in codes)


# --- GitHub rulesets ----------------------------------------------------------------------


def _ruleset(name: str, include: list[str], rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": name,
        "target": "tag",
        "enforcement": "active",
        "bypass_actors": [],
        "conditions": {"ref_name": {"include": include, "exclude": []}},
        "rules": rules,
    }


def github_rulesets(policy: Policy) -> Export:
    """Bodies for `POST /repos/{owner}/{repo}/rulesets`, one ruleset each."""
    rulesets, notes = [], _common_notes(policy, "GitHub rulesets", _NAME_RULES)
    if _on(policy, "TG401"):
        rulesets.append(_ruleset("tagguard: published tags never move", ["~ALL"],
                                 [{"type": "update"}, {"type": "non_fast_forward"}]))
    if _on(policy, "TG402") and policy.protect:
        globs = tuple(p.pattern for p in policy.protect)
        rulesets.append(_ruleset("tagguard: protected tags", _github_include(globs), [{"type": "deletion"}]))
        notes += _glob_notes(globs)
        notes += _allowed_deleters(policy, "add them to the ruleset's bypass_actors (by actor_id) yourself")
    if _on(policy, "TG104"):
        rulesets.append(_ruleset("tagguard: temporary tags stay local", _github_include(policy.naming.temporary),
                                 [{"type": "creation"}]))
        notes += _glob_notes(policy.naming.temporary)
    names = name_regex(policy)
    notes += names.notes
    if names.regex is not None:
        pattern = {"name": "tagguard tag names", "negate": False, "operator": "regex", "pattern": names.regex}
        rulesets.append(_ruleset("tagguard: tag names (GitHub Enterprise only)", ["~ALL"],
                                 [{"type": "tag_name_pattern", "parameters": pattern}]))
        notes.append("the tag_name_pattern rule (names, types, image version) works on GitHub Enterprise only; "
                     "elsewhere leave that ruleset out and rely on check-ref in CI")
    notes.append("bypass_actors is empty: an admin adds who may bypass (for example the release team)")
    return Export(rulesets, notes)


_MAX_STARS = 3  # a glob with k stars exports 2**k forms


def github_globs(glob: str) -> list[str]:
    """GitHub forms that together match what `glob` matches for tagguard. GitHub's `*` stops
    at '/' (FNM_PATHNAME), tagguard's doesn't: each `*` becomes `*` (no '/') or `*/**/*` (one
    '/' or more)."""
    first, *parts = glob.split("*")
    if len(parts) > _MAX_STARS:
        return [glob]
    forms = [first]
    for part in parts:
        forms = [form + star + part for form in forms for star in ("*", "*/**/*")]
    return forms


def _github_include(globs: tuple[str, ...]) -> list[str]:
    return [f"refs/tags/{form}" for glob in globs for form in github_globs(glob)]


def _glob_notes(globs: tuple[str, ...]) -> list[str]:
    """One line per glob GitHub can't match as tagguard does."""
    notes = []
    for glob in globs:
        if glob.count("*") > _MAX_STARS:
            notes.append(f"'{glob}': over {_MAX_STARS} '*', exported as is: its '*' stop at '/' on GitHub, "
                         "tagguard's don't")
        if "?" in glob or "[" in glob:
            notes.append(f"'{glob}': '?' and '[...]' never match '/' on GitHub, tagguard's do; "
                         "a name with '/' there escapes the ruleset")
    return notes


def _allowed_deleters(policy: Policy, how: str) -> list[str]:
    named = sorted({who for p in policy.protect for who in p.allow_delete})
    return [f"allow_delete ({', '.join(named)}): the platform knows accounts, not these names; {how}"] if named else []


# --- GitLab protected tags ----------------------------------------------------------------


def gitlab_protected_tags(policy: Policy) -> Export:
    """Bodies for `POST /projects/:id/protected_tags`, one wildcard entry each."""
    entries: dict[str, int] = {}
    notes = _common_notes(policy, "GitLab protected tags")
    notes.append("TG101-TG103 and TG201 (names, types, image version): protected tags can't check names; "
                 "run `tagguard check-ref` in CI")
    if _on(policy, "TG401"):
        entries["v*"] = GITLAB_DEVELOPER
        notes.append("tags outside 'v*' and the protected patterns stay movable and deletable by Developers")
    if _on(policy, "TG402"):
        for protect in policy.protect:
            entries.setdefault(protect.pattern, GITLAB_DEVELOPER)
        notes.append("a protected tag can't be deleted by any push; Maintainers delete it in the UI or API")
        notes += _allowed_deleters(policy, "only Maintainers can delete protected tags")
    if _on(policy, "TG104"):
        for temporary in policy.naming.temporary:
            entries[temporary] = GITLAB_NO_ACCESS
            if temporary[0] in "v*?[" and "v*" in entries:
                notes.append(f"'{temporary}' overlaps 'v*'; GitLab lets either entry's creators create such a tag")
    return Export([{"name": name, "create_access_level": level} for name, level in entries.items()], notes)


# --- Gitea / Forgejo protected tags -------------------------------------------------------


def gitea_protected_tags(policy: Policy) -> Export:
    """Bodies for `POST /repos/{owner}/{repo}/tag_protections`. A rule lets only its whitelist
    create, move or delete a matching tag; an empty whitelist lets no one."""
    entries: dict[str, str] = {}
    notes = _common_notes(policy, "Gitea protected tags")
    notes.append("TG101-TG103 and TG201 (names, types, image version): a rule can only stop names that match it, "
                 "and Go's regexp has no lookahead to match the names outside the convention; run check-ref in CI")
    if _on(policy, "TG401"):
        notes.append("TG401 moved-tag: a rule covers creating and moving together, so tags can't be frozen while "
                     "anyone may create them; left out: only the protected and temporary patterns below are guarded")
    if _on(policy, "TG402"):
        for protect in policy.protect:
            entries.setdefault(protect.pattern, gitea_pattern(protect.pattern))
            notes.append(f"'{protect.pattern}': the rule also stops creating a matching tag; add who publishes them "
                         "to whitelist_usernames or whitelist_teams")
        notes += _allowed_deleters(policy, "add their Gitea accounts to whitelist_usernames or whitelist_teams")
    if _on(policy, "TG104"):
        for temporary in policy.naming.temporary:
            entries.setdefault(temporary, gitea_pattern(temporary))
    body = [{"name_pattern": pattern, "whitelist_usernames": [], "whitelist_teams": []} for pattern in entries.values()]
    return Export(body, notes)


def gitea_pattern(glob: str) -> str:
    """A tagguard glob as a Gitea regex rule (`/.../`, Go's RE2): `*` and `?` cross '/' as
    they do for tagguard, whatever Gitea's own glob reading does."""
    out, at = [], 0
    while at < len(glob):
        char = glob[at]
        end = glob.find("]", at + 2) if char == "[" else -1
        if end > 0:
            body = glob[at + 1:end]
            out.append("[" + ("^" + body[1:] if body[:1] == "!" else body.replace("\\", "\\\\")) + "]")
            at = end + 1
            continue
        out.append({"*": ".*", "?": "."}.get(char) or _re_escape(char))
        at += 1
    return "/\\A" + "".join(out) + "\\z/"


def _re_escape(char: str) -> str:
    return "\\" + char if char in ".^$*+?()[]{}|\\/" else char


EXPORTS: dict[str, Callable[[Policy], Export]] = {
    "github-ruleset": github_rulesets,
    "gitlab-protected-tags": gitlab_protected_tags,
    "gitea-protected-tags": gitea_protected_tags,
}
