"""Running a program and collecting what it prints, without importing `subprocess`.

`subprocess` imports locale, re, signal, threading and selectors: about 20 ms of every hook
start on a 2-core machine, more than the hook's own work on a one-tag push. This is the part
tagguard uses: posix_spawn, pipes, one poll loop that feeds stdin while it reads stdout and
stderr (so neither side can block the other), and the exit code as subprocess reports it
(negative for a signal). A stop signal that interrupts the loop kills the child first.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # signal's C core: `signal` adds enums, and `enum` costs a hook 3 ms
import os
import select
import time

from tagguard.lean import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

_CHUNK = 1 << 16
STOP_SIGNALS = {_signal.SIGTERM: "SIGTERM", _signal.SIGINT: "SIGINT", _signal.SIGHUP: "SIGHUP"}  # a hook stops on these


class Completed(NamedTuple):
    returncode: int
    stdout: bytes  # empty unless captured
    stderr: bytes


def run(argv: list[str], input: bytes | None = None, env: Mapping[str, str] | None = None,
        capture: bool = True, stdin_fd: int | None = None, stdout_fd: int | None = None,
        timeout: float | None = None) -> Completed:
    """Run `argv` to the end (its program found on the PATH of `env`). stdin: `input`, else
    `stdin_fd`, else ours; stdout: `stdout_fd`, else a pipe when `capture`, else ours;
    stderr: a pipe when `capture`. Raises OSError when the program can't be started, and
    TimeoutError (having killed it) when it runs longer than `timeout` seconds with its
    output piped."""
    given = {0: stdin_fd, 1: stdout_fd}
    wanted = [target for target, want in ((0, input is not None), (1, capture), (2, capture))
              if want and given.get(target) is None]
    # A stop between the start and _collect's cleanup would leave the program running (a
    # chained hook keeps git waiting): stops wait until _collect can kill it.
    held = _hold_stops()
    try:
        pid, ours = _spawn(argv, dict(os.environ if env is None else env), wanted, given, held)
    except BaseException:
        _signal.pthread_sigmask(_signal.SIG_SETMASK, held)
        raise
    return _collect(pid, ours, input, held, timeout)


class Started:
    """A program left running on its own (`start`) while the caller does other work: `wait`
    collects it as `run` does (a stop signal meanwhile kills it), `kill` stops it."""

    def __init__(self, pid: int, ours: dict[int, int]) -> None:
        self._pid, self._ours = pid, ours

    def wait(self) -> Completed:
        return _collect(self._pid, self._ours, None, None)

    def kill(self) -> None:
        _end(self._pid, self._ours.values())


def start(argv: list[str], env: Mapping[str, str], stdin_fd: int, stdout_fd: int, keep: Callable[[Started], None]
          ) -> None:
    """Start `argv` reading `stdin_fd` and writing `stdout_fd` (files, so that it never waits
    for us), its stderr on a pipe; raises OSError when it can't be started. `keep` gets it
    before a stop signal can strike (stops are held as in `run`; a hook runs no other thread
    that could take them), to kill it on the way out: a program left running while we work
    must never outlive a stopped hook."""
    held = _hold_stops()
    try:
        pid, ours = _spawn(argv, dict(env), [2], {0: stdin_fd, 1: stdout_fd}, held)
        keep(Started(pid, ours))
    finally:
        _signal.pthread_sigmask(_signal.SIG_SETMASK, held)  # a stop that came meanwhile strikes now


def detach(argv: list[str]) -> bool:
    """Start `argv` (a path to the program) in a new session of its own that outlives this
    process, holding none of its files (whatever waits for this process's output, as git waits
    for a hook's, does not wait for it): standard streams on /dev/null, every other inherited
    descriptor closed. False if it can't start."""
    try:  # (no posix_spawn on this platform: AttributeError)
        actions: list[tuple[int | str, ...]] = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
        actions += [(os.POSIX_SPAWN_CLOSE, fd) for fd in _inherited()]
        os.posix_spawn(argv[0], argv, os.environ, file_actions=actions, setsid=True)
    except (OSError, NotImplementedError, ValueError, AttributeError):
        return False
    return True


def _inherited() -> list[int]:
    """The descriptors past 2 that a program this process starts would get (a hook may be
    handed more than 0 to 2 by whatever runs git); posix_spawn has no action closing them all."""
    try:
        listed = [int(fd) for fd in os.listdir("/proc/self/fd")]
    except (OSError, ValueError):
        return []
    found = []
    for fd in listed:
        try:
            if fd > 2 and os.get_inheritable(fd):
                found.append(fd)
        except OSError:  # (the listing's own, closed since)
            pass
    return found


def _hold_stops() -> set[int]:
    """Hold the stop signals back (until the caller sets the mask returned, the one before)."""
    return _signal.pthread_sigmask(_signal.SIG_BLOCK, STOP_SIGNALS)  # type: ignore[no-any-return]


def _spawn(argv: list[str], env: dict[str, str], piped: list[int], given: dict[int, int | None],
           mask: set[int] | None = None) -> tuple[int, dict[int, int]]:
    """Start `argv` with a pipe on each fd in `piped` (0 to write to, 1 and 2 to read from)
    and the `given` fds as they are, and `mask` as its blocked signals (None: ours); return
    its pid and our end of each pipe."""
    ours: dict[int, int] = {}  # the child's fd -> our end of its pipe
    theirs: list[int] = []
    actions = [(os.POSIX_SPAWN_DUP2, fd, target) for target, fd in given.items() if fd is not None]
    try:
        for target in piped:
            read, write = os.pipe()
            mine, child = (write, read) if target == 0 else (read, write)
            ours[target] = mine
            theirs.append(child)
            actions.append((os.POSIX_SPAWN_DUP2, child, target))
        program = _program(argv[0], env)
        if mask is None:
            pid = os.posix_spawn(program, argv, env, file_actions=actions)
        else:  # (the mask from before the stops were held: the program starts with none held)
            pid = os.posix_spawn(program, argv, env, file_actions=actions, setsigmask=mask)
    except BaseException:
        for fd in ours.values():
            _close(fd)
        raise
    finally:
        for fd in theirs:
            _close(fd)
    if 0 in ours:
        os.set_blocking(ours[0], False)
    return pid, ours


def _program(name: str, env: Mapping[str, str]) -> str:
    """`name` found on the PATH of `env` (as subprocess finds it); OSError if it is nowhere."""
    if "/" in name:
        return name
    for directory in env.get("PATH", os.defpath).split(os.pathsep):  # (os.get_exec_path imports warnings)
        path = os.path.join(directory, name)
        if os.access(path, os.X_OK) and not os.path.isdir(path):
            return path
    raise FileNotFoundError(2, "No such file or directory", name)


def _collect(pid: int, ours: dict[int, int], input: bytes | None, held: set[int] | None,
             timeout: float | None = None) -> Completed:
    """Wait for the program, fed `input`, its stops released to `held` (None: not held)."""
    output: dict[int, list[bytes]] = {1: [], 2: []}
    reaped = False
    try:
        if held is not None:
            _signal.pthread_sigmask(_signal.SIG_SETMASK, held)  # a stop that came meanwhile lands here
        _pump(ours, input, output, timeout)
        _, status = os.waitpid(pid, 0)
        reaped = True
    finally:
        for fd in ours.values():
            _close(fd)
        if not reaped:  # stopped by a signal (or an error) while the child runs
            _kill(pid)
    return Completed(os.waitstatus_to_exitcode(status), b"".join(output[1]), b"".join(output[2]))


def _pump(ours: dict[int, int], input: bytes | None, output: dict[int, list[bytes]],
          timeout: float | None = None) -> None:
    """Feed stdin and drain stdout and stderr until all three are closed (TimeoutError once
    `timeout` seconds have passed)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    poller = select.poll()
    target_of = {fd: target for target, fd in ours.items()}
    pending = memoryview(input or b"")
    for target, fd in ours.items():
        if target == 0:
            poller.register(fd, select.POLLOUT)
        else:
            poller.register(fd, select.POLLIN)
    if 0 in ours and not pending:
        _done(poller, ours, 0)
    while ours:
        left = None if deadline is None else max(0, int((deadline - time.monotonic()) * 1000))
        events = poller.poll(left)
        if not events and left == 0:
            raise TimeoutError(f"still running after {timeout:g} s")
        for fd, _ in events:
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


def _end(pid: int, fds: Iterable[int]) -> None:
    """Close our ends of a program's pipes, then kill it: a running program stopped short."""
    for fd in fds:
        _close(fd)
    _kill(pid)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, _signal.SIGKILL)
        os.waitpid(pid, 0)
    except OSError:
        pass



