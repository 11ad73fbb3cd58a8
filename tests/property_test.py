"""Property tests: parsers never crash, whatever they are fed."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagguard.checks import check_name
from tagguard.errors import TagguardError
from tagguard.imagefiles import read_conda, read_devcontainer, read_dockerfile, read_pyproject, read_requirements
from tagguard.image import pytorch_from_ref
from tagguard.naming import TagName, parse_name, suggest_name
from tagguard.policy import DEFAULT_POLICY, NamingPolicy, policy_from_mapping
from tagguard.updates import HookInputError, parse_pre_push, parse_receive

DEFAULT = NamingPolicy()
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
tag_names = st.builds(
    TagName,
    st.integers(0, 99),
    st.integers(0, 99),
    st.one_of(st.none(), st.sampled_from(DEFAULT.types)),
    st.one_of(st.none(), st.lists(words, min_size=1, max_size=3).map("-".join)),
).filter(lambda t: t.type is not None or t.desc is None)


@given(tag_names)
def test_format_then_parse_is_the_identity(tag: TagName) -> None:
    assert parse_name(str(tag), DEFAULT) == tag


@given(st.text(max_size=200))
def test_any_text_gets_a_verdict_never_an_exception(name: str) -> None:
    found = check_name(name, DEFAULT_POLICY)
    for violation in found:
        assert "\n" not in violation.message and "\x1b" not in violation.message
    better = suggest_name(name, DEFAULT)
    assert better is None or isinstance(parse_name(better, DEFAULT), TagName)


@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=1, max_size=20), st.integers(500, 2000))
def test_ten_thousand_character_names(piece: str, repeat: int) -> None:
    name = "v2.8-ft-" + (piece * repeat)[:10_000]
    for violation in check_name(name, DEFAULT_POLICY):
        assert len(violation.message) < 400 and len(violation.hint) < 400


@given(st.text(max_size=300))
def test_receive_input_parses_or_says_why(text: str) -> None:
    for parse in (parse_receive, parse_pre_push):
        try:
            parse(text)
        except HookInputError as exc:
            assert str(exc).startswith("stdin line ") and "\n" not in str(exc)


toml_values = st.recursive(
    st.one_of(st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=10,
)
policy_keys = st.sampled_from(["naming", "image", "rules", "tags", "protect", "groups", "other"])
inner_keys = st.sampled_from(["types", "desc", "temporary", "pytorch", "ref", "file", "ngc", "TG101",
                              "require_annotated", "pattern", "allow_delete", "release", "x"])
documents = st.dictionaries(policy_keys, st.one_of(
    toml_values, st.dictionaries(inner_keys, toml_values, max_size=4),
    st.lists(st.dictionaries(inner_keys, toml_values, max_size=3), max_size=2)), max_size=4)


@settings(max_examples=300)
@given(documents)
def test_random_policies_load_or_fail_with_one_line(document: dict) -> None:
    try:
        policy_from_mapping(document, "p.toml")
    except TagguardError as exc:
        assert str(exc).startswith("p.toml") and "\n" not in str(exc)


@given(st.text(max_size=400))
def test_image_readers_never_raise(text: str) -> None:
    for reader in (read_dockerfile, read_requirements, read_conda, read_pyproject, read_devcontainer):
        reading = reader("file", text, {})
        assert (reading.version is None) == (reading.problem is not None) or reading.follow


@given(st.text(max_size=120))
def test_image_refs_never_raise(ref: str) -> None:
    version = pytorch_from_ref(ref)
    assert version is None or version.count(".") == 1
