"""Running a program and collecting what it prints, without importing `subprocess`.

`subprocess` imports locale, re, signal, threading and selectors: about 20 ms of every hook
start on a 2-core machine, more than the hook's own work on a one-tag push. This is the part
tagguard uses: posix_spawn, pipes, one poll loop that feeds stdin while it reads stdout and
stderr (so neither side can block the other), and the exit code as subprocess reports it
(negative for a signal). A stop signal that interrupts the loop kills the child first.
"""

from __future__ import annotations

import os
import select

from tagguard.lean import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from typing import Mapping

_CHUNK = 1 << 16


class Completed(NamedTuple):
    returncode: int
    stdout: bytes  # empty unless captured
    stderr: bytes


def run(argv: list[str], input: bytes | None = None, env: Mapping[str, str] | None = None,
        capture: bool = True, stdin_fd: int | None = None, stdout_fd: int | None = None) -> Completed:
    """Run `argv` (searched on PATH) to the end. stdin: `input`, else `stdin_fd`, else ours;
    stdout: `stdout_fd`, else a pipe when `capture`, else ours; stderr: a pipe when `capture`.
    Raises OSError when the program can't be started."""
    ours: dict[int, int] = {}  # the child's fd -> our end of its pipe
    theirs: list[int] = []
    actions = []
    try:
        for target, wanted, given in ((0, input is not None, stdin_fd), (1, capture, stdout_fd), (2, capture, None)):
            if given is not None:
                actions.append((os.POSIX_SPAWN_DUP2, given, target))
            elif wanted:
                read, write = os.pipe()
                mine, child = (write, read) if target == 0 else (read, write)
                ours[target] = mine
                theirs.append(child)
                actions.append((os.POSIX_SPAWN_DUP2, child, target))
        pid = os.posix_spawnp(argv[0], argv, dict(os.environ if env is None else env), file_actions=actions)
    except BaseException:
        for fd in ours.values():
            _close(fd)
        raise
    finally:
        for fd in theirs:
            _close(fd)
    return _collect(pid, ours, input)


def _collect(pid: int, ours: dict[int, int], input: bytes | None) -> Completed:
    output: dict[int, list[bytes]] = {1: [], 2: []}
    reaped = False
    try:
        _pump(ours, input, output)
        _, status = os.waitpid(pid, 0)
        reaped = True
    finally:
        for fd in ours.values():
            _close(fd)
        if not reaped:  # stopped by a signal (or an error) while the child runs
            _kill(pid)
    return Completed(os.waitstatus_to_exitcode(status), b"".join(output[1]), b"".join(output[2]))


def _pump(ours: dict[int, int], input: bytes | None, output: dict[int, list[bytes]]) -> None:
    """Feed stdin and drain stdout and stderr until all three are closed."""
    poller = select.poll()
    target_of = {fd: target for target, fd in ours.items()}
    pending = memoryview(input or b"")
    for target, fd in ours.items():
        if target == 0:
            os.set_blocking(fd, False)
            poller.register(fd, select.POLLOUT)
        else:
            poller.register(fd, select.POLLIN)
    if 0 in ours and not pending:
        _done(poller, ours, 0)
    while ours:
        for fd, _ in poller.poll():
            target = target_of[fd]
            if target == 0:
                pending = _feed(fd, pending)
                if not pending:
                    _done(poller, ours, 0)
                continue
            data = os.read(fd, _CHUNK)
            if data:
                output[target].append(data)
            else:
                _done(poller, ours, target)


def _feed(fd: int, pending: memoryview) -> memoryview:
    try:
        return pending[os.write(fd, pending[:_CHUNK]):]
    except BlockingIOError:
        return pending
    except BrokenPipeError:  # the program stopped reading: what it printed still counts
        return pending[:0]


def _done(poller: select.poll, ours: dict[int, int], target: int) -> None:
    fd = ours.pop(target)
    poller.unregister(fd)
    os.close(fd)


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def _kill(pid: int) -> None:
    import _signal  # (see tagguard.server)

    try:
        os.kill(pid, _signal.SIGKILL)
        os.waitpid(pid, 0)
    except OSError:
        pass
