"""A determined pusher against the server hooks: each attack is pushed for real (stock git,
or a raw protocol client where stock git can't send it), and the test looks at what landed."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest
from testing.rawpush import raw_push
from testing.server import ledger_records, push, remote_lines, server_tags, use_policy
from testing.tools import ZERO, annotated, commit, git, run, tagguard

from tagguard.git.repo import Batched, Git, GitError


def _hash(clone: Path, text: str) -> str:
    path = clone.parent / "blob.txt"
    path.write_text(text)
    return git("hash-object", "-w", str(path), cwd=clone)


def tag_object(clone: Path, name: str, target: str, kind: str = "commit", message: str = "acc=0.9") -> str:
    """A tag object written directly (git tag refuses some of what a pusher can make)."""
    body = (f"object {target}\ntype {kind}\ntag {name}\ntagger T <t@example.com> 1700000000 +0000\n\n"
            f"{message}\n")
    path = clone.parent / "tag.txt"
    path.write_text(body)
    return git("hash-object", "-t", "tag", "-w", str(path), cwd=clone)


# --- hole 1: replace refs steer what the hooks read ------------------------------------------


def test_replace_refs_are_refused_by_default(clone: Path, server: Path) -> None:
    good = annotated(clone, "v2.8-base")
    bad = tag_object(clone, "v2.8-base-b", _hash(clone, "not code\n"), "blob")
    git("replace", bad, good, cwd=clone)
    result = push(clone, f"refs/replace/{bad}:refs/replace/{bad}", f"{bad}:refs/tags/v2.8-base-b")
    assert result.returncode == 1
    assert f"refs/replace/{bad}: TG404 is a replace ref: it makes git show another object in place of this one; " \
           "pushes may not write it" in remote_lines(result)
    assert git("for-each-ref", cwd=server) == git("for-each-ref", "refs/heads", cwd=server)  # nothing landed


def test_replace_refs_never_change_what_the_hooks_read(clone: Path, server: Path) -> None:
    """Even where the policy allows replace refs, the hooks judge the real objects."""
    use_policy(server, "[server]\nallow_replace_refs = true\n")
    first = annotated(clone, "v2.8-base")
    assert push(clone, "v2.8-base").returncode == 0
    assert push(clone, ":refs/tags/v2.8-base").returncode == 0
    new_commit = commit(clone, "other code")
    again = tag_object(clone, "v2.8-base", new_commit)  # the burned name on another commit
    on_blob = tag_object(clone, "v2.8-eval", _hash(clone, "weights\n"), "blob")
    decoy = tag_object(clone, "v2.8-eval", new_commit)
    git("replace", "-f", again, first, cwd=clone)  # "again" would read as the original tag
    git("replace", "-f", on_blob, decoy, cwd=clone)  # "on_blob" would read as a tag of a commit
    assert push(clone, "main", "refs/replace/*:refs/replace/*").returncode == 0
    result = push(clone, f"{again}:refs/tags/v2.8-base", f"{on_blob}:refs/tags/v2.8-eval")
    lines = remote_lines(result)
    assert result.returncode == 1
    assert any(line.startswith("v2.8-base: TG403 was published before") for line in lines), lines
    assert "v2.8-eval: TG305 points at a blob, not a commit" in lines
    assert server_tags(server) == {}


def test_tagguards_own_refs_are_refused_even_in_warn_mode(clone: Path, server: Path) -> None:
    use_policy(server, '[server]\nmode = "warn"\n[rules]\nTG404 = "off"\n')
    result = push(clone, "HEAD:refs/tagguard/ledger")
    assert result.returncode == 1
    assert "refs/tagguard/ledger: TG404 is tagguard's own ref; only its hooks write it; pushes may not write it" \
        in remote_lines(result)
    assert git("for-each-ref", "refs/tagguard", cwd=server) == ""


# --- hole 2: one ref named twice in one push --------------------------------------------------


def _twice(clone: Path, server: Path) -> dict[str, list[tuple[str, str, str]]]:
    head = git("rev-parse", "HEAD", cwd=clone)
    published = annotated(clone, "v2.8-exp-pub")
    assert push(clone, "v2.8-exp-pub").returncode == 0
    burned = annotated(clone, "v2.8-exp-burned")
    assert push(clone, "v2.8-exp-burned").returncode == 0
    assert push(clone, ":refs/tags/v2.8-exp-burned").returncode == 0
    other = commit(clone, "other")
    good = annotated(clone, "v2.8-exp-new")
    moved = tag_object(clone, "v2.8-exp-pub", other)
    reburned = tag_object(clone, "v2.8-exp-burned", other)
    assert burned
    return {
        "lightweight": [(ZERO, head, "refs/tags/v2.8-exp-new"), (ZERO, good, "refs/tags/v2.8-exp-new")],
        "moved": [(published, moved, "refs/tags/v2.8-exp-pub"), (ZERO, good, "refs/tags/v2.8-exp-pub")],
        "burned": [(ZERO, reburned, "refs/tags/v2.8-exp-burned"), (ZERO, good, "refs/tags/v2.8-exp-burned")],
    }


@pytest.mark.parametrize("attack", ["lightweight", "moved", "burned"])
def test_a_ref_named_twice_refuses_the_push(clone: Path, server: Path, attack: str) -> None:
    commands = _twice(clone, server)[attack]
    before = server_tags(server)
    result = raw_push(server, commands, clone)
    ref = commands[0][2]
    assert f"tagguard: push refused: stdin line 2: '{ref}' is named twice in one push (also line 1); " \
           "push each ref once" in result.stderr
    assert all(line.startswith("ng ") for line in result.report[1:]), result.report
    assert server_tags(server) == before


def test_every_command_of_a_raw_push_is_judged(clone: Path, server: Path) -> None:
    """The raw client itself is sound: one good and one bad command, each judged."""
    good = annotated(clone, "v2.8-exp-ok")
    head = git("rev-parse", "HEAD", cwd=clone)
    result = raw_push(server, [(ZERO, good, "refs/tags/v2.8-exp-ok"), (ZERO, head, "refs/tags/v2.8-exp-light")], clone)
    assert "v2.8-exp-light: TG301 is a lightweight tag" in result.stderr
    assert server_tags(server) == {}
    result = raw_push(server, [(ZERO, good, "refs/tags/v2.8-exp-ok")], clone)
    assert result.report == ["unpack ok", "ok refs/tags/v2.8-exp-ok"]
    assert server_tags(server) == {"v2.8-exp-ok": good}


# --- hole 4: paths from image files reach git's batch input ----------------------------------


def _dockerfile_paths(clone: Path, server: Path, odd: str, real: str) -> tuple[str, str, list[str]]:
    """Tag v2.8-exp-a on a commit whose devcontainer.json names the Dockerfile path `odd`, and
    v2.8-exp-b on one where it names `real`, a Dockerfile of PyTorch 2.9; push both, which must
    be refused with nothing landed. The two commits, and what the hooks printed."""
    use_policy(server, '[image]\nfile = [".devcontainer/devcontainer.json"]\n')
    (clone / ".devcontainer").mkdir()
    config = clone / ".devcontainer" / "devcontainer.json"
    config.write_text(json.dumps({"build": {"dockerfile": odd}}))
    git("add", ".", cwd=clone)
    first = commit(clone, "devcontainer with an odd Dockerfile path")
    annotated(clone, "v2.8-exp-a")
    config.write_text(json.dumps({"build": {"dockerfile": real}}))
    (clone / ".devcontainer" / real).write_text("FROM pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime\n")
    git("add", ".", cwd=clone)
    second = commit(clone, "trains on 2.9")
    annotated(clone, "v2.8-exp-b")
    result = push(clone, "main", "v2.8-exp-a", "v2.8-exp-b")
    assert result.returncode == 1
    assert server_tags(server) == {}
    return first, second, remote_lines(result)


def test_a_path_with_a_newline_can_not_shift_git_answers(clone: Path, server: Path) -> None:
    decoy = _hash(clone, "FROM pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime\n")
    first, second, lines = _dockerfile_paths(clone, server, f"Dockerfile\n{decoy}", "Dockerfile")
    assert (f"v2.8-exp-a: TG202 .devcontainer/devcontainer.json at {first[:12]}: names a Dockerfile whose path "
            f"holds control characters") in lines
    assert any(line.startswith(f"v2.8-exp-b: TG201 says PyTorch 2.8, but .devcontainer/Dockerfile:1 at {second[:12]}")
               for line in lines), lines


def test_git_never_gets_a_request_that_spans_lines(repo: Path) -> None:
    with pytest.raises(GitError, match="holds a newline or NUL"):
        Git(str(repo)).read_batch(["HEAD:train.py\nHEAD"])


@pytest.mark.parametrize("odd", ["\r", "\u2028", "\x85"])
def test_a_path_with_a_line_break_but_no_newline_is_one_request(repo: Path, odd: str) -> None:
    """git splits requests at newlines only: a path holding a \r (or U+2028) is one request,
    whether it is asked of the long-running session or of a process of its own."""
    (repo / f"Docker{odd}file").write_text("FROM x\n")
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "an odd path", cwd=repo)
    names = [f"HEAD:Docker{odd}file", f"HEAD:Docker{odd}contents HEAD:train.py"]
    alone = Git(str(repo)).object_info(names)
    with Batched(str(repo)) as session:
        in_session = session.object_info(names)
    for found in (alone, in_session):
        assert [found[name].type for name in names] == ["blob", "missing"]


def test_answers_that_do_not_match_the_requests_fail_closed(repo: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A git whose `cat-file` answers one request too many (or for another object) is an error."""
    shims = tmp_path / "shims"
    shims.mkdir()
    real = git("rev-parse", "HEAD", cwd=repo)
    shim = shims / "git"
    shim.write_text(f'#!/bin/sh\ncase " $* " in *" cat-file "*) cat >/dev/null; printf "{real} commit 3\\nabc\\n";'
                    f' printf "{real} commit 3\\nabc\\n"; exit 0;; esac\nexec /usr/bin/git "$@"\n')
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shims}:/usr/bin:/bin")
    with pytest.raises(GitError, match="gave 2 answers to 1 requests"):
        Git(str(repo)).read_batch([real])
    other = "1" * 40
    with pytest.raises(GitError, match=f"answered for '{real}' when asked for '{other}'"):
        Git(str(repo)).read_batch([other, other])


