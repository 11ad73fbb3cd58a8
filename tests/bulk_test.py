"""One path for one tag and for a push of 100,000: the steps that work on many at once judge
each as it is judged alone, and as the rules are written, adversarial input included."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from testing.tools import TAGGUARD, git

from tagguard.git.refupdates import RefUpdate
from tagguard.git.repo import Batched, Git, ObjectInfo, _as_known, _parse_batch
from tagguard.git.tagobject import TagObject, parse_tag, parse_tags, peel_all, peel_parts
from tagguard.patterns import UserPattern
from tagguard.policy.model import DEFAULT_MAX_TAG_BYTES, DEFAULT_POLICY, ImagePolicy, Policy, policy_from_mapping
from tagguard.rules.naming import NameProblem, NamingPolicy, TagName, _descs_ok, parse_name, parse_names
from tagguard.rules.violations import PushedTag
from tagguard.verdict.namecheck import check_name, check_names
from tagguard.verdict.pushcheck import check_updates

Z = "0" * 40
STAMP = "T <t@example.com> 1700000000 +0000"


# --- names -------------------------------------------------------------------------------------


def written_rule(name: str, naming: NamingPolicy) -> TagName | NameProblem:
    """The grammar as the README writes it, step by step (the reference the fast path must meet)."""
    from tagguard.rules.naming import _desc_message, _parse_version
    from tagguard.safetext import shown

    head, sep, rest = name.partition("-")
    version = _parse_version(head)
    if isinstance(version, NameProblem):
        return version
    if not sep:
        return TagName(*version)
    type_, sep, desc = rest.partition("-")
    if upper_slip(type_) or (naming.desc is None and upper_slip(desc)):  # a policy's pattern may allow upper case
        return NameProblem("TG101", "has uppercase letters; names are all lowercase")
    if not type_:
        return NameProblem("TG101", "has an empty word after the version ('-' at the end, or '--')")
    if type_ not in naming.types:
        return NameProblem("TG102", f"unknown type '{shown(type_)}' (types: {', '.join(naming.types)})")
    if sep and not desc:
        return NameProblem("TG101", "ends with '-'")
    words_ok = all(word and set(word) <= set("abcdefghijklmnopqrstuvwxyz0123456789") for word in desc.split("-"))
    ok = naming.desc.fullmatch(desc) if naming.desc is not None else words_ok
    if desc and not ok:
        return NameProblem("TG103", _desc_message(desc, naming))
    return TagName(version[0], version[1], type_, desc or None)


def upper_slip(word: str) -> bool:
    """Upper-case letters in a word that is otherwise lowercase letters, digits and '-'."""
    return word != word.lower() and set(word.lower()) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")


name_parts = st.sampled_from(["v2.8", "v2.10", "V2.8", "v2", "v02.8", "2.8", "v2.8.1", "ft", "exp", "base", "FT",
                              "Ft", "lr2", "LR2", "Lr-2", "a", "", "-", "--", ".", "x-y", "\n", "\u0661", "caf\u00e9", "\udce9", " "])
names = st.lists(name_parts, max_size=6).map("-".join) | st.text(alphabet="v2.8-ftexp0aA_\n ", max_size=14)
PATTERNED = NamingPolicy(desc=UserPattern(r"[a-z]+(-[0-9]+)?", "test", "naming.desc"))


@given(st.lists(names, max_size=40))
@settings(max_examples=400)
def test_names_parsed_together_follow_the_grammar_as_written(batch: list[str]) -> None:
    for naming in (NamingPolicy(), PATTERNED):
        expected = [written_rule(name, naming) for name in batch]
        assert parse_names(batch, naming) == expected
        assert [parse_name(name, naming) for name in batch] == expected


@given(st.lists(st.text(alphabet="ab1-\nA.", min_size=1, max_size=8), max_size=12))
@settings(max_examples=500)
def test_descriptions_judged_at_once_as_one_by_one(descs: list[str]) -> None:
    one_by_one = [all(w and set(w) <= set("ab1") for w in desc.split("-")) for desc in descs]
    assert [_descs_ok([desc], NamingPolicy()) for desc in descs] == one_by_one
    assert _descs_ok(descs, NamingPolicy()) == all(one_by_one)


def test_a_push_of_names_is_judged_as_each_name_alone() -> None:
    odd = ["tmp-1", "test-x", "wip-", "v2.8-ft", "v2.9-ft-a", "V2.8", "v2.8-nope", "v2.8-ft-A", "v2.8-ft-", "",
           "refs/tags/v2.8-exp", "v2.8-ft-a\nb", "v2.8-prod-ready", "v2.8-caf\udce9"]
    batch = odd * 20  # over 100: temporary globs go through one regex
    for policy in (DEFAULT_POLICY, DEFAULT_POLICY._replace(image=ImagePolicy(pytorch=("2.8",)))):
        assert check_names(batch, policy) == [check_name(name, policy) for name in batch]
        tags = [PushedTag(None if i % 3 else f"{i:040x}") for i in range(len(batch))]
        assert check_names(batch, policy, tags=tags) == [check_name(n, policy, tag=t) for n, t in zip(batch, tags)]


# --- tag objects -------------------------------------------------------------------------------


def written_tag(oid: str, raw: bytes) -> TagObject:
    """A tag object read as git's format is written: headers up to the first blank line, the
    first of each kind, then the message and any signature at its end (the reference)."""
    from tagguard.git.tagobject import _split_signature

    head, _, body = raw.partition(b"\n\n")
    headers: dict[bytes, bytes] = {}
    for line in head.split(b"\n"):
        key, _, value = line.partition(b" ")
        headers.setdefault(key, value)
    message, signed = _split_signature(body)
    kind = headers.get(b"type", b"").decode("utf-8", "replace")
    tagger = headers.get(b"tagger")
    return TagObject(oid, headers.get(b"object", b"").decode("utf-8", "replace"), kind,
                     headers.get(b"tag", b"").decode("utf-8", "surrogateescape"),
                     None if tagger is None else tagger.decode("utf-8", "replace"),
                     message.decode("utf-8", "replace"), signed)


lines = st.sampled_from([b"object " + b"a" * 40, b"object xyz", b"type commit", b"type tree", b"type tag", b"type ",
                         b"tag v2.8-ft", b"tag v2.8-caf\xe9", b"tag ", b"tagger " + STAMP.encode(), b"tagger",
                         b"", b"acc=0.9", b"-----BEGIN PGP SIGNATURE-----", b"\x00\xff", b"object", b"tag"])
raws = st.lists(lines, max_size=10).map(b"\n".join) | st.binary(max_size=60)


@given(st.lists(raws, max_size=20))
@settings(max_examples=500)
def test_tag_objects_parsed_together_read_as_the_format_is_written(batch: list[bytes]) -> None:
    oids = [f"{i:040x}" for i in range(len(batch))]
    expected = [written_tag(oid, raw) for oid, raw in zip(oids, batch)]
    assert parse_tags(oids, batch) == expected
    assert [parse_tag(oid, raw) for oid, raw in zip(oids, batch)] == expected


# --- cat-file answers --------------------------------------------------------------------------


def batch_output(items: list[tuple[str, str, bytes]]) -> bytes:
    return b"".join(f"{oid} {kind} {len(body)}\n".encode() + body + b"\n" for oid, kind, body in items)


@given(st.lists(st.binary(max_size=80), min_size=1, max_size=12), st.integers(0, 11), st.binary(max_size=3))
@settings(max_examples=500)
def test_answers_cut_by_known_sizes_are_the_answers_read_one_by_one(bodies: list[bytes], at: int,
                                                                   junk: bytes) -> None:
    items = [(f"{i:040x}", "tag", body) for i, body in enumerate(bodies)]
    names = [oid for oid, _, _ in items]
    known = {oid: ObjectInfo(oid, kind, len(body)) for oid, kind, body in items}
    data = batch_output(items)
    assert _as_known(data, names, known) == _parse_batch(data)
    bent = data[: at * 7] + junk + data[at * 7 + len(junk) :]  # a byte or three changed, or not
    cut = _as_known(bent, names, known)
    assert cut is None or cut == _parse_batch(bent)
    gone = batch_output(items[:-1]) + f"{names[-1]} missing\n".encode()  # an object gone since its size was asked
    assert _as_known(gone, names, known) is None


def test_a_message_posing_as_the_next_answer_is_cut_by_size(repo: Path) -> None:
    head = git("rev-parse", "HEAD", cwd=repo)
    posing = f"acc=1\n{'b' * 40} tag 5\nhello\n".encode()
    body = f"object {head}\ntype commit\ntag v2.8-ft\ntagger {STAMP}\n\n".encode() + posing
    oid = subprocess.run(["git", "hash-object", "-t", "tag", "-w", "--stdin"], cwd=repo, input=body,
                         capture_output=True, check=True).stdout.decode().strip()
    with Git(str(repo)).batched() as objects:
        info = objects.object_info([oid])
        assert objects.read_batch([oid]) == [("tag", body)] and info[oid].size == len(body)


# --- a big push --------------------------------------------------------------------------------


def many_tags(path: Path, count: int) -> dict[str, str]:
    """A repository with `count` annotated tags made by fast-import: name -> object id."""
    stream = [f"commit refs/heads/main\nmark :1\ncommitter {STAMP}\ndata 2\nx\n\n"]
    stream += [f"tag v2.8-exp-{i}\nfrom :1\ntagger {STAMP}\ndata 6\nacc {i % 10}\n\n" for i in range(count)]
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input="".join(stream).encode(), check=True)
    rows = git("for-each-ref", "--format=%(refname:short) %(objectname)", "refs/tags", cwd=path).splitlines()
    return dict(row.split(" ") for row in rows)


def raw_object(path: Path, kind: str, body: bytes) -> str:
    return subprocess.run(["git", "hash-object", "-t", kind, "-w", "--literally", "--stdin"], cwd=path,
                          input=body, capture_output=True, check=True).stdout.decode().strip()


def test_a_big_push_is_judged_tag_by_tag_as_each_alone(tmp_path: Path) -> None:
    """Tags of tags, of trees and blobs, messages posing as headers or as cat-file's next
    answer, names that differ from the ref: among 1,200 usual tags (so the big-batch reads,
    the cut by known sizes and the read ahead all run), each is judged as when pushed alone."""
    path = tmp_path / "big"
    usual = many_tags(path, 1200)
    first, second = list(usual.values())[:2]
    head = git("rev-parse", "main", cwd=path)
    tree = git("rev-parse", "main^{tree}", cwd=path)
    blob = raw_object(path, "blob", b"weights\n")

    def tag(target: str, kind: str, name: str, rest: bytes = b"\n\nacc=1\n") -> str:
        return raw_object(path, "tag", f"object {target}\ntype {kind}\ntag {name}\ntagger {STAMP}".encode() + rest)

    inner = tag(head, "commit", "v2.8-ft-inner")
    odd = {
        "v2.8-ft-outer": tag(inner, "tag", "v2.8-ft-outer"),
        "v2.8-ft-tree": tag(tree, "tree", "v2.8-ft-tree"),
        "v2.8-ft-blob": tag(blob, "blob", "v2.8-ft-blob"),
        "v2.8-ft-liar": tag(blob, "commit", "v2.8-ft-liar"),
        "v2.8-ft-posing": tag(head, "commit", "v2.8-ft-posing", f"\n\n{head} tag 9\ntag v2.8-ft\n".encode()),
        "v2.8-ft-header": tag(head, "commit", "v2.8-ft-header", b"\ntag v2.8-ft-other\n\nacc=1\n"),
        "v2.8-ft-posed": tag(head, "commit", "v2.8-ft-real", b"\n\ntag v2.8-ft-posed\ntagger X <x> 1 +0000\n"),
        "v2.8-ft-other": tag(head, "commit", "v2.8-ft-elsewhere"),
        "v2.8-ft-blank": tag(head, "commit", "v2.8-ft-blank", "\n\n \u200b\n".encode()),
        "v2.8-ft-noid": tag("not-an-id", "commit", "v2.8-ft-noid"),
        "v2.8-ft-light": head,
        "V2.8_bad": first,
        "tmp-x": second,
    }
    updates = [RefUpdate(f"refs/tags/{name}", Z, oid) for name, oid in usual.items()]
    updates += [RefUpdate(f"refs/tags/{name}", Z, oid) for name, oid in odd.items()]
    together = check_updates(updates, DEFAULT_POLICY, Git(str(path)), None)
    alone = {u.ref: check_updates([u], DEFAULT_POLICY, Git(str(path)), None)[u.ref] for u in updates[-len(odd):]}
    assert {ref: together[ref] for ref in alone} == alone
    assert [v.code for v in alone["refs/tags/v2.8-ft-posed"]] == ["TG304"]  # its message posed as its name
    passing = {ref[len("refs/tags/"):] for ref, found in alone.items() if not found}
    assert passing == {"v2.8-ft-outer", "v2.8-ft-posing", "v2.8-ft-header"}  # well made, whatever their messages
    assert {ref: found for ref, found in together.items() if ref not in alone} == {u.ref: [] for u in updates[:-len(odd)]}


def test_reads_ahead_are_the_same_answers_and_leave_no_git_behind(tmp_path: Path) -> None:
    path = tmp_path / "big"
    oids = list(many_tags(path, 2500).values())
    parts = [oids[:1200], oids[1200:2400], oids[2400:]]
    assert list(peel_parts(Git(str(path)), parts, DEFAULT_MAX_TAG_BYTES)) == [
        peel_all(Git(str(path)), part, DEFAULT_MAX_TAG_BYTES) for part in parts]
    reading = peel_parts(Git(str(path)), parts, DEFAULT_MAX_TAG_BYTES)
    next(reading)  # git is reading the second part ahead
    reading.close()  # as check_updates does on any error
    try:
        os.waitpid(-1, os.WNOHANG)
        raise AssertionError("a git process was left running")
    except ChildProcessError:
        pass
    with Batched(str(path)) as objects:  # a read nobody takes is stopped when the session ends
        objects.object_info(oids[:1200])
        objects.read_ahead(oids[:1200])
        objects.info_ahead(oids[1200:2400])
        assert objects.object_info(oids[1200:2400]) == Git(str(path)).object_info(oids[1200:2400])  # taken
        objects.info_ahead(oids[:1200])
    try:
        os.waitpid(-1, os.WNOHANG)
        raise AssertionError("a git process was left running")
    except ChildProcessError:
        pass


def test_sigterm_while_git_reads_ahead_refuses_and_kills_it(tmp_path: Path) -> None:
    path = tmp_path / "big"
    oids = list(many_tags(path, 1100).values())
    server = tmp_path / "server.git"
    git("init", "-q", "--bare", str(server), cwd=tmp_path)
    shims = tmp_path / "shims"
    shims.mkdir()
    marker = tmp_path / "reading.pid"
    (shims / "git").write_text(f'#!/bin/sh\ncase " $* " in *" cat-file --batch --buffer "*) echo $$ > {marker}; '
                               f'exec sleep 60;; esac\nexec {shutil.which("git")} "$@"\n')
    (shims / "git").chmod(0o755)
    stdin = "".join(f"{Z} {oid} refs/tags/v2.8-exp-{i}\n" for i, oid in enumerate(oids))
    env = {**os.environ, "PATH": f"{shims}:{os.environ['PATH']}", "GIT_DIR": str(server),
           "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(path / ".git" / "objects")}
    (tmp_path / "input").write_text(stdin)
    with open(tmp_path / "input") as given:
        hook = subprocess.Popen([TAGGUARD, "pre-receive"], cwd=server, env=env, stdin=given,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (marker.exists() and marker.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    reader = int(marker.read_text())
    hook.send_signal(signal.SIGTERM)
    _, stderr = hook.communicate(timeout=60)
    assert hook.returncode == 2
    assert stderr.splitlines() == ["tagguard: push refused: stopped by SIGTERM before the check finished"]
    try:
        os.kill(reader, 0)
        raise AssertionError("git's read outlived the hook")
    except ProcessLookupError:
        pass


class Stopping(Exception):
    pass


def test_a_stop_during_a_start_strikes_once_the_program_is_kept() -> None:
    """Between starting a program that runs while we work and keeping it where the way out
    kills it, a stop signal waits: it can't leave the program running unseen."""
    from tagguard.git.processes import Started, start

    kept: list[Started] = []

    def keep(process: Started) -> None:
        signal.pthread_kill(threading.get_ident(), signal.SIGTERM)  # a stop, right now (to this thread, the
        # hook's only one: pytest-xdist runs threads of its own that a signal to the process could reach)
        kept.append(process)

    def stop(number: int, frame: object) -> None:
        raise Stopping

    before = signal.signal(signal.SIGTERM, stop)
    null = os.open(os.devnull, os.O_RDWR)
    try:
        try:
            start(["sleep", "60"], os.environ, null, null, keep)
            raise AssertionError("the stop never struck")
        except Stopping:
            pass
    finally:
        signal.signal(signal.SIGTERM, before)
        os.close(null)
    assert len(kept) == 1  # kept before the stop struck
    kept[0].kill()


