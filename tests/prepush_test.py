"""`tagguard install` and the pre-push hook: real clones of real bare remotes, real pushes."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from testing.tools import ROOT, ZERO, client_push, git, isolated, remote_tags, tagguard


@pytest.fixture
def client(tmp_path: Path, remote: Path, client_template: Path) -> Path:
    """A clone of `remote` with two commits on main, both pushed: the client side. Copies of
    `client_template` (`remote` becomes its pushed remote)."""
    shutil.rmtree(remote)
    shutil.copytree(client_template / "remote.git", remote, symlinks=True)
    path = Path(shutil.copytree(client_template / "clone", tmp_path / "clone", symlinks=True))
    git("remote", "set-url", "origin", str(remote), cwd=path)
    return path


@pytest.fixture(scope="module")
def client_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Made once a module: a bare remote, and a clone of it with two commits on main, both pushed."""
    base = tmp_path_factory.mktemp("client")
    with isolated(base / "home"):
        git("init", "-q", "--bare", "-b", "main", str(base / "remote.git"), cwd=base)
        path = base / "clone"
        git("clone", "-q", str(base / "remote.git"), str(path), cwd=base)
        for number in (1, 2):
            (path / "train.py").write_text(f"print({number})\n")
            git("add", "train.py", cwd=path)
            git("commit", "-q", "-m", f"commit {number}", cwd=path)
        git("push", "-q", "origin", "main", cwd=path)
    return base


def push_with_policy(client: Path, policy: str, name: str, *tag_args: str) -> tuple[int, str]:
    """Write the client's policy, install the hook, create tag `name` and push it."""
    (client / ".tagguard.toml").write_text(policy)
    installed(client)
    git("tag", name, *tag_args, cwd=client)
    return client_push(client, name)


def installed(client: Path) -> Path:
    result = tagguard("install", cwd=client)
    assert result.returncode == 0, result.stderr
    return client


def test_install_writes_an_executable_hook_and_is_harmless_twice(client: Path) -> None:
    first = tagguard("install", cwd=client)
    hook = client / ".git" / "hooks" / "pre-push"
    assert first.stdout == f"tagguard: installed the pre-push hook: {hook}\n"
    assert os.access(hook, os.X_OK)
    again = tagguard("install", cwd=client)
    assert again.stdout == f"tagguard: updated the pre-push hook: {hook}\n"
    assert sorted(p.name for p in hook.parent.iterdir()) == ["pre-push"]


def test_good_annotated_tag_is_pushed(client: Path, remote: Path) -> None:
    installed(client)
    git("tag", "-a", "v2.8-base", "-m", "acc=0.91", cwd=client)
    code, output = client_push(client, "v2.8-base")
    assert code == 0, output
    assert remote_tags(remote) == ["v2.8-base"]


def test_every_problem_is_reported_at_once_and_nothing_is_pushed(client: Path, remote: Path) -> None:
    installed(client)
    git("tag", "V2.8_FT_lr2", cwd=client)
    git("tag", "test-run-alpha", cwd=client)
    git("tag", "-a", "v2.8-ft-lr2", "-m", "acc=0.93", cwd=client)
    code, output = client_push(client, "--tags")
    assert code == 1
    assert "V2.8_FT_lr2: TG101 starts with 'V'; names are all lowercase" in output
    assert "did you mean 'v2.8-ft-lr2'? git tag -d V2.8_FT_lr2 && git tag -a v2.8-ft-lr2" in output
    assert "V2.8_FT_lr2: TG301 is a lightweight tag" in output
    assert "test-run-alpha: TG104 is a temporary tag" in output
    assert "keep it local: this push did not publish it" in output
    assert "v2.8-ft-lr2:" not in output
    assert "tagguard: push stopped: 3 problem(s) in 2 tag(s) (policy: <embedded default policy>)" in output
    assert remote_tags(remote) == []


def test_tag_only_push_of_an_old_commit_is_checked(client: Path, remote: Path) -> None:
    installed(client)
    git("tag", "-a", "v2.8-finetune", "HEAD~1", "-m", "old commit", cwd=client)
    code, output = client_push(client, "v2.8-finetune")
    assert code == 1
    assert "v2.8-finetune: TG102 unknown type 'finetune'" in output
    assert remote_tags(remote) == []


def test_moving_a_published_tag_is_refused(client: Path, remote: Path) -> None:
    installed(client)
    git("tag", "-a", "v2.8-base", "HEAD~1", "-m", "first", cwd=client)
    assert client_push(client, "v2.8-base")[0] == 0
    published = git("rev-parse", "v2.8-base", cwd=remote)
    git("tag", "-f", "-a", "v2.8-base", "HEAD", "-m", "moved", cwd=client)
    code, output = client_push(client, "--force", "v2.8-base")
    assert code == 1
    assert f"v2.8-base: TG401 already points at {published[:12]}; published tags never move" in output
    assert git("rev-parse", "v2.8-base", cwd=remote) == published


