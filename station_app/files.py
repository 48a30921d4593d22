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
from collections.abc import Callable, Iterator, Sequence
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


def write_many(files: Sequence[tuple[Path, bytes]], *, durable: bool = True) -> None:
    """Many small files (a month of claims) written each atomically and privately (a ``0600``
    temporary file renamed over its target), then made durable together: one flush of the file
    system (POSIX ``sync``) instead of one per file, which would cost seconds per thousand files.
    Where there is no ``sync`` each file is flushed on its own. ``durable=False``: the flush is left
    to the caller (``sync_all`` once after several batches). A target that exists and is not a
    regular file (a folder) is refused, never replaced. Tens of thousands of files: a few system
    calls each, and each folder made once."""
    folders: set[Path] = set()
    flush_each = not hasattr(os, "sync")
    suffix = f".{os.getpid()}.tmp"
    for path, data in files:
        target = Path(path)
        _refuse_other_than_file(target)
        folder = target.parent
        if folder not in folders:
            folder.mkdir(parents=True, exist_ok=True)
            folders.add(folder)
        tmp = folder / f".{target.name}{suffix}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), PRIVATE_FILE)
        except FileExistsError:  # left by a run that was stopped: another name
            fd, name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
            tmp = Path(name)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                if flush_each:
                    os.fsync(fd)
            finally:
                os.close(fd)
            tmp.replace(target)  # atomic on the same file system, also on Windows
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
    if files and durable:
        sync_all()


def _refuse_other_than_file(target: Path) -> None:
    """A folder, a device, a pipe where a file is to be written: refused (``IsADirectoryError``)."""
    try:
        mode = target.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return
    if not stat.S_ISREG(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))


def sync_all() -> None:
    """Make every file written so far survive a power cut (POSIX ``sync``; where there is none,
    ``write_many`` flushes each file as it writes it)."""
    if hasattr(os, "sync"):
        os.sync()
