"""A bare server repository with tagguard's hooks installed, pushes to it over file://, and what
landed: its tags, its ledger, what its hooks printed."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tagguard.server.jsonlog import read_records
from tagguard.server.ledger import LEDGER_FILE, landed
from testing.tools import annotated, commit, git, run, tagguard


def make_server(path: Path, *extra: str) -> Path:
    """A bare repository with tagguard's server hooks installed by `tagguard install --server`."""
    git("init", "-q", "--bare", *extra, str(path), cwd=path.parent)
    result = tagguard("install", "--server", str(path))
    assert result.returncode == 0, result.stderr
    return path


def connect(clone: Path, server: Path) -> None:
    """Make `server` the clone's origin, and push its main there."""
    git("remote", "add", "origin", f"file://{server}", cwd=clone)
    git("push", "-q", "origin", "HEAD:refs/heads/main", cwd=clone)


def use_policy(server: Path, text: str) -> Path:
    """Write a server policy and point the server's git config at it."""
    policy = server.parent / "server-policy.toml"
    policy.write_text(text)
    git("config", "tagguard.policy", str(policy), cwd=server)
    return policy


def push(clone: Path, *refspecs: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`git push --porcelain origin REFSPECS`; the server's hooks speak in its stderr."""
    return run("git", "push", "--porcelain", "origin", *refspecs, cwd=clone, env=env)


def remote_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    """What the hooks printed, as the pusher sees it, without git's `remote: ` and padding."""
    return [line[len("remote: "):].rstrip() for line in result.stderr.splitlines() if line.startswith("remote: ")]


def server_tags(server: Path) -> dict[str, str]:
    """The server's tags: name to object id."""
    out = git("for-each-ref", "--format=%(refname:short) %(objectname)", "refs/tags/", cwd=server)
    return dict(line.split(" ") for line in out.splitlines())


def ledger_records(server: Path) -> list[dict[str, str]]:
    """Every record of the server's ledger, pending marks included."""
    return list(read_records(str(server / LEDGER_FILE)))


def landed_records(server: Path) -> list[dict[str, str]]:
    """The ledger's landed records, as TG403 sees them."""
    return landed(ledger_records(server))


def landed_names(server: Path) -> list[str]:
    """The names of the ledger's landed records."""
    return [r["name"] for r in landed_records(server)]


def refused_image(clone: Path, server: Path, policy_file: str, files: dict[str, str], name: str = "v2.8-ft"
                  ) -> tuple[str, str]:
    """Commit `files`, tag the commit `name` and push both to a server that reads `[image] file
    = policy_file`: the push must be refused and land nothing. The commit id, and the first line
    the server printed."""
    use_policy(server, f'[image]\nfile = ["{policy_file}"]\n')
    for path, text in files.items():
        (clone / path).parent.mkdir(parents=True, exist_ok=True)
        (clone / path).write_text(text)
        git("add", path, cwd=clone)
    head = commit(clone, f"image files for {name}")
    annotated(clone, name)
    refused = push(clone, "main", name)
    assert refused.returncode == 1
    assert server_tags(server) == {}
    return head, remote_lines(refused)[0]
