"""`tagguard install --server PATH`: tagguard's hooks in a repository, any hook that was
there before kept and run first (`tagguard.hookfiles.files`). Re-installing only rewrites
tagguard's own scripts; uninstalling puts the kept hooks back."""

from __future__ import annotations

import os

from tagguard.git.repo import Git
from tagguard.hookfiles.files import CHAINED, is_ours, keep_aside, remove_ours, restore, write_script
from tagguard.hookfiles.launcher import Launcher
from tagguard.lean import TYPE_CHECKING
from tagguard.server.hookscripts import REFERENCE_TRANSACTION, hook_script

if TYPE_CHECKING:
    from tagguard.git.repo import Layout

INSTALLED = ("pre-receive", "post-receive")  # `update` would repeat pre-receive's checks


def located(repo: str) -> Layout:
    return Git(repo).layout()


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
