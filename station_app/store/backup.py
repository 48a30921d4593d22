"""Backups of the station's database: made, checked, rotated, copied, encrypted, restored.

* A backup is SQLite's online backup of the open file, copied in steps inside one read snapshot,
  so the app keeps saving meanwhile and the copy is the state of one moment. It is written to a
  hidden ``.part`` file, checked with ``PRAGMA integrity_check`` and only then renamed to its name
  ``<database>-YYYYMMDD-HHMMSS.sqlite3``: a file with that name is always a whole, checked copy.
* Rotation keeps the newest backup of each of the last 7 days, 4 weeks and 12 months that have one.
  The copies a restore keeps aside (``<database>.before-restore-YYYYMMDD-HHMMSS.sqlite3``) are
  rotated too: the 3 newest always stay, older ones by the same days/weeks/months rule.
* Every file written here is private to the user (``0600``, ``files.create_private``).
* An encrypted export (``.trambak``) is for copies that leave the station: AES-256-GCM in 1 MiB
  segments, the key derived from a passphrase with scrypt and a random salt (format below).
* Restoring verifies the backup (an SQLite file of Trạm, not newer than this program, intact, the
  passphrase right), keeps the current file aside, then swaps the file in with one ``os.replace``:
  at every moment the database file is either the old one or the restored one, never half of each.

Everything here opens its own connections, so it can run on a worker thread.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import re
import secrets
import shutil
import sqlite3
import struct
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from station_app import clock, files
from station_app.domain.accounts import Actor, Permission
from station_app.i18n import N_
from station_app.store import errors
from station_app.store.database import BUSY_TIMEOUT_MS, SQLITE_MAGIC
from station_app.store.schema import APPLICATION_ID, SCHEMA_VERSION

Progress = Callable[[int, int], None]

PLAIN_SUFFIX = ".sqlite3"
ENCRYPTED_SUFFIX = ".trambak"
STEP_PAGES = 2048  # pages copied per backup step (8 MiB with 4 KiB pages)
KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY = 7, 4, 12
KEEP_LAST_ASIDE = 3  # copies kept aside by a restore that stay whatever their dates
AUTO_BACKUP_AGE = dt.timedelta(days=1)
MIN_PASSPHRASE = 8

# -- encrypted file format, version 1 ---------------------------------------------------------------
# header (48 bytes): magic "TRAMBAK\0" | version u8 | kdf u8 (1 = scrypt) | log2(n) u8 | r u8 | p u8 |
#                    reserved 3 bytes | segment size u32 | salt 16 bytes | nonce prefix 8 bytes
# then segments: AES-256-GCM(plaintext segment) = segment bytes + 16-byte tag; the nonce is the
# prefix followed by the segment's number (u32); the associated data is the header, the segment
# number and a "last segment" flag, so a file cut short, reordered or edited does not decrypt.
MAGIC = b"TRAMBAK\x00"
FORMAT_VERSION = 1
KDF_SCRYPT = 1
SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P = 15, 8, 1
SEGMENT = 1 << 20
TAG = 16
_HEADER = struct.Struct(">8sBBBBB3sI16s8s")


class BackupFailed(errors.StoreError):
    message = N_("The backup could not be written to {path}: {reason}")


class BackupDamaged(errors.StoreError):
    message = N_(
        "{path} is not a usable backup: it is damaged or not a database. "
        "Nothing was restored; the database was not changed."
    )


class BackupForeign(errors.StoreError):
    message = N_(
        "{path} is not a backup of a Trạm database. Nothing was restored; the database was not changed."
    )


class BackupTooNew(errors.StoreError):
    message = N_(
        "{path} was made by a newer version of Trạm (schema {found}, this version knows up to {known}). "
        "Nothing was restored; the database was not changed."
    )


class PassphraseNeeded(errors.StoreError):
    message = N_("{path} is encrypted: give its passphrase.")


class WrongPassphrase(errors.StoreError):
    message = N_(
        "The passphrase is wrong, or the encrypted file {path} was changed or cut short. "
        "Nothing was restored; the database was not changed."
    )


class UnknownFormat(errors.StoreError):
    message = N_("{path} was encrypted by a newer version of Trạm (format {version}). Install the newer version.")


class OtherStation(errors.StoreError):
    message = N_(
        "{path} is a backup of another station ({backup_station}, facility code {backup_code}, {backup_patients} "
        "patients), not of this database's ({station}, facility code {code}, {patients} patients). "
        "Nothing was restored; the database was not changed."
    )


class PassphraseTooShort(errors.StoreError):
    message = N_("The passphrase must have at least {minimum} characters.")


# -- naming and listing -------------------------------------------------------------------------------
@dataclass(frozen=True)
class BackupFile:
    path: Path
    made: dt.datetime
    encrypted: bool
    sequence: int = 1  # the second backup made within the same second is "-2"…

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def _pattern(db: Path) -> re.Pattern[str]:
    suffixes = "|".join(re.escape(s) for s in (PLAIN_SUFFIX, ENCRYPTED_SUFFIX))
    return re.compile(re.escape(db.stem) + r"-(\d{8}-\d{6})(?:-(\d+))?(" + suffixes + ")$")


def backups(folder: Path, db: Path, *, encrypted: bool | None = None) -> list[BackupFile]:
    """The backups of ``db`` in ``folder``, newest first (plain, encrypted or both)."""
    if not folder.is_dir():
        return []
    pattern = _pattern(db)
    found = []
    for path in folder.iterdir():
        match = pattern.fullmatch(path.name)
        if not match or not path.is_file():
            continue
        is_encrypted = match.group(3) == ENCRYPTED_SUFFIX
        if encrypted is not None and is_encrypted != encrypted:
            continue
        made = dt.datetime.strptime(match.group(1), "%Y%m%d-%H%M%S")
        found.append(BackupFile(path, made, is_encrypted, int(match.group(2) or 1)))
    return sorted(found, key=lambda b: (b.made, b.sequence), reverse=True)


def latest(folder: Path, db: Path) -> BackupFile | None:
    plain = backups(folder, db, encrypted=False)
    return plain[0] if plain else None


def is_due(folder: Path, db: Path, now: dt.datetime | None = None) -> bool:
    """True when the newest backup of ``db`` in ``folder`` is older than a day (or there is none)."""
    last = latest(folder, db)
    now = now or clock.now()
    return last is None or now - last.made >= AUTO_BACKUP_AGE


def _free_name(folder: Path, stem: str, when: dt.datetime, suffix: str) -> Path:
    base = f"{stem}-{when:%Y%m%d-%H%M%S}"
    target = folder / f"{base}{suffix}"
    n = 2
    while target.exists():
        target = folder / f"{base}-{n}{suffix}"
        n += 1
    return target


def to_keep(files: list[BackupFile]) -> set[Path]:
    """The newest backup of each of the last 7 days, 4 ISO weeks and 12 months that have one."""
    keep: set[Path] = set()
    rules: list[tuple[int, Callable[[dt.datetime], object]]] = [
        (KEEP_DAILY, lambda t: t.date()),
        (KEEP_WEEKLY, lambda t: t.isocalendar()[:2]),
        (KEEP_MONTHLY, lambda t: (t.year, t.month)),
    ]
    newest_first = sorted(files, key=lambda b: (b.made, b.sequence), reverse=True)
    for count, period in rules:
        seen: set[object] = set()
        for b in newest_first:
            key = period(b.made)
            if key in seen:
                continue
            seen.add(key)
            keep.add(b.path)
            if len(seen) == count:
                break
    return keep


def rotate(folder: Path, db: Path) -> list[Path]:
    """Delete the plain backups of ``db`` in ``folder`` the rotation does not keep; returns them."""
    files = backups(folder, db, encrypted=False)
    keep = to_keep(files)
    removed = []
    for b in files:
        if b.path not in keep:
            b.path.unlink(missing_ok=True)
            removed.append(b.path)
    return removed


def _aside_pattern(db: Path) -> re.Pattern[str]:
    return re.compile(re.escape(db.stem) + r"\.before-restore-(\d{8}-\d{6})(?:-(\d+))?" + re.escape(PLAIN_SUFFIX) + "$")


def kept_aside(db: Path) -> list[BackupFile]:
    """The copies of ``db`` a restore kept aside beside it, newest first."""
    pattern = _aside_pattern(db)
    found = []
    for path in db.parent.iterdir() if db.parent.is_dir() else ():
        match = pattern.fullmatch(path.name)
        if match and path.is_file():
            made = dt.datetime.strptime(match.group(1), "%Y%m%d-%H%M%S")
            found.append(BackupFile(path, made, False, int(match.group(2) or 1)))
    return sorted(found, key=lambda b: (b.made, b.sequence), reverse=True)


def rotate_aside(db: Path) -> list[Path]:
    """Delete the copies kept aside by restores that rotation does not keep (with their log): the
    3 newest stay whatever their dates (a restore regretted the same day is undone from them),
    older ones as backups are kept (the newest of each of the last 7 days, 4 weeks, 12 months)."""
    aside = kept_aside(Path(db))
    keep = {b.path for b in aside[:KEEP_LAST_ASIDE]} | to_keep(aside)
    removed = []
    for b in aside:
        if b.path not in keep:
            _remove(b.path)
            removed.append(b.path)
    return removed


# -- low-level helpers --------------------------------------------------------------------------------
def _side_files(path: Path) -> list[Path]:
    return [path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal")]


def _remove(path: Path) -> None:
    for p in (path, *_side_files(path)):
        with contextlib.suppress(OSError):
            p.unlink(missing_ok=True)


def _integrity(conn: sqlite3.Connection) -> bool:
    rows = conn.execute("PRAGMA integrity_check").fetchall()
    return [r[0] for r in rows] == ["ok"]


def _failed(folder: Path, exc: BaseException) -> errors.StoreError:
    if isinstance(exc, errors.StoreError):
        return exc
    if isinstance(exc, sqlite3.Error):
        found = errors.classify(exc, folder)
        if found is not None:
            return found
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return BackupFailed(folder, str(exc), reason=reason)


# -- what a backup holds ----------------------------------------------------------------------------
RECORD_TABLE = "backup_record"  # only in backup copies: when made, the audit chain's head, the station


@dataclass(frozen=True)
class BackupRecord:
    """What a backup (or the live database) holds: its station, patients and the audit chain's head.

    ``made`` is when the backup was made (None for the live database, or a backup made by a version
    that did not record it: then the file's own name or date tells)."""

    made: dt.datetime | None
    head_id: int
    head_hash: str
    station: str
    facility_code: str
    patients: int

    def same_station(self, other: BackupRecord) -> bool:
        """Whether both are of one station: the same facility code when both have one, else the same
        name. A station with neither (a new, empty file) matches any."""
        if not (self.facility_code or self.station) or not (other.facility_code or other.station):
            return True
        if self.facility_code and other.facility_code:
            return self.facility_code.strip() == other.facility_code.strip()
        return " ".join(self.station.casefold().split()) == " ".join(other.station.casefold().split())


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def _facts(conn: sqlite3.Connection, made: dt.datetime | None = None) -> BackupRecord:
    """The record of an open database, computed from its tables (any schema version)."""
    head_id, head_hash = 0, "0" * 64
    if _has_table(conn, "audit_log"):
        last = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
        if last is not None:
            head_id, head_hash = int(last[0]), str(last[1])
    name = code = ""
    if _has_table(conn, "station"):
        row = conn.execute("SELECT name, facility_code FROM station WHERE id = 1").fetchone()
        if row is not None:
            name, code = str(row[0] or ""), str(row[1] or "")
    patients = 0
    if _has_table(conn, "patients"):
        columns = {r[1] for r in conn.execute("PRAGMA table_info(patients)")}
        where = " WHERE merged_into IS NULL" if "merged_into" in columns else ""
        patients = int(conn.execute(f"SELECT count(*) FROM patients{where}").fetchone()[0])
    return BackupRecord(made, head_id, head_hash, name, code, patients)


def _write_record(conn: sqlite3.Connection, made: dt.datetime) -> None:
    """Record in the copy when it was made and what it holds (replacing the record of a database that
    was itself restored from a backup)."""
    facts = _facts(conn, made)
    conn.execute(f"DROP TABLE IF EXISTS {RECORD_TABLE}")
    conn.execute(f"CREATE TABLE {RECORD_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.executemany(
        f"INSERT INTO {RECORD_TABLE} (key, value) VALUES (?, ?)",
        [
            ("made", made.isoformat(sep=" ", timespec="seconds")),
            ("audit_head", f"{facts.head_id}:{facts.head_hash}"),
            ("station", facts.station),
            ("facility_code", facts.facility_code),
            ("patients", str(facts.patients)),
        ],
    )


def _drop_record(path: Path) -> None:
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        if _has_table(conn, RECORD_TABLE):
            conn.execute(f"DROP TABLE {RECORD_TABLE}")
    finally:
        conn.close()
    files.fsync_file(path)


def _read_record(conn: sqlite3.Connection, fallback_made: dt.datetime | None) -> BackupRecord:
    """The record written in a backup; what its tables say when there is none (an older backup) or
    when it is incomplete."""
    values: dict[str, str] = {}
    if _has_table(conn, RECORD_TABLE):
        values = {str(k): str(v) for k, v in conn.execute(f"SELECT key, value FROM {RECORD_TABLE}")}
    head_id, _, head_hash = values.get("audit_head", "").partition(":")
    try:
        made: dt.datetime | None = dt.datetime.fromisoformat(values["made"])
        patients = int(values["patients"])
        if not head_id.isdigit() or len(head_hash) != 64 or "station" not in values or "facility_code" not in values:
            raise ValueError(RECORD_TABLE)
    except (KeyError, ValueError):
        return _facts(conn, fallback_made)
    return BackupRecord(made, int(head_id), head_hash, values["station"], values["facility_code"], patients)


def _open_readonly(path: Path) -> sqlite3.Connection:
    """A backup file (nobody writes it) opened read-only."""
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro&immutable=1", uri=True)


def read_record(path: Path, named: Path | None = None) -> BackupRecord:
    """What the plain backup ``path`` holds; ``BackupDamaged`` when it cannot be read. A backup made
    before backups recorded their date is dated by its name (``named``'s, when given) or its file."""
    path = Path(path)
    stamp = _pattern_any.search(Path(named or path).name)
    fallback = dt.datetime.strptime(stamp.group(1), "%Y%m%d-%H%M%S") if stamp else None
    if fallback is None:
        with contextlib.suppress(OSError):
            fallback = dt.datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0)
    try:
        conn = _open_readonly(path)
        try:
            return _read_record(conn, fallback)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupDamaged(path, str(exc)) from exc


