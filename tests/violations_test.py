"""The rules layer words every violation: each builder's words, and the client's and the
server's for the same rule."""

from __future__ import annotations

from tagguard.image.files import Reading
from tagguard.rules import violations
from tagguard.rules.catalog import RULES, Violation
from tagguard.rules.naming import NameProblem, NamingPolicy, TagName

OID = "1a2b3c4d5e6f" + "0" * 28
TAGGED = TagName(2, 7, "ft", "lr2")


def every_builder() -> list[Violation]:
    reading = Reading("Dockerfile", 3, "FROM pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime", "2.8")
    return [
        violations.bad_name("V2.7_ft", NameProblem("TG101", "starts with 'V'"), NamingPolicy()),
        violations.bad_name("v2.7-finetune", NameProblem("TG102", "unknown type"), NamingPolicy()),
        violations.bad_name("v2.7-ft-A", NameProblem("TG103", "bad desc"), NamingPolicy()),
        violations.temporary_tag("tmp-x", "tmp-*"),
        violations.policy_image_version("v2.7-ft-lr2", TAGGED, ("2.8",), None, "default"),
        violations.code_image_version("v2.7-ft-lr2", TAGGED, reading, OID),
        violations.option_image_version("v2.7-ft-lr2", TAGGED, "2.8", "pytorch/pytorch:2.8.0"),
        violations.image_unreadable("v2.7-ft-lr2", reading._replace(version=None, problem="has no FROM line"), OID),
        violations.lightweight_tag("v2.7-ft", OID),
        violations.empty_message("v2.7-ft", OID),
        violations.unsigned_tag("v2.7-ft", OID),
        violations.tag_name_mismatch("v2.7-ft", "v2.7-base"),
        violations.missing_object("v2.7-ft", OID),
        violations.not_a_commit("v2.7-ft", "tree"),
        violations.missing_tagger("v2.7-ft", OID, has_line=False),
        violations.oversized_tag("v2.7-ft", OID, 2 << 20, 1 << 20, None),
        violations.moved_tag("v2.7-ft", OID, "f" * 40, "e" * 40, NamingPolicy()),
        violations.protected_delete("v2.7-prod-ready", "v*-prod*", ("alice",), "bob"),
        violations.reused_name("v2.7-ft", OID, "e" * 40, "alice", "2025-01-02T03:04:05Z", NamingPolicy()),
        violations.reserved_ref("refs/tagguard/x", own=True),
        violations.lookalike_ref("refs/Tags/v2.8-base", "refs/tags/v2.8-base"),
        violations.lookalike_ref("refs/namespaces/a/refs/tags/v2.8-base", "refs/tags/v2.8-base", "a"),
        violations.case_twin("v2.8-ft-A", "v2.8-ft-a", pushed=False),
    ]


def test_every_rule_has_a_builder() -> None:
    assert {v.code for v in every_builder()} == set(RULES)
    assert all(v.message and v.hint for v in every_builder())


def test_the_image_version_is_worded_for_where_it_was_read() -> None:
    policy, code, option = every_builder()[4:7]
    assert policy.message == "says PyTorch 2.7, but the training image is PyTorch 2.8"
    assert policy.hint == 'name it for the image (policy: default): git tag -a v2.8-ft-lr2 -m "..."'
    assert code.message == ("says PyTorch 2.7, but Dockerfile:3 at 1a2b3c4d5e6f says 2.8 "
                            "(FROM pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime)")
    assert code.hint == 'name it for the image: git tag -a v2.8-ft-lr2 1a2b3c4d5e6f -m "..."'
    assert option.message == "says PyTorch 2.7, but --image pytorch/pytorch:2.8.0 is PyTorch 2.8"
    assert option.hint == 'tagguard tag v2.8-ft-lr2 -m "..." --image pytorch/pytorch:2.8.0'


def test_a_protected_delete_is_worded_for_the_server_and_for_a_client() -> None:
    server = violations.protected_delete("v2.8-prod-ready", "v*-prod*", (), None)
    assert server.message == ("is protected (pattern 'v*-prod*'); it may be deleted by: nobody "
                              "(the server could not tell who you are)")
    assert server.hint == "keep the tag; if it must go, ask an admin to change the policy"
    client = violations.protected_delete("v2.8-prod-ready", "v*-prod*", ("alice",), "bob", "TAGGUARD_USER")
    assert client.message == "is protected; it may be deleted by: alice ($TAGGUARD_USER is bob)"
    assert client.hint == (
        "the server decides; if you are one of them: TAGGUARD_USER=<your server login> git push origin "
        ":refs/tags/v2.8-prod-ready"
    )
    nobody = violations.protected_delete("v2.8-prod-ready", "v*-prod*", (), "bob", "TAGGUARD_USER")
    assert nobody.message == "is protected; this clone's policy lets nobody delete it"
    assert nobody.hint == ("keep the tag; if the server's policy lets you, knowingly skip this check: "
                           "git push --no-verify origin :refs/tags/v2.8-prod-ready")
    anonymous = violations.protected_delete("v2.8-prod-ready", "v*-prod*", ("alice",), None, "TAGGUARD_USER")
    assert anonymous.message.endswith("(this clone can't tell who you are)")


