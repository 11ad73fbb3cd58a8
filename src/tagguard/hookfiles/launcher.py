"""How an installed hook script starts tagguard (`Launcher`): this Python with no site import
(`python -I -S -c CODE`), or a command on PATH or at a path.
"""

from __future__ import annotations

import os
import sys

from tagguard.lean import NamedTuple


class Launcher(NamedTuple):
    """How a hook script starts tagguard: sh words, a test that it is there, what to name if not."""

    run: str
    present: str
    where: str


ON_PATH = Launcher("tagguard", "command -v tagguard >/dev/null 2>&1", "tagguard")


def this_tagguard() -> Launcher:
    """This Python running this tagguard (see `launch_code`)."""
    from shlex import quote

    python = quote(os.path.abspath(sys.executable))
    cli = quote(os.path.join(_package_parent(), "tagguard", "cli.py"))
    return Launcher(f"{python} -I -S -c {quote(launch_code())}", f"[ -x {python} ] && [ -f {cli} ]", cli)


def used_paths() -> list[tuple[str, int]]:
    """What a `this_tagguard` hook needs to read (READ) or run (EXECUTE): this Python, its
    standard library, and the directories of tagguard and its dependencies."""
    import sysconfig

    from tagguard.hookfiles.access import EXECUTE, READ

    paths = sysconfig.get_paths()
    found = [(sys.executable, EXECUTE), (paths["stdlib"], READ | EXECUTE),
             (os.path.join(_package_parent(), "tagguard"), READ | EXECUTE),
             (os.path.join(_package_parent(), "tagguard", "cli.py"), READ)]
    return found + [(paths[key], READ | EXECUTE) for key in ("purelib", "platlib") if os.path.isdir(paths[key])]


def command_launcher(command: str) -> Launcher:
    """A hook script that runs `command` (a path or a name on PATH)."""
    from shlex import quote

    return Launcher(quote(command), f"command -v {quote(command)} >/dev/null 2>&1", quote(command))


def launch_code() -> str:
    """`python -I -S -c CODE` runs this tagguard with no site import and no paths from the
    environment or the working directory (a hook's is the git dir): this tagguard goes first
    on the path, this Python's site directories (regex, tomli) after the standard library.
    A hook starts about 10 ms sooner than through the console script (which imports re)."""
    import json
    import site
    import sysconfig

    sites = [*site.getsitepackages(), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    return (f"import sys; sys.path[:0] = {json.dumps([_package_parent()])}; "
            f"sys.path += {json.dumps(list(dict.fromkeys(sites)))}; "
            "from tagguard.cli import run; run()")


def _package_parent() -> str:
    """The directory that holds the `tagguard` package (this file is tagguard/hookfiles/launcher.py)."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