# --- the fast paths of a part of many created tags ------------------------------------------------


def written_the_slow_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every shortcut that tells a whole part at once turned off: each tag goes the per-tag way."""
    from tagguard.git import repo, tagobject
    from tagguard.git.refs import REPLACE_PREFIX, is_own_ref
    from tagguard.verdict import pushcheck

    monkeypatch.setattr(pushcheck, "_all_sound", lambda *_: False)
    monkeypatch.setattr(pushcheck, "_reserved",
                        lambda updates: [u for u in updates if u.ref.startswith(REPLACE_PREFIX) or is_own_ref(u.ref)])
    monkeypatch.setattr(tagobject, "_tags_of_commits", lambda *_: None)
    monkeypatch.setattr(tagobject, "_compact_all", lambda tags: list(map(tagobject._compact, tags)))
    monkeypatch.setattr(repo.Batched, "info_ahead", lambda *_: None)


def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts of 16 tags, and batches over 4 names read ahead by git processes of their own."""
    from tagguard.git import repo
    from tagguard.verdict import pushcheck

    monkeypatch.setattr(pushcheck, "PEEL_CHUNK", 16)
    monkeypatch.setattr(repo, "SESSION_MOST", 4)


ODD_MESSAGES = [b"", b"\n", b" acc=1\n", b"\tacc=1\n", b"\x00acc=1\n", b"\x00\n", b"\xc3\xa9t\xc3\xa9\n",
                b"\xe3\x85\xa4\n", b"\xe3\x85\xa4acc\n", b"\xe2\x80\x8b\n", b"\x7f\n", b"~\n", b"!\n", b"\xff\n",
                b" " * 5000 + b"acc\n", b"a" * 5000, b"acc\n-----BEGIN PGP SIGNATURE-----\nx\n"]
