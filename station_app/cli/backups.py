"""``main.py backup`` and ``main.py restore`` (a contract)::

    main.py backup --db FILE [--to DIR] [--encrypt]      prints the path of the backup
    main.py restore --db FILE --from BACKUP [--other-station]
                                                         shows the station of both; refuses a damaged or
                                                         foreign backup, and another station's without
                                                         --other-station

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
from station_app.domain.accounts import SYSTEM
from station_app.i18n import N_, tr

PASSPHRASE_ENV = "TRAM_BACKUP_PASSPHRASE"


def _passphrase(confirm: bool) -> str:
    from_env = os.environ.get(PASSPHRASE_ENV)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise CliError(N_("Give the passphrase in a terminal, or in the variable {name}."), name=PASSPHRASE_ENV)
    first = getpass.getpass(tr("Passphrase: "))
    if confirm and getpass.getpass(tr("The passphrase again: ")) != first:
        raise CliError(N_("The two passphrases differ: nothing was written."))
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
        raise CliError(N_("There is no database at {path}."), path=db)
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


def station_lines(comparison) -> list[str]:
    """This database and the backup, one line each, for the person to compare."""

    def describe(record) -> str:
        return tr("{station} · facility code {code} · {patients} patients").format(
            station=record.station or tr("(no name)"), code=record.facility_code or "—", patients=record.patients)

    lines = []
    if comparison.current is not None:
        lines.append(tr("This database: {what}").format(what=describe(comparison.current)))
    made = comparison.backup.made.strftime("%d/%m/%Y %H:%M") if comparison.backup.made else "?"
    lines.append(tr("The backup:    {what} · made {when}").format(what=describe(comparison.backup), when=made))
    return lines


def cmd_restore(args: argparse.Namespace) -> int:
    from station_app.store import backup, open_store

    db, source = Path(args.db), Path(args.source)
    if not source.is_file():
        raise CliError(N_("There is no file {path}."), path=source)
    passphrase = _passphrase(confirm=False) if backup.is_encrypted(source) else None
    if not db.parent.is_dir():
        raise CliError(N_("There is no folder {path}."), path=db.parent)
    staged = backup.stage_restore(db, source, passphrase)
    comparison = backup.compare_stations(db, staged, source)
    for line in station_lines(comparison):
        out(line)
    if not comparison.same_station and not args.other_station:
        backup.discard_staged(staged)
        raise CliError(N_(
            "{path} is a backup of another station ({backup_station}, facility code {backup_code}), not of this "
            "database's ({station}, facility code {code}). Nothing was restored; to replace this station's records "
            "with it, add --other-station."), path=source, **comparison.params())
    aside = backup.commit_restore(db, staged, by=SYSTEM)  # the command line: the local operator
    store = open_store(db, create=False)  # reopened: upgraded if the backup is of an older version
    try:
        version = store.schema_version
        details: dict[str, object] = {"from": str(source), "aside": str(aside) if aside else ""}
        if not comparison.same_station:
            details["other_station"] = True
        _audit(store, "restore", details)
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
    back.add_argument("--other-station", action="store_true",
                      help="restore even a backup of another station (another facility code or name)")
    back.set_defaults(func=cmd_restore)
