"""Files the program writes: private to the person who runs it, and whole or not there at all.

Everything Trạm writes holds personal data (the database and its side files, backups, the copies
kept aside before a schema upgrade or a restore, exports, PDFs, the error log), so on POSIX each
file is created ``0600`` and each folder of its own ``0700``, whatever the umask; on Windows the
files live in the user's own profile folder, which other accounts cannot read. Files are created
with their final mode (never readable by others for a moment), and a file replaced is written
beside its target and renamed over it, so a reader sees the old file or the whole new one.

Plain Python, no Qt and no SQL: every layer may use it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TypeVar

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700
POSIX = os.name == "posix"

T = TypeVar("T")


def make_private(path: str | os.PathLike[str]) -> None:
    """Take the group's and others' permissions off an existing file or folder (POSIX). The
    owner's stay as they are: a read-only file stays read-only. Quietly nothing when the file
    system keeps no Unix permissions or the file is not this user's."""
    if not POSIX:
        return
    target = Path(path)
    with contextlib.suppress(OSError):
        mode = stat.S_IMODE(target.stat().st_mode)
        if mode & 0o077:
            target.chmod(mode & ~0o077)


def private_folder(path: str | os.PathLike[str]) -> Path:
    """The program's own folder (the data folder, its backups), created ``0700`` if missing and
    made private if it was not."""
    folder = Path(path)
    folder.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    make_private(folder)
    return folder


def chosen_folder(path: str | os.PathLike[str]) -> Path:
    """A folder the person chose (a backup's destination, a USB stick): an existing one is left as it
    is; the folders made for it here are ``0700``, as the program's own are."""
    folder = Path(path)
    missing = []
    parent = folder
    while not parent.exists() and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    for made in reversed(missing):
        made.mkdir(mode=PRIVATE_FOLDER, exist_ok=True)
        make_private(made)
    return folder


def create_private(path: str | os.PathLike[str]) -> Path:
    """An empty file at ``path`` (emptied if it exists), ``0600``: made before another library
    (SQLite, ``shutil``) writes into it, so the file is never readable by others, not for a moment.
    SQLite gives the ``-wal`` and ``-shm`` files of a database the mode of the database file."""
    target = Path(path)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), PRIVATE_FILE)
    try:
        if POSIX:
            with contextlib.suppress(OSError):
                os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)
    return target


@contextlib.contextmanager
def open_append(path: str | os.PathLike[str]) -> Iterator[IO[str]]:
    """``path`` opened to add text at its end (UTF-8), created ``0600`` (the error log)."""
    target = Path(path)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
    make_private(target)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        yield fh


def write_atomic_stream(path: str | os.PathLike[str], write: Callable[[IO[bytes]], T]) -> tuple[Path, T]:
    """Write a file piece by piece (``write(fh)``) so that readers see the old file or the whole
    new one: a temporary file (``0600``) in the target's folder, flushed to disk, then renamed over
    the target. Returns the path and what ``write`` returned. The file is ``0600`` whatever was
    there before. A target that exists and is not a regular file (a folder, ``/dev/…``) is refused
    (``OSError``), never replaced."""
    target = Path(path)
    if target.exists() and not target.is_file():  # a folder, a device, a pipe: never replaced by a file
        raise IsADirectoryError(errno.EISDIR if target.is_dir() else errno.EEXIST,
                                "not a regular file" if not target.is_dir() else os.strerror(errno.EISDIR),
                                str(target))
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")  # mode 0600
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            result = write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(target)  # os.replace: atomic on the same file system, also on Windows
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_folder(folder)
    return target, result


def write_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """``data`` written to ``path`` atomically and privately (see ``write_atomic_stream``)."""
    return write_atomic_stream(path, lambda fh: fh.write(data))[0]


def fsync_file(path: str | os.PathLike[str]) -> None:
    """Make what was written to ``path`` survive a power cut."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_folder(folder: str | os.PathLike[str]) -> None:
    """Make a rename in ``folder`` survive a power cut (POSIX; Windows has no such call)."""
    if not POSIX:
        return
    with contextlib.suppress(OSError):
        fsync_file(folder)


def sync_all() -> None:
    """Make every file written so far survive a power cut (POSIX ``sync``; where there is none,
    ``write_many`` flushes each file as it writes it)."""
    if hasattr(os, "sync"):
        os.sync()


STAGED_SUFFIX = ".tmp"


class StagedFiles:
    """Many files that appear together or not at all (a month of claims): each is written beside
    its target under a hidden temporary name (``0600``); ``commit()`` makes them all durable (one
    flush) and only then renames each over its target. Until then no target is touched, so a
    failure (a full disk) or a kill leaves the folder as it was, but for hidden temporary files
    that ``discard()`` removes (on any failure) and ``remove_stale()`` of a later run removes after
    a kill. Renames need no space: once every file is written, putting them in place succeeds."""

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []  # (temporary, target)

    def __enter__(self) -> StagedFiles:
        return self

    def __exit__(self, kind: object, *_rest: object) -> None:
        if kind is not None:
            self.discard()

    def add(self, path: str | os.PathLike[str], data: bytes) -> None:
        target = Path(path)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=STAGED_SUFFIX)
        self._staged.append((Path(tmp_name), target))
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if not hasattr(os, "sync"):
                os.fsync(fd)
        finally:
            os.close(fd)

    def commit(self) -> list[Path]:
        """Put every file in place (after one flush to disk); the targets, in the order added. A
        target that is a folder (or anything but a file) is refused before any file is moved."""
        self._refuse_non_files()
        sync_all()
        done: list[Path] = []
        for tmp, target in self._staged:
            tmp.replace(target)
            done.append(target)
        if done:
            fsync_folder(done[0].parent)
        self._staged.clear()
        return done

    def _refuse_non_files(self) -> None:
        """Each folder's entries read once (a month is tens of thousands of files in one folder)."""
        wanted: dict[Path, set[str]] = {}
        for _tmp, target in self._staged:
            wanted.setdefault(target.parent, set()).add(target.name)
        for folder, names in wanted.items():
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name in names and not entry.is_file():
                        path = folder / entry.name
                        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))

    def discard(self) -> None:
        for tmp, _target in self._staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
        self._staged.clear()

    @staticmethod
    def remove_stale(folder: str | os.PathLike[str], suffix: str) -> None:
        """Remove the temporary files a killed run left in ``folder`` for targets ending in ``suffix``."""
        for stale in Path(folder).glob(f".*{suffix}.*{STAGED_SUFFIX}"):
            with contextlib.suppress(OSError):
                stale.unlink()
