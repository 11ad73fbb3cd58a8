"""A push with no tag refs costs no Python: the hook scripts read git's input in sh and pass
well-formed branch updates without starting tagguard, still running a chained hook. A push of
a few tags starts it once: post-receive writes their landed marks in sh."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from testing.server import landed_names, push, server_tags, use_policy
from testing.tools import TAGGUARD, ZERO, annotated, commit, git, run

from tagguard.server.hookscripts import SH_MARKS


def counting_tagguard(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """$TAGGUARD for the hooks: notes each start, then runs the real tagguard."""
    log = tmp_path / "started.log"
    script = tmp_path / "tagguard-counting"
    script.write_text(f'#!/bin/sh\necho "$1" >> {log}\nexec {TAGGUARD} "$@"\n')
    script.chmod(0o755)
    return {"TAGGUARD": str(script)}, log


def test_branch_pushes_start_no_python_and_tag_pushes_do(clone: Path, server: Path, tmp_path: Path) -> None:
    env, log = counting_tagguard(tmp_path)
    commit(clone, "work")
    assert push(clone, "HEAD:refs/heads/main", "HEAD:refs/heads/topic", env=env).returncode == 0
    assert push(clone, ":refs/heads/topic", env=env).returncode == 0
    assert not log.exists()
    annotated(clone, "v2.8-exp-a")
    assert push(clone, "v2.8-exp-a", env=env).returncode == 0
    assert log.read_text().split() == ["pre-receive"]  # post-receive wrote the landed mark in sh
    assert list(server_tags(server)) == ["v2.8-exp-a"]
    for ref in ("refs/replace/abc", "refs/tagguard/x"):  # not tags, but tagguard's to judge (TG404)
        result = push(clone, f"HEAD:{ref}", env=env)
        assert result.returncode == 1 and "TG404" in result.stderr


def test_a_chained_hook_still_gets_the_whole_input(clone: Path, server: Path, tmp_path: Path) -> None:
    seen = tmp_path / "seen"
    chained = server / "hooks" / "pre-receive.pre-tagguard"
    chained.write_text(f"#!/bin/sh\ncat > {seen}\nexit 3\n")
    chained.chmod(0o755)
    old = git("rev-parse", "HEAD", cwd=clone)
    new = commit(clone, "work")
    result = push(clone, "HEAD:refs/heads/main")
    assert result.returncode == 1  # the chained hook refused: so does the push
    assert seen.read_text() == f"{old} {new} refs/heads/main\n"
    chained.unlink()
    assert push(clone, "HEAD:refs/heads/main").returncode == 0


def test_the_update_hook_passes_branches_without_python(server: Path, tmp_path: Path) -> None:
    from tagguard.hookfiles.launcher import command_launcher
    from tagguard.server.hookscripts import hook_script

    update = tmp_path / "update"
    update.write_text(hook_script("update", command_launcher("/nonexistent/tagguard")))
    update.chmod(0o755)
    zero, one = "0" * 40, "1" * 40
    assert run(str(update), "refs/heads/main", zero, one, cwd=server).returncode == 0  # tagguard never started
    refused = run(str(update), "refs/tags/v2.8-base", zero, one, cwd=server)
    assert refused.returncode == 1 and "'/nonexistent/tagguard' is not installed" in refused.stderr


def test_post_receive_starts_tagguard_only_for_many_tags_or_names_that_need_escapes(
        clone: Path, server: Path, tmp_path: Path) -> None:
    env, log = counting_tagguard(tmp_path)
    many = [f"v2.8-exp-run{i}" for i in range(SH_MARKS + 1)]
    for name in many:
        annotated(clone, name)
    assert push(clone, *many, env=env).returncode == 0  # one too many for sh
    assert push(clone, ":refs/tags/v2.8-exp-run0", env=env).returncode == 0  # nothing to record
    commit(clone, "other work")
    annotated(clone, "v2.8-exp-b")
    assert push(clone, "v2.8-exp-b", env=env).returncode == 0
    assert log.read_text().split() == ["pre-receive", "post-receive", "pre-receive", "pre-receive"]
    git("tag", "-f", "-a", "v2.8-exp-run0", "-m", "again", cwd=clone)
    assert "TG403" in push(clone, "v2.8-exp-run0", env=env).stderr  # the name stayed burned
    use_policy(server, '[server]\nmode = "warn"\n')
    git("tag", 'v2.8-exp-"quoted"', cwd=clone)
    log.unlink()
    assert push(clone, 'v2.8-exp-"quoted"', env=env).returncode == 0
    assert log.read_text().split() == ["pre-receive", "post-receive"]  # JSON escapes are tagguard's to write
    assert landed_names(server) == [*many, "v2.8-exp-b", 'v2.8-exp-"quoted"']


ODD_REFS = ["refs/heads/main", "refs/heads/Feature-X", "refs/heads/release/2.8", "refs/heads/user@x.y", "refs/notes/x",
            "refs/heads/a.b/c", "refs/heads/tags/x", "refs/heads/Refs/heads", "refs/pull/1/head", "refs/tags/v2.8",
            "refs/Tags/x", "refs/tAgS./x", "refs/REPLACE/abc", "refs/replace./abc", "refs/TagGuard/x",
            "refs/heads/refs/TAGGUARD/ledger", "refs/heads/refs./tagguard./x", "refs/ta\u200dgs/x",
            "refs/tag\u017f/x", "refs/heads/caf\u00e9", "refs/heads/\udcffx", "refs/heads/a b",
            "refs/namespaces/a/refs/tags/x", "refs/NameSpaces/a/refs/replace/b", "refs/heads/refs/namespaces/a/x"]


@pytest.mark.parametrize("locale", ["C", "C.UTF-8"])
@pytest.mark.parametrize("shell", ["dash", "bash"])
def test_the_scripts_hand_tagguard_every_ref_it_reads_specially(server: Path, tmp_path: Path, shell: str,
                                                                locale: str) -> None:
    """Tags, replace refs, tagguard's own refs, any spelling a file system ignoring case
    stores as one of those and those inside a namespace (TG405) reach tagguard, from pre-receive's input and update's
    arguments alike; plain branches don't (a few odd ones do, and pass there)."""
    from tagguard.git.refs import OWN_PREFIX, REPLACE_PREFIX, TAG_PREFIX, is_own_ref, misplaced
    from tagguard.hookfiles.launcher import command_launcher
    from tagguard.server.hookscripts import hook_script

    scripts = {}
    for hook in ("pre-receive", "update"):
        scripts[hook] = tmp_path / hook
        scripts[hook].write_text(hook_script(hook, command_launcher("/nonexistent/tagguard")))
    special = [r for r in ODD_REFS if r.startswith((TAG_PREFIX, REPLACE_PREFIX, OWN_PREFIX)) or is_own_ref(r)
               or misplaced([r])]
    assert len(special) == 12
    env = {"LC_ALL": locale}
    for ref in ODD_REFS:
        expected = ref in special or not ref.isascii() or " " in ref
        update = run(shell, str(scripts["update"]), ref, ZERO, "1" * 40, cwd=server, env=env)
        line = f"{ZERO} {'1' * 40} {ref}\n".encode("utf-8", "surrogateescape")
        receive = subprocess.run([shell, str(scripts["pre-receive"])], cwd=server, input=line, capture_output=True,
                                 env={**os.environ, **env})
        assert ("is not installed" in update.stderr) == expected, ref
        assert (b"is not installed" in receive.stderr) == expected, ref
