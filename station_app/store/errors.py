"""Errors caused by the environment (a file that is not ours, a locked or full disk…).

They carry a message for the user, translated, that says what to do; they are shown as a
dialog or one line on the command line, never as a traceback. Anything else is a bug.
"""

from __future__ import annotations

import sqlite3

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


class DiskFull(StoreError):
    message = N_("The disk is full: nothing was saved. Free some space (delete old files) and try again.")


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


def classify(exc: sqlite3.Error, path: object = "") -> StoreError | None:
    """The user-facing error for an sqlite3 exception caused by the environment, else None."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return Locked(path, str(exc))
    if "readonly" in text or "read-only" in text:
        return ReadOnly(path, str(exc))
    if "disk is full" in text or "database or disk is full" in text:
        return DiskFull(path, str(exc))
    if "malformed" in text or "corrupt" in text:
        return Corrupt(path, str(exc))
    if "not a database" in text or "file is encrypted" in text:
        return NotADatabase(path, str(exc))
    if "unable to open" in text:
        return ReadOnly(path, str(exc))
    return None
