"""The [server] policy table: validated like every other table, documented in the example."""

from __future__ import annotations

from pathlib import Path

import pytest
from testing.tools import ROOT, cli

from tagguard.errors import PolicyError
from tagguard.policy.model import DEFAULT_IDENTITY_ENV, DEFAULT_POLICY, load_policy_file
from tagguard.server.receive import line_prefix, pusher_of

BAD_SERVER_TABLES = {
    "server = 1": "server: expected a table, got int",
    "[server]\nmodes = 'warn'": "server.modes: unknown key (expected one of: mode, audit_log, identity_env, allow_replace_refs, require_post_receive)",
    "[server]\nmode = 'audit'": "server.mode: expected \"enforce\" or \"warn\", got the string 'audit'",
    "[server]\nmode = true": "server.mode: expected a non-empty string, got the boolean true",
    "[server]\naudit_log = ''": "server.audit_log: expected a non-empty string, got the string ''",
    "[server]\nidentity_env = 'GL_USER'": "server.identity_env: expected a non-empty array of strings, got the string 'GL_USER'",
    "[server]\nidentity_env = ['GL_USER', 'not a name']": "server.identity_env[2]: expected an environment variable name, got the string 'not a name'",
    "[server]\nidentity_env = ['1USER']": "server.identity_env[1]: expected an environment variable name, got the string '1USER'",
}


@pytest.mark.parametrize(("text", "message"), BAD_SERVER_TABLES.items())
def test_server_table_errors_name_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(PolicyError) as caught:
        load_policy_file(str(path))
    assert str(caught.value) == f"{path}: {message}"
    result = cli(capsys, "policy", str(path))
    assert (result.returncode, result.stderr) == (2, f"tagguard: error: {path}: {message}\n")


def test_defaults_and_the_example_policy() -> None:
    assert DEFAULT_POLICY.server.mode == "enforce"
    assert DEFAULT_POLICY.server.audit_log is None
    assert DEFAULT_POLICY.server.identity_env == DEFAULT_IDENTITY_ENV
    example = load_policy_file(str(ROOT / "policy.example.toml"))
    assert example.server.mode == "enforce"
    assert example.server.identity_env == DEFAULT_IDENTITY_ENV
    text = (ROOT / "policy.example.toml").read_text()
    for key in ("[server]", "mode =", "audit_log =", "identity_env =", "[tags]", "[[protect]]", "[groups]"):
        assert key in text


def test_pusher_is_the_first_non_empty_variable() -> None:
    env = {"GL_USERNAME": " ", "GITEA_PUSHER_NAME": "", "GL_USER": "alice", "REMOTE_USER": "bob"}
    assert pusher_of(DEFAULT_IDENTITY_ENV, env) == "alice"
    assert pusher_of(DEFAULT_IDENTITY_ENV, {}) is None
    assert pusher_of(("SSO",), {"SSO": "carol", "GL_USER": "alice"}) == "carol"


@pytest.mark.parametrize(("env", "prefix"), [
    ({}, ""), ({"GL_ID": "key-1"}, "GL-HOOK-ERR: "), ({"GL_PROTOCOL": "http"}, "GL-HOOK-ERR: "),
    ({"GL_USERNAME": "a"}, "GL-HOOK-ERR: "), ({"GL_USER": "a"}, ""),  # gitolite is not GitLab
])
def test_gitlab_prefix(env: dict[str, str], prefix: str) -> None:
    assert line_prefix(env) == prefix
