"""Server hooks, tested with real pushes over file:// to bare repositories whose hooks were
installed by `tagguard install --server`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from testing.server import connect, landed_records, make_server, push, remote_lines, server_tags, use_policy
from testing.tools import ROOT, TAGGUARD, annotated, commit, git, run, tagguard

from tagguard.hookfiles.launcher import command_launcher
from tagguard.server.hookscripts import SERVER_HOOKS, hook_script
from tagguard.server.ledger import LEDGER_FILE

# --- the rules, each refused with code and hint while the good push lands ---------------------


def test_every_violating_ref_is_reported_at_once_and_nothing_lands(clone: Path, server: Path) -> None:
    git("tag", "V2.8_FT_lr2", cwd=clone)
    annotated(clone, "test-run-alpha")
    annotated(clone, "v2.8-ft-lr2")
    result = push(clone, "--tags")
    assert result.returncode == 1
    assert remote_lines(result) == [
        "V2.8_FT_lr2: TG101 starts with 'V'; names are all lowercase",
        "    did you mean 'v2.8-ft-lr2'? git tag -d V2.8_FT_lr2 && git tag -a v2.8-ft-lr2 "
        f"{git('rev-parse', 'HEAD', cwd=clone)[:12]} -m \"acc=..., f1=...\"",
        "V2.8_FT_lr2: TG301 is a lightweight tag; the policy requires annotated tags",
        "    the command above re-creates it annotated",
        "test-run-alpha: TG104 is a temporary tag (matches 'test-*') and must not be published",
        "    keep it local: this push did not publish it; push tags by name, not with --tags or --follow-tags",
        "tagguard: push refused: 2 tag refs break the tag policy (policy: <embedded default policy>)",
    ]
    assert server_tags(server) == {}
    landed = push(clone, "v2.8-ft-lr2")
    assert (landed.returncode, remote_lines(landed)) == (0, [])
    assert server_tags(server) == {"v2.8-ft-lr2": git("rev-parse", "v2.8-ft-lr2", cwd=clone)}


def test_image_version_read_from_the_pushed_code_in_quarantine(clone: Path, server: Path) -> None:
    use_policy(server, '[image]\nfile = ["Dockerfile", "requirements.txt"]\n')
    (clone / "requirements.txt").write_text("torch==2.8.1\n")
    git("add", "requirements.txt", cwd=clone)
    old = commit(clone, "trained on 2.8")
    (clone / "Dockerfile").write_text("FROM pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime\n")
    git("add", "Dockerfile", cwd=clone)
    new = commit(clone, "move to 2.9")
    annotated(clone, "v2.8-ft-final")  # on the new commit: its Dockerfile says 2.9
    annotated(clone, "v2.8-base", old)  # the old commit has no Dockerfile: requirements.txt says 2.8
    result = push(clone, "main", "v2.8-ft-final", "v2.8-base")
    assert result.returncode == 1
    assert remote_lines(result)[:2] == [
        f"v2.8-ft-final: TG201 says PyTorch 2.8, but Dockerfile:1 at {new[:12]} says 2.9 "
        "(FROM pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime)",
        f"    name it for the image: git tag -a v2.9-ft-final {new[:12]} -m \"...\"",
    ]
    assert server_tags(server) == {}
    assert push(clone, "main", "v2.8-base").returncode == 0
    assert list(server_tags(server)) == ["v2.8-base"]


def test_image_version_from_the_repository_policy(clone: Path, server: Path) -> None:
    use_policy(server, '[image]\nref = "pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime"\n')
    annotated(clone, "v2.9-ft")
    result = push(clone, "v2.9-ft")
    assert result.returncode == 1
    assert "v2.9-ft: TG201 says PyTorch 2.9, but the training image is pytorch/pytorch:2.8.0" in result.stderr
    assert "name it for the image (policy: " in result.stderr
    assert f"): git tag -d v2.9-ft && git tag -a v2.8-ft {git('rev-parse', 'HEAD', cwd=clone)[:12]} -m" in result.stderr
    annotated(clone, "v2.8-ft")
    assert push(clone, "v2.8-ft").returncode == 0
    assert list(server_tags(server)) == ["v2.8-ft"]


def test_tag_objects_message_name_target_and_tag_of_tag(clone: Path, server: Path) -> None:
    annotated(clone, "v2.8-base", message="")
    annotated(clone, "v2.8-eval", "HEAD^{tree}")
    git("push", "-q", ".", "refs/tags/v2.8-eval:refs/tags/v2.8-exp", cwd=clone)  # a local copy, same object
    result = push(clone, "v2.8-base", "v2.8-eval", "v2.8-exp")
    assert result.returncode == 1
    lines = remote_lines(result)
    assert "v2.8-base: TG302 has an empty message" in lines
    assert "v2.8-eval: TG305 points at a tree, not a commit" in lines
    assert "v2.8-exp: TG304 is a tag object named 'v2.8-eval', pushed as 'v2.8-exp'" in lines
    assert "    push it under its own name: git push origin v2.8-eval" in lines
    assert server_tags(server) == {}
    git("tag", "-a", "v2.8-ft", "-m", "inner", cwd=clone)
    git("tag", "-a", "v2.8-prod-ready", "v2.8-ft", "-m", "tag of a tag", cwd=clone)
    assert push(clone, "v2.8-ft", "v2.8-prod-ready").returncode == 0
    assert landed_records(server)[-1]["commit"] == git("rev-parse", "HEAD", cwd=clone)


def test_moving_a_tag_is_refused(clone: Path, server: Path) -> None:
    first = annotated(clone, "v2.8-ft-lr2")
    assert push(clone, "v2.8-ft-lr2").returncode == 0
    commit(clone, "second")
    git("tag", "-f", "-a", "v2.8-ft-lr2", "-m", "moved", cwd=clone)
    result = push(clone, "--force", "v2.8-ft-lr2")
    assert result.returncode == 1
    assert f"v2.8-ft-lr2: TG401 already points at {first[:12]}; published tags never move" in result.stderr
    assert "give the new commit a new name, e.g. git tag -a v2.8-ft-lr2-2" in result.stderr
    assert server_tags(server) == {"v2.8-ft-lr2": first}


PROTECT = """
[groups]
release = ["carol"]
[[protect]]
pattern = "v*-prod*"
allow_delete = ["alice", "@release"]
"""


@pytest.mark.parametrize(("env", "allowed"), [
    ({"REMOTE_USER": "alice"}, True),
    ({"GL_USERNAME": "carol"}, True),  # through the group
    ({"GITEA_PUSHER_NAME": "mallory", "REMOTE_USER": "alice"}, False),  # the first one set wins
    ({}, False),  # no identity: nobody
])
def test_protected_delete_uses_the_pushers_identity(clone: Path, server: Path, env: dict[str, str],
                                                    allowed: bool) -> None:
    use_policy(server, PROTECT)
    annotated(clone, "v2.8-prod-ready")
    assert push(clone, "v2.8-prod-ready").returncode == 0
    result = push(clone, ":refs/tags/v2.8-prod-ready", env=env)
    assert (result.returncode == 0) is allowed, result.stderr
    if allowed:
        assert server_tags(server) == {}
    else:
        who = f"you are {env['GITEA_PUSHER_NAME']}" if env else "the server could not tell who you are"
        assert f"v2.8-prod-ready: TG402 is protected (pattern 'v*-prod*'); it may be deleted by: alice, @release ({who})" in result.stderr
        assert list(server_tags(server)) == ["v2.8-prod-ready"]


def test_mirror_push_deletes_past_the_client_hook_and_the_server_refuses(clone: Path, server: Path) -> None:
    """`git push --mirror` tells pre-push nothing of the tags it deletes; the server sees them."""
    use_policy(server, PROTECT)
    annotated(clone, "v2.8-prod-ready")
    assert push(clone, "v2.8-prod-ready").returncode == 0
    assert tagguard("install", cwd=clone).returncode == 0
    git("tag", "-d", "v2.8-prod-ready", cwd=clone)
    result = run("git", "push", "--mirror", "origin", cwd=clone)
    assert result.returncode == 1, result.stderr
    assert "tagguard: push stopped" not in result.stderr  # the client hook passed: it wasn't told
    assert "v2.8-prod-ready: TG402 is protected (pattern 'v*-prod*')" in result.stderr
    assert list(server_tags(server)) == ["v2.8-prod-ready"]


def test_identity_variables_are_configurable(clone: Path, server: Path) -> None:
    use_policy(server, PROTECT + '[server]\nidentity_env = ["SSO_LOGIN"]\n')
    annotated(clone, "v2.8-prod-ready")
    push(clone, "v2.8-prod-ready")
    assert push(clone, ":refs/tags/v2.8-prod-ready", env={"REMOTE_USER": "alice"}).returncode == 1
    assert push(clone, ":refs/tags/v2.8-prod-ready", env={"SSO_LOGIN": "alice"}).returncode == 0


def test_unprotected_tags_may_be_deleted_and_branches_pass(clone: Path, server: Path) -> None:
    annotated(clone, "v2.8-exp-a")
    assert push(clone, "v2.8-exp-a").returncode == 0
    commit(clone, "two")
    result = push(clone, ":refs/tags/v2.8-exp-a", "HEAD:refs/heads/Not_A_Tag_Name")
    assert (result.returncode, remote_lines(result)) == (0, [])


def test_policy_never_comes_from_the_push(clone: Path, server: Path) -> None:
    (clone / ".tagguard.toml").write_text('[naming]\ntypes = ["anything"]\n')
    git("add", ".tagguard.toml", cwd=clone)
    commit(clone, "a permissive policy, pushed")
    annotated(clone, "v2.8-anything")
    result = push(clone, "HEAD:refs/heads/main", "v2.8-anything")
    assert result.returncode == 1
    assert "v2.8-anything: TG102" in result.stderr


def test_policy_from_environment_wins_over_git_config(clone: Path, server: Path, tmp_path: Path) -> None:
    use_policy(server, '[naming]\ntypes = ["ft"]\n')
    from_env = tmp_path / "env.toml"
    from_env.write_text('[naming]\ntypes = ["base"]\n')
    annotated(clone, "v2.8-base")
    assert push(clone, "v2.8-base").returncode == 1
    assert push(clone, "v2.8-base", env={"TAGGUARD_POLICY": str(from_env)}).returncode == 0


# --- signatures, verified by the server's git with an SSH allowed-signers file ----------------


def ssh_key(path: Path, comment: str) -> Path:
    result = run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path))
    assert result.returncode == 0, result.stderr
    return path


@pytest.mark.skipif(run("ssh-keygen", "-?").returncode == 127, reason="ssh-keygen is not installed")
def test_require_signed_verifies_ssh_signatures(clone: Path, server: Path, tmp_path: Path) -> None:
    trusted, stranger = ssh_key(tmp_path / "trusted", "t"), ssh_key(tmp_path / "stranger", "s")
    signers = tmp_path / "allowed_signers"
    signers.write_text(f"test@example.com {(tmp_path / 'trusted.pub').read_text()}")
    git("config", "gpg.format", "ssh", cwd=server)
    git("config", "gpg.ssh.allowedSignersFile", str(signers), cwd=server)
    use_policy(server, "[tags]\nrequire_signed = true\n")
    git("config", "gpg.format", "ssh", cwd=clone)
    for name, key in (("v2.8-ft-a", trusted), ("v2.8-ft-b", stranger)):
        git("-c", f"user.signingkey={key}", "tag", "-s", name, "-m", "signed", cwd=clone)
    annotated(clone, "v2.8-ft-c")
    result = push(clone, "v2.8-ft-a", "v2.8-ft-b", "v2.8-ft-c")
    assert result.returncode == 1
    lines = remote_lines(result)
    assert [line.split(" ")[0] for line in lines if " TG303 " in line] == ["v2.8-ft-b:", "v2.8-ft-c:"]
    assert "v2.8-ft-a: TG303" not in result.stderr
    assert push(clone, "v2.8-ft-a").returncode == 0


# --- the ledger: a published name is burned ---------------------------------------------------


def test_deleted_name_cannot_come_back_on_another_commit(clone: Path, server: Path) -> None:
    first = annotated(clone, "v2.8-ft-lr2")
    push(clone, "v2.8-ft-lr2", env={"REMOTE_USER": "alice"})
    assert [(r["name"], r["object"], r["pusher"]) for r in landed_records(server)] == [("v2.8-ft-lr2", first, "alice")]
    assert push(clone, ":refs/tags/v2.8-ft-lr2").returncode == 0
    commit(clone, "other")
    git("tag", "-f", "-a", "v2.8-ft-lr2", "-m", "again", cwd=clone)
    result = push(clone, "v2.8-ft-lr2")
    assert result.returncode == 1
    assert "v2.8-ft-lr2: TG403 was published before for commit" in result.stderr
    assert "(by alice, " in result.stderr
    assert server_tags(server) == {}
    git("tag", "-f", "-a", "v2.8-ft-lr2", "HEAD~1", "-m", "restored", cwd=clone)
    assert push(clone, "v2.8-ft-lr2").returncode == 0  # the same commit again is a restore


def test_install_records_existing_tags_and_reinstall_does_not_repeat(repo: Path, tmp_path: Path) -> None:
    server = tmp_path / "old.git"
    git("init", "-q", "--bare", str(server), cwd=tmp_path)
    git("remote", "add", "origin", f"file://{server}", cwd=repo)
    annotated(repo, "v2.8-base")
    git("push", "-q", "origin", "HEAD:refs/heads/main", "v2.8-base", cwd=repo)
    first = tagguard("install", "--server", str(server))
    assert f"{server}/{LEDGER_FILE}: recorded 1 existing tag" in first.stdout
    assert "recorded" not in tagguard("install", "--server", str(server)).stdout
    assert [r["pusher"] for r in landed_records(server)] == ["(existing before tagguard)"]
    push(repo, ":refs/tags/v2.8-base")
    commit(repo, "two")
    git("tag", "-f", "-a", "v2.8-base", "-m", "again", cwd=repo)
    assert "TG403" in push(repo, "v2.8-base").stderr


def test_torn_ledger_line_is_ignored_and_closed(clone: Path, server: Path) -> None:
    annotated(clone, "v2.8-ft-a")
    push(clone, "v2.8-ft-a")
    with open(server / LEDGER_FILE, "a") as f:
        f.write('{"name": "v2.8-ft-b", "obj')  # a crash mid-write
    annotated(clone, "v2.8-ft-b")
    assert push(clone, "v2.8-ft-b").returncode == 0
    text = [line for line in (server / LEDGER_FILE).read_text().splitlines() if line]
    assert text[2] == '{"name": "v2.8-ft-b", "obj'  # after v2.8-ft-a's pending record and landed mark
    assert [(json.loads(line)["name"], json.loads(line).get("state")) for line in text[3:]] == [
        ("v2.8-ft-b", "pending"), ("v2.8-ft-b", "landed")]
    assert [r["name"] for r in landed_records(server)] == ["v2.8-ft-a", "v2.8-ft-b"]


# --- modes, audit log, failing closed ---------------------------------------------------------


def test_warn_mode_accepts_reports_and_audits(clone: Path, server: Path, tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    use_policy(server, f'[server]\nmode = "warn"\naudit_log = "{audit}"\n')
    git("tag", "v2.8-ft", cwd=clone)
    annotated(clone, "v2.8-base")
    result = push(clone, "v2.8-ft", "v2.8-base", env={"GITHUB_USER_LOGIN": "dave"})
    assert result.returncode == 0
    assert remote_lines(result)[0] == "v2.8-ft: TG301 (warning) is a lightweight tag; the policy requires annotated tags"
    assert remote_lines(result)[-1].startswith("tagguard: warn mode: push accepted, but 1 tag ref breaks the tag policy")
    assert sorted(server_tags(server)) == ["v2.8-base", "v2.8-ft"]
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [(r["ref"], r["verdict"], r["codes"], r["pusher"]) for r in records] == [
        ("refs/tags/v2.8-ft", "warned", ["TG301"], "dave"),
        ("refs/tags/v2.8-base", "accepted", [], "dave"),
    ]
    assert set(records[0]) == {"time", "repo", "pusher", "ref", "old", "new", "verdict", "codes"}
    assert records[0]["repo"] == str(server)


def test_enforce_mode_audits_refusals(clone: Path, server: Path) -> None:
    use_policy(server, '[server]\naudit_log = "audit.jsonl"\n')  # relative to the git dir
    git("tag", "v2.8-ft", cwd=clone)
    annotated(clone, "v2.8-base")
    assert push(clone, "v2.8-ft", "v2.8-base").returncode == 1
    records = [json.loads(line) for line in (server / "audit.jsonl").read_text().splitlines()]
    assert [(r["verdict"], r["codes"]) for r in records] == [("refused", ["TG301"]), ("refused", [])]


@pytest.mark.parametrize(("policy_text", "why"), [
    (None, "no such file"),
    ("[naming\n", "not valid TOML"),
    ('[server]\nmode = "audit"\n', 'server.mode: expected "enforce" or "warn", got the string \'audit\''),
])
def test_unreadable_policy_refuses_the_push(clone: Path, server: Path, policy_text: str | None, why: str) -> None:
    policy = use_policy(server, policy_text or "")
    if policy_text is None:
        policy.unlink()
    annotated(clone, "v2.8-base")
    result = push(clone, "v2.8-base")
    assert result.returncode == 1
    [line] = remote_lines(result)
    assert line.startswith(f"tagguard: push refused: {policy}: ") and why in line
    assert server_tags(server) == {}


def test_internal_error_refuses_with_one_line_prefixed_for_gitlab(clone: Path, server: Path) -> None:
    (server / LEDGER_FILE).mkdir()  # the ledger can't be read
    annotated(clone, "v2.8-base")
    result = push(clone, "v2.8-base", env={"GL_ID": "user-1", "GL_PROTOCOL": "ssh"})
    assert result.returncode == 1
    [line] = remote_lines(result)
    assert line.startswith("GL-HOOK-ERR: tagguard: push refused: internal error: IsADirectoryError")
    assert server_tags(server) == {}


def test_unwritable_audit_log_refuses(clone: Path, server: Path, tmp_path: Path) -> None:
    use_policy(server, f'[server]\naudit_log = "{tmp_path}"\n')
    annotated(clone, "v2.8-base")
    result = push(clone, "v2.8-base")
    assert result.returncode == 1
    assert remote_lines(result)[0] == f"tagguard: push refused: can't write the audit log {tmp_path}: Is a directory"


def test_malformed_input_to_the_installed_hook_refuses(server: Path) -> None:
    result = run(str(server / "hooks" / "pre-receive"), cwd=server, input="not a ref update\n")
    assert result.returncode == 2
    assert result.stderr == ("tagguard: push refused: stdin line 1: expected '<old> <new> <ref>', "
                             "got 'not a ref update'\n")


def test_git_failure_refuses(tmp_path: Path) -> None:
    result = tagguard("pre-receive", cwd=tmp_path, input=f"{'0' * 40} {'1' * 40} refs/tags/v2.8\n")
    assert result.returncode == 2
    assert result.stderr == f"tagguard: push refused: not a git repository: {tmp_path}\n"


def test_missing_tagguard_command_refuses(clone: Path, server: Path) -> None:
    annotated(clone, "v2.8-base")
    result = push(clone, "v2.8-base", env={"TAGGUARD": "/nonexistent/tagguard", "GL_USERNAME": "x"})
    assert result.returncode == 1
    assert remote_lines(result)[0] == ("GL-HOOK-ERR: tagguard: push refused: the tagguard command "
                                       "'/nonexistent/tagguard' is not installed (set TAGGUARD or PATH)")


def test_post_receive_failure_says_the_push_landed(clone: Path, server: Path) -> None:
    (server / "hooks" / "pre-receive").unlink()
    (server / LEDGER_FILE).mkdir()
    annotated(clone, "v2.8-base")
    result = push(clone, "v2.8-base")
    assert result.returncode == 0
    assert remote_lines(result)[0] == ("tagguard: the push landed, but recording its tags in the ledger failed: "
                                       f"can't write the tag ledger {server / LEDGER_FILE}: Is a directory")


# --- install, chaining, uninstall; the update hook; SHA-256 -----------------------------------


def test_hook_scripts_in_the_repository_are_the_ones_install_writes() -> None:
    for hook in SERVER_HOOKS:
        path = ROOT / "hooks" / hook
        assert path.read_text() == hook_script(hook)
        assert path.stat().st_mode & 0o111


def test_install_keeps_and_chains_an_existing_hook_and_uninstall_restores_it(clone: Path, tmp_path: Path) -> None:
    server = tmp_path / "chained.git"
    git("init", "-q", "--bare", str(server), cwd=tmp_path)
    (server / "hooks").mkdir()
    old = server / "hooks" / "pre-receive"
    old.write_text("#!/bin/sh\nwhile read old new ref; do echo \"legacy saw $ref\"; done\n"
                   "case \"$ref\" in *blocked*) exit 1;; esac\n")
    old.chmod(0o755)
    original = old.read_text()
    first = tagguard("install", "--server", str(server))
    assert first.stdout.splitlines()[0] == f"{old}: kept the existing hook as pre-receive.pre-tagguard; it still runs first"
    assert tagguard("install", "--server", str(server)).returncode == 0  # harmless again
    assert (server / "hooks" / "pre-receive.pre-tagguard").read_text() == original
    git("remote", "set-url", "origin", f"file://{server}", cwd=clone)
    annotated(clone, "v2.8-blocked")
    git("tag", "V2", cwd=clone)
    result = push(clone, "v2.8-blocked", "V2")
    assert result.returncode == 1
    assert "legacy saw refs/tags/v2.8-blocked" in remote_lines(result)
    assert "V2: TG101" in result.stderr  # both hooks had their say
    assert push(clone, "HEAD:refs/heads/main").returncode == 0
    assert tagguard("uninstall", "--server", str(server)).stdout.splitlines() == [
        f"{old}: removed",
        f"{old}: restored the hook that was there before",
        f"{server / 'hooks' / 'post-receive'}: removed",
    ]
    assert old.read_text() == original


def test_install_errors(tmp_path: Path, server: Path) -> None:
    result = tagguard("install", "--server", str(tmp_path / "nowhere"))
    assert (result.returncode, result.stderr) == (2, f"tagguard: error: no such directory: {tmp_path / 'nowhere'}; "
                                                 "--server takes the path of a repository (a bare repository or a clone)\n")
    hook = server / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\n")
    (server / "hooks" / "pre-receive.pre-tagguard").write_text("#!/bin/sh\n")
    result = tagguard("install", "--server", str(server))
    assert result.stderr == (f"tagguard: error: {hook}.pre-tagguard exists already; move it or {hook} away, "
                             "then install again\n")
    assert "cd into a clone, then run `tagguard install` there" in tagguard("install").stderr  # the client form
    assert tagguard("uninstall", "--server", str(server)).stdout.splitlines()[0] == f"{hook}: not tagguard's hook; left alone"


def test_update_hook_refuses_only_the_bad_ref(clone: Path, server: Path) -> None:
    (server / "hooks" / "pre-receive").unlink()
    update = server / "hooks" / "update"
    update.write_text(hook_script("update", command_launcher(TAGGUARD)))
    update.chmod(0o755)
    annotated(clone, "v2.8-base")
    git("tag", "v2.8-ft", cwd=clone)
    result = push(clone, "v2.8-base", "v2.8-ft")
    assert result.returncode == 1
    assert "tagguard: refs/tags/v2.8-ft refused: 1 tag ref breaks the tag policy" in result.stderr
    assert list(server_tags(server)) == ["v2.8-base"]


def test_sha256_repositories(tmp_path: Path) -> None:
    server = make_server(tmp_path / "sha256.git", "--object-format=sha256")
    clone = tmp_path / "sha256-clone"
    git("init", "-q", "--object-format=sha256", "-b", "main", str(clone), cwd=tmp_path)
    commit(clone, "one")
    connect(clone, server)
    tag = annotated(clone, "v2.8-base")
    git("tag", "v2.8-ft", cwd=clone)
    result = push(clone, "v2.8-base", "v2.8-ft")
    assert result.returncode == 1 and "v2.8-ft: TG301" in result.stderr
    assert push(clone, "v2.8-base").returncode == 0
    assert len(tag) == 64 and server_tags(server) == {"v2.8-base": tag}
    assert push(clone, ":refs/tags/v2.8-base").returncode == 0
    commit(clone, "two")
    git("tag", "-f", "-a", "v2.8-base", "-m", "again", cwd=clone)
    assert "v2.8-base: TG403" in push(clone, "v2.8-base").stderr
