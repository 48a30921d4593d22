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


def settings_file() -> Path:
    """The app's own settings (language, text size, the second backup folder…), in Qt's INI format."""
    return data_dir() / "settings.ini"


_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "0": "\0",
            '"': '"', "'": "'", "\\": "\\", "?": "?", ";": ";", ",": ",", "=": "="}


def _ini_value(raw: str) -> str:
    """A string value as Qt writes it in an INI file: quoted when it holds a comma or a semicolon,
    backslash escapes (``\\\\``, ``\\"``, ``\\xHHHH``), UTF-8 otherwise."""
    text, chars, i = raw.strip(), [], 0
    while i < len(text):
        c = text[i]
        if c == '"':
            i += 1
        elif c == "\\" and i + 1 < len(text):
            following = text[i + 1]
            if following == "x":
                j = i + 2
                while j < len(text) and j < i + 6 and text[j] in "0123456789abcdefABCDEF":
                    j += 1
                chars.append(chr(int(text[i + 2:j] or "0", 16)))
                i = j
            else:
                chars.append(_ESCAPES.get(following, following))
                i += 2
        else:
            chars.append(c)
            i += 1
    value = "".join(chars)
    return value[1:] if value.startswith("@@") else value


def second_backup_folder() -> Path | None:
    """The second folder for backups (a USB stick) chosen in the app (Cài đặt → Sao lưu), read from
    the app's settings file without Qt, for the command line; None when none is chosen."""
    try:
        lines = settings_file().read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    section = ""
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1]
        elif section == "backup" and stripped.partition("=")[0].strip() == "second_folder":
            value = _ini_value(stripped.partition("=")[2])
            return Path(value) if value else None
    return None
