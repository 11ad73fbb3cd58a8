"""Hostile input to the server hooks: every odd byte in a ref name, tag object or image file
gets a rule code or a one-line refusal, never an internal error, and memory stays bounded.

Real pushes to bare repositories with tagguard's hooks installed; raw tag objects are written
with `git hash-object --literally`, so they hold what git's own commands would never write.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from testing.server import push, remote_lines, server_tags, use_policy
from testing.tools import annotated, commit, git

from tagguard.server import ledgerindex
from tagguard.server.jsonlog import append_records, read_records
from tagguard.server.ledger import LEDGER_FILE
from tagguard.server.ledgerindex import INDEX_FROM, index_path

ZWJ_FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji: three joined by U+200D


def raw_tag(clone: Path, body: bytes) -> str:
    """Write any bytes as a tag object (no checks), return its id."""
    made = subprocess.run(["git", "hash-object", "-t", "tag", "-w", "--literally", "--stdin"], cwd=clone,
                          input=body, capture_output=True)
    assert made.returncode == 0, made.stderr
    return made.stdout.decode().strip()


def tag_body(clone: Path, name: bytes, message: bytes = b"acc=0.93\n", tagger: bytes | None = None) -> bytes:
    head = git("rev-parse", "HEAD", cwd=clone).encode()
    tagger = b"tagger T <t@example.com> 1700000000 +0000\n" if tagger is None else tagger
    return b"object %s\ntype commit\ntag %s\n%s\n%s" % (head, name, tagger, message)


def push_raw(clone: Path, oid: str, ref: bytes) -> tuple[int, list[str]]:
    """Push an object under any ref name (bytes); the hooks' lines as the pusher sees them."""
    done = subprocess.run([b"git", b"push", b"--porcelain", b"origin", oid.encode() + b":" + ref], cwd=clone,
                          capture_output=True)
    stderr = done.stderr.decode("utf-8", "backslashreplace")
    return done.returncode, remote_lines(subprocess.CompletedProcess([], done.returncode, "", stderr))


# --- ref names ---------------------------------------------------------------------------------


def test_branches_pass_untouched_whatever_their_characters(clone: Path, server: Path) -> None:
    for branch in (f"family-{ZWJ_FAMILY}", "rtl-\u202eevil", "nbsp\u00a0name", "nel\u0085x", "bom\ufeff"):
        result = push(clone, f"HEAD:refs/heads/{branch}")
        assert (result.returncode, remote_lines(result)) == (0, []), branch
    code, lines = push_raw(clone, git("rev-parse", "HEAD", cwd=clone), b"refs/heads/caf\xe9")
    assert (code, lines) == (0, [])
    branches = subprocess.run(["git", "for-each-ref", "--format=%(refname)", "refs/heads/"], cwd=server,
                              capture_output=True).stdout.splitlines()
    assert f"refs/heads/family-{ZWJ_FAMILY}".encode() in branches and b"refs/heads/caf\xe9" in branches
    assert len(branches) == 7
    assert server_tags(server) == {}


def test_tags_with_odd_characters_are_judged_by_the_naming_rules(clone: Path, server: Path) -> None:
    annotated(clone, f"v2.8-ft-{ZWJ_FAMILY}")
    annotated(clone, "v2.8-ft-lr2\u202e")
    result = push(clone, "--tags")
    assert result.returncode == 1
    lines = remote_lines(result)
    assert ("v2.8-ft-\\U0001f468\\u200d\\U0001f469\\u200d\\U0001f467: TG103 description "
            "'\\U0001f468\\u200d\\U0001f469\\u200d\\U0001f467' must be lowercase letters and digits, "
            "words joined by '-'") in lines
    assert any(line.startswith("v2.8-ft-lr2\\u202e: TG103 description 'lr2\\u202e'") for line in lines)
    assert lines[-1].startswith("tagguard: push refused: 2 tag refs break the tag policy")
    assert server_tags(server) == {}


# --- names that are not UTF-8, down to the ledger's index ---------------------------------------


def test_correctly_named_non_utf8_tag_is_no_tag_name_mismatch(clone: Path, server: Path) -> None:
    use_policy(server, '[naming]\ndesc = "[^-]+"\n')
    name = b"v2.8-ft-caf\xe9"
    oid = raw_tag(clone, tag_body(clone, name))
    assert push_raw(clone, oid, b"refs/tags/" + name) == (0, [])
    other = raw_tag(clone, tag_body(clone, b"v2.8-ft-th\xe9"))
    code, lines = push_raw(clone, other, b"refs/tags/v2.8-ft-caf\xe92")
    assert code == 1
    assert lines[0] == "v2.8-ft-caf\\xe92: TG304 is a tag object named 'v2.8-ft-th\\xe9', pushed as 'v2.8-ft-caf\\xe92'"


