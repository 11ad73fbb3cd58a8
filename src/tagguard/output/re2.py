"""Does a policy's regular expression run on RE2, the engine GitHub's rulesets use?

A scan of the pattern text, not a parser: it finds the constructs RE2 refuses (backreferences,
lookaround, atomic groups, possessive quantifiers, conditionals, recursion) and the anchors that
would break once the pattern sits inside the exported name pattern.
"""

from __future__ import annotations

import re

_GROUPS = (  # what follows '(' -> what it is; longest first so '(?<=' is not read as '(?<'
    ("?<=", "a lookbehind"), ("?<!", "a lookbehind"), ("?=", "a lookahead"), ("?!", "a lookahead"),
    ("?>", "an atomic group"), ("?(", "a conditional"), ("?P=", "a backreference"), ("?P>", "recursion"),
    ("?R", "recursion"), ("?&", "recursion"), ("?|", "a branch reset"),
)
_ESCAPES = {
    **dict.fromkeys("123456789gk", "a backreference"),
    "K": "a match reset", "G": "a search anchor", "A": "an anchor", "Z": "an anchor", "z": "an anchor",
}
_COUNTED = re.compile(r"\{\d*,?\d*$")  # '{2,3' just before a '}': that '}' ends a quantifier


def re2_problem(pattern: str) -> str | None:
    """The first construct of `pattern` that RE2 can't run inside the name pattern, as
    "a lookahead '(?='"; None when there is none."""
    at, quantified = 0, False
    while at < len(pattern):
        char = pattern[at]
        if char == "\\":
            escape = pattern[at + 1:at + 2]
            if escape in _ESCAPES:
                return f"{_ESCAPES[escape]} '\\{escape}'"
            at, quantified = at + 2, False
            continue
        if char == "[":
            at, quantified = _class_end(pattern, at), False
            continue
        problem = _at_char(pattern, at, quantified)
        if problem:
            return problem
        quantified = not quantified and (char in "*+?" or (char == "}" and bool(_COUNTED.search(pattern[:at]))))
        at += 1
    return None


def _at_char(pattern: str, at: int, quantified: bool) -> str | None:
    char = pattern[at]
    if char == "(":
        return next((f"{what} '({opener}'" for opener, what in _GROUPS if pattern.startswith(opener, at + 1)), None)
    if char in "^$":
        return f"an anchor '{char}'"
    if char == "+" and quantified:
        return f"a possessive quantifier '{pattern[at - 1]}+'"
    return None


def _class_end(pattern: str, at: int) -> int:
    """The index just past the character class that starts at `at` ('[^]a]' included)."""
    at += 2 if pattern[at + 1:at + 2] == "^" else 1
    at += 1 if pattern[at:at + 1] == "]" else 0
    while at < len(pattern) and pattern[at] != "]":
        at += 2 if pattern[at] == "\\" else 1
    return at + 1
