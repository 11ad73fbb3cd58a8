"""The tag-name grammar: v{major}.{minor}[-{type}][-{desc}].

Parsed by hand (no regex) so a name check costs little more than starting Python.
"""

from __future__ import annotations

from _operator import add, itemgetter
from itertools import repeat

from tagguard.lean import TYPE_CHECKING, NamedTuple, cached
from tagguard.safetext import shown

if TYPE_CHECKING:
    from tagguard.patterns import UserPattern

_DESC_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-"  # a description's characters (see `_descs_ok`)
_WORD_CHARS = frozenset(_DESC_CHARS)
MAX_VERSION_DIGITS = 9  # per version number: Python refuses int() past 4,300 digits, and no release needs 10
_SEPARATORS = "_ /\\"
# Words people write for the default types; used only to suggest a corrected name.
TYPE_ALIASES = {
    "baseline": "base",
    "finetune": "ft",
    "augment": "aug",
    "augmentation": "aug",
    "evaluation": "eval",
    "production": "prod",
    "release": "prod",
}

DEFAULT_TYPES = ("base", "ft", "aug", "exp", "experiment", "eval", "prod")
DEFAULT_TEMPORARY = ("tmp-*", "test-*", "wip-*")


class NamingPolicy(NamedTuple):
    """The policy's [naming] table: what the grammar lets a team choose."""

    types: tuple[str, ...] = DEFAULT_TYPES
    desc: UserPattern | None = None  # None: lowercase words joined by '-'
    temporary: tuple[str, ...] = DEFAULT_TEMPORARY


class TagName(NamedTuple):
    major: int
    minor: int
    type: str | None = None
    desc: str | None = None

    @property
    def version(self) -> str:
        return f"{self.major}.{self.minor}"

    def with_version(self, version: str) -> TagName:
        major, _, minor = version.partition(".")
        return self._replace(major=int(major), minor=int(minor))

    def __str__(self) -> str:
        return "-".join(p for p in (f"v{self.version}", self.type, self.desc) if p)


class NameProblem(NamedTuple):
    code: str
    message: str


def parse_name(name: str, naming: NamingPolicy) -> TagName | NameProblem:
    """Parse a tag name, or say (with a rule code) why it does not follow the convention."""
    return parse_names([name], naming)[0]


def parse_names(names: list[str], naming: NamingPolicy) -> list[TagName | NameProblem]:
    """`parse_name` of each name, one or a push's 100,000: what comes before the description
    (`_front`) is judged once per distinct version and type, a handful in a push."""
    fronts: dict[tuple[str, str | None], tuple[int, int, str | None] | NameProblem] = {}
    split = [name.split("-", 2) for name in names]  # version, type, description (which may hold more '-')
    descs = [parts[2] for parts in split if len(parts) == 3 and parts[2]]
    all_good = _descs_ok(descs, naming)  # nearly always: then none is judged again
    if all_good and len(descs) == len(split):  # every name has a good description (a push of many)
        keys = list(zip(map(_FIRST, split), map(_SECOND, split)))
        fronts = {key: _front(*key, naming) for key in set(keys)}
        if NameProblem not in set(map(type, fronts.values())):  # then all at C speed, as below
            return list(map(_new, repeat(TagName), map(add, map(fronts.__getitem__, keys), zip(descs))))
    parsed: list[TagName | NameProblem] = []
    for parts in split:
        key = (parts[0], parts[1] if len(parts) > 1 else None)
        front = fronts.get(key) or fronts.setdefault(key, _front(*key, naming))
        if (not all_good and len(parts) == 3 and naming.desc is None and _case_slip(parts[2])
                and type(_parse_version(parts[0])) is not NameProblem):  # (a policy's desc may allow upper case)
            parsed.append(_UPPERCASE)  # judged before the type, as a name is read
        elif type(front) is NameProblem:
            parsed.append(front)
        elif len(parts) < 3:
            parsed.append(_new(TagName, (*front, None)))
        elif not parts[2]:
            parsed.append(NameProblem("TG101", "ends with '-'"))
        elif not (all_good or _descs_ok([parts[2]], naming)):
            parsed.append(NameProblem("TG103", _desc_message(parts[2], naming)))
        else:
            parsed.append(_new(TagName, (*front, parts[2])))
    return parsed


_new = tuple.__new__  # a TagName from its fields in order, with no Python call per name
_FIRST, _SECOND = itemgetter(0), itemgetter(1)
_UPPERCASE = NameProblem("TG101", "has uppercase letters; names are all lowercase")


