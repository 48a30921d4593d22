"""``main.py backup`` and ``main.py restore`` (a contract)::

    main.py backup --db FILE [--to DIR] [--encrypt]      prints the path of the backup
    main.py restore --db FILE --from BACKUP              refuses a damaged or foreign backup

``--encrypt`` (and restoring an encrypted backup) asks for the passphrase, or reads it from the
environment variable ``TRAM_BACKUP_PASSPHRASE`` (for scripts and tests).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from station_app import paths
from station_app.cli.common import EXIT_OK, CliError, out
from station_app.i18n import tr

PASSPHRASE_ENV = "TRAM_BACKUP_PASSPHRASE"


def _passphrase(confirm: bool) -> str:
    from_env = os.environ.get(PASSPHRASE_ENV)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise CliError(tr("Give the passphrase in a terminal, or in the variable {name}.").format(name=PASSPHRASE_ENV))
    first = getpass.getpass(tr("Passphrase: "))
    if confirm and getpass.getpass(tr("The passphrase again: ")) != first:
        raise CliError(tr("The two passphrases differ: nothing was written."))
    return first


def _audit(store, action: str, details: dict[str, object]) -> None:
    """An entry in the database's audit log (a file of an older schema has none yet)."""
    from station_app.store import audit
    from station_app.store.schema import SCHEMA_VERSION

    if store.schema_version == SCHEMA_VERSION:
        audit.record(store, action, "database", details)


def cmd_backup(args: argparse.Namespace) -> int:
    from station_app.store import backup, open_store

    db = Path(args.db)
    if not db.is_file():
        raise CliError(tr("There is no database at {path}.").format(path=db))
    folder = Path(args.to) if args.to else paths.backups_dir()
    passphrase = _passphrase(confirm=True) if args.encrypt else None
    store = open_store(db, create=False, migrate=False)  # refuses a foreign, newer or damaged file
    try:
        if passphrase is not None:
            target = backup.export_encrypted(db, folder, passphrase)
        else:
            target = backup.make_backup(db, folder)
        _audit(store, "backup", {"file": str(target), "encrypted": passphrase is not None})
    finally:
        store.close()
    out(str(target))
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from station_app.store import backup, open_store

    db, source = Path(args.db), Path(args.source)
    if not source.is_file():
        raise CliError(tr("There is no file {path}.").format(path=source))
    passphrase = _passphrase(confirm=False) if backup.is_encrypted(source) else None
    if not db.parent.is_dir():
        raise CliError(tr("There is no folder {path}.").format(path=db.parent))
    aside = backup.restore(db, source, passphrase)
    store = open_store(db, create=False)  # reopened: upgraded if the backup is of an older version
    try:
        version = store.schema_version
        _audit(store, "restore", {"from": str(source), "aside": str(aside) if aside else ""})
    finally:
        store.close()
    out(tr("Restored {backup} into {path} (schema {version}).").format(backup=source, path=db, version=version))
    if aside is not None:
        out(tr("The file it replaced was kept as {path}.").format(path=aside))
    return EXIT_OK


def add_commands(sub: argparse._SubParsersAction) -> None:
    make = sub.add_parser("backup", help="back up the database (checked, rotated)")
    make.add_argument("--db", required=True, help="the database file")
    make.add_argument("--to", metavar="DIR", help="folder for the backup (default: the data folder's backups)")
    make.add_argument("--encrypt", action="store_true", help=f"encrypt with a passphrase (or ${PASSPHRASE_ENV})")
    make.set_defaults(func=cmd_backup)

    back = sub.add_parser("restore", help="put a backup in place of the database (the current file is kept aside)")
    back.add_argument("--db", required=True, help="the database file to replace")
    back.add_argument("--from", dest="source", required=True, metavar="BACKUP", help="a backup (.sqlite3 or .trambak)")
    back.set_defaults(func=cmd_restore)