def test_non_utf8_names_in_an_indexed_ledger(clone: Path, server: Path) -> None:
    use_policy(server, '[naming]\ndesc = "[^-]+"\n')
    ledger = str(server / LEDGER_FILE)
    padding = [{"name": f"v2.8-exp-pad{i}", "object": "0" * 40, "commit": "0" * 40, "pusher": "ana",
                "time": "2025-01-01T00:00:00Z"} for i in range(INDEX_FROM // 150)]
    append_records(ledger, padding)  # big enough for an index; post-receive builds it
    assert os.path.getsize(ledger) > INDEX_FROM
    name = b"v2.8-ft-caf\xe9"
    first = raw_tag(clone, tag_body(clone, name))
    assert push_raw(clone, first, b"refs/tags/" + name) == (0, [])  # post-receive indexes the name
    assert os.path.exists(index_path(ledger)) and ledgerindex._state(sqlite3.connect(index_path(ledger)))[0] == \
        os.path.getsize(ledger)
    assert push_raw(clone, "", b"refs/tags/" + name) == (0, [])  # a deletion
    commit(clone, "other work")
    again = raw_tag(clone, tag_body(clone, name))
    code, lines = push_raw(clone, again, b"refs/tags/" + name)  # looked up through the index
    assert code == 1 and lines[0].startswith("v2.8-ft-caf\\xe9: TG403 was published before for commit")
    annotated(clone, "v2.8-base")
    later = push(clone, "v2.8-base")
    assert (later.returncode, remote_lines(later)) == (0, [])
    # each tag has its pending record (pre-receive) and its landed one (post-receive)
    assert [r["name"] for r in read_records(ledger)][-4:] == ["v2.8-ft-caf\udce9"] * 2 + ["v2.8-base"] * 2
    assert list(ledgerindex.lookup(ledger, {"v2.8-ft-caf\udce9", "v2.8-base"})) == list(read_records(ledger))[-4:]


# --- huge numbers ------------------------------------------------------------------------------


def test_a_five_thousand_digit_version_is_a_naming_problem(clone: Path, server: Path) -> None:
    name = b"v" + b"1" * 5000 + b".8-base"
    oid = raw_tag(clone, tag_body(clone, name))
    code, lines = push_raw(clone, oid, b"refs/tags/" + name)
    assert code == 1
    assert lines[0].startswith("v1111") and lines[0].endswith(": TG101 version numbers have at most 9 digits")
    assert "internal error" not in "\n".join(lines) and server_tags(server) == {}
    shouting = b"V" + b"2" * 5000 + b".8-ft"  # the near-miss suggestion converts numbers too
    code, lines = push_raw(clone, raw_tag(clone, tag_body(clone, shouting)), b"refs/tags/" + shouting)
    assert code == 1 and lines[0].endswith(": TG101 starts with 'V'; names are all lowercase")


# --- the image files the server parses ---------------------------------------------------------

DEEP = 200_000
IMAGE_FILES = {
    "pyproject.toml": ("x = " + "[" * DEEP + "]" * DEEP + "\n", "pyproject.toml at {}: not valid TOML (nested too deeply)"),
    "pyproject.toml ": ("x = " + "{a=" * DEEP + "1" + "}" * DEEP + "\n",
                        "pyproject.toml at {}: not valid TOML (nested too deeply)"),
    ".devcontainer/devcontainer.json": ("[" * DEEP + "]" * DEEP, ".devcontainer/devcontainer.json at {}: not valid JSON "
                                        "(nested too deeply)"),
    "requirements.txt": ("torch==2." + "8" * 5000 + "\n", "requirements.txt:1 at {}: 'torch==2.8888"),
    "environment.yml": ("dependencies:\n  - pytorch=2." + "8" * 5000 + "\n", "environment.yml:2 at {}: 'pytorch=2.8888"),
    ".devcontainer/devcontainer.json ": ('{"image": "pytorch/pytorch:2.' + "8" * 5000 + '"}',
                                         ".devcontainer/devcontainer.json:1 at {}: can't read a PyTorch version from "
                                         "image 'pytorch/pytorch:2.8888"),
    "pyproject.toml  ": ("project = 1\n", "pyproject.toml at {}: has a 'project' key that is not a table"),
    "pyproject.toml   ": ("[project]\ndependencies = 'torch==2.8'\n",
                          "pyproject.toml at {}: has [project] dependencies that is not an array of strings"),
    ".devcontainer/devcontainer.json  ": ('{"build": {"dockerfile": "Dockerfile\\nmain:Dockerfile"}}',
                                          ".devcontainer/devcontainer.json at {}: names a Dockerfile whose path holds "
                                          "control characters"),
    "requirements.txt ": ("torch>=2.8\x1b[2J\u202e\n", "requirements.txt:1 at {}: 'torch>=2.8\\x1b[2J\\u202e' does not "
                          "pin one PyTorch major.minor"),
    "requirements.txt  ": ("numpy\n-r a\x1b[2J.txt\n", "requirements.txt:2 at {}: includes a\\x1b[2J.txt, which is no "
                           "path inside the repository"),
    "requirements.txt   ": ("-c " + "../" * 5000 + "x\n", "requirements.txt:1 at {}: includes ../../../"),
    "uv.lock": ('[[package]]\nname = "torch"\nversion = "2.' + "8" * 5000 + '"\n', "uv.lock:2 at {}: 'torch==2.8888"),
    "uv.lock ": ("x = " + "[" * DEEP + "]" * DEEP + "\n", "uv.lock at {}: not valid TOML (nested too deeply)"),
    "environment.yml ": ("dependencies: " + "[" * DEEP + "]" * DEEP + "\n",
                         "environment.yml:1 at {}: nests deeper than 32 levels"),
    "environment.yml  ": ('"a\x1b[2J\u202e": 1\n"a\x1b[2J\u202e": 2\n',
                          "environment.yml:2 at {}: has the key 'a\\x1b[2J\\u202e' twice (lines 1 and 2)"),
    "environment.yml   ": ("dependencies:\n" + "".join(" " * i + "k:\n" for i in range(1, 1000)),
                           "environment.yml:34 at {}: nests deeper than 32 levels"),
    "pyproject.toml    ": ("[tool.poetry.dependencies]\ntorch = {version = 3}\n",
                           "pyproject.toml:2 at {}: 'torch' does not pin one PyTorch major.minor"),
}


@pytest.mark.parametrize("key", IMAGE_FILES)
def test_hostile_image_files_are_tg202_not_a_crash(clone: Path, server: Path, key: str) -> None:
    path = key.strip()
    text, expected = IMAGE_FILES[key]
    use_policy(server, f'[image]\nfile = ["{path}"]\n')
    (clone / path).parent.mkdir(exist_ok=True)
    (clone / path).write_text(text)
    git("add", path, cwd=clone)
    head = commit(clone, "hostile image file")
    annotated(clone, "v2.8-base")
    result = push(clone, "v2.8-base")
    assert result.returncode == 1
    line = remote_lines(result)[0]
    assert line.startswith("v2.8-base: TG202 " + expected.format(head[:12])), line
    assert len(line) < 600 and line.isprintable()
    assert server_tags(server) == {}


# --- tag objects: empty messages, no tagger, too large ------------------------------------------

BLANK_MESSAGES = {
    "NULs": b"\0\0\0\n",
    "spaces and controls": b" \t\r\n\x0b\x0c\x1b\x7f\n",
    "zero-width and bidi": "\u200b\u200c\u200d\u2060\ufeff\u202e\u2066\u00ad\n".encode(),
    "blank-looking letters": "\u3164\u115f\u2800\uffa0\u3000\n".encode(),
    "lone combining marks": "\u0301\u034f\ufe0f\n".encode(),
    "a long blank run": "\u200b".encode() * 100_000,
}


@pytest.mark.parametrize("how", BLANK_MESSAGES)
def test_a_message_of_nothing_visible_is_empty(clone: Path, server: Path, how: str) -> None:
    oid = raw_tag(clone, tag_body(clone, b"v2.8-base", BLANK_MESSAGES[how]))
    code, lines = push_raw(clone, oid, b"refs/tags/v2.8-base")
    assert code == 1
    assert lines[0] == "v2.8-base: TG302 has an empty message"
    assert server_tags(server) == {}


def test_a_message_with_something_visible_after_a_blank_run_passes(clone: Path, server: Path) -> None:
    oid = raw_tag(clone, tag_body(clone, b"v2.8-base", "\u200b".encode() * 100_000 + b"acc=0.93\n"))
    assert push_raw(clone, oid, b"refs/tags/v2.8-base") == (0, [])
    assert server_tags(server) == {"v2.8-base": oid}


@pytest.mark.parametrize("tagger,message", [
    (b"", "has no tagger line: it records neither who made it nor when"),
    (b"tagger T <t@example.com>\n", "has a tagger line without a name, email and date as git writes them"),
    (b"tagger <t@example.com> 1700000000 +0000\n", "has a tagger line without a name, email and date as git writes them"),
    (b"tagger T <t@example.com> " + b"9" * 5000 + b" +0000\n",
     "has a tagger line without a name, email and date as git writes them"),
])
def test_a_tag_object_without_a_tagger_is_no_audit_trail(clone: Path, server: Path, tagger: bytes, message: str) -> None:
    oid = raw_tag(clone, tag_body(clone, b"v2.8-base", tagger=tagger))
    code, lines = push_raw(clone, oid, b"refs/tags/v2.8-base")
    assert code == 1
    assert lines[:2] == [f"v2.8-base: TG306 {message}", "    make it with git, which writes the tagger: git tag -f -a "
                         f"v2.8-base {git('rev-parse', 'HEAD', cwd=clone)[:12]} -m \"acc=...\""]
    assert server_tags(server) == {}


def test_a_tag_object_over_the_size_cap_is_refused_unread(clone: Path, server: Path) -> None:
    use_policy(server, "[tags]\nmax_tag_bytes = 65536\n")
    big = raw_tag(clone, tag_body(clone, b"v2.8-ft-big", b"acc=0.93\n" + b"x" * (3 << 20)))
    size = int(git("cat-file", "-s", big, cwd=clone))
    code, lines = push_raw(clone, big, b"refs/tags/v2.8-ft-big")
    assert code == 1
    assert lines[0] == (f"v2.8-ft-big: TG307 is a tag object of {size:,} bytes, over the limit of 65,536 "
                        "([tags] max_tag_bytes); it was not read")
    assert lines[-1].startswith("tagguard: push refused: 1 tag ref breaks the tag policy")
    outer = raw_tag(clone, b"object %s\ntype tag\ntag v2.8-ft-outer\ntagger T <t@example.com> 1700000000 +0000\n\n"
                           b"a tag of the big tag\n" % big.encode())
    code, lines = push_raw(clone, outer, b"refs/tags/v2.8-ft-outer")
    assert code == 1 and lines[0] == (f"v2.8-ft-outer: TG307 leads through tag object {big[:12]} of {size:,} bytes, "
                                      "over the limit of 65,536 ([tags] max_tag_bytes); it was not read")
    fits = raw_tag(clone, tag_body(clone, b"v2.8-ft-fits", b"acc=0.93\n" + b"x" * 60_000))
    assert push_raw(clone, fits, b"refs/tags/v2.8-ft-fits") == (0, [])
    assert server_tags(server) == {"v2.8-ft-fits": fits}


def test_an_oversized_tag_under_a_recorded_name_is_not_peeled_either(clone: Path, server: Path) -> None:
    use_policy(server, "[tags]\nmax_tag_bytes = 65536\n")
    annotated(clone, "v2.8-ft-big")
    assert push(clone, "v2.8-ft-big").returncode == 0
    assert push(clone, ":refs/tags/v2.8-ft-big").returncode == 0  # the name stays in the ledger
    commit(clone, "more work")
    big = raw_tag(clone, tag_body(clone, b"v2.8-ft-big", b"acc=0.93\n" + b"x" * (1 << 20)))
    code, lines = push_raw(clone, big, b"refs/tags/v2.8-ft-big")
    assert code == 1
    assert [line.split(" ")[1] for line in lines if line.startswith("v2.8-ft-big: ")] == ["TG307"]  # no TG403:
    assert server_tags(server) == {}  # telling it would need git to read the object whole


# --- Dockerfiles built to crash or stall the reader -----------------------------------------------

_FROM = "FROM pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime\n"
STALLING_DOCKERFILES = {
    "nested defaults in an ARG": ("ARG X=" + "${X:-" * 10000 + "\nFROM $X\n", None,
                                  "variable substitutions nested more than 64 deep"),
    "nested defaults in RUN": (_FROM + ("RUN " + "${a:-" * 8000 + "\n") * 20, "2.8", None),
    "ONBUILD ONBUILD ...": (_FROM + "ONBUILD " * 8000 + "RUN x\n", None, "Docker does not allow chaining ONBUILD"),
    "a JSON array 30,000 deep": (_FROM + "RUN [" + "[" * 30000 + "\n", None, "a JSON array nested too deeply"),
    "30,000 stages, each FROM the one before": (
        _FROM.replace("\n", " AS s0\n") + "".join(f"FROM s{i} AS s{i + 1}\n" for i in range(30000)), "2.8", None),
}


@pytest.mark.parametrize("case", list(STALLING_DOCKERFILES))
def test_dockerfiles_that_stalled_or_crashed_the_reader(case: str) -> None:
    """Each of these took seconds to minutes, or raised RecursionError; now each is read in
    linear time, or refused (TG202) with the reason."""
    from tagguard.image.files import read_dockerfile

    text, version, problem = STALLING_DOCKERFILES[case]
    reading = read_dockerfile("Dockerfile", text, {})
    assert reading.version == version
    assert (problem is None and reading.problem is None) or problem in str(reading.problem)