ODD_TAGGERS = [STAMP.encode(), None, b"nobody", b"T <t@example.com>", b"<t> 1 +0000", b"T <t> 1 +00000",
               b"T " * 3000 + b"<t> 1 +0000", b"T <t> x +0000"]


def odd_tag(path: Path, target: str, kind: str, name: bytes, tagger: bytes | None, message: bytes) -> str:
    headers = f"object {target}\ntype {kind}\n".encode() + b"tag " + name + b"\n"
    headers += b"" if tagger is None else b"tagger " + tagger + b"\n"
    return raw_object(path, "tag", headers + b"\n" + message)


@pytest.fixture(scope="module")
def usual_40(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("fast") / "big"
    return path, many_tags(path, 40)


def judged_three_ways(path: Path, updates: list[RefUpdate], odd: RefUpdate, policy: Policy,
                      monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    """The push judged as it is, with every shortcut off, and `odd` alone: all must agree."""
    small_parts(monkeypatch)
    targets: dict[str, str] = {}
    fast = check_updates(updates, policy, Git(str(path)), None, targets)
    with monkeypatch.context() as slow_way:
        written_the_slow_way(slow_way)
        slow_targets: dict[str, str] = {}
        slow = check_updates(updates, policy, Git(str(path)), None, slow_targets)
    assert (fast, targets) == (slow, slow_targets)
    alone = check_updates([odd], policy, Git(str(path)), None)
    assert fast.get(odd.ref) == alone.get(odd.ref)
    return fast


@given(message=st.sampled_from(ODD_MESSAGES), tagger=st.sampled_from([*ODD_TAGGERS, STAMP.encode()]),
       target=st.sampled_from(["commit", "tree", "blob", "tag", "missing", "noid", "upper"]),
       named=st.sampled_from(["same", "other", "long", "ref", "blank"]),
       ref=st.sampled_from(["v2.8-ft-odd", "V2.8-ft-odd", "v2.8-nope-odd", "tmp-odd", "v2.8-ft-Odd",
                            "refs/tags/v2.8-ft-odd", "v2.8-ft-" + "o" * 5000]),
       at=st.sampled_from([0, 15, 16, 17, 40]), policy=st.sampled_from(["default", "pytorch", "quiet", "small"]))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_one_odd_tag_among_many_is_judged_as_the_per_tag_way(
        usual_40: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch, message: bytes,
        tagger: bytes | None, target: str, named: str, ref: str, at: int, policy: str) -> None:
    """Among 40 usual tags in parts of 16 (every shortcut that tells a part at once), one odd
    tag: its message, tagger, target, header name or ref name. The verdicts are those of the
    per-tag way and of the tag pushed alone, and the usual tags pass."""
    path, usual = usual_40
    head = git("rev-parse", "main", cwd=path)
    objects = {"commit": (head, "commit"), "tree": (git("rev-parse", "main^{tree}", cwd=path), "tree"),
               "blob": (raw_object(path, "blob", b"weights\n"), "blob"), "tag": (usual["v2.8-exp-3"], "tag"),
               "missing": ("1" * 40, "commit"), "noid": ("not-an-id", "commit"), "upper": (head.upper(), "commit")}
    names = {"same": ref.encode(), "other": b"v2.8-ft-other", "long": ref.encode() + b"x" * 5000,
             "ref": b"refs/tags/" + ref.encode(), "blank": ref.encode() + b" "}
    oid = odd_tag(path, *objects[target], names[named], tagger, message)
    policies = {"default": DEFAULT_POLICY, "pytorch": DEFAULT_POLICY._replace(image=ImagePolicy(pytorch=("2.8",))),
                "quiet": policy_from_mapping({"rules": {"TG302": "off", "TG303": "warn", "TG304": "off"}}, "p"),
                "small": policy_from_mapping({"tags": {"max_tag_bytes": 1024}}, "p")}
    odd = RefUpdate(f"refs/tags/{ref}", Z, oid)
    updates = [RefUpdate(f"refs/tags/{name}", Z, oid) for name, oid in usual.items()]
    updates.insert(at, odd)
    found = judged_three_ways(path, updates, odd, policies[policy], monkeypatch)
    assert all(not v for r, v in found.items() if r != odd.ref)


@pytest.mark.parametrize("odd_ref", ["refs/replace/" + "a" * 40, "refs/tagguard/ledger", "refs/heads/refs/tagguard/x",
                                     "refs/heads/main", "refs/tags/v2.8-exp-lite"])
def test_reserved_and_lightweight_refs_among_many_tags(usual_40: tuple[Path, dict[str, str]],
                                                         monkeypatch: pytest.MonkeyPatch, odd_ref: str) -> None:
    path, usual = usual_40
    odd = RefUpdate(odd_ref, Z, git("rev-parse", "main", cwd=path))
    updates = [RefUpdate(f"refs/tags/{name}", Z, oid) for name, oid in usual.items()]
    updates.insert(20, odd)
    judged_three_ways(path, updates, odd, DEFAULT_POLICY, monkeypatch)