def live_record(conn: sqlite3.Connection) -> BackupRecord:
    """The same facts about the open database (``store.conn``)."""
    return _facts(conn)


def database_record(db: Path) -> BackupRecord | None:
    """The same facts about the database file ``db`` (closed by the app); None when there is no
    readable database there (missing, damaged: nothing to compare a backup with)."""
    db = Path(db)
    if not db.is_file():
        return None
    # Read-only; without a write-ahead log beside it (the app closed) as an unchanging file, so that
    # reading it leaves no side files behind.
    busy = any(side.exists() for side in _side_files(db))
    try:
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro" + ("" if busy else "&immutable=1"), uri=True)
        try:
            return _facts(conn)
        finally:
            conn.close()
    except sqlite3.Error:
        return None


@dataclass(frozen=True)
class StationComparison:
    """The database a restore would replace, beside the backup that would take its place."""

    current: BackupRecord | None
    backup: BackupRecord

    @property
    def same_station(self) -> bool:
        return self.current is None or self.current.same_station(self.backup)

    def params(self) -> dict[str, object]:
        current = self.current or BackupRecord(None, 0, "0" * 64, "", "", 0)
        return {
            "station": current.station or "?", "code": current.facility_code or "?", "patients": current.patients,
            "backup_station": self.backup.station or "?", "backup_code": self.backup.facility_code or "?",
            "backup_patients": self.backup.patients,
        }


