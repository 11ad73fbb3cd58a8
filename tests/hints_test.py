"""Every hint works when pasted: run the suggested command for real, and tagguard accepts the result."""

from __future__ import annotations

from pathlib import Path

from testing.hints import hints_of, paste
from testing.server import push, server_tags, use_policy
from testing.tools import annotated, client_push, commit, git, tagguard

from tagguard.rules.naming import NamingPolicy, next_name


def installed(clone: Path) -> Path:
    assert tagguard("install", cwd=clone).returncode == 0
    return clone


def test_a_new_name_is_valid_and_counts_on() -> None:
    naming = NamingPolicy()
    assert next_name("v2.8-ft-lr2", naming) == "v2.8-ft-lr2-2"
    assert next_name("v2.8-ft-lr2-2", naming) == "v2.8-ft-lr2-3"
    assert next_name("v2.8-ft", naming) == "v2.8-ft-2"
    assert next_name("v2.8", naming) is None  # v2.8-2: '2' is no type


def test_a_moved_tag_hint_names_the_commit_for_both_hooks(clone: Path, server: Path) -> None:
    installed(clone)
    annotated(clone, "v2.8-ft-lr2")
    assert push(clone, "v2.8-ft-lr2").returncode == 0
    second = commit(clone, "second")
    git("tag", "-f", "-a", "v2.8-ft-lr2", "-m", "moved", cwd=clone)
    moved = git("rev-parse", "v2.8-ft-lr2", cwd=clone)
    code, output = client_push(clone, "--force", "v2.8-ft-lr2")
    client_hint = hints_of(output, "v2.8-ft-lr2")
    assert code == 1
    assert client_hint == [f"give the new commit a new name, e.g. git tag -a v2.8-ft-lr2-2 {second[:12]} -m \"...\""]
    server_hint = hints_of(push(clone, "--no-verify", "--force", "v2.8-ft-lr2").stderr, "v2.8-ft-lr2")
    assert server_hint == client_hint and moved[:12] not in server_hint[0]
    paste(client_hint[0], clone)
    assert git("cat-file", "-p", "v2.8-ft-lr2-2", cwd=clone).startswith(f"object {second}\ntype commit\n")
    assert client_push(clone, "v2.8-ft-lr2-2")[0] == 0
    assert "v2.8-ft-lr2-2" in server_tags(server)


def test_a_misnamed_lightweight_tag_gets_one_command_that_both_hooks_accept(clone: Path, server: Path) -> None:
    installed(clone)
    first = git("rev-parse", "HEAD", cwd=clone)
    commit(clone, "second")
    git("tag", "v2.8-finetune", first, cwd=clone)
    code, output = client_push(clone, "v2.8-finetune")
    hints = hints_of(output, "v2.8-finetune")
    assert code == 1
    assert hints == [f"did you mean 'v2.8-ft'? git tag -d v2.8-finetune && git tag -a v2.8-ft {first[:12]} "
                     "-m \"acc=..., f1=...\"", "the command above re-creates it annotated"]
    assert hints_of(push(clone, "--no-verify", "v2.8-finetune").stderr, "v2.8-finetune") == hints
    paste(hints[0], clone)
    assert git("tag", "-l", cwd=clone) == "v2.8-ft"
    assert client_push(clone, "v2.8-ft")[0] == 0
    assert server_tags(server) == {"v2.8-ft": git("rev-parse", "v2.8-ft", cwd=clone)}
    assert git("rev-parse", "v2.8-ft^{}", cwd=clone) == first


def test_a_pushed_tag_named_for_another_image_is_renamed_for_the_policys(clone: Path, server: Path) -> None:
    installed(clone)
    (clone / ".tagguard.toml").write_text("[image]\npytorch = ['2.9']\n")
    git("add", ".tagguard.toml", cwd=clone)
    git("commit", "-qm", "policy", cwd=clone)
    git("tag", "v2.8-ft", cwd=clone)
    code, output = client_push(clone, "HEAD:main", "v2.8-ft")
    hints = hints_of(output, "v2.8-ft")
    assert code == 1 and hints[1] == "the command above re-creates it annotated"
    paste(hints[0], clone)
    assert client_push(clone, "HEAD:main", "v2.9-ft")[0] == 0
    assert list(server_tags(server)) == ["v2.9-ft"]


ALICE_MAY_DELETE = "[[protect]]\npattern = 'v*-prod*'\nallow_delete = ['alice']\n"


def published_prod_tag(clone: Path, server: Path) -> None:
    use_policy(server, ALICE_MAY_DELETE)
    annotated(clone, "v2.8-prod-ready")
    assert push(clone, "v2.8-prod-ready").returncode == 0
    installed(clone)


def test_a_protected_delete_hint_works_for_someone_allowed(clone: Path, server: Path) -> None:
    published_prod_tag(clone, server)
    (clone / ".tagguard.toml").write_text(ALICE_MAY_DELETE)
    code, output = client_push(clone, ":refs/tags/v2.8-prod-ready", env={"REMOTE_USER": "alice"})
    [hint] = hints_of(output, "v2.8-prod-ready")
    assert code == 1 and "TAGGUARD_USER=<your server login> git push" in hint
    paste(hint.replace("<your server login>", "alice"), clone, env={"REMOTE_USER": "alice"})
    assert server_tags(server) == {}


def test_a_protected_delete_nobody_may_make_says_so(clone: Path, server: Path) -> None:
    published_prod_tag(clone, server)  # the clone has the default policy: nobody deletes v*-prod*
    code, output = client_push(clone, ":refs/tags/v2.8-prod-ready", env={"TAGGUARD_USER": "alice"})
    assert code == 1
    assert "v2.8-prod-ready: TG402 is protected; this clone's policy lets nobody delete it" in output
    [hint] = hints_of(output, "v2.8-prod-ready")
    assert "TAGGUARD_USER" not in hint
    paste(hint, clone, env={"REMOTE_USER": "alice"})
    assert server_tags(server) == {}


def test_an_uppercase_name_gets_the_lowercase_rule_and_its_hint_passes(repo: Path) -> None:
    result = tagguard("check", "v2.8-FT", cwd=repo)
    assert result.stdout == ("v2.8-FT: TG101 has uppercase letters; names are all lowercase\n"
                             "    did you mean 'v2.8-ft'? git tag -a v2.8-ft -m \"...\"\n")
    paste(hints_of(result.stdout, "v2.8-FT")[0], repo)
    checked = tagguard("check-ref", "v2.8-ft", cwd=repo)
    assert (checked.returncode, checked.stdout) == (0, "v2.8-ft: ok\n")