def test_a_followed_path_outside_the_repository_is_not_read(clone: Path, server: Path) -> None:
    use_policy(server, '[image]\nfile = [".devcontainer/devcontainer.json"]\n')
    (clone / ".devcontainer").mkdir()
    (clone / ".devcontainer" / "devcontainer.json").write_text('{"build": {"dockerfile": "../../x/Dockerfile"}}')
    git("add", ".", cwd=clone)
    head = commit(clone, "devcontainer pointing outside")
    annotated(clone, "v2.8-exp-out")
    result = push(clone, "main", "v2.8-exp-out")
    assert result.returncode == 1
    assert (f"v2.8-exp-out: TG202 .devcontainer/devcontainer.json:1 at {head[:12]}: names the file '../x/Dockerfile',"
            " which is outside the repository (\"dockerfile\": \"../../x/Dockerfile\")") in remote_lines(result)
    assert server_tags(server) == {}


# --- hole 3: hanging up skips post-receive ------------------------------------------------------


def ledger_states(server: Path, name: str) -> list[str | None]:
    """The states of the ledger's records of `name`, in order: "pending", then "landed" when the refs moved."""
    return [r.get("state") for r in ledger_records(server) if r["name"] == name]


def test_a_client_that_hangs_up_can_not_keep_its_tag_out_of_the_ledger(clone: Path, server: Path) -> None:
    tag = annotated(clone, "v2.8-exp-hang")
    result = raw_push(server, [(ZERO, tag, "refs/tags/v2.8-exp-hang")], clone, hang_up=True)
    assert result.returncode == -signal.SIGPIPE  # receive-pack died writing the report: no post-receive
    assert server_tags(server) == {"v2.8-exp-hang": tag}  # ... after the tag landed
    assert ledger_states(server, "v2.8-exp-hang") == ["pending"]  # written by pre-receive, before the refs moved
    deleted = push(clone, ":refs/tags/v2.8-exp-hang")
    assert deleted.returncode == 0
    assert ledger_states(server, "v2.8-exp-hang") == ["pending", "landed"]  # the deletion confirmed it first
    git("tag", "-d", "v2.8-exp-hang", cwd=clone)
    commit(clone, "other code")
    annotated(clone, "v2.8-exp-hang")
    again = push(clone, "v2.8-exp-hang")
    assert again.returncode == 1
    assert any(line.startswith("v2.8-exp-hang: TG403 was published before") for line in remote_lines(again))
    assert server_tags(server) == {}


def test_a_ref_named_like_a_tag_ref_is_judged_by_its_own_name(clone: Path, server: Path) -> None:
    """refs/tags/refs/tags/v2.8-exp-a is the tag `refs/tags/v2.8-exp-a`, not `v2.8-exp-a`: that name
    breaks the convention, and a published name deleted since can't come back through it (git
    reads the revision `refs/tags/v2.8-exp-a` as this tag once the real one is gone)."""
    annotated(clone, "v2.8-exp-a")
    assert push(clone, "v2.8-exp-a").returncode == 0
    assert push(clone, ":refs/tags/v2.8-exp-a").returncode == 0
    sneaky = tag_object(clone, "refs/tags/v2.8-exp-a", commit(clone, "other code"))
    refused = push(clone, f"{sneaky}:refs/tags/refs/tags/v2.8-exp-a")
    assert refused.returncode == 1
    assert remote_lines(refused)[0].startswith("refs/tags/v2.8-exp-a: TG101 must start with v<major>.<minor>")
    assert server_tags(server) == {}


