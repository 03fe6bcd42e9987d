"""Writing files so that an interruption never leaves half a file behind.

Everything is written to a temporary file beside the target, flushed to disk, and renamed
over the target only when complete: a reader sees the old complete file or the new one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile

PRIVATE = 0o600


def _default_mode(path: str) -> int:
    """A replaced file keeps its permissions; a new one gets the usual ones (umask)."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


class AtomicOutput:
    """A text file that takes the place of `path` only on commit()."""

    def __init__(self, path: str, mode: int | None = PRIVATE):
        self.path = path
        fd, self.tmp = tempfile.mkstemp(prefix=".triage-", suffix=".tmp", dir=os.path.dirname(os.path.abspath(path)))
        os.fchmod(fd, _default_mode(path) if mode is None else mode)
        self.file = os.fdopen(fd, "w", encoding="utf-8", newline="")

    def write(self, text: str) -> None:
        self.file.write(text)

    def commit(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        if not self.file.closed:
            self.file.close()
        with contextlib.suppress(OSError):
            os.unlink(self.tmp)


def write_atomically(path: str, text: str, mode: int | None = None) -> None:
    """Replace `path` with `text` in one step (mode None: keep or use the usual permissions)."""
    out = AtomicOutput(path, mode)
    try:
        out.write(text)
        out.commit()
    except BaseException:
        out.abort()
        raise


def write_private_atomically(path: str, text: str) -> None:
    """Replace `path` with `text` in one step, readable only by the user (health data)."""
    write_atomically(path, text, PRIVATE)