def test_a_reused_name_says_what_the_ledger_lacks() -> None:
    found = violations.reused_name("v2.8-ft", OID, None, None, None, NamingPolicy())
    assert found.message == ("was published before for commit ? (by unknown, ?); "
                             "a published name is never reused for another commit")
    assert found.hint == 'give this commit a new name: git tag -a v2.8-ft-2 1a2b3c4d5e6f -m "..."'
    unnamed = violations.reused_name("v2.8", OID, None, None, None, NamingPolicy())
    assert unnamed.hint == 'give this commit a new name: git tag -a <new-name> 1a2b3c4d5e6f -m "..."'


def test_untrusted_text_is_shown_escaped() -> None:
    found = violations.tag_name_mismatch("v2.8-ft", "v2.8\x1b[2J")
    assert "\x1b" not in found.message + found.hint
    assert violations.missing_tagger("v2.8-ft", None, has_line=True).hint.endswith('<commit> -m "acc=..."')


def test_a_pushed_tag_gets_one_command_that_renames_it_annotated() -> None:
    pushed = violations.PushedTag(OID)
    renamed = violations.bad_name("v2.7-finetune", NameProblem("TG102", "unknown type"), NamingPolicy(), pushed)
    assert renamed.hint == ("did you mean 'v2.7-ft'? git tag -d v2.7-finetune && git tag -a v2.7-ft 1a2b3c4d5e6f "
                            '-m "acc=..., f1=..."')
    lightweight = violations.lightweight_tag("v2.7-finetune", OID, renamed=True)
    assert lightweight.hint == "the command above re-creates it annotated"
    unknown = violations.bad_name("release", NameProblem("TG101", "no version"), NamingPolicy(), pushed)
    assert unknown.hint == ("names look like v2.8-base or v2.8-ft-lr2: v<major>.<minor>[-type][-desc]; "
                            'git tag -d release && git tag -a <new-name> 1a2b3c4d5e6f -m "acc=..., f1=..."')
    image = violations.policy_image_version("v2.7-ft", TAGGED._replace(desc=None), ("2.8",), None, "p.toml", pushed)
    assert image.hint == ("name it for the image (policy: p.toml): git tag -d v2.7-ft && git tag -a v2.8-ft "
                          '1a2b3c4d5e6f -m "acc=..., f1=..."')


def test_the_names_hint_shows_the_policys_own_types() -> None:
    naming = NamingPolicy(types=("run", "sweep"))
    found = violations.bad_name("release", NameProblem("TG101", "no version"), naming)
    assert found.hint == "names look like v2.8-run or v2.8-sweep-lr2: v<major>.<minor>[-type][-desc]"
    single = violations.bad_name("release", NameProblem("TG101", "no version"), NamingPolicy(types=("run",)))
    assert single.hint.startswith("names look like v2.8-run or v2.8-run-lr2:")


def test_a_temporary_tag_refused_in_a_push_was_not_published() -> None:
    found = violations.temporary_tag("tmp-x", "tmp-*", violations.PushedTag(OID))
    assert found.hint == ("keep it local: this push did not publish it; push tags by name, "
                          "not with --tags or --follow-tags")
    assert "git push origin :refs/tags/tmp-x" in violations.temporary_tag("tmp-x", "tmp-*").hint


def test_a_name_the_shell_would_read_is_quoted_in_commands() -> None:
    found = violations.lightweight_tag("v2.8;touch x'y", OID)
    quoted = "'v2.8;touch x'\\''y'"
    assert found.hint == f"git tag -d {quoted} && git tag -a {quoted} 1a2b3c4d5e6f -m \"acc=..., f1=...\""
    deleted = violations.protected_delete("v2.8-prod-$(id)", "v*-prod*", (), None, "TAGGUARD_USER")
    assert deleted.hint.endswith("git push --no-verify origin ':refs/tags/v2.8-prod-$(id)'")
    assert violations.temporary_tag("tmp-x", "tmp-*").hint.endswith("git push origin :refs/tags/tmp-x")
