"""Every file location of the app: the data folder, the default database, backups, settings.

Tests and the command line override the data folder (``--data-dir`` or ``TRAM_DATA_DIR``) so
nothing ever touches the real home folder by accident.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from station_app import files

_override: Path | None = None


def set_data_dir(path: Path | str | None) -> None:
    global _override
    _override = Path(path) if path is not None else None


def data_dir() -> Path:
    """The user data folder (created on demand, private to the user: ``0700``)."""
    if _override is not None:
        base = _override
    elif os.environ.get("TRAM_DATA_DIR"):
        base = Path(os.environ["TRAM_DATA_DIR"])
    else:
        base = Path(platformdirs.user_data_dir("Tram", appauthor=False))
    return files.private_folder(base)


def default_database() -> Path:
    return data_dir() / "tram.sqlite3"


def demo_database() -> Path:
    return data_dir() / "tram-demo.sqlite3"


def error_log() -> Path:
    """Where the details of unexpected errors go, for the district's IT person."""
    return data_dir() / "error.log"


def log_error(details: str) -> Path:
    """Append ``details`` (a traceback) to the error log (``0600``: it may quote a patient's
    record); returns its path."""
    path = error_log()
    with files.open_append(path) as fh:
        fh.write(details + "\n")
    return path


def backups_dir() -> Path:
    return files.private_folder(data_dir() / "backups")