def test_image_version_follows_the_policy_in_the_clone(client: Path, remote: Path) -> None:
    policy = "[image]\nref = 'pytorch/pytorch:2.9.0-cuda12.8-cudnn9-runtime'\n"
    code, output = push_with_policy(client, policy, "v2.8-ft", "-a", "-m", "stale version")
    assert code == 1
    assert "v2.8-ft: TG201 says PyTorch 2.8, but the training image is" in output
    assert "git tag -d v2.8-ft && git tag -a v2.9-ft " in output


def test_protected_deletion_needs_an_allowed_user(client: Path, remote: Path) -> None:
    (client / ".tagguard.toml").write_text(
        "[groups]\nleads = ['ana']\n\n[[protect]]\npattern = 'v*-prod*'\nallow_delete = ['@leads']\n"
    )
    git("tag", "-a", "v2.8-prod-ready", "-m", "deployed", cwd=client)
    git("tag", "-a", "v2.8-exp-a", "-m", "scratch", cwd=client)
    assert client_push(client, "v2.8-prod-ready", "v2.8-exp-a")[0] == 0
    installed(client)

    code, output = client_push(client, ":refs/tags/v2.8-prod-ready", ":refs/tags/v2.8-exp-a")
    assert code == 1
    assert (
        "v2.8-prod-ready: TG402 is protected; it may be deleted by: @leads "
        "(this clone can't tell who you are)" in output
    )
    assert "TAGGUARD_USER=<your server login> git push origin :refs/tags/v2.8-prod-ready" in output
    assert remote_tags(remote) == ["v2.8-exp-a", "v2.8-prod-ready"]

    code, output = client_push(client, ":refs/tags/v2.8-prod-ready", env={"TAGGUARD_USER": "bob"})
    assert code == 1
    assert "($TAGGUARD_USER is bob)" in output

    code, output = client_push(client, ":refs/tags/v2.8-prod-ready", ":refs/tags/v2.8-exp-a",
                        env={"TAGGUARD_USER": "ana"})
    assert code == 0, output
    assert remote_tags(remote) == []


def test_branch_pushes_pass_without_reading_the_policy(client: Path, remote: Path) -> None:
    (client / ".tagguard.toml").write_text("[naming]\ntypes = 'not a list'\n")
    installed(client)
    (client / "train.py").write_text("print(3)\n")
    git("commit", "-q", "-am", "three", cwd=client)
    code, output = client_push(client, "main")
    assert code == 0, output


def test_a_bad_policy_stops_a_tag_push_with_one_line(client: Path, remote: Path) -> None:
    code, output = push_with_policy(client, "[naming]\ntypes = 'not a list'\n", "v2.8-base", "-a", "-m", "x")
    assert code == 1
    assert "tagguard: error: " in output and "naming.types: expected a non-empty array" in output
    assert "Traceback" not in output


def test_warnings_are_shown_but_do_not_stop_the_push(client: Path, remote: Path) -> None:
    code, output = push_with_policy(client, "[rules]\nTG301 = 'warn'\n", "v2.8-base")
    assert code == 0, output
    assert "v2.8-base: TG301 (warning) is a lightweight tag" in output
    assert remote_tags(remote) == ["v2.8-base"]


def test_pre_push_input_errors_are_one_line(client: Path) -> None:
    result = tagguard("pre-push", "origin", "url", cwd=client, input="garbage\n")
    assert result.returncode == 2
    assert result.stderr == (
        "tagguard: error: stdin line 1: expected '<local ref> <local oid> <remote ref> <remote oid>', "
        "got 'garbage'\n"
    )


def test_pre_push_reads_git_input_directly(client: Path) -> None:
    git("tag", "-a", "v2.8-bad_desc", "-m", "x", cwd=client)
    oid = git("rev-parse", "v2.8-bad_desc", cwd=client)
    line = f"refs/tags/v2.8-bad_desc {oid} refs/tags/v2.8-bad_desc {ZERO}\n"
    result = tagguard("pre-push", "origin", "url", cwd=client, input=line)
    assert result.returncode == 1
    assert "v2.8-bad_desc: TG102 unknown type 'bad_desc'" in result.stderr


def test_uninstall_removes_only_our_hook(client: Path) -> None:
    hooks = client / ".git" / "hooks"
    assert tagguard("uninstall", cwd=client).stdout == f"tagguard: no tagguard hook in {hooks}; nothing to do\n"
    installed(client)
    result = tagguard("uninstall", cwd=client)
    assert result.stdout == f"tagguard: removed {hooks / 'pre-push'}\n"
    assert not (hooks / "pre-push").exists()


def test_install_refuses_to_replace_a_foreign_hook(client: Path) -> None:
    hook = client / ".git" / "hooks" / "pre-push"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text("#!/bin/sh\nexit 0\n")
    result = tagguard("install", cwd=client)
    assert result.returncode == 2
    assert result.stderr.startswith(f"tagguard: error: {hook} is a hook tagguard did not write")
    assert f"mv {hook} {hook}.mine" in result.stderr
    assert hook.read_text() == "#!/bin/sh\nexit 0\n"


