from __future__ import annotations

import pytest

from tagguard.errors import PolicyError
from tagguard.patterns import UserPattern
from tagguard.rules.naming import NameProblem, NamingPolicy, TagName, parse_name, suggest_name

DEFAULT = NamingPolicy()

VALID = {
    "v2.8": TagName(2, 8),
    "v2.8-base": TagName(2, 8, "base"),
    "v2.8-ft-lr2": TagName(2, 8, "ft", "lr2"),
    "v2.8-aug-v2": TagName(2, 8, "aug", "v2"),
    "v2.8-prod-ready": TagName(2, 8, "prod", "ready"),
    "v2.8-ft-final": TagName(2, 8, "ft", "final"),
    "v2.8-experiment-complete": TagName(2, 8, "experiment", "complete"),
    "v2.10-eval-imagenet-1k": TagName(2, 10, "eval", "imagenet-1k"),
    "v0.0-exp": TagName(0, 0, "exp"),
}


@pytest.mark.parametrize("name,expected", VALID.items())
def test_valid_names_parse_and_round_trip(name: str, expected: TagName) -> None:
    parsed = parse_name(name, DEFAULT)
    assert parsed == expected
    assert str(parsed) == name


# A version part that is not v<major>.<minor> (TG101): (name, words in the message, suggested name or None)
BAD_VERSION = [
    ("V2.8_FT_lr2", "'V'", "v2.8-ft-lr2"),
    ("2.8-ft", "start with 'v'", "v2.8-ft"),
    ("v2.8.1-ft", "patch version (2.8.1)", "v2.8-ft"),
    ("v2.8_ft", "v<major>.<minor>", "v2.8-ft"),
    ("v2.08-base", "leading zeros", "v2.8-base"),
    ("v2-ft", "v<major>.<minor>", None),
    ("release-final", "v<major>.<minor>", None),
    ("", "v<major>.<minor>", None),
    ("v2.8 ft", "v<major>.<minor>", "v2.8-ft"),
    ("v٢.٨-ft", "v<major>.<minor>", "v2.8-ft"),
    ("v².8-ft", "v<major>.<minor>", None),
]

# The words after the version: name -> (code, words in the message, suggested name or None)
BAD_WORDS = {
    "v2.8-": ("TG101", "empty word", "v2.8"),
    "v2.8--ft": ("TG101", "empty word", "v2.8-ft"),
    "v2.8-ft-": ("TG101", "ends with '-'", "v2.8-ft"),
    "v2.8-finetune-lr2": ("TG102", "unknown type 'finetune'", "v2.8-ft-lr2"),
    "v2.8-baseline": ("TG102", "unknown type 'baseline'", "v2.8-base"),
    "v2.8-FT-lr2": ("TG101", "has uppercase letters; names are all lowercase", "v2.8-ft-lr2"),
    "v2.8-FT": ("TG101", "has uppercase letters; names are all lowercase", "v2.8-ft"),
    "v2.8-finetune-X": ("TG101", "has uppercase letters; names are all lowercase", "v2.8-ft-x"),
    "v2.8-lr2": ("TG102", "types: base, ft", None),
    "v2.8-ft-Lr2": ("TG101", "has uppercase letters; names are all lowercase", "v2.8-ft-lr2"),
    "v2.8-ft-lr--2": ("TG103", "'lr--2'", "v2.8-ft-lr-2"),
    "v2.8-ft-lr.2": ("TG103", "'lr.2'", None),
}

INVALID = {**{name: ("TG101", words, better) for name, words, better in BAD_VERSION}, **BAD_WORDS}


@pytest.mark.parametrize("name,expected", INVALID.items())
def test_invalid_names_say_why_and_suggest(name: str, expected: tuple[str, str, str | None]) -> None:
    code, words, suggestion = expected
    problem = parse_name(name, DEFAULT)
    assert isinstance(problem, NameProblem)
    assert problem.code == code
    assert words in problem.message
    assert suggest_name(name, DEFAULT) == suggestion


def test_suggestion_is_always_a_valid_name() -> None:
    for name in INVALID:
        better = suggest_name(name, DEFAULT)
        assert better is None or isinstance(parse_name(better, DEFAULT), TagName)


def test_policy_types_replace_the_defaults() -> None:
    naming = NamingPolicy(types=("sft", "rlhf"))
    assert parse_name("v2.8-sft-run1", naming) == TagName(2, 8, "sft", "run1")
    problem = parse_name("v2.8-ft", naming)
    assert isinstance(problem, NameProblem) and "types: sft, rlhf" in problem.message


def test_policy_desc_pattern_is_matched_whole() -> None:
    naming = NamingPolicy(desc=UserPattern(r"lr\d+", "p.toml", "naming.desc"))
    assert parse_name("v2.8-ft-lr2", naming) == TagName(2, 8, "ft", "lr2")
    problem = parse_name("v2.8-ft-lr2x", naming)
    assert isinstance(problem, NameProblem)
    assert problem == NameProblem("TG103", "description 'lr2x' does not match the policy's pattern 'lr\\\\d+'")


def test_catastrophic_pattern_is_stopped_by_the_timeout() -> None:
    naming = NamingPolicy(desc=UserPattern(r"(a|a)+$", "p.toml", "naming.desc"))
    with pytest.raises(PolicyError, match=r"p.toml: naming.desc: pattern .* took over 0.1 s"):
        parse_name("v2.8-ft-" + "a" * 40 + "b", naming)


def test_hostile_names_are_shown_escaped_and_bounded() -> None:
    problem = parse_name("v2.8-\x1b[31mred", DEFAULT)
    assert isinstance(problem, NameProblem) and "\x1b" not in problem.message
    long = parse_name("v2.8-" + "x" * 10_000, DEFAULT)
    assert isinstance(long, NameProblem) and len(long.message) < 300


def test_upper_case_is_the_lowercase_rule_unless_the_policys_desc_allows_it() -> None:
    assert parse_name("v2.8-Ft-Lr2", DEFAULT) == NameProblem("TG101", "has uppercase letters; names are all lowercase")
    mixed = NamingPolicy(desc=UserPattern(r"[A-Za-z0-9]+", "p.toml", "naming.desc"))
    assert parse_name("v2.8-ft-Lr2", mixed) == TagName(2, 8, "ft", "Lr2")
    assert parse_name("v2.8-FT-Lr2", mixed).code == "TG101"  # type: ignore[union-attr]
    assert parse_name("v2.8-\x1b[2J", DEFAULT).code == "TG102"  # type: ignore[union-attr]  # not a case slip
