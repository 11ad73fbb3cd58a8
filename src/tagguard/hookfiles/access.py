"""Whether another user (the one git runs a repository's hooks as) can use a path: every
directory on the way searchable, the file itself readable or executable, judged from the
mode bits for that user's uid and groups (ACLs and capabilities are not read)."""

from __future__ import annotations

import os
import stat

from tagguard.lean import NamedTuple

READ, EXECUTE = 4, 1  # the permission bits asked of a path's last part


class Account(NamedTuple):
    login: str  # "git", or "uid 998" for a uid with no account
    uid: int
    gids: frozenset[int]


def owner_of(path: str) -> Account:
    """The user owning `path`, with their groups (or, for a uid with no account, the path's group)."""
    import pwd

    info = os.stat(path)
    try:
        entry = pwd.getpwuid(info.st_uid)
    except KeyError:
        return Account(f"uid {info.st_uid}", info.st_uid, frozenset([info.st_gid]))
    groups = os.getgrouplist(entry.pw_name, entry.pw_gid)
    return Account(entry.pw_name, info.st_uid, frozenset(groups))


def blocked(path: str, account: Account, want: int) -> str | None:
    """The first path that stops `account` from using `path` with the bits `want` (a directory
    on the way it can't search, or `path` itself), following symlinks; None when it can."""
    for spelled in dict.fromkeys([os.path.abspath(path), os.path.realpath(path)]):
        parts = spelled.split(os.sep)
        for end in range(1, len(parts)):
            directory = os.sep.join(parts[:end]) or os.sep
            if not _allows(directory, account, EXECUTE):
                return directory
    return None if _allows(path, account, want) else path


def _allows(path: str, account: Account, want: int) -> bool:
    try:
        info = os.stat(path)
    except OSError:
        return False
    if account.uid == 0:  # root passes any check but execute, which needs some x bit on a file
        return want & EXECUTE == 0 or stat.S_ISDIR(info.st_mode) or bool(info.st_mode & 0o111)
    if info.st_uid == account.uid:
        bits = info.st_mode >> 6
    elif info.st_gid in account.gids:
        bits = info.st_mode >> 3
    else:
        bits = info.st_mode
    return bits & want == want
