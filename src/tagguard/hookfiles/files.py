"""Hook files, for the client's pre-push and the server hooks alike: where a repository's
hooks are, how tagguard's scripts are written and recognised, and how a hook that was there
before is kept beside ours (how a script starts tagguard: `launcher.py`).

client/ and server/ install through it, where git says the hooks are (`Git.layout`).
"""

from __future__ import annotations

import os

from tagguard.errors import TagguardError

MARKER = "# tagguard-hook"  # in the first lines of every script tagguard writes
CHAINED = ".pre-tagguard"  # a hook that was there before, kept as <hook>.pre-tagguard and run first
SCRIPT_MODE = 0o755
_HEAD = 4096  # bytes of a hook file read to recognise it


def script_head(path: str) -> bytes | None:
    """The first bytes of a hook file, where tagguard and pre-commit leave their marks;
    None when there is no file (other errors are raised)."""
    try:
        with open(path, "rb") as f:
            return f.read(_HEAD)
    except FileNotFoundError:
        return None


def marked(head: bytes) -> bool:
    """Whether the first bytes of a hook file (`script_head`) are tagguard's."""
    return MARKER.encode() in head


def is_ours(path: str) -> bool:
    try:
        head = script_head(path)
    except OSError:
        return False
    return head is not None and marked(head)


def write_script(path: str, text: str) -> None:
    """Write an executable script, UTF-8, with mode 0o755 whatever the umask or the mode of
    the file it replaces: git may run hooks as another user than the installer's (a server's
    git user), who must read and run it. Written beside it and renamed into place, so a git
    running now sees the old hook or the new, never half."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = f"{path}.tagguard-new"
    with open(temporary, "w", encoding="utf-8") as f:
        f.write(text)
        os.fchmod(f.fileno(), SCRIPT_MODE)
    os.replace(temporary, path)


def keep_aside(path: str) -> bool:
    """Move a hook that is not tagguard's to `<path>.pre-tagguard`, where tagguard's script
    runs it first with git's own input; True if there was one."""
    if not os.path.lexists(path) or is_ours(path):
        return False
    if os.path.lexists(path + CHAINED):
        raise TagguardError(f"{path}{CHAINED} exists already; move it or {path} away, then install again")
    os.rename(path, path + CHAINED)
    return True


def remove_ours(path: str) -> bool:
    """Remove the hook at `path` if tagguard wrote it; True if it did."""
    if not is_ours(path):
        return False
    os.remove(path)
    return True


def restore(path: str) -> bool:
    """Put back the hook `keep_aside` kept; True if there was one."""
    if not os.path.lexists(path + CHAINED):
        return False
    os.rename(path + CHAINED, path)
    return True