def test_a_push_that_fails_after_pre_receive_burns_no_name(clone: Path, server: Path) -> None:
    update = server / "hooks" / "update"  # runs after pre-receive, and refuses the ref
    update.write_text("#!/bin/sh\necho 'update: no' >&2\nexit 1\n")
    update.chmod(0o755)
    annotated(clone, "v2.8-exp-fail")
    assert push(clone, "v2.8-exp-fail").returncode == 1
    assert server_tags(server) == {} and ledger_states(server, "v2.8-exp-fail") == ["pending"]
    update.unlink()
    git("tag", "-d", "v2.8-exp-fail", cwd=clone)
    commit(clone, "other code")
    tag = annotated(clone, "v2.8-exp-fail")
    assert push(clone, "v2.8-exp-fail").returncode == 0  # the pending record never burned the name
    assert server_tags(server) == {"v2.8-exp-fail": tag}


# --- hole 7: hooks removed behind tagguard's back -----------------------------------------------


def test_a_missing_post_receive_refuses_tag_pushes_until_reinstalled(clone: Path, server: Path) -> None:
    post = server / "hooks" / "post-receive"
    post.write_text("#!/bin/sh\nexec cat >/dev/null\n")  # what a platform's hook resync leaves
    annotated(clone, "v2.8-exp-a")
    result = push(clone, "v2.8-exp-a")
    assert result.returncode == 1
    assert remote_lines(result) == [
        f"tagguard: push refused: tagguard's post-receive hook is missing ({post} or {post}.d; a hook resync may "
        "have replaced it), so the names of these tags could not be kept in the ledger; tag pushes are refused "
        f"until an admin runs `tagguard install --server {server}` again"]
    assert server_tags(server) == {}
    commit(clone, "more work")
    assert push(clone, "HEAD:refs/heads/main").returncode == 0  # branches are not held up
    assert tagguard("install", "--server", str(server)).returncode == 0
    assert push(clone, "v2.8-exp-a").returncode == 0


def test_the_check_follows_the_hook_d_layout_and_the_policy(clone: Path, server: Path) -> None:
    """Gitea, Forgejo and GitLab run every script in `<hook>.d/`: tagguard's scripts live there."""
    hooks = server / "hooks"
    for hook in ("pre-receive", "post-receive"):
        (hooks / f"{hook}.d").mkdir()
        (hooks / hook).rename(hooks / f"{hook}.d" / "tagguard")
        (hooks / hook).write_text('#!/bin/sh\ndata=$(cat)\nfor h in "$0.d"/*; do\n'
                                  '    printf "%s\\n" "$data" | "$h" "$@" || exit 1\ndone\n')
        (hooks / hook).chmod(0o755)
    annotated(clone, "v2.8-exp-a")
    assert push(clone, "v2.8-exp-a").returncode == 0
    (hooks / "post-receive.d" / "tagguard").unlink()
    annotated(clone, "v2.8-exp-b")
    refused = push(clone, "v2.8-exp-b")
    assert refused.returncode == 1 and f"missing ({hooks / 'post-receive.d'};" in refused.stderr
    use_policy(server, "[server]\nrequire_post_receive = false\n")  # a platform with no post-receive
    assert push(clone, "v2.8-exp-b").returncode == 0
    assert sorted(server_tags(server)) == ["v2.8-exp-a", "v2.8-exp-b"]


# --- hole 8: tags made on the server outside a push ----------------------------------------------