class Session:
    """A program kept running to answer requests on stdin (`git cat-file --batch-command`):
    `send` writes while it drains the answers (so neither side can block the other), and
    `read_line` / `read_exact` take them in order. `close` returns the exit and stderr."""

    def __init__(self, argv: list[str], env: Mapping[str, str]) -> None:
        self._pid, ours = _spawn(argv, dict(env), [0, 1, 2], {})
        self._in, self._out, self._err = ours[0], ours[1], ours[2]
        self._open = {self._out, self._err}  # the program's outputs not yet at their end
        self._buffer, self._errors = bytearray(), bytearray()

    def send(self, data: bytes) -> None:
        pending = memoryview(data)
        while pending and self._out in self._open:
            if self._in in self._wait(writing=True):
                pending = _feed(self._in, pending)

    def read_line(self) -> bytes | None:
        """The next line without its newline; None when the program ended first."""
        while (end := self._buffer.find(b"\n")) < 0:
            if not self._more():
                return None
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 1]
        return line

    def read_exact(self, size: int) -> bytes | None:
        while len(self._buffer) < size:
            if not self._more():
                return None
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def close(self) -> Completed:
        _close(self._in)
        while self._more():
            pass
        while self._err in self._open:
            self._wait(writing=False)
        for fd in (self._out, self._err):
            _close(fd)
        _, status = os.waitpid(self._pid, 0)
        return Completed(os.waitstatus_to_exitcode(status), b"", bytes(self._errors))

    def kill(self) -> None:
        _end(self._pid, (self._in, self._out, self._err))

    def _more(self) -> bool:
        """Wait for more of stdout; False once it has ended."""
        size = len(self._buffer)
        while self._out in self._open and len(self._buffer) == size:
            self._wait(writing=False)
        return len(self._buffer) > size

    def _wait(self, writing: bool) -> list[int]:
        """Poll; take in what stdout and stderr hold, and say which fds were ready."""
        poller = select.poll()
        for fd in self._open:
            poller.register(fd, select.POLLIN)
        if writing:
            poller.register(self._in, select.POLLOUT)
        ready = [fd for fd, _ in poller.poll()]
        for fd in self._open.intersection(ready):
            data = os.read(fd, _CHUNK)
            if not data:
                self._open.discard(fd)
            elif fd == self._out:
                self._buffer += data
            else:
                self._errors += data
                del self._errors[:-4096]  # the last lines say why
        return ready
