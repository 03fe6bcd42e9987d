"""Waiting on a real process by what it does, never by how long it usually takes.

The deadlines here only bound a hang (a broken program must not stall the suite); a slow,
busy machine just waits longer.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

HANG = 120.0  # seconds: far beyond any real wait, on any machine


@contextmanager
def started(args: list[str], **options) -> Iterator[subprocess.Popen]:
    """subprocess.Popen that is killed and reaped at the end even when the test fails (a
    stopped or waiting child would otherwise keep the test waiting for ever)."""
    with subprocess.Popen(args, **options) as proc:
        try:
            yield proc
        finally:
            proc.kill()


def ctrl_c_reaches_it() -> None:
    """preexec_fn: SIGINT as in a terminal. A shell starts background jobs (and so a test run
    started with `&`, and everything it starts) with SIGINT ignored; Python then never raises
    KeyboardInterrupt, and a test of what Ctrl-C does would wait for ever."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for(condition: Callable[[], object], what: str, timeout: float = HANG) -> object:
    """Poll `condition` until it returns something true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(0.01)  # bounded-wait: a poll interval under the deadline above, not an ordering


def read_until(proc: subprocess.Popen, marker: str, timeout: float = HANG) -> str:
    """Read the process's stderr (a pipe) until `marker` has appeared; return all read so far.

    Reads whatever is there rather than whole lines, so a prompt waiting for its answer on
    an unfinished line is seen.
    """
    seen = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stderr, selectors.EVENT_READ)
        while marker.encode() not in seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"gave up after {timeout:.0f} s waiting for {marker!r} on stderr; got {seen[-300:]!r}")
            if selector.select(left):
                chunk = os.read(proc.stderr.fileno(), 65536)
                if not chunk:
                    raise AssertionError(f"stderr closed (exit {proc.wait()}) before {marker!r}; got {seen[-300:]!r}")
                seen += chunk
    return seen.decode("utf-8", "replace")


def stopped(pid: int) -> bool:
    """True when the process is stopped by a signal (state T in /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] in ("T", "t")


def reading_a_pipe(pid: int) -> bool:
    """True when the process is blocked reading a pipe (Linux /proc/PID/wchan), e.g. its stdin.
    Kernels name the wait pipe_read, anon_pipe_read or pipe_wait."""
    with open(f"/proc/{pid}/wchan") as f:
        return "pipe" in f.read()