def on_server(server: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """A git command run in the server's repository, as a web UI or API does."""
    return run("git", *args, cwd=server, env=env)


def test_tags_made_on_the_server_outside_a_push(clone: Path, server: Path) -> None:
    installed = tagguard("install", "--server", str(server), "--outside-pushes")
    assert f"{server / 'hooks' / 'reference-transaction'}: installed" in installed.stdout
    head = git("rev-parse", "HEAD", cwd=clone)
    bad = on_server(server, "tag", "-a", "V2.8_bad", head, "-m", "from the web UI")
    assert bad.returncode != 0
    assert "V2.8_bad: TG101 starts with 'V'; names are all lowercase" in bad.stderr
    assert "tagguard: tag change refused: 1 tag ref breaks the tag policy" in bad.stderr
    assert server_tags(server) == {}
    assert on_server(server, "tag", "-a", "v2.8-exp-ui", head, "-m", "acc=0.9").returncode == 0
    assert ledger_states(server, "v2.8-exp-ui") == ["pending", "landed"]  # judged when prepared, recorded when committed
    assert on_server(server, "tag", "-d", "v2.8-exp-ui").returncode == 0
    other = commit(clone, "other")
    assert push(clone, "main").returncode == 0
    again = on_server(server, "tag", "-a", "v2.8-exp-ui", other, "-m", "acc=0.95")
    assert again.returncode != 0 and "v2.8-exp-ui: TG403 was published before" in again.stderr
    assert server_tags(server) == {}
    for chore in (("pack-refs", "--all"), ("gc", "-q"), ("fetch", "-q", str(clone), "refs/heads/*:refs/heads/*")):
        assert on_server(server, *chore).returncode == 0, chore  # housekeeping and branches pass


def test_a_push_with_the_outside_hook_is_judged_once(clone: Path, server: Path) -> None:
    """A push's tags were judged by pre-receive: the reference-transaction hook starts no tagguard."""
    assert tagguard("install", "--server", str(server), "--outside-pushes").returncode == 0
    annotated(clone, "v2.8-exp-a")
    annotated(clone, "v2.8-exp-b")
    assert push(clone, "v2.8-exp-a", "v2.8-exp-b").returncode == 0
    assert (ledger_states(server, "v2.8-exp-a"), ledger_states(server, "v2.8-exp-b")) == (["pending", "landed"], ["pending", "landed"])
    assert [p.name for p in server.glob("tagguard-push.*")] == []  # post-receive took its mark away
    git("tag", "V2.8_x", cwd=clone)
    refused = push(clone, "V2.8_x")
    assert refused.returncode == 1 and remote_lines(refused).count("V2.8_x: TG101 starts with 'V'; names are all "
                                                                   "lowercase") == 1


@pytest.mark.parametrize("outside", [False, True])
def test_a_push_is_marked_only_for_an_outside_hook(clone: Path, server: Path, outside: bool) -> None:
    """pre-receive leaves the reference-transaction hook a mark only where that hook is: else
    every tag push would make a file, and post-receive's sh would start `rm` to take it away."""
    if outside:
        assert tagguard("install", "--server", str(server), "--outside-pushes").returncode == 0
    tag = annotated(clone, "v2.8-exp-mark")
    raw_push(server, [(ZERO, tag, "refs/tags/v2.8-exp-mark")], clone, hang_up=True)  # no post-receive
    assert server_tags(server) == {"v2.8-exp-mark": tag}
    assert len(list(server.glob("tagguard-push.*"))) == (2 if outside else 0)


def test_outside_pushes_is_a_server_option() -> None:
    result = tagguard("install", "--outside-pushes")
    assert (result.returncode, result.stderr.strip()) == (
        2, "tagguard: error: --outside-pushes goes with --server PATH: it is a server hook")


@pytest.mark.parametrize("exists", [False, True])
def test_a_deletion_must_name_what_the_tag_holds(clone: Path, server: Path, exists: bool) -> None:
    """git deletes a ref whatever it holds when the old id names no object; a deletion judged
    before a hung-up push's tag lands could then remove it without confirming its record."""
    tag = annotated(clone, "v2.8-exp-race")
    if exists:
        raw_push(server, [(ZERO, tag, "refs/tags/v2.8-exp-race")], clone, hang_up=True)  # pending only
    bogus = "1" * 40
    result = raw_push(server, [(bogus, ZERO, "refs/tags/v2.8-exp-race")], clone)
    now = f"holds {tag[:12]}" if exists else "does not exist"
    assert (f"tagguard: push refused: refs/tags/v2.8-exp-race {now}, not the 111111111111 this push names as "
            "its old value; fetch and push again") in result.stderr
    assert server_tags(server) == ({"v2.8-exp-race": tag} if exists else {})
    if exists:  # a deletion that names the real old id confirms the record first
        assert raw_push(server, [(tag, ZERO, "refs/tags/v2.8-exp-race")], clone).report[1:] == [
            "ok refs/tags/v2.8-exp-race"]
        assert ledger_states(server, "v2.8-exp-race") == ["pending", "landed"]


@pytest.mark.parametrize("start", ["real", "other"])
def test_a_push_mark_is_for_one_process_only(clone: Path, server: Path, start: str) -> None:
    """A mark left by a push that died names its receive-pack's pid and start time: a later
    process that reuses the pid is still judged. (The shell execs git, which keeps its pid.)"""
    assert tagguard("install", "--server", str(server), "--outside-pushes").returncode == 0
    stamp = '${20}' if start == "real" else "1"
    script = (f'read -r stat </proc/$$/stat; set -- ${{stat##*) }}; : > "tagguard-push.$$.{stamp}"; '
              'exec git tag -a V2.8_bad refs/heads/main -m "from the web UI"')
    result = run("sh", "-c", script, cwd=server)
    if start == "real":  # the mark of this very process: taken as a judged push (the control)
        assert result.returncode == 0 and list(server_tags(server)) == ["V2.8_bad"]
    else:
        assert result.returncode != 0 and "V2.8_bad: TG101" in result.stderr
        assert server_tags(server) == {}


# --- image files written so that tagguard and pip, conda or docker read different versions -------

IMAGE_TRICKS = {
    "marker": ("requirements.txt", 'torch==2.8.0; python_version < "3"\ntorch==2.9.0\n',
               "TG202 requirements.txt:1", "has an environment marker, which decides whether it applies"),
    "two pins": ("requirements.txt", "torch==2.8.0\nnumpy\ntorch==2.9.0\n",
                 "TG202 requirements.txt:1", "pins torch twice, to 2.8 and to 2.9 (line 3: 'torch==2.9.0')"),
    "carriage return": ("requirements.txt", "torch==2.8.0\n# see below\rtorch==2.9.0\n",
                        "TG202 requirements.txt:1", "pins torch twice, to 2.8 and to 2.9 (line 3"),
    "continued comment": ("requirements.txt", "torch==2.8.0\n# note \\\ntorch==2.9.0\n",
                          "TG202 requirements.txt:1", "pins torch twice, to 2.8 and to 2.9 (line 3"),
    "wheel url": ("requirements.txt",
                  "torch==2.8.0\nhttps://download.pytorch.org/whl/cpu/torch-2.9.0%2Bcpu-cp311-cp311-linux_x86_64.whl\n",
                  "TG202 requirements.txt:1", "pins torch twice, to 2.8 and to 2.9 (line 2: 'torch-2.9.0%2Bcpu"),
    "epoch bound": ("requirements.txt", "torch>=2.8,<2!0\n", "TG202 requirements.txt:1",
                    "'torch>=2.8,<2!0' does not pin one PyTorch major.minor"),
    "post bound": ("requirements.txt", "torch>=2.8,<2.9.post1\n", "TG202 requirements.txt:1",
                   "'torch>=2.8,<2.9.post1' does not pin one PyTorch major.minor"),
    "devcontainer image and build": (
        ".devcontainer/devcontainer.json",
        '{"image": "pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime", "build": {"dockerfile": "../Dockerfile"}}',
        "TG201 says PyTorch 2.8, but Dockerfile:1", "says 2.9"),
    "run unpinned upgrade": ("Dockerfile", "FROM pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime\n"
                                           "RUN pip install -U torch\n", "TG202 Dockerfile:2",
                             "installs torch ('torch') without a version tagguard can read"),
    "run quoted pin": ("Dockerfile", "FROM pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime\n"
                                     "RUN pip install \"torch == 2.9.0\"\n",
                       "TG201 says PyTorch 2.8, but Dockerfile:2", "says 2.9 (torch== 2.9.0)"),
    "run shell-quoted pin": ("Dockerfile", "FROM pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime\n"
                                           "RUN pip install torch\\==2.9.0\n", "TG201 says PyTorch 2.8, but Dockerfile:2",
                             "says 2.9 (torch==2.9.0)"),
    "continued option": ("requirements.txt", "--index-url https://pypi.org/simple \\\ntorch==2.8.0\ntorch==2.9.0\n",
                         "TG201 says PyTorch 2.8, but requirements.txt:3", "says 2.9 (torch==2.9.0)"),
    "pyproject marker": ("pyproject.toml",
                         '[project]\nname = "x"\ndependencies = ["torch==2.8.0; python_version < \'3\'", "torch==2.9.0"]\n',
                         "TG202 pyproject.toml:3", "has an environment marker, which decides whether it applies"),
    "run upgrade": ("Dockerfile", "FROM pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime\n"
                                  "RUN pip install --upgrade torch==2.9.0\n",
                    "TG201 says PyTorch 2.8, but Dockerfile:2", "says 2.9 (torch==2.9.0)"),
    "two run pins": ("Dockerfile", "FROM python:3.11\nRUN pip install torch==2.8.0 && pip install -U torch==2.9.0\n",
                     "TG201 says PyTorch 2.8, but Dockerfile:2", "says 2.9 (torch==2.9.0)"),
    "conda quoted text": ("environment.yml", 'name: "env\ndependencies:\n  - pytorch=2.8.0\n"\ndependencies:\n'
                                             '  - "pytorch=2.9.0"\n', "TG202 environment.yml:1",
                          "has quoted text going on past the line"),
    "conda quoted item": ("environment.yml", 'dependencies:\n  - "pytorch=2.9.0"\n',
                          "TG201 says PyTorch 2.8, but environment.yml:2", "says 2.9"),
    "conda notes": ("environment.yml", "name: train\nx-notes:\n  - pytorch=2.8.0\ndependencies:\n  - pytorch=2.9.0\n",
                    "TG201 says PyTorch 2.8, but environment.yml:5", "says 2.9 (pytorch=2.9.0)"),
}


@pytest.mark.parametrize("trick", list(IMAGE_TRICKS))
def test_image_files_read_as_the_installer_reads_them(clone: Path, server: Path, trick: str) -> None:
    path, text, code, says = IMAGE_TRICKS[trick]
    use_policy(server, f'[image]\nfile = ["{path}"]\n')
    (clone / path).parent.mkdir(exist_ok=True)
    (clone / path).write_bytes(text.encode())
    if path.startswith(".devcontainer"):  # the Dockerfile it builds
        (clone / "Dockerfile").write_text("FROM pytorch/pytorch:2.9.0-cuda12.8-cudnn9-runtime\n")
    git("add", ".", cwd=clone)
    commit(clone, trick)
    annotated(clone, "v2.8-exp-trick")
    result = push(clone, "main", "v2.8-exp-trick")
    [line] = [line for line in remote_lines(result) if line.startswith("v2.8-exp-trick: ")]
    assert result.returncode == 1
    assert line.startswith(f"v2.8-exp-trick: {code}") and says in line, line
    assert server_tags(server) == {}


def test_a_server_with_git_namespace_looks_up_its_refs_there(clone: Path, server: Path) -> None:
    """With GIT_NAMESPACE, receive-pack keeps refs under refs/namespaces/<ns>/ and hooks see
    them without it: deletions are checked against the namespaced ref."""
    receive = "--receive-pack=env GIT_NAMESPACE=team/a git-receive-pack"
    tag = annotated(clone, "v2.8-exp-ns")
    assert push(clone, receive, "HEAD:refs/heads/main", "v2.8-exp-ns").returncode == 0
    stored = "refs/namespaces/team/refs/namespaces/a/refs/tags/v2.8-exp-ns"
    assert git("rev-parse", stored, cwd=server) == tag
    bogus = run("git", "push", "--porcelain", "origin", "--force", receive,
                f"{git('rev-parse', 'HEAD', cwd=clone)}:refs/tags/v2.8-exp-ns", cwd=clone)
    assert bogus.returncode == 1 and "v2.8-exp-ns: TG401 already points at" in bogus.stderr
    assert push(clone, receive, ":refs/tags/v2.8-exp-ns").returncode == 0
    assert git("for-each-ref", "refs/namespaces/", cwd=server).count("refs/tags/") == 0


def test_a_tag_is_judged_by_what_it_points_at_not_what_it_declares(server: Path) -> None:
    """A tag object whose header says `type commit` over a blob: the blob's real type counts.
    (git's own connectivity check would refuse it later; the hook does not rely on that.)"""
    blob = run("git", "hash-object", "-w", "--stdin", cwd=server, input="weights\n").stdout.strip()
    body = f"object {blob}\ntype commit\ntag v2.8-exp-x\ntagger T <t@example.com> 1700000000 +0000\n\nacc=0.9\n"
    tag = run("git", "hash-object", "-t", "tag", "-w", "--stdin", "--literally", cwd=server, input=body).stdout.strip()
    result = run(str(server / "hooks" / "pre-receive"), cwd=server, input=f"{ZERO} {tag} refs/tags/v2.8-exp-x\n")
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == "v2.8-exp-x: TG305 points at a blob, not a commit"


def test_a_push_has_a_bounded_amount_of_image_files_parsed(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Thirty commits sharing one file parse it once; distinct files count against a budget
    per push (16 MiB; here 200 bytes), past which a tag gets TG202 instead of more parsing."""
    from tagguard.verdict import imagecheck as imagesource

    commits = []
    for number in range(30):
        (repo / "requirements.txt").write_text(f"torch==2.8.0\n# {number // 10}\n" + "x" * 60 + "\n")
        git("add", ".", cwd=repo)
        commits.append(commit(repo, f"c{number}"))
    parsed: list[str] = []
    real = imagesource._read
    monkeypatch.setattr(imagesource, "_read", lambda path, blob, ngc, load: parsed.append(path) or real(path, blob, ngc, load))
    monkeypatch.setattr(imagesource, "PARSE_BUDGET", 200)
    readings = imagesource.readings_at(Git(str(repo)), commits, ("requirements.txt",), {})
    assert len(parsed) == 2  # three distinct files of 75 bytes: two fit in 200 bytes
    assert [readings[c].version for c in commits] == ["2.8"] * 20 + [None] * 10
    assert readings[commits[-1]].problem == ("is past what tagguard reads for one push (0 MiB of image files); "
                                             "push fewer tags at once")


def test_a_push_has_a_bounded_number_of_included_files_read(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each file a requirements file includes is one more git call: a push reads so many of
    them (64; here 2), past which a tag gets TG202 instead of more git calls."""
    from tagguard.verdict import imagecheck

    commits = []
    for minor in (7, 8, 9):
        (repo / "requirements.txt").write_text("-r base.txt\n")
        (repo / "base.txt").write_text(f"torch==2.{minor}.0\n")
        git("add", ".", cwd=repo)
        commits.append(commit(repo, f"2.{minor}"))
    monkeypatch.setattr(imagecheck, "INCLUDE_READS", 2)
    readings = imagecheck.readings_at(Git(str(repo)), commits, ("requirements.txt",), {})
    assert [readings[c].version for c in commits] == ["2.7", "2.8", None]
    assert readings[commits[-1]].problem == ("includes base.txt, which is past what tagguard reads for one push "
                                             "(2 included files); push fewer tags at once")


# --- the cheap paths of the hook scripts (sh before Python, one cat-file process) ------------


@pytest.mark.parametrize("branches", [999, 1000, 1500])
def test_a_bad_tag_behind_many_branch_lines_is_still_judged(clone: Path, server: Path, branches: int) -> None:
    """The sh scripts read up to 1,000 lines themselves; a tag anywhere after them still
    reaches tagguard with the whole input, and refuses the whole push."""
    head = git("rev-parse", "HEAD", cwd=clone)
    commands = [(ZERO, head, f"refs/heads/b{i}") for i in range(branches)]
    result = raw_push(server, [*commands, (ZERO, head, "refs/tags/V2.8_bad")], clone)
    assert "V2.8_bad: TG101" in result.stderr
    assert server_tags(server) == {}
    assert git("for-each-ref", "refs/heads/b*", cwd=server) == ""  # nothing of the push landed


@pytest.mark.parametrize("branches", [3, 1500])
def test_a_tag_first_hands_the_whole_input_to_tagguard(clone: Path, server: Path, branches: int) -> None:
    """sh stops reading at the first line it can't pass (a tag); tagguard still reads every
    line after it, so a bad tag at the end refuses the whole push."""
    head = git("rev-parse", "HEAD", cwd=clone)
    good = tag_object(clone, "v2.8-exp-a", head)
    commands = [(ZERO, good, "refs/tags/v2.8-exp-a"), *((ZERO, head, f"refs/heads/b{i}") for i in range(branches))]
    result = raw_push(server, [*commands, (ZERO, head, "refs/tags/V2.8_bad")], clone)
    assert "V2.8_bad: TG101" in result.stderr and "v2.8-exp-a" not in result.stderr
    assert server_tags(server) == {}
    assert git("for-each-ref", "refs/heads/b*", cwd=server) == ""


@pytest.mark.parametrize("hook", ["pre-receive", "post-receive"])
def test_input_sh_could_not_pass_on_is_refused_not_dropped(server: Path, tmp_path: Path, hook: str) -> None:
    """The lines sh did not read reach tagguard through `cat`; where `cat` can't run (a hook
    whose PATH lacks it), tagguard is told so in a line it refuses, rather than judging the
    first lines alone."""
    import sys

    from tagguard.hookfiles.launcher import command_launcher
    from tagguard.server.hookscripts import SH_MARKS, UNREAD, hook_script

    script = tmp_path / hook
    script.write_text(hook_script(hook, command_launcher(str(tmp_path / "capture"))))
    seen = tmp_path / "seen"
    (tmp_path / "capture").write_text(f"#!{sys.executable}\nimport sys\n"
                                      f"open({str(seen)!r}, 'wb').write(sys.stdin.buffer.read())\n")
    (tmp_path / "capture").chmod(0o755)
    lines = "".join(f"{ZERO} {'a' * 40} refs/tags/v2.8-exp-{i}\n" for i in range(40))  # more than sh marks
    assert run("/bin/sh", str(script), cwd=server, input=lines, env={"PATH": "/nonexistent"}).returncode == 0
    read = 1 if hook == "pre-receive" else SH_MARKS + 1  # (post-receive's sh marks up to SH_MARKS tags itself)
    assert seen.read_text() == "".join(lines.splitlines(True)[:read]) + UNREAD + "\n"
    refused = tagguard(hook, cwd=server, input=seen.read_text())
    assert refused.returncode == 2
    assert f"stdin line {read + 1}: expected '<old> <new> <ref>', got '{UNREAD}'" in refused.stderr


def test_a_tag_message_cannot_pose_as_the_next_answer_of_cat_file(clone: Path, server: Path) -> None:
    """The objects are read through one long-running cat-file: each answer is taken by its
    size, so text in a message that looks like the next answer is only text."""
    head = git("rev-parse", "HEAD", cwd=clone)
    blob = _hash(clone, "weights\n")
    on_blob = tag_object(clone, "v2.8-exp-b", blob, kind="blob")  # a tag of weights, not of code
    good = tag_object(clone, "v2.8-exp-a", head)
    fake = f"acc=0.9\n\n{on_blob} tag 140\nobject {head}\ntype commit\ntag v2.8-exp-b\n"
    tricky = tag_object(clone, "v2.8-exp-a", head, message=fake)
    for first in (good, tricky):
        result = raw_push(server, [(ZERO, first, "refs/tags/v2.8-exp-a"), (ZERO, on_blob, "refs/tags/v2.8-exp-b")],
                          clone)
        assert "v2.8-exp-b: TG305 points at a blob, not a commit" in result.stderr
        assert server_tags(server) == {}


@pytest.mark.parametrize("length", [200, 201])
def test_long_names_are_burned_whichever_post_receive_records_them(clone: Path, server: Path, length: int) -> None:
    """Names up to 200 characters get their landed mark from sh, longer ones from tagguard:
    either way the name is burned once the tag is deleted."""
    name = "v2.8-exp-" + "a" * (length - len("v2.8-exp-"))
    annotated(clone, name)
    assert push(clone, name).returncode == 0
    records = [r for r in ledger_records(server) if r["name"] == name]
    assert [r.get("state") for r in records] == ["pending", "landed"]
    assert push(clone, f":refs/tags/{name}").returncode == 0
    commit(clone, "other work")
    git("tag", "-f", "-a", name, "-m", "again", cwd=clone)
    again = push(clone, name)
    assert again.returncode == 1 and ": TG403 was published before" in again.stderr  # (long names are shortened)
    assert server_tags(server) == {}


# --- the column-at-once shortcuts of a big push ---------------------------------------------


def _many_tags(clone: Path, count: int, prefix: str = "v2.8-exp-run") -> list[str]:
    """`count` annotated tags on HEAD, made in one fast-import; their names."""
    head = git("rev-parse", "HEAD", cwd=clone)
    names = [f"{prefix}{i}" for i in range(count)]
    stream = "".join(f"tag {name}\nfrom {head}\ntagger T <t@example.com> 1700000000 +0000\ndata 8\nacc=0.9\n\n"
                     for name in names)
    run("git", "fast-import", "--quiet", cwd=clone, input=stream)
    return names


ODD_ONES = {  # one tag among 300 good ones, made in the clone: what the pusher does, the code it gets
    "version": (lambda clone: annotated(clone, "v02.8-exp-a"), "v02.8-exp-a: TG101"),
    "type": (lambda clone: annotated(clone, "v2.8-nope-a"), "v2.8-nope-a: TG102"),
    "upper case": (lambda clone: annotated(clone, "v2.8-exp-A"), "v2.8-exp-A: TG101"),
    "no description": (lambda clone: annotated(clone, "v2.8-exp-"), "v2.8-exp-: TG101"),
    "header names another tag": (lambda clone: git("update-ref", "refs/tags/v2.8-exp-odd", tag_object(
        clone, "v2.8-exp-run7", git("rev-parse", "HEAD", cwd=clone)), cwd=clone), "v2.8-exp-odd: TG304"),
    "a tag ref inside refs/tags/": (lambda clone: git("update-ref", "refs/tags/refs/tags/v2.8-exp-x", tag_object(
        clone, "refs/tags/v2.8-exp-x", git("rev-parse", "HEAD", cwd=clone)), cwd=clone), "refs/tags/v2.8-exp-x: TG101"),
    "lightweight": (lambda clone: git("tag", "v2.8-exp-light", cwd=clone), "v2.8-exp-light: TG301"),
    "moved": (lambda clone: git("tag", "-f", "-a", "v2.8-exp-old", "-m", "moved", commit(clone, "moved"), cwd=clone),
              "v2.8-exp-old: TG401"),
}


@pytest.mark.parametrize("odd", list(ODD_ONES))
def test_one_odd_tag_among_many_refuses_the_whole_push(clone: Path, server: Path, odd: str) -> None:
    """Each step of a big push's check is told for all its tags at once, and falls back to one
    by one when any tag is odd: whatever the odd one is, it is named and nothing lands."""
    annotated(clone, "v2.8-exp-old")
    assert push(clone, "v2.8-exp-old").returncode == 0
    before = server_tags(server)
    names = _many_tags(clone, 300)
    make, says = ODD_ONES[odd]
    make(clone)
    result = push(clone, "--force", "--tags")
    assert result.returncode == 1
    assert any(line.startswith(says) for line in remote_lines(result)), remote_lines(result)
    assert server_tags(server) == before
    assert not {r["name"] for r in ledger_records(server)} & set(names)


def test_names_and_pushers_with_percent_signs_are_recorded_as_they_are(clone: Path, server: Path) -> None:
    """The ledger's lines of a big push are formatted a chunk at a time: a name or a pusher
    holding `%s` is recorded as written, and the name is burned once deleted."""
    use_policy(server, '[server]\nmode = "warn"\n')
    names = [*_many_tags(clone, 50), *_many_tags(clone, 2, "v2.8-exp-100%s-")]
    assert push(clone, "--tags", env={"REMOTE_USER": "m%s%d %%"}).returncode == 0
    records = [r for r in ledger_records(server) if r.get("state") == "pending"]
    assert sorted(r["name"] for r in records) == sorted(names)
    assert {r["pusher"] for r in records} == {"m%s%d %%"}
    assert {r["object"] for r in records} == set(server_tags(server).values())
    assert push(clone, ":refs/tags/v2.8-exp-100%s-1").returncode == 0
    use_policy(server, "")
    git("tag", "-f", "-a", "v2.8-exp-100%s-1", "-m", "again", commit(clone, "other"), cwd=clone)
    again = push(clone, "--force", "v2.8-exp-100%s-1")
    assert again.returncode == 1 and "v2.8-exp-100%s-1: TG403" in again.stderr
    assert "v2.8-exp-100%s-1" not in server_tags(server)


def test_an_object_header_json_would_escape_is_recorded_as_valid_json(clone: Path, server: Path) -> None:
    """In warn mode a tag whose object header is no object id passes pre-receive (TG305
    warned), which writes its pending record before git refuses the ref itself. The records
    of a big push are formatted a chunk at a time, and that header, written by the pusher,
    must neither break the ledger's lines nor forge a record."""
    from testing.server import LEDGER_FILE

    use_policy(server, '[server]\nmode = "warn"\n')
    names = _many_tags(clone, 30)
    header = '12"\\}, "name": "v2.8-exp-forged'
    body = f"object {header}\ntype commit\ntag v2.8-exp-odd\ntagger T <t@example.com> 1700000000 +0000\n\nacc=0.9\n"
    odd = run("git", "hash-object", "-t", "tag", "-w", "--literally", "--stdin", cwd=clone, input=body).stdout.strip()
    tags = [(ZERO, git("rev-parse", f"refs/tags/{name}", cwd=clone), f"refs/tags/{name}") for name in names]
    result = raw_push(server, [*tags, (ZERO, odd, "refs/tags/v2.8-exp-odd")], clone, unwalked=[odd])
    assert "v2.8-exp-odd: TG305 (warning)" in result.stderr, result.stderr
    assert result.report[-1] == "ng refs/tags/v2.8-exp-odd missing necessary objects"  # git's own check
    assert sorted(server_tags(server)) == sorted(names)
    lines = (server / LEDGER_FILE).read_bytes().decode().splitlines()
    pending = [json.loads(line) for line in lines if '"pending"' in line]  # every one whole JSON
    assert sorted(r["name"] for r in pending) == sorted([*names, "v2.8-exp-odd"])
    assert [r["commit"] for r in pending if r["name"] == "v2.8-exp-odd"] == [header]


def test_paths_with_spaces_keep_each_answer_to_its_own_name(clone: Path, server: Path) -> None:
    """Paths named inside a pushed file reach git's batch requests: a missing one whose answer
    has as many words as a found object's must not shift the answers of the others."""
    first, second, lines = _dockerfile_paths(clone, server, "gone tag 7", "train tag 5")
    assert any(line.startswith(f"v2.8-exp-a: TG202 .devcontainer/devcontainer.json:1 at {first[:12]}: names "
                               ".devcontainer/gone tag 7, which does not") for line in lines), lines
    assert any(line.startswith(f"v2.8-exp-b: TG201 says PyTorch 2.8, but .devcontainer/train tag 5:1 at {second[:12]}")
               for line in lines), lines


RAW_ODD_ONES = {  # one command among 200 creations of good tags, sent by a raw client
    "deletes what is not there": lambda good: (ZERO, ZERO, "refs/tags/v2.8-exp-none"),
    "claims an old value": lambda good: ("1" * 40, good, "refs/tags/v2.8-exp-claimed"),
    "a longer zero": lambda good: ("0" * 64, good, "refs/tags/v2.8-exp-long"),
    "the same ref again": lambda good: (ZERO, good, "refs/tags/v2.8-exp-run3"),
}


@pytest.mark.parametrize("odd", list(RAW_ODD_ONES))
def test_one_odd_command_among_many_lands_nothing(clone: Path, server: Path, odd: str) -> None:
    """The input's lines are checked a column at a time; one odd line sends them all through
    the line-by-line reading, and the push is refused whole."""
    _many_tags(clone, 200)
    refs = git("for-each-ref", "--format=%(objectname) %(refname)", "refs/tags/", cwd=clone).splitlines()
    commands = [(ZERO, *line.split(" ")) for line in refs]
    result = raw_push(server, [*commands[:100], RAW_ODD_ONES[odd](commands[0][1]), *commands[100:]], clone)
    assert not any(line.startswith("ok ") for line in result.report), result.report
    assert server_tags(server) == {}
    assert ledger_records(server) == []


# --- hole: a ref spelt like a tag's, which a file system ignoring case stores as one ---------

# Each ref, and the ref it is stored as on NTFS, APFS or HFS+ (see `tagguard.git.refs.folded`):
# git and the hooks read it as some other ref, while the server's file is that one.
LOOKALIKES = {
    "refs/Tags/v2.8-exp-a": "refs/tags/v2.8-exp-a",
    "refs/TAGS/V2.8_BAD": "refs/tags/V2.8_BAD",
    "refs/tags./v2.8-exp-a": "refs/tags/v2.8-exp-a",  # NTFS cuts the dot
    "refs/ta\u200cgs/v2.8-exp-a": "refs/tags/v2.8-exp-a",  # HFS+ leaves the zero-width non-joiner out
    "refs/tag\u017f/v2.8-exp-a": "refs/tags/v2.8-exp-a",  # a long s: s, case folded
    "refs/Replace/" + "1" * 40: "refs/replace/" + "1" * 40,
    "refs/heads/refs/TagGuard/ledger": "refs/heads/refs/tagguard/ledger",
}


def _refused_as_lookalike(result: subprocess.CompletedProcess[str], ref: str) -> bool:
    stored = LOOKALIKES[ref]
    return result.returncode == 1 and (
        f"{ref.encode('unicode_escape').decode() if not ref.isprintable() else ref}: TG405 is stored as {stored} "
        "on a server whose file system ignores case (Windows, macOS), where it would land unjudged"
    ) in remote_lines(result)


@pytest.mark.parametrize("ref", LOOKALIKES)
def test_a_ref_spelt_like_a_reserved_one_is_refused(clone: Path, server: Path, ref: str) -> None:
    good = tag_object(clone, "v2.8-exp-a", git("rev-parse", "HEAD", cwd=clone))
    before = git("for-each-ref", cwd=server)
    result = push(clone, f"{good}:{ref}")
    assert _refused_as_lookalike(result, ref), result.stderr
    assert git("for-each-ref", cwd=server) == before  # nothing landed


def test_a_lookalike_ref_is_refused_even_in_warn_mode(clone: Path, server: Path) -> None:
    use_policy(server, '[server]\nmode = "warn"\n')
    result = push(clone, "HEAD:refs/TAGS/V2.8_BAD")
    assert _refused_as_lookalike(result, "refs/TAGS/V2.8_BAD"), result.stderr
    assert git("for-each-ref", "--format=%(refname)", cwd=server) == "refs/heads/main"


def test_a_published_tag_can_not_be_moved_or_deleted_through_a_lookalike(clone: Path, server: Path) -> None:
    """Where case is ignored, refs/Tags/<name> is the tag's own file: a move or deletion of
    it, hidden behind more branch lines than sh reads, must not reach git."""
    head = git("rev-parse", "HEAD", cwd=clone)
    for name in ("v2.8-exp-a", "v2.8-prod-ready"):
        annotated(clone, name)
    assert push(clone, "v2.8-exp-a", "v2.8-prod-ready").returncode == 0
    before = git("for-each-ref", cwd=server)
    tags = server_tags(server)
    branches = [(ZERO, head, f"refs/heads/b{i}") for i in range(1100)]
    other = tag_object(clone, "v2.8-exp-a", commit(clone, "other code"))
    for command in ((tags["v2.8-exp-a"], other, "refs/Tags/v2.8-exp-a"),
                    (tags["v2.8-prod-ready"], ZERO, "refs/TAGS/v2.8-prod-ready")):
        result = raw_push(server, [*branches, command], clone)
        assert f"{command[2]}: TG405 is stored as refs/tags/{command[2].split('/')[2]}" in result.stderr
        assert git("for-each-ref", cwd=server) == before


CASE_POLICY = '[naming]\ndesc = "[A-Za-z0-9]+"\n'  # a team's own desc: names may differ in case alone


@pytest.mark.parametrize("first,then", [("v2.8-exp-a", "v2.8-exp-A"), ("v2.8-exp-B", "v2.8-exp-b")])
def test_a_tag_named_like_a_servers_tag_but_for_case_is_refused(clone: Path, server: Path, first: str,
                                                                then: str) -> None:
    """Where case is ignored and the first tag is packed, the second's file would answer for
    the first's name on the server (`git rev-parse v2.8-exp-a` giving the new commit)."""
    use_policy(server, CASE_POLICY)
    annotated(clone, first)
    assert push(clone, first).returncode == 0
    before = server_tags(server)
    commit(clone, "other code")
    annotated(clone, then)
    result = push(clone, then)
    assert result.returncode == 1
    assert (f"{then}: TG405 is stored as {first}, a tag the server has, on a server whose file system ignores case "
            "(Windows, macOS), where one would stand in for the other") in remote_lines(result)
    assert f"    choose a name that differs from {first} in more than case" in remote_lines(result)
    assert server_tags(server) == before


def test_two_tags_of_one_push_named_alike_but_for_case_are_refused(clone: Path, server: Path) -> None:
    use_policy(server, CASE_POLICY + '[server]\nmode = "warn"\n')  # refused in warn mode too
    annotated(clone, "v2.8-exp-b")
    annotated(clone, "v2.8-exp-B")
    result = push(clone, "v2.8-exp-b", "v2.8-exp-B")
    assert result.returncode == 1
    lines = [line for line in remote_lines(result) if ": TG405 " in line]
    assert len(lines) == 1 and "is stored as v2.8-exp-" in lines[0] and "another tag of this push" in lines[0]
    assert server_tags(server) == {}


def test_case_twins_are_looked_for_in_the_servers_namespace(clone: Path, server: Path) -> None:
    use_policy(server, CASE_POLICY)
    receive = "--receive-pack=env GIT_NAMESPACE=team git-receive-pack"
    annotated(clone, "v2.8-exp-a")
    assert push(clone, "v2.8-exp-a").returncode == 0  # outside the namespace: no twin of a tag in it
    annotated(clone, "v2.8-exp-c")
    assert push(clone, receive, "HEAD:refs/heads/main", "v2.8-exp-c").returncode == 0
    annotated(clone, "v2.8-exp-A")
    assert push(clone, receive, "v2.8-exp-A").returncode == 0
    annotated(clone, "v2.8-exp-C")
    result = push(clone, receive, "v2.8-exp-C")
    assert result.returncode == 1 and "v2.8-exp-C: TG405 is stored as v2.8-exp-c, a tag the server has" in result.stderr


@pytest.mark.parametrize("ref", ["refs/namespaces/team/refs/tags/V2.8_BAD", "refs/NameSpaces/team/refs/tags/V2.8_BAD",
                                 "refs/namespaces/a/refs/namespaces/team/refs/Tags/V2.8_BAD"])
def test_a_tag_pushed_straight_into_a_namespace_is_refused(clone: Path, server: Path, ref: str) -> None:
    """A server serving GIT_NAMESPACE=team reads refs/namespaces/team/refs/tags/x as its tag x;
    a push naming that ref in full would put a tag there that no hook judged as one."""
    before = git("for-each-ref", cwd=server)
    result = push(clone, f"HEAD:{ref}")
    namespace = "/".join(ref.split("/")[2:-3:3])
    assert result.returncode == 1
    assert f"{ref}: TG405 is refs/tags/V2.8_BAD of the namespace {namespace}, as the server serves it to that " \
           "namespace's clients, though no hook judged it there" in remote_lines(result)
    assert git("for-each-ref", cwd=server) == before
    served = run("git", "ls-remote", f"--upload-pack=env GIT_NAMESPACE={namespace} git-upload-pack", str(server))
    assert served.returncode == 0 and "refs/tags/" not in served.stdout


def test_a_namespace_branch_pushed_in_full_lands(clone: Path, server: Path) -> None:
    head = git("rev-parse", "HEAD", cwd=clone)
    assert push(clone, "HEAD:refs/namespaces/team/refs/heads/main").returncode == 0
    assert git("rev-parse", "refs/namespaces/team/refs/heads/main", cwd=server) == head
