"""A cache of validated content and compiled templates, so a command starts quickly.

Reading and checking the content's YAML and compiling a Jinja template cost more than the
rest of `triage check` together. Correct content is the same object every time, so it is kept,
pickled, under a key made of everything that can change it:

- the content folder's absolute path and the bytes of every file `load_content` parses;
- the code: the size and modification time of every module of this package (the test
  Python itself uses for its compiled .pyc files), the Python version, and the PyYAML and
  Jinja2 versions (a new parser or a changed check gives a new key).

Content files are compared by their bytes, never by their times. Content with problems is never cached, so its errors
are found and reported in full every time. Only content and templates are written, never
answers or results.

Where: `$TRIAGE_CACHE_DIR`, else `$XDG_CACHE_HOME/muscle-triage`, else
`~/.cache/muscle-triage`. `TRIAGE_NO_CACHE=1` turns it off. The folder is made private
(0700); a folder or file that another user could have written (not owned by this user, or
writable by the group or others, or a symbolic link) is never read, since unpickling runs
what the file says. A cache that cannot be read or written is skipped without a word: it
only ever saves time. At most `KEEP` entries (content and what is derived from it) are kept, the oldest removed first.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
KEEP = 16
_PREFIX = "content-"


def cache_dir() -> Path | None:
    """The cache folder to use, or None when caching is off or no private folder can be had."""
    if os.environ.get("TRIAGE_NO_CACHE"):
        return None
    chosen = os.environ.get("TRIAGE_CACHE_DIR")
    if chosen is not None:
        folder = Path(chosen)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = Path(base) / "muscle-triage"
    if not folder.is_absolute():
        return None  # a relative XDG_CACHE_HOME is invalid by the spec; a relative choice would move with the cwd
    with contextlib.suppress(OSError):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if _private(os.lstat(folder), want_dir=True):
            return folder
    return None


def _private(info: os.stat_result, want_dir: bool = False) -> bool:
    """Owned by this user and writable by nobody else; a real folder or file, not a link."""
    kind_ok = stat.S_ISDIR(info.st_mode) if want_dir else stat.S_ISREG(info.st_mode)
    return kind_ok and info.st_uid == os.geteuid() and not info.st_mode & 0o022


@functools.cache
def code_key() -> str:
    """What the code contributes to every key: this package's modules and the parsers' versions."""
    import jinja2
    import yaml

    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{sys.version}|{yaml.__version__}|{yaml.__with_libyaml__}|{jinja2.__version__}".encode())
    package = Path(__file__).parent
    for module in sorted(package.rglob("*.py")):  # size and time, as Python itself checks its .pyc files
        info = module.stat()
        digest.update(f"{module.relative_to(package)}|{info.st_size}|{info.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def _content_key(root: Path, files: Iterable[Path]) -> str:
    digest = hashlib.blake2b(digest_size=20)
    digest.update(code_key().encode() + b"\0" + os.fsencode(os.path.abspath(root)) + b"\0")
    for path in files:
        data = path.read_bytes()
        digest.update(os.fsencode(path.name) + b"\0" + str(len(data)).encode() + b"\0" + data)
    return digest.hexdigest()


def cached(root: Path, files: Iterable[Path], build: Callable[[str | None], T], kind: type[T]) -> T:
    """`build(key)`'s value for these files, from the cache when it holds one of type `kind`.

    `key` (None when there is no cache) lets the value ask for `derived` values later.
    Whatever `build` raises passes through and nothing is stored.
    """
    folder = cache_dir()
    if folder is None:
        return build(None)
    try:
        key = _content_key(root, files)
    except OSError:  # a file cannot be read: build() says which, with its place
        return build(None)
    return _through(folder, f"{_PREFIX}{key}", lambda: build(key), kind)


def derived(key: str | None, name: str, build: Callable[[], T], kind: type[T]) -> T:
    """A value made from cached content (content key `key`), such as an engine's compiled rules."""
    folder = cache_dir() if key is not None else None
    if folder is None:
        return build()
    return _through(folder, f"{_PREFIX}{key}-{name}", build, kind)


def _through(folder: Path, name: str, build: Callable[[], T], kind: type[T]) -> T:
    entry = folder / f"{name}.pickle"
    found = _read(entry)
    if isinstance(found, kind):
        return found
    value = build()
    _write(folder, entry, value)
    return value


def _read(entry: Path) -> object | None:
    try:
        fd = os.open(entry, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as file:
            if not _private(os.fstat(file.fileno())):
                return None
            return pickle.load(file)  # noqa: S301 - our own private file (see the module docstring)
    except Exception:  # a torn or foreign file: rebuilt and written again
        return None


def _write(folder: Path, entry: Path, value: object) -> None:
    with contextlib.suppress(OSError, pickle.PicklingError):
        fd, temporary = tempfile.mkstemp(prefix=".tmp-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as file:
                pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, entry)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        _prune(folder)


def _prune(folder: Path) -> None:
    """Keep the newest KEEP content entries, and template files of the current code only."""
    entries = []
    for path in folder.iterdir():
        with contextlib.suppress(OSError):
            if path.name.startswith(_PREFIX):
                entries.append((path.stat().st_mtime_ns, path))
            elif path.name.startswith("template-") and not path.name.startswith(template_prefix()):
                path.unlink()
    for _, path in sorted(entries, reverse=True)[KEEP:]:
        with contextlib.suppress(OSError):
            path.unlink()


def template_prefix() -> str:
    """Compiled templates are kept per code version: the sandbox shapes the generated code."""
    return f"template-{code_key()[:16]}-"
