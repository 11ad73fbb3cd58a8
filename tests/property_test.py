"""Property tests: parsers never crash, whatever they are fed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagguard.errors import TagguardError
from tagguard.git.refupdates import HookInputError, parse_pre_push, parse_receive
from tagguard.git.tagobject import _compact, first_visible, parse_tag, tagger_parts
from tagguard.image.files import (
    read_conda,
    read_devcontainer,
    read_dockerfile,
    read_lock,
    read_pyproject,
    read_requirements,
)
from tagguard.image.reference import pytorch_from_ref
from tagguard.policy.model import DEFAULT_POLICY, policy_from_mapping
from tagguard.rules.naming import NamingPolicy, TagName, parse_name, suggest_name
from tagguard.verdict.namecheck import check_name

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
    for reader in (read_dockerfile, read_requirements, read_conda, read_pyproject, read_devcontainer, read_lock):
        reading = reader("file", text, {})
        assert (reading.version is None) == (reading.problem is not None) or reading.follow


@given(st.text(max_size=120))
def test_image_refs_never_raise(ref: str) -> None:
    version = pytorch_from_ref(ref)
    assert version is None or version.count(".") == 1


# --- malformed hook input, through the real installed server hook ------------------------------

hexes = st.text(alphabet="0123456789abcdef", min_size=40, max_size=40)
good_lines = st.builds(lambda new, name: f"{'0' * 40} {new} refs/tags/v2.8-exp-{name}", hexes.filter(lambda h: h.strip("0")), words)
bad_lines = st.one_of(
    st.text(alphabet=st.characters(blacklist_characters="\n", blacklist_categories=["Cs"]), max_size=60),
    st.builds(lambda a, b, ref: f"{a} {b} {ref}", st.text(max_size=41).filter(lambda t: "\n" not in t), hexes, words),
    st.builds(lambda new, ref: f"{'0' * 40} {new} {ref}", hexes, st.text(max_size=20).filter(lambda t: "\n" not in t)),
    st.builds(lambda new: f"{'0' * 64} {new} refs/tags/v2.8", hexes),
    st.just(f"{'0' * 40} {'0' * 40} refs/tags/v2.8"),
    st.binary(max_size=60).filter(lambda b: b"\n" not in b).map(lambda b: b.decode("utf-8", "surrogateescape")),
).filter(lambda line: not _parses(line))


def _parses(line: str) -> bool:
    try:
        parse_receive(line)
        return True
    except HookInputError:
        return False


@pytest.fixture(scope="module")
def hooked_server(tmp_path_factory: pytest.TempPathFactory, templates: Path) -> Path:
    """One server with tagguard's hooks for all the examples (they refuse, so nothing lands)."""
    path = tmp_path_factory.mktemp("fuzz") / "server.git"
    return Path(shutil.copytree(templates / "server.git", path, symlinks=True))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(good_lines, max_size=3, unique_by=lambda line: line.split(" ")[2]), bad_lines,
       st.lists(good_lines, max_size=2))
def test_malformed_hook_input_refuses_with_one_line(hooked_server: Path, before: list[str], bad: str,
                                                   after: list[str]) -> None:
    stdin = "".join(f"{line}\n" for line in [*before, bad, *after]).encode("utf-8", "surrogateescape")
    result = subprocess.run([str(hooked_server / "hooks" / "pre-receive")], cwd=hooked_server, input=stdin,
                            capture_output=True, timeout=60)
    assert result.returncode == 2
    [line] = result.stderr.decode().splitlines()
    assert line.startswith(f"tagguard: push refused: stdin line {len(before) + 1}: ") and line.isprintable()


@given(st.binary(max_size=400))
def test_any_bytes_parse_as_a_tag_object_and_compact(raw: bytes) -> None:
    tag = _compact(parse_tag("o", raw))
    assert first_visible(tag.message) in (-1, 0)  # compacted: starts at its first visible character
    parts = tagger_parts(tag.tagger)
    assert parts is None or tag.tagger is not None


@given(st.text(max_size=200))
def test_any_devcontainer_or_pyproject_reading_says_why(text: str) -> None:
    for wrapped in (f'{{"image": {text!r}}}'.replace("'", '"'), f"[project]\ndependencies = [{text!r}]\n"):
        for reader in (read_devcontainer, read_pyproject):
            reading = reader("file", wrapped, {})
            assert (reading.version is None) == (reading.problem is not None) or reading.follow
