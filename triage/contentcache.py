"""A cache of validated content and compiled templates, so a command starts quickly.

Reading and checking the content's YAML and compiling a Jinja template cost more than the
rest of `triage check` together. Correct content is the same object every time, so it is kept,
pickled, under a key made of everything that can change it:

- the content folder as named (with the current folder when the name is relative) and the
  bytes of every file `load_content` parses (hashed again after building: a file saved in
  between means the value is used but not stored);
- the code: the size and modification time of every module of this package (the test
  Python itself uses for its compiled .pyc files), the Python version, and the PyYAML and
  Jinja2 versions (a new parser or a changed check gives a new key).

Content files are compared by their bytes, never by their times. Content with problems is
never cached, so its errors are found and reported in full every time. Only content and
templates are written, never answers or results.

Where: `$TRIAGE_CACHE_DIR`, else `$XDG_CACHE_HOME/muscle-triage`, else
`~/.cache/muscle-triage`. `TRIAGE_NO_CACHE=1` turns it off. The folder is made private
(0700); a folder or file that another user could have written (not owned by this user, or
writable by the group or others, or a symbolic link) is never read, since unpickling runs
what the file says. A cache that cannot be read or written is skipped without a word: it
only ever saves time, and where there are no user ids to check (Windows) there is none. At
most `KEEP` entries (content and what is derived from it) are kept, the oldest removed first.
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
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import jinja2
import jinja2.bccache

from .yamlsafe import MAX_FILE_BYTES

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
    """Owned by this user and writable by nobody else; a real folder or file, not a link.
    (Where there are no user ids, as on Windows, nothing is private: no cache.)"""
    kind_ok = stat.S_ISDIR(info.st_mode) if want_dir else stat.S_ISREG(info.st_mode)
    user = getattr(os, "geteuid", None)
    return kind_ok and user is not None and info.st_uid == user() and not info.st_mode & 0o022


@functools.cache
def code_key() -> str:
    """What the code contributes to every key: this package's modules, the content schemas (they
    decide what loads: `triage.shapes`) and the parsers' versions."""
    import yaml

    from .model import default_rules_dir

    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{sys.version}|{yaml.__version__}|{yaml.__with_libyaml__}|{jinja2.__version__}".encode())
    package = Path(__file__).parent
    for module in sorted(package.rglob("*.py")):  # size and time, as Python itself checks its .pyc files
        info = module.stat()
        digest.update(f"{module.relative_to(package)}|{info.st_size}|{info.st_mtime_ns}\0".encode())
    for schema in sorted((default_rules_dir() / "schema").glob("*.json")):
        digest.update(f"{schema.name}\0".encode() + schema.read_bytes())
    return digest.hexdigest()


def _content_key(root: Path, files: Iterable[Path]) -> str | None:
    """The key, or None when a file cannot be read or is too large (loading then says why).

    The root is keyed as it was given, with the current folder when it is relative: paths in
    the content (in rule ids' places, in authors' test reports) are kept as they were given.
    """
    digest = hashlib.blake2b(digest_size=20)
    where = str(root) if root.is_absolute() else f"{os.getcwd()}\0{root}"
    digest.update(code_key().encode() + b"\0" + os.fsencode(where) + b"\0")
    try:
        for path in files:
            with open(path, "rb") as file:
                data = file.read(MAX_FILE_BYTES + 1)  # a larger file is reported by loading
            if len(data) > MAX_FILE_BYTES:
                return None
            digest.update(os.fsencode(path.name) + b"\0" + str(len(data)).encode() + b"\0" + data)
    except OSError:
        return None
    return digest.hexdigest()


def cached(root: Path, files: Callable[[], list[Path]], build: Callable[[str | None], T], kind: type[T]) -> T:
    """`build(key)`'s value for the `files()`, from the cache when it holds one of type `kind`.

    `key` (None when there is no cache) lets the value ask for `derived` values later.
    Whatever `build` raises passes through and nothing is stored. A value is stored only if
    the files are the same after `build` as before it (an editor may save in between).
    """
    folder = cache_dir()
    key = _content_key(root, files()) if folder is not None else None
    if folder is None or key is None:
        return build(None)
    entry = folder / f"{_PREFIX}{key}.pickle"
    found = _read(entry)
    if isinstance(found, kind):
        return found
    value = build(key)
    if _content_key(root, files()) == key:
        _write(folder, entry, value)
    return value


def derived(key: str | None, name: str, build: Callable[[], T], kind: type[T]) -> T:
    """A value made from cached content (content key `key`), such as an engine's compiled rules."""
    folder = cache_dir() if key is not None else None
    if folder is None:
        return build()
    entry = folder / f"{_PREFIX}{key}-{name}.pickle"
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
    """Keep the newest KEEP content entries, template files of the current code only, and no
    temporary file older than an hour (left by a killed write)."""
    entries = []
    for path in folder.iterdir():
        with contextlib.suppress(OSError):
            if path.name.startswith(_PREFIX):
                entries.append((path.stat().st_mtime_ns, path))
            elif _stale(path):
                path.unlink()
    for _, path in sorted(entries, reverse=True)[KEEP:]:
        with contextlib.suppress(OSError):
            path.unlink()


def _stale(path: Path) -> bool:
    if path.name.startswith("template-"):
        return not path.name.startswith(template_prefix())
    return path.name.startswith(".tmp-") and time.time() - path.stat().st_mtime > 3600


class PrivateBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja2's file cache of compiled templates, reading only this user's private files (a
    compiled template is code), never through a link, checked on the open file."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            fd = os.open(self._get_cache_filename(bucket), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return
        with os.fdopen(fd, "rb") as file:
            if _private(os.fstat(file.fileno())):
                bucket.load_bytecode(file)


def template_prefix() -> str:
    """Compiled templates are kept per code version: the sandbox shapes the generated code."""
    return f"template-{code_key()[:16]}-"