def restore_record(staged: Path, source: Path | None = None) -> BackupRecord:
    """What the verified backup ``staged`` (made from ``source``) would put in place: its record's date,
    with the station and patient count of its own tables, which are what a restore brings back (the
    record could have been left in a copy changed afterwards, or written by hand)."""
    record = read_record(staged, source)
    try:
        conn = _open_readonly(Path(staged))
        try:
            held = _facts(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupDamaged(Path(staged), str(exc)) from exc
    return dataclasses.replace(record, station=held.station, facility_code=held.facility_code,
                               patients=held.patients)


def compare_stations(db: Path, staged: Path, source: Path | None = None) -> StationComparison:
    """The station of the database ``db`` and of the verified backup ``staged`` (made from ``source``)."""
    return StationComparison(database_record(db), restore_record(staged, source))


def discard_staged(staged: Path) -> None:
    """A staged restore that will not be used (the person said no): removed."""
    _remove(Path(staged))


_pattern_any = re.compile(r"-(\d{8}-\d{6})(?:-\d+)?\.(?:sqlite3|trambak)$")


# -- the audit chain against the backups ---------------------------------------------------------------
EXTENDS = "extends"  # the live chain holds the backup's head: nothing was removed or rewritten since
TRUNCATED = "truncated"  # the live chain ends before the backup's head, and matches it up to there
REWRITTEN = "rewritten"  # the live chain differs from the backup's at ``entry_id``
RESTORED = "restored"  # left behind by a restore recorded in the live chain after the fork
UNREADABLE = "unreadable"  # the backup could not be read
OTHER_STATION = "other station"  # a backup of another station in the same folder: not compared


@dataclass(frozen=True)
class ChainAgainstBackup:
    backup: Path
    record: BackupRecord | None
    outcome: str
    entry_id: int = 0  # the first live entry that differs (REWRITTEN), the last one kept (TRUNCATED)
    restored_at: dt.datetime | None = None  # RESTORED: when the restore was recorded

    @property
    def finding(self) -> bool:
        return self.outcome in (TRUNCATED, REWRITTEN)


def compare_chain(conn: sqlite3.Connection, db: Path, folders: list[Path]) -> list[ChainAgainstBackup]:
    """Compare the live audit chain (``conn``, the open database ``db``) with the head recorded in each
    plain backup of ``db`` in ``folders`` (the backup folder, the second folder), newest first.

    The live chain must *extend* each backup's chain: hold the backup's last entry with the same hash.
    A live chain that ends before it was cut (``TRUNCATED``); one that differs was rewritten
    (``REWRITTEN``, at the first entry that differs). After a restore, the backups made after the
    restored one are on the branch the restore left behind (``RESTORED``): not a finding, said.
    """
    live = live_record(conn)
    seen: set[Path] = set()
    results: list[ChainAgainstBackup] = []
    for folder in folders:
        for b in backups(folder, db, encrypted=False):
            try:
                key = b.path.resolve()
            except OSError:
                key = b.path
            if key in seen:
                continue
            seen.add(key)
            results.append(_compare_one(conn, live, b.path))
    return results


def _hash_at(conn: sqlite3.Connection, entry_id: int) -> str | None:
    row = conn.execute("SELECT hash FROM audit_log WHERE id = ?", (entry_id,)).fetchone()
    return None if row is None else str(row[0])


def _compare_one(live_conn: sqlite3.Connection, live: BackupRecord, path: Path) -> ChainAgainstBackup:
    try:
        conn = _open_readonly(path)
    except sqlite3.Error:
        return ChainAgainstBackup(path, None, UNREADABLE)
    try:
        record = _read_record(conn, None)
        if not live.same_station(record):
            return ChainAgainstBackup(path, record, OTHER_STATION)
        if record.head_id == 0 or _hash_at(live_conn, record.head_id) == record.head_hash:
            return ChainAgainstBackup(path, record, EXTENDS)
        if not _has_table(conn, "audit_log"):
            return ChainAgainstBackup(path, record, UNREADABLE)
        # The last entry both chains share (hash-linked: all before it are shared too).
        low, high = 0, min(record.head_id, live.head_id)
        while low < high:
            middle = (low + high + 1) // 2
            if _hash_at(conn, middle) == _hash_at(live_conn, middle) is not None:
                low = middle
            else:
                high = middle - 1
        shared = low
        restore = live_conn.execute(
            "SELECT at FROM audit_log WHERE id > ? AND action = 'restore' ORDER BY id LIMIT 1", (shared,)
        ).fetchone()
        if restore is not None:
            when = dt.datetime.fromisoformat(str(restore[0]))
            if record.made is None or when >= record.made:
                return ChainAgainstBackup(path, record, RESTORED, shared, when)
        if shared == live.head_id:
            return ChainAgainstBackup(path, record, TRUNCATED, shared)
        return ChainAgainstBackup(path, record, REWRITTEN, shared + 1)
    except sqlite3.DatabaseError:
        return ChainAgainstBackup(path, None, UNREADABLE)
    finally:
        conn.close()


# -- making a backup ------------------------------------------------------------------------------
def _online_copy(db: Path, target: Path, progress: Progress | None, made: dt.datetime | None = None) -> None:
    """Copy ``db`` into the new file ``target`` in steps, from one read snapshot, record what the
    copy holds (``backup_record``), then check it."""
    files.create_private(target)
    source = sqlite3.connect(str(db), isolation_level=None)
    try:
        source.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # A read transaction held over every step: each step reads the same snapshot (WAL), so
        # writers go on and the backup never starts over.
        source.execute("BEGIN")
        source.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        dest = sqlite3.connect(str(target), isolation_level=None)
        try:

            def step(_status: int, remaining: int, total: int) -> None:
                if progress is not None:
                    progress(total - remaining, total)

            source.backup(dest, pages=STEP_PAGES, progress=step)
            dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            if dest.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                raise errors.NotOurDatabase(db)
            _write_record(dest, made or clock.now())
            if not _integrity(dest):
                raise errors.Corrupt(db, "integrity_check of the backup failed")
        finally:
            dest.close()
        source.execute("COMMIT")
    finally:
        source.close()


def make_backup(
    db: Path,
    folder: Path,
    *,
    progress: Progress | None = None,
    rotate_after: bool = True,
) -> Path:
    """A checked backup of the database file ``db`` in ``folder``; returns its path.

    Safe while the app keeps writing to ``db`` (on this or another connection).
    """
    db, folder = Path(db), Path(folder)
    if not db.is_file():
        raise errors.FileMissing(db)
    try:
        files.chosen_folder(folder)
        made = clock.now()
        target = _free_name(folder, db.stem, made, PLAIN_SUFFIX)
        partial = folder / f".{target.name}.part"
        _remove(partial)
        try:
            _online_copy(db, partial, progress, made)
            files.fsync_file(partial)
            partial.replace(target)
            files.fsync_folder(folder)
        finally:
            _remove(partial)
        if rotate_after:
            rotate(folder, db)
    except (OSError, sqlite3.Error, errors.StoreError) as exc:
        raise _failed(folder, exc) from exc
    return target


def copy_backup(backup: Path, folder: Path, db: Path | None = None) -> Path:
    """Copy a backup to a second folder (a USB stick), check the copy there, rotate there."""
    backup, folder = Path(backup), Path(folder)
    try:
        files.chosen_folder(folder)
        target = folder / backup.name
        partial = folder / f".{backup.name}.part"
        try:
            files.create_private(partial)
            shutil.copyfile(backup, partial)
            files.fsync_file(partial)
            if not backup.name.endswith(ENCRYPTED_SUFFIX):
                _check_copy(partial)
            partial.replace(target)
            files.fsync_folder(folder)
        finally:
            _remove(partial)
        if db is not None:
            rotate(folder, db)
    except (OSError, sqlite3.Error, errors.StoreError) as exc:
        raise _failed(folder, exc) from exc
    return target


def _check_copy(path: Path) -> None:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        if not _integrity(conn):
            raise errors.Corrupt(path, "integrity_check of the copy failed")
    finally:
        conn.close()


# -- encryption ------------------------------------------------------------------------------------
def _key(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=1 << log2_n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _aad(header: bytes, number: int, last: bool) -> bytes:
    return header + struct.pack(">IB", number, int(last))


def is_encrypted(path: Path) -> bool:
    with Path(path).open("rb") as fh:
        return fh.read(len(MAGIC)) == MAGIC


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise PassphraseTooShort(minimum=MIN_PASSPHRASE)


def encrypt_file(source: Path, target: Path, passphrase: str, progress: Progress | None = None) -> Path:
    """Write ``source`` encrypted with ``passphrase`` to ``target`` (via a ``.part`` file)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    check_passphrase(passphrase)
    salt, prefix = secrets.token_bytes(16), secrets.token_bytes(8)
    header = _HEADER.pack(
        MAGIC, FORMAT_VERSION, KDF_SCRYPT, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P, b"\0\0\0", SEGMENT, salt, prefix
    )
    aead = AESGCM(_key(passphrase, salt, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P))
    total = Path(source).stat().st_size
    partial = target.with_name(f".{target.name}.part")
    try:
        files.create_private(partial)
        with Path(source).open("rb") as src, partial.open("wb") as out:
            out.write(header)
            number, done = 0, 0
            chunk = src.read(SEGMENT)
            while True:
                following = src.read(SEGMENT) if len(chunk) == SEGMENT else b""
                last = not following
                nonce = prefix + struct.pack(">I", number)
                out.write(aead.encrypt(nonce, chunk, _aad(header, number, last)))
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
                if last:
                    break
                chunk, number = following, number + 1
            out.flush()
            os.fsync(out.fileno())
        partial.replace(target)
        files.fsync_folder(target.parent)
    finally:
        partial.unlink(missing_ok=True)
    return target


def decrypt_file(source: Path, target: Path, passphrase: str | None, progress: Progress | None = None) -> Path:
    """Decrypt ``source`` into ``target``; ``WrongPassphrase`` if it does not authenticate."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    source = Path(source)
    if not passphrase:
        raise PassphraseNeeded(source)
    total = source.stat().st_size
    with source.open("rb") as src:
        header = src.read(_HEADER.size)
        if len(header) < _HEADER.size or not header.startswith(MAGIC):
            raise BackupDamaged(source)
        _magic, version, kdf, log2_n, r, p, _reserved, segment, salt, prefix = _HEADER.unpack(header)
        if version != FORMAT_VERSION or kdf != KDF_SCRYPT:
            raise UnknownFormat(source, version=version)
        if not (10 <= log2_n <= 22 and 1 <= r <= 32 and 1 <= p <= 16 and 1024 <= segment <= 1 << 26):
            raise BackupDamaged(source)
        aead = AESGCM(_key(passphrase, salt, log2_n, r, p))
        files.create_private(target)
        with Path(target).open("wb") as out:
            number, done = 0, len(header)
            block = src.read(segment + TAG)
            while True:
                following = src.read(segment + TAG) if len(block) == segment + TAG else b""
                last = not following
                nonce = prefix + struct.pack(">I", number)
                try:
                    out.write(aead.decrypt(nonce, block, _aad(header, number, last)))
                except InvalidTag as exc:
                    raise WrongPassphrase(source) from exc
                done += len(block)
                if progress is not None:
                    progress(done, total)
                if last:
                    break
                block, number = following, number + 1
            out.flush()
            os.fsync(out.fileno())
    return Path(target)


def export_encrypted(
    db: Path, folder: Path, passphrase: str, *, progress: Progress | None = None
) -> Path:
    """A fresh backup of ``db``, encrypted with ``passphrase``, written to ``folder``.

    The plain copy is made in a private temporary folder on this computer and deleted after, so
    only ciphertext reaches ``folder`` (a USB stick, a copy for the district).
    """
    check_passphrase(passphrase)
    db, folder = Path(db), Path(folder)
    try:
        files.chosen_folder(folder)
        with tempfile.TemporaryDirectory(prefix="tram-backup-") as tmp:
            half = (lambda d, t: progress(d, 2 * t)) if progress else None
            plain = make_backup(db, Path(tmp), progress=half, rotate_after=False)
            target = _free_name(folder, db.stem, clock.now(), ENCRYPTED_SUFFIX)
            second = (lambda d, t: progress(t + d, 2 * t)) if progress else None
            return encrypt_file(plain, target, passphrase, progress=second)
    except (OSError, sqlite3.Error) as exc:
        raise _failed(folder, exc) from exc


# -- restoring -------------------------------------------------------------------------------------
def verify_plain(path: Path, label: Path | None = None) -> int:
    """Check that ``path`` is an intact Trạm database this program can open; its schema version."""
    label = label or path
    with path.open("rb") as fh:
        header = fh.read(100)
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        raise BackupDamaged(label)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if app_id != APPLICATION_ID:
                raise BackupForeign(label)
            if version > SCHEMA_VERSION:
                raise BackupTooNew(label, found=version, known=SCHEMA_VERSION)
            if not _integrity(conn):
                raise BackupDamaged(label)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupDamaged(label, str(exc)) from exc
    return int(version)


def stage_restore(
    db: Path, source: Path, passphrase: str | None = None, *, progress: Progress | None = None
) -> Path:
    """Prepare a restore: a verified copy of ``source`` beside ``db``, ready to be swapped in.

    The database itself is not touched. The staged file is removed again if anything is wrong.
    """
    db, source = Path(db), Path(source)
    if not source.is_file():
        raise errors.FileMissing(source)
    staged = db.with_name(f".{db.name}.restoring")
    _remove(staged)
    try:
        if is_encrypted(source):
            decrypt_file(source, staged, passphrase, progress=progress)
        else:
            files.create_private(staged)
            shutil.copyfile(source, staged)
        conn = sqlite3.connect(str(staged), isolation_level=None)
        try:  # a backup in WAL mode (copied by hand) becomes one self-contained file
            conn.execute("PRAGMA journal_mode = DELETE")
        except sqlite3.DatabaseError:
            pass  # verify_plain names the problem
        finally:
            conn.close()
        verify_plain(staged, source)
        files.fsync_file(staged)
    except BaseException as exc:
        _remove(staged)
        if isinstance(exc, OSError | sqlite3.Error):
            raise _failed(db.parent, exc) from exc
        raise
    return staged


def _quiesce(db: Path) -> None:
    """Fold the write-ahead log into ``db``; ``Locked`` when another program has it open."""
    if not db.exists():
        return
    try:
        conn = sqlite3.connect(str(db), isolation_level=None, timeout=1.0)
    except sqlite3.Error:
        return
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        # Leaving WAL mode needs the only connection: this is the "open elsewhere" check.
        conn.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.OperationalError as exc:
        found = errors.classify(exc, db)
        if isinstance(found, errors.Locked):
            raise found from exc
    except sqlite3.DatabaseError:
        pass  # a damaged file: it is moved aside as it is, with its log
    finally:
        conn.close()


def commit_restore(db: Path, staged: Path, *, by: Actor) -> Path | None:
    """Swap the staged file in place of ``db`` (closed by every connection of this program).

    ``by`` is the person asking (the app's logged-in account): restoring replaces every record,
    so only the head of station and the admin may (``errors.NotPermitted`` otherwise, the staged
    file removed and the database untouched). The command line runs as the local operator. The
    current file (and its write-ahead log) is copied aside
    first; returns that copy (None when there was no current file). The swap is one atomic rename.
    """
    db = Path(db)
    aside: Path | None = None
    try:
        if not by.can(Permission.RESTORE):
            raise errors.NotPermitted(db, role=by.role, permission=Permission.RESTORE)
        _quiesce(db)
        if db.exists():
            stamp = clock.now().strftime("%Y%m%d-%H%M%S")
            aside = db.with_name(f"{db.stem}.before-restore-{stamp}{PLAIN_SUFFIX}")
            n = 2
            while aside.exists():
                aside = db.with_name(f"{db.stem}.before-restore-{stamp}-{n}{PLAIN_SUFFIX}")
                n += 1
            for src, dst in ((db, aside), (db.with_name(db.name + "-wal"), aside.with_name(aside.name + "-wal"))):
                if src.exists():
                    part = dst.with_name(dst.name + ".part")
                    files.create_private(part)
                    shutil.copyfile(src, part)
                    files.fsync_file(part)
                    part.replace(dst)
            files.fsync_folder(db.parent)
        _drop_record(Path(staged))  # the copy's record describes the backup, not the database it becomes
        # The old log and shared-memory index must not be applied to the restored file.
        for side in _side_files(db):
            side.unlink(missing_ok=True)
        Path(staged).replace(db)
        files.fsync_folder(db.parent)
        with contextlib.suppress(OSError):
            rotate_aside(db)
    except BaseException as exc:
        _remove(staged)
        if isinstance(exc, OSError | sqlite3.Error):
            raise _failed(db.parent, exc) from exc
        raise
    return aside


def restore(
    db: Path, source: Path, passphrase: str | None = None, *, by: Actor, progress: Progress | None = None,
    other_station: bool = False,
) -> Path | None:
    """Verify ``source`` and put it in place of ``db`` (closed by this program) for ``by`` (who
    must hold RESTORE, checked before anything is read); the copy set aside.

    A backup of another station (``StationComparison.same_station``) is refused (``OtherStation``)
    unless ``other_station``: the person saw both and confirmed."""
    if not by.can(Permission.RESTORE):
        raise errors.NotPermitted(db, role=by.role, permission=Permission.RESTORE)
    staged = stage_restore(db, source, passphrase, progress=progress)
    comparison = compare_stations(db, staged, source)
    if not comparison.same_station and not other_station:
        discard_staged(staged)
        raise OtherStation(source, "", **comparison.params())
    return commit_restore(db, staged, by=by)
