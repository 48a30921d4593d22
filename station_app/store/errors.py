"""Errors caused by the environment (a file that is not ours, a locked or full disk…).

They carry a message for the user, translated, that says what to do; they are shown as a
dialog or one line on the command line, never as a traceback. Anything else is a bug.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from station_app.domain import accounts
from station_app.errors import UserError
from station_app.i18n import N_, translate


class StoreError(UserError):
    """A database problem the user can act on."""

    message = N_("The database could not be used.")

    def __init__(self, path: object = "", detail: str = "", **params: object) -> None:
        self.path = str(path)
        self.detail = detail
        super().__init__(None, path=self.path, **params)


class NotADatabase(StoreError):
    message = N_("{path} is not a Trạm database (it is not an SQLite file, or it is damaged). It was not changed.")


class NotOurDatabase(StoreError):
    message = N_("{path} is an SQLite database of another program, not of Trạm. It was not changed.")


class TooNew(StoreError):
    message = N_(
        "{path} was written by a newer version of Trạm (schema {found}, this version knows up to "
        "{known}). Install the newer version to open it. The file was not changed."
    )


class EmptyFile(StoreError):
    message = N_(
        "{path} is empty (0 bytes): it is not a Trạm database, perhaps a copy that failed. It was not changed. "
        "Restore a backup or choose another file."
    )


class Locked(StoreError):
    message = N_("The database is busy in another window or program. Close it there and try again.")


class ReadOnly(StoreError):
    message = N_(
        "The database {path} cannot be written (read-only file or folder). Copy it to a folder you can write to."
    )


class NeedsUpgrade(StoreError):
    message = N_(
        "{path} was written by an older version of Trạm (schema {found}, this version: {known}) and cannot be "
        "upgraded where it is (read-only). Copy it to a folder you can write to and open it there."
    )


class DiskFull(StoreError):
    message = N_(
        "The disk is full ({free} free on the disk that holds {folder}): nothing was saved, and the database "
        "was not changed. Free some space on that disk — empty the recycle bin, delete or move large files you "
        "no longer need (videos, downloads, old copies of files) — then try again."
    )

    def __init__(self, path: object = "", detail: str = "", **params: object) -> None:
        folder = _folder(path)
        params.setdefault("folder", folder)
        params.setdefault("free", _size_text(_free_bytes(folder)))
        super().__init__(path, detail, **params)


class DiskProblem(StoreError):
    message = N_(
        "The disk that holds {path} could not be read or written ({reason}). If it is a USB stick or a network "
        "folder, check that it is plugged in or connected, then try again; if it keeps happening, the disk may "
        "be failing: call the district's IT person."
    )


class IsAFolder(StoreError):
    message = N_("{path} is a folder, not a database file. Give the path of the station's file (….sqlite3).")


class FileMissing(StoreError):
    message = N_("There is no database at {path}.")


class Corrupt(StoreError):
    message = N_("The database {path} is damaged. Restore the latest backup (Settings → Backups).")


class NotPermitted(StoreError):
    """The current actor's role does not hold the permission an operation needs."""

    message = N_("Not allowed: the role {role} may not {permission}.")

    def text(self, lang: str | None = None) -> str:
        role = accounts.Role(str(self.params["role"]))
        permission = accounts.Permission(str(self.params["permission"]))
        return translate(self.message, lang).format(
            role=translate(accounts.ROLE_NAMES[role], lang),
            permission=translate(accounts.PERMISSION_NAMES[permission], lang),
        )


class Unaudited(RuntimeError):
    """A bug: a write under a permission was about to commit without its audit entry."""


# SQLite's primary result codes (the low byte of ``sqlite_errorcode``; the high bytes say more).
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26
SQLITE_IOERR_NOMEM = 3082  # (out of memory while reading: not the disk's fault)
# Less than this free on the disk, and any failure to write or open is a full disk.
NEARLY_FULL = 1 << 20


def _folder(path: object) -> str:
    text = str(path)
    if not text:
        return ""
    folder = Path(text)
    return str(folder if folder.is_dir() else folder.parent)


def _free_bytes(folder: str) -> int | None:
    try:
        return shutil.disk_usage(folder or ".").free
    except OSError:
        return None


def _size_text(size: int | None) -> str:
    if size is None:
        return "?"
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def _disk_is_full(path: object) -> bool:
    free = _free_bytes(_folder(path))
    return free is not None and free < NEARLY_FULL


def classify(exc: sqlite3.Error, path: object = "") -> StoreError | None:
    """The user-facing error for an sqlite3 exception caused by the environment, else None (a bug).

    Told apart by SQLite's result code (``exc.sqlite_errorcode``), never by the words of the message.
    A failure to write, open or map a file while the disk has (almost) no free space left is a full
    disk, whatever code it came with: SQLite reports a disk full while growing its shared-memory
    file as an input/output error.
    """
    code = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(code, int):
        return None  # raised by Python's sqlite3 module itself (misuse): a bug
    primary, detail = code & 0xFF, str(exc)
    if primary == SQLITE_FULL:
        return DiskFull(path, detail)
    if primary in (SQLITE_IOERR, SQLITE_CANTOPEN) and code != SQLITE_IOERR_NOMEM and _disk_is_full(path):
        return DiskFull(path, detail)
    if primary in (SQLITE_BUSY, SQLITE_LOCKED):
        return Locked(path, detail)
    if primary in (SQLITE_READONLY, SQLITE_CANTOPEN):
        return ReadOnly(path, detail)
    if primary == SQLITE_CORRUPT:
        return Corrupt(path, detail)
    if primary == SQLITE_NOTADB:
        return NotADatabase(path, detail)
    if primary == SQLITE_IOERR and code != SQLITE_IOERR_NOMEM:
        return DiskProblem(path, detail, reason=str(getattr(exc, "sqlite_errorname", "") or detail))
    return None