def _front(head: str, type_: str | None, naming: NamingPolicy) -> tuple[int, int, str | None] | NameProblem:
    """The version and type of a name (`type_` None: the name has no '-'), or what is wrong."""
    version = _parse_version(head)
    if isinstance(version, NameProblem) or type_ is None:
        return version if isinstance(version, NameProblem) else (*version, None)
    if _case_slip(type_):
        return _UPPERCASE
    if not type_:
        return NameProblem("TG101", "has an empty word after the version ('-' at the end, or '--')")
    if type_ not in naming.types:
        return NameProblem("TG102", f"unknown type '{shown(type_)}' (types: {', '.join(naming.types)})")
    return (*version, type_)


@cached(256)  # a push of 100,000 tags has a handful of versions
def _parse_version(head: str) -> tuple[int, int] | NameProblem:
    if not head.startswith("v"):
        if head[:1] == "V":
            return NameProblem("TG101", "starts with 'V'; names are all lowercase")
        if head[:1].isdigit():
            return NameProblem("TG101", "must start with 'v' before the version")
        return NameProblem("TG101", "must start with v<major>.<minor>, such as v2.8")
    numbers = head[1:].split(".")
    if not all(n.isascii() and n.isdigit() for n in numbers) or len(numbers) < 2:
        return NameProblem(
            "TG101", "must start with v<major>.<minor>, such as v2.8, then '-' before more"
        )
    if len(numbers) > 2:
        return NameProblem(
            "TG101", f"has a patch version ({shown(head[1:])}); tags carry only major.minor"
        )
    if any(len(n) > 1 and n[0] == "0" for n in numbers):
        return NameProblem("TG101", "version numbers have no leading zeros")
    if any(len(n) > MAX_VERSION_DIGITS for n in numbers):
        return NameProblem("TG101", f"version numbers have at most {MAX_VERSION_DIGITS} digits")
    return int(numbers[0]), int(numbers[1])


def _case_slip(word: str) -> bool:
    """Upper-case letters in what is otherwise a plain lowercase word (not other characters)."""
    lower = word.lower()
    return word != lower and _WORD_CHARS.issuperset(lower)


def _descs_ok(descs: list[str], naming: NamingPolicy) -> bool:
    """Are all these (non-empty) descriptions good? The policy's pattern, else words of
    lowercase letters and digits joined by '-': no other character (a newline included), and
    no word empty (none starts or ends with '-' or holds '--'), checked on them all at once."""
    if naming.desc is not None:
        return all(map(naming.desc.fullmatch, descs))
    lines = "\n".join(descs)
    return (lines.count("\n") == max(len(descs) - 1, 0) and not lines.replace("\n", "").strip(_DESC_CHARS)
            and not any(bad in f"\n{lines}\n" for bad in ("\n-", "-\n", "--")))


def _desc_message(desc: str, naming: NamingPolicy) -> str:
    if naming.desc is not None:
        return f"description '{shown(desc)}' does not match the policy's pattern {naming.desc.source!r}"
    return f"description '{shown(desc)}' must be lowercase letters and digits, words joined by '-'"


def suggest_name(name: str, naming: NamingPolicy) -> str | None:
    """Return the conventional spelling of a near-miss name, or None when there is none."""
    text = name.strip().lower()
    for separator in _SEPARATORS:
        text = text.replace(separator, "-")
    words = [w for w in text.split("-") if w]
    if not words:
        return None
    if words[0][:1].isdigit():
        words[0] = "v" + words[0]
    elif words[0] == "v" and len(words) > 1:
        words[:2] = ["v" + words[1]]
    numbers = words[0][1:].split(".")
    if len(numbers) >= 2 and all(n.isdecimal() and len(n) <= MAX_VERSION_DIGITS for n in numbers[:2]):
        words[0] = f"v{int(numbers[0])}.{int(numbers[1])}"
    if len(words) > 1:
        words[1] = _closest_type(words[1], naming.types)
    candidate = "-".join(words)
    if candidate == name or not isinstance(parse_name(candidate, naming), TagName):
        return None
    return candidate


def _closest_type(word: str, types: tuple[str, ...]) -> str:
    if word in types:
        return word
    alias = TYPE_ALIASES.get(word)
    if alias in types:
        return alias
    from difflib import get_close_matches

    close = get_close_matches(word, types, n=1, cutoff=0.75)
    return close[0] if close else word


def next_name(name: str, naming: NamingPolicy) -> str | None:
    """A new name for another snapshot like `name`: its trailing number raised, else `-2` added;
    None when that is no valid name (`v2.8-2`: '2' is no type)."""
    head, _, last = name.rpartition("-")
    if head and last.isascii() and last.isdigit() and len(last) <= MAX_VERSION_DIGITS:
        candidate = f"{head}-{int(last) + 1}"
    else:
        candidate = f"{name}-2"
    return candidate if isinstance(parse_name(candidate, naming), TagName) else None
