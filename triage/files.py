"""Writing outputs so that an interruption never leaves half a file, and nothing is replaced
that is not ours.

`open_output(path)` looks at what `path` is before writing:

- `-`, `/dev/stdout` or `/dev/fd/1`: standard output, written straight;
- a FIFO or a character device (a pipe, a terminal, `/dev/null`): written straight, because
  renaming a file over it would replace the device or cut off the reader;
- a regular file, or a path that does not exist yet: written to a temporary file beside it,
  flushed to disk and renamed over it only when complete (a reader sees the old complete file
  or the new one); a symbolic link to a regular file replaces the file it points to, never
  the link;
- anything else (a directory, a socket, a link to nothing): refused with one line.

A full disk or any other write error is an `OSError` the caller reports; nothing returns as
success after a failed write.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from typing import Protocol, TextIO

PRIVATE = 0o600
STDOUT_NAMES = ("-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1")


class Output(Protocol):
    """Where one command's output goes: write, then commit (or abort on any failure)."""

    file: TextIO

    def commit(self) -> None: ...

    def abort(self) -> None: ...


def _default_mode(path: str) -> int:
    """A replaced file keeps its permissions; a new one gets the usual ones (umask)."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


class AtomicOutput:
    """A text file that takes the place of `path` (a regular file or a new path) only on commit()."""

    def __init__(self, path: str, mode: int | None = PRIVATE):
        self.path = path
        fd, self.tmp = tempfile.mkstemp(prefix=".triage-", suffix=".tmp", dir=os.path.dirname(os.path.abspath(path)))
        os.fchmod(fd, _default_mode(path) if mode is None else mode)
        self.file: TextIO = os.fdopen(fd, "w", encoding="utf-8", newline="")

    def write(self, text: str) -> None:
        self.file.write(text)

    def commit(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        if not self.file.closed:
            with contextlib.suppress(OSError):
                self.file.close()
        with contextlib.suppress(OSError):
            os.unlink(self.tmp)


class StreamOutput:
    """Standard output, a pipe or a device: written straight (there is nothing to rename)."""

    def __init__(self, path: str):
        self.path = path
        self._owned = path not in STDOUT_NAMES
        self.file: TextIO = (
            open(path, "w", encoding="utf-8", newline="") if self._owned else sys.stdout  # noqa: SIM115
        )

    def commit(self) -> None:
        self.file.flush()  # a full device (/dev/full) fails here, not silently
        if self._owned:
            self.file.close()

    def abort(self) -> None:
        if self._owned and not self.file.closed:
            with contextlib.suppress(OSError):
                self.file.close()


def open_output(path: str, mode: int | None = None) -> AtomicOutput | StreamOutput:
    """The right way to write `path` (see the module docstring); OSError with a clear strerror when refused."""
    if path in STDOUT_NAMES:
        return StreamOutput(path)
    if not path:
        raise OSError(0, "the name is empty", path)
    if path.endswith(("/", os.sep)) and not os.path.isdir(path):
        raise OSError(0, "a file name cannot end with '/'", path)  # else the temporary file's name would be blamed
    try:
        info = os.stat(path)  # follows links: what would be written is what the link points to
    except FileNotFoundError:
        if os.path.islink(path):
            raise OSError(0, "it is a symbolic link to nothing", path) from None
        return AtomicOutput(path, mode)
    if stat.S_ISREG(info.st_mode):
        return AtomicOutput(os.path.realpath(path), mode)
    if stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode):
        return StreamOutput(path)
    kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file, a pipe or a device"
    raise OSError(0, f"it is {kind}", path)


def write_atomically(path: str, text: str, mode: int | None = None) -> None:
    """Write `text` to `path` as `open_output` decides (mode None: keep or use the usual permissions)."""
    out = open_output(path, mode)
    try:
        out.file.write(text)
        out.commit()
    except BaseException:
        out.abort()
        raise


def write_private_atomically(path: str, text: str) -> None:
    """Write `text` to `path`, readable only by the user when it is a file (health data)."""
    write_atomically(path, text, PRIVATE)


def refuse_overwriting(output: str | None, inputs: list[str], what: str = "an input") -> None:
    """OSError when `output` is one of `inputs`, or lies inside one of them that is a folder:
    the results would replace what they were made from."""
    if not output or output in STDOUT_NAMES:
        return
    target = os.path.realpath(output)  # a new file too: the next run would read it as an input
    for name in inputs:
        if name == "-" or not os.path.exists(name):
            continue
        if os.path.isdir(name):
            if target.startswith(os.path.realpath(name) + os.sep):
                raise OSError(0, f"it is inside {what} folder ({name}); write the output elsewhere", output)
        elif os.path.exists(output) and os.path.samefile(name, output):
            raise OSError(0, f"it is {what}; write the output elsewhere", output)