def test_install_respects_core_hooks_path(client: Path, remote: Path) -> None:
    git("config", "core.hooksPath", ".githooks", cwd=client)
    result = tagguard("install", cwd=client)
    assert result.returncode == 0
    assert "note: core.hooksPath is set, so the hook went to" in result.stdout
    assert (client / ".githooks" / "pre-push").exists()
    assert not (client / ".git" / "hooks" / "pre-push").exists()
    git("tag", "wip-x", cwd=client)
    assert client_push(client, "wip-x")[0] == 1


def test_install_outside_a_clone(tmp_path: Path, remote: Path) -> None:
    outside = tagguard("install", cwd=tmp_path)
    assert (outside.returncode, outside.stderr) == (
        2, f"tagguard: error: not a git repository: {tmp_path}; cd into a clone, then run `tagguard install` there\n")
    bare = tagguard("install", cwd=remote)
    assert bare.returncode == 2
    assert bare.stderr.startswith("tagguard: error: not in a work tree: `tagguard install` is for a clone")


def test_hook_falls_back_to_tagguard_on_path_and_says_when_missing(client: Path, tmp_path: Path) -> None:
    installed(client)
    hook = client / ".git" / "hooks" / "pre-push"
    text = hook.read_text()
    gone = text.replace("TAGGUARD_PYTHON=", f"TAGGUARD_PYTHON={tmp_path}/no-python #", 1)
    hook.write_text(gone)
    git("tag", "wip-x", cwd=client)
    code, output = client_push(client, "wip-x", env={"PATH": "/usr/bin:/bin"})
    assert code == 1
    assert f"tagguard: not found (it was installed with {tmp_path}/no-python)" in output
    on_path = f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin"
    code, output = client_push(client, "wip-x", env={"PATH": on_path})
    assert code == 1
    assert "wip-x: TG104 is a temporary tag" in output


def test_deleting_a_tag_the_remote_lacks_is_left_to_git(client: Path) -> None:
    installed(client)
    code, output = client_push(client, ":refs/tags/v2.8-prod-gone")
    assert code == 0, output
    assert "tagguard" not in output
    assert "deleting a non-existent ref" in output


def test_readme_blocked_push_example_is_what_a_push_prints(client: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Before a tag leaves your machine", 1)[1]
    shown = section.split("```text\n", 1)[1].split("```", 1)[0]
    command, *expected = shown.splitlines()
    assert command == "$ git tag v2.8-finetune && git push origin v2.8-finetune"
    installed(client)
    git("tag", "v2.8-finetune", cwd=client)
    code, output = client_push(client, "v2.8-finetune")
    assert code == 1
    head = git("rev-parse", "--short=12", "HEAD", cwd=client)
    lines = [line.replace(head, "9898711f427a") for line in output.splitlines()]
    assert lines[: len(expected)] == expected


def test_image_is_read_at_the_tagged_commit_not_the_working_tree(client: Path, remote: Path) -> None:
    (client / "Dockerfile").write_text("FROM pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime\n")
    git("add", "Dockerfile", cwd=client)
    git("commit", "-qm", "train on 2.9", cwd=client)
    commit = git("rev-parse", "HEAD", cwd=client)[:12]
    (client / "Dockerfile").write_text("FROM pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime\n")
    code, output = push_with_policy(client, "[image]\nfile = 'Dockerfile'\n", "v2.8-ft-final", "-a", "-m", "acc=0.9")
    assert code == 1
    assert f"v2.8-ft-final: TG201 says PyTorch 2.8, but Dockerfile:1 at {commit} says 2.9" in output
    assert remote_tags(remote) == []
    git("tag", "-a", "v2.9-ft-final", "-m", "acc=0.9", cwd=client)
    code, output = client_push(client, "main", "v2.9-ft-final")
    assert code == 0, output
    assert remote_tags(remote) == ["v2.9-ft-final"]


def test_a_push_without_tags_starts_no_python(client: Path, remote: Path, tmp_path: Path) -> None:
    """The installed hook reads git's input in sh; only a push with a tag starts tagguard."""
    installed(client)
    log = tmp_path / "started.log"
    counting = tmp_path / "python-counting"
    counting.write_text(f'#!/bin/sh\necho started >> {log}\nexec {sys.executable} "$@"\n')
    counting.chmod(0o755)
    hook = client / ".git" / "hooks" / "pre-push"
    lines = hook.read_text().splitlines()
    hook.write_text("\n".join(f"TAGGUARD_PYTHON={counting}" if line.startswith("TAGGUARD_PYTHON=") else line
                              for line in lines) + "\n")
    git("commit", "-q", "--allow-empty", "-m", "more", cwd=client)
    assert client_push(client, "main", "main:refs/heads/topic")[0] == 0
    assert client_push(client, ":refs/heads/topic")[0] == 0
    assert not log.exists()
    git("tag", "V2.8_bad", cwd=client)
    code, output = client_push(client, "V2.8_bad")
    assert code == 1 and "V2.8_bad: TG101" in output
    assert log.read_text() == "started\n"
    assert remote_tags(remote) == []
