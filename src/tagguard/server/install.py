"""`tagguard install --server PATH`: tagguard's hooks in a repository, any hook that was
there before kept and run first (`tagguard.hookfiles.files`). Re-installing only rewrites
tagguard's own scripts; uninstalling puts the kept hooks back."""

from __future__ import annotations

import os
from contextlib import contextmanager

from tagguard.errors import TagguardError
from tagguard.git.repo import Git
from tagguard.hookfiles.files import CHAINED, is_ours, keep_aside, remove_ours, restore, write_script
from tagguard.hookfiles.launcher import Launcher
from tagguard.lean import TYPE_CHECKING
from tagguard.server.hookscripts import REFERENCE_TRANSACTION, hook_script

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tagguard.git.repo import Layout
    from tagguard.hookfiles.access import Account

INSTALLED = ("pre-receive", "post-receive")  # `update` would repeat pre-receive's checks


def located(repo: str) -> Layout:
    return Git(repo).layout()


def refuse_unusable(repo: str, git_dir: str) -> None:
    """Refuse to install hooks that the repository's owner (who git runs them as) can't start:
    they would fail every push, branches included."""
    from tagguard.hookfiles.access import blocked, owner_of
    from tagguard.hookfiles.launcher import used_paths

    owner = owner_of(git_dir)
    for path, want in used_paths():
        stop = blocked(path, owner, want)
        if stop is not None:
            raise TagguardError(_unusable(repo, git_dir, owner, path, want, stop))


@contextmanager
def as_owner(git_dir: str) -> Iterator[None]:
    """Root working in another user's repository does it as that user (their uid, the git dir's
    group, their groups), so that git can write there after: a root-owned `objects/ab` or
    ledger file would fail their later pushes. Anyone else works as they are."""
    from tagguard.hookfiles.access import owner_of

    owner = owner_of(git_dir)
    if os.geteuid() != 0 or owner.uid == 0:
        yield
        return
    groups, uids, gids = os.getgroups(), os.getresuid(), os.getresgid()
    gid = os.stat(git_dir).st_gid
    os.setgroups(sorted(owner.gids))
    os.setresgid(gid, gid, -1)  # (the saved ids stay root's, to come back)
    os.setresuid(owner.uid, owner.uid, -1)
    try:
        yield
    finally:
        os.setresuid(*uids)
        os.setresgid(*gids)
        os.setgroups(groups)


def _unusable(repo: str, git_dir: str, owner: Account, path: str, want: int, stop: str) -> str:
    from shlex import quote

    from tagguard.hookfiles.access import EXECUTE
    from tagguard.safetext import shown

    why = "" if stop == path else f" (they can't enter {shown(stop, limit=4096)})"
    use = "run" if want == EXECUTE else "read"
    user = owner.login
    return (f"{shown(git_dir, limit=4096)} belongs to {user} (uid {owner.uid}), who can't {use} "
            f"{shown(path, limit=4096)}{why}, and git runs its hooks as them: every push would fail. Install "
            f"tagguard where {user} can run it, e.g. python3 -m venv /opt/tagguard, pip install it there, then "
            f"/opt/tagguard/bin/tagguard install --server {quote(repo)}; or install it as {user} (pip install --user)")


def install(hooks: str, launcher: Launcher, outside_pushes: bool = False) -> list[str]:
    """Install pre-receive and post-receive (and reference-transaction, with
    `outside_pushes`) in the directory `hooks`; return what was done, one line each."""
    done = []
    for hook in INSTALLED + ((REFERENCE_TRANSACTION,) if outside_pushes else ()):
        path = os.path.join(hooks, hook)
        if keep_aside(path):
            done.append(f"{path}: kept the existing hook as {hook}{CHAINED}; it still runs first")
        write_script(path, hook_script(hook, launcher))
        done.append(f"{path}: installed")
    return done


def uninstall(hooks: str) -> list[str]:
    """Remove tagguard's hooks from the directory `hooks` and put back the hooks they replaced."""
    done = []
    for hook in (*INSTALLED, REFERENCE_TRANSACTION):
        path = os.path.join(hooks, hook)
        if hook == REFERENCE_TRANSACTION and not os.path.lexists(path):
            continue
        if os.path.lexists(path) and not is_ours(path):
            done.append(f"{path}: not tagguard's hook; left alone")
            continue
        if remove_ours(path):
            done.append(f"{path}: removed")
        if restore(path):
            done.append(f"{path}: restored the hook that was there before")
    return done
