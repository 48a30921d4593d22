"""Opening the station's database file safely, and the ``Store`` every other layer talks to.

Opening never changes a file that is not ours or is from a newer version: it is inspected
read-only first. A file with an older schema is backed up before it is migrated. A new database
is built beside its name and renamed into place once its schema is in, so a file at the
station's path is always a whole Trạm database; an existing SQLite file without a Trạm schema,
even an empty one, is another program's and is never adopted. The file, its side files and the
copies kept aside are private to the user (``files``). ``read_only=True`` opens a file without
writing anything, for the commands that only read (a file on a read-only medium included).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from station_app import clock, files
from station_app.domain.accounts import ANYONE, SYSTEM, Actor, Anyone, Permission
from station_app.store import errors
from station_app.store.schema import APPLICATION_ID, SCHEMA_VERSION, migrations

if TYPE_CHECKING:
    from sqlite_utils import Database

# What ``query`` and ``scalar`` take: positional (``?``) or named (``:name``) parameters.
Params = Sequence[object] | Mapping[str, object]
# A row of ``query``: column name → value, as SQLite typed it (int, float, str, bytes or None).
Row = dict[str, Any]
SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000
# SQLite's own cache of pages read (KiB). Its default, 2 MB, holds a few thousand patients; a
# list that goes over the whole registry (the work list, scrolling, a report) then reads its
# pages again from the system each time. 32 MB holds the patients and the open follow-ups of
# a large station; it is taken only as pages are read.
PAGE_CACHE_KIB = 32 * 1024


def _connect(path: Path | str) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=True)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


# -- the file's descriptors ---------------------------------------------------------------------
# On POSIX, a process's locks on a file go as soon as it closes ANY descriptor of that file, even
# one opened only to read 100 bytes. SQLite never closes its own while it holds locks, but a plain
# open()/close() of the database by this program (the header read when a background operation
# opens a second connection, the start-up check) would drop the locks of the connection the app
# keeps open. Another program (a command, a second window) that then closes the file believes it
# is the last one: it moves the write-ahead log into the file and deletes it under the app, whose
# later saves go to the deleted log and what that program saved is lost. So while a connection of
# this process has the file open, the file is read through one descriptor kept open meanwhile and
# closed only after the last of those connections.
class _HeldFiles:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[tuple[int, int], list[int]] = {}  # (device, inode) -> [descriptor, connections]

    @staticmethod
    def _key(path: Path) -> tuple[int, int]:
        st = path.stat()
        return st.st_dev, st.st_ino

    def hold(self, path: Path) -> tuple[int, int] | None:
        """Count a connection of this process to ``path`` (POSIX; None elsewhere or when gone)."""
        if not files.POSIX:
            return None
        try:
            key = self._key(path)
            with self._lock:
                entry = self._held.get(key)
                if entry is None:
                    entry = self._held[key] = [os.open(path, os.O_RDONLY), 0]
                entry[1] += 1
        except OSError:
            return None
        return key

    def release(self, key: tuple[int, int] | None) -> None:
        """One connection fewer (after it closed); the descriptor goes with the last."""
        if key is None:
            return
        with self._lock:
            entry = self._held.get(key)
            if entry is None:
                return
            entry[1] -= 1
            if entry[1] <= 0:
                del self._held[key]
                os.close(entry[0])

    def _entry(self, path: Path) -> list[int] | None:
        """The held descriptor of ``path`` and its count, if this process holds it (POSIX only;
        call with ``self._lock`` held, so that the descriptor stays open while it is used)."""
        if not files.POSIX:
            return None
        try:
            return self._held.get(self._key(path))
        except OSError:
            return None

    def head(self, path: Path, size: int = 100) -> bytes:
        """The first ``size`` bytes of ``path``, never closing a descriptor of a file this process
        has open with SQLite."""
        with self._lock:
            entry = self._entry(path)
            if entry is not None:
                return os.pread(entry[0], size, 0)
        with path.open("rb") as fh:
            return fh.read(size)

    def writable(self, path: Path) -> None:
        """``OSError`` unless ``path`` can be opened for writing (without opening it where this
        process holds it: ``os.access`` asks the same question of the system)."""
        with self._lock:
            held = self._entry(path) is not None
        if held:
            if not os.access(path, os.W_OK):
                raise PermissionError(13, os.strerror(13), str(path))
            return
        with path.open("r+b"):
            pass


HELD = _HeldFiles()


def inspect_file(path: Path) -> tuple[int, int, int]:
    """(application_id, user_version, number of user tables) read without changing the file."""
    header = HELD.head(path)
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        raise errors.NotADatabase(path)
    # Header fields (big-endian): user_version at offset 60, application_id at 68.
    user_version = int.from_bytes(header[60:64], "big")
    application_id = int.from_bytes(header[68:72], "big")
    try:
        conn = snapshot_reader(path, header)
        try:
            tables = conn.execute(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchone()[0]
            # The header can lag behind a WAL file: ask SQLite for the live values.
            user_version = conn.execute("PRAGMA user_version").fetchone()[0]
            application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise errors.classify(exc, path) or errors.NotADatabase(path, str(exc)) from exc
    return application_id, user_version, tables


def snapshot_reader(path: Path, header: bytes | None = None) -> sqlite3.Connection:
    """A connection that reads ``path`` as one consistent snapshot, with a read transaction open,
    while other programs may write the file; it writes nothing. Close it when done.

    - Another program (a second window, a command) may save and move its write-ahead log into
      the file at any moment: the reader takes part in SQLite's locking, so what it reads is
      the state of one instant. A file in WAL mode that this account can write is opened as
      any connection of the app is (SQLite removes the ``-wal``/``-shm`` files when the last
      connection closes); other files read-only.
    - ``immutable`` (no locking at all) only for a file nothing can change while it is read:
      this account cannot write it or its folder, and no write-ahead log or journal is beside it.
    """
    if header is None:
        header = HELD.head(path)
    wal_mode = len(header) >= 20 and header[18] == 2  # (read and write versions: 2 in WAL mode)
    ours = len(header) >= 72 and int.from_bytes(header[68:72], "big") in (0, APPLICATION_ID)
    log = path.with_name(path.name + "-wal").exists()
    journal = path.with_name(path.name + "-journal").exists()
    writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    if not writable and not (log or journal):
        query = "mode=ro&immutable=1"
    elif wal_mode and writable and (ours or not log):
        query = "mode=rw"  # (a foreign file's leftover log is never moved into it)
    else:
        query = "mode=ro"
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?{query}", uri=True, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("BEGIN")
        conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()  # the snapshot starts here
    except BaseException:
        conn.close()
        raise
    return conn


def _quick_check_once(path: Path) -> list[str]:
    conn = snapshot_reader(path)
    try:
        return [r[0] for r in conn.execute("PRAGMA quick_check(20)").fetchall()]
    finally:
        conn.close()


def quick_check(path: Path, *, shared: bool = False) -> None:
    """``Corrupt`` when SQLite's quick check finds damage; read-only, the file is not changed.

    ``quick_check`` reads every page but skips the index-versus-table comparison of
    ``integrity_check``: on a 100,000-patient station (500 MB) it takes about 1 s against 6 s.
    It reads one consistent snapshot (``snapshot_reader``) even while another program or this
    one (``shared``: the app checks the file on a worker thread while the person logs in)
    writes the file. Damage is confirmed by a second check before it is reported: a healthy
    file is never called damaged, as the offer that follows would restore a backup over it.
    """
    del shared  # (every check is now safe beside a writer; kept for the callers)
    found: errors.StoreError | None = None
    for _attempt in range(2):
        try:
            result = _quick_check_once(path)
        except sqlite3.DatabaseError as exc:
            found = errors.classify(exc, path) or errors.Corrupt(path, str(exc))
            if not isinstance(found, errors.Corrupt):
                raise found from exc
            continue
        if result == ["ok"]:
            return
        found = errors.Corrupt(path, "; ".join(result))
    assert found is not None
    raise found


def backup_copy(conn: sqlite3.Connection, target: Path) -> Path:
    """A consistent copy of an open database (SQLite's online backup), verified."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    files.create_private(partial)
    dest = sqlite3.connect(str(partial))
    try:
        conn.backup(dest)
        ok = dest.execute("PRAGMA integrity_check").fetchone()[0]
        dest.execute("PRAGMA journal_mode = DELETE")
    finally:
        dest.close()
    if ok != "ok":
        partial.unlink(missing_ok=True)
        raise errors.Corrupt(target)
    partial.replace(target)
    return target


class Store:
    """One open database file. Not shared across threads: each thread opens its own."""

    def __init__(self, conn: sqlite3.Connection, path: Path, *, read_only: bool = False) -> None:
        self.conn = conn
        self.path = path
        self._held = HELD.hold(path)  # (the file's locks stay while this connection is open)
        # Opened read-only (``open_store(read_only=True)``): every write is refused, and what would
        # be an audit entry is listed in ``unrecorded`` for the command to say so.
        self.read_only = read_only
        self.unrecorded: list[str] = []
        self.migration_backup: Path | None = None
        # Who writes: the command line's local operator until someone logs in (store/users.py).
        self.actor: Actor = SYSTEM
        # The permission of the write transaction open now (ANYONE: none, or bookkeeping), and
        # whether it has written its audit entry yet.
        self._operation: Permission | Anyone = ANYONE
        self._audited = False

    def require(self, permission: Permission) -> None:
        """Refuse (``errors.NotPermitted``) unless the current actor holds ``permission``: the check of
        a read of protected data (the audit log, an export); writes check it in ``write``."""
        if not self.actor.can(permission):
            raise errors.NotPermitted(self.path, role=self.actor.role, permission=permission)

    def inside_write(self, what: str) -> None:
        """Refuse (``RuntimeError``, a bug) a step that writes only as part of its caller's write,
        whose permission and audit entry cover it, when no write is open."""
        if not self.conn.in_transaction:
            raise RuntimeError(f"{what} is written only inside a write transaction")

    def mark_audited(self) -> None:
        """Called by ``audit.record``: the open transaction has its audit entry."""
        self._audited = True

    @functools.cached_property
    def db(self) -> Database:
        """The file through sqlite-utils (migrations, savepoints), made when first needed: most
        starts and commands never need it, and importing it takes longer than opening the file."""
        from sqlite_utils import Database

        return Database(self.conn)

    # -- transactions -----------------------------------------------------------------------
    @contextmanager
    def write(self, permission: Permission | Anyone, /) -> Iterator[None]:
        """One write transaction (``BEGIN IMMEDIATE``) on behalf of ``self.actor``, opened only when
        the actor holds ``permission`` (``errors.NotPermitted`` otherwise, and nothing is written).

        A write under a permission writes its audit entry (``audit.record``) inside the block: one
        that changed something and would commit without any entry is rolled back
        (``errors.Unaudited``, a bug). ``ANYONE`` is for bookkeeping any actor may cause (login
        counters, the audit entry itself, reference tables).

        A write opened inside another one is a savepoint of the operation that opened the
        transaction: under a permission, that operation's check and audit entry cover it (the
        vaccination enrolment of a baby an admin registers, the programmes of an imported
        register); inside an ``ANYONE`` write it is checked, and needs its entry, like an outer one.

        Environmental failures (locked, read-only, disk full) surface as ``StoreError``.
        """
        if self.read_only:
            raise errors.ReadOnly(self.path, "opened read-only")
        nested = self.conn.in_transaction
        covered = nested and isinstance(self._operation, Permission)
        if isinstance(permission, Permission) and not covered:
            self.require(permission)
        try:
            if nested:
                if isinstance(permission, Permission) and not covered:
                    self._operation = permission  # inside bookkeeping: this change needs its own entry
                with self.db.atomic():
                    yield
                return
            self._operation, self._audited = permission, False
            self.conn.execute("BEGIN IMMEDIATE")
            changes = self.conn.total_changes
            try:
                yield
                changed = self.conn.total_changes != changes
                if isinstance(self._operation, Permission) and changed and not self._audited:
                    raise errors.Unaudited(f"a write under {self._operation} wrote no audit entry")
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")
            finally:
                self._operation = ANYONE
        except sqlite3.DatabaseError as exc:  # locked, read-only, full, damaged: the user's to act on
            found = errors.classify(exc, self.path)
            if found is None:
                raise
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise found from exc

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        """The rows of ``sql`` as dicts (column name → value)."""
        try:
            cursor = self.conn.execute(sql, params)
            fetched = cursor.fetchall()
        except sqlite3.DatabaseError as exc:
            found = errors.classify(exc, self.path)
            if found is None:
                raise
            raise found from exc
        columns = [c[0] for c in cursor.description or ()]
        return [dict(zip(columns, row, strict=True)) for row in fetched]

    def scalar(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row (None when there is none), as SQLite gives it."""
        row = self.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    # -- settings ---------------------------------------------------------------------------
    def setting(self, key: str, default: str | None = None) -> str | None:
        value = self.scalar("SELECT value FROM settings WHERE key = ?", (key,))
        return str(value) if value is not None else default

    def set_setting(self, key: str, value: str) -> None:
        """Write a setting, inside a write opened by its caller (under the permission the setting
        needs, with its audit entry): a setting is never written on its own."""
        self.inside_write(f"the setting {key}")
        self.conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- health -----------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return int(self.scalar("PRAGMA user_version") or 0)

    def integrity_problems(self) -> list[str]:
        rows = self.conn.execute("PRAGMA integrity_check").fetchall()
        problems = [r[0] for r in rows if r[0] != "ok"]
        problems += [
            f"foreign key: {r[0]} row {r[1]} -> {r[2]}"
            for r in self.conn.execute("PRAGMA foreign_key_check").fetchall()
        ]
        return problems

    def backup_to(self, target: Path) -> Path:
        return backup_copy(self.conn, target)

    def close(self) -> None:
        self.conn.close()
        held, self._held = self._held, None
        HELD.release(held)


def _configure(conn: sqlite3.Connection) -> None:
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":  # e.g. a read-only folder
        raise errors.ReadOnly("", f"journal_mode={mode}")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA recursive_triggers = ON")  # (as sqlite-utils sets it, from the start)
    conn.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")


def _probe_writable(path: Path) -> None:
    """A read-only file opens without complaint and fails at the first save: find out now.

    Opening the file for writing (and writing nothing) leaves it unchanged.
    """
    try:
        HELD.writable(path)
    except OSError as exc:
        raise errors.ReadOnly(path, str(exc)) from exc


def _side_files(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def _create_new(path: Path) -> None:
    """A new, empty station database at ``path``: built under a hidden name beside it (private,
    ``0600``) and renamed into place once its schema is in. A crash meanwhile leaves no file at
    ``path``, and nothing half-made that a later start would take for a station."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        building = path.with_name(f".{path.name}.new")
        for stale in (building, *_side_files(building)):
            stale.unlink(missing_ok=True)
        files.create_private(building)
    except OSError as exc:
        raise errors.ReadOnly(path, str(exc)) from exc
    try:
        conn = _connect(building)
        try:
            _configure(conn)
            migrations().apply(Store(conn, building).db)
        finally:
            conn.close()  # (the last connection: the write-ahead log is folded in and removed)
        building.replace(path)
        files.fsync_folder(path.parent)
    except sqlite3.Error as exc:
        raise errors.classify(exc, path) or errors.NotADatabase(path, str(exc)) from exc
    except errors.StoreError as exc:
        raise errors.ReadOnly(path, exc.detail) from exc
    except OSError as exc:
        raise errors.ReadOnly(path, str(exc)) from exc
    finally:
        for stale in (building, *_side_files(building)):
            stale.unlink(missing_ok=True)


def writable(path: Path) -> bool:
    """Whether this program could save to the database file at ``path`` (the file and its folder,
    where SQLite keeps its write-ahead log, both writable). A guess for choosing how to open it:
    ``open_store`` finds out for certain."""

    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK | os.X_OK):
        return False
    try:
        HELD.writable(path)  # (root passes os.access on an immutable file)
    except OSError:
        return False
    return True


def _open_read_only(path: Path) -> Store:
    """``path`` opened for reading only: nothing is written to it, no schema change, no log. On a
    read-only medium, where SQLite cannot make its shared-memory index beside the file, a file
    without a write-ahead log is read as immutable (nobody can change it there)."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        except sqlite3.OperationalError as exc:
            wal = path.with_name(path.name + "-wal")
            if "unable to open" not in str(exc).lower() or (wal.exists() and wal.stat().st_size > 0):
                raise
            conn = sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None)
        conn.execute("PRAGMA query_only = ON")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
    except sqlite3.Error as exc:
        raise errors.classify(exc, path) or errors.NotADatabase(path, str(exc)) from exc
    return Store(conn, path, read_only=True)


def open_file(path: Path | str, *, create: bool = True, migrate: bool = True, verify: bool = True,
              read_only: bool = False) -> Store:
    """Open (or create) the database at ``path``, migrating it to the current schema (callers use
    ``station_app.store.open_store``, which also loads the ICD-10 catalogue).

    Raises ``StoreError`` subclasses — with the file left untouched — when the file is not an
    SQLite database, belongs to another program (an SQLite file without Trạm's schema, even one
    with no tables), or was written by a newer Trạm.
    ``verify=False`` leaves the page-by-page quick check to the caller (the app runs it on a
    worker thread while it starts, see ``CheckInBackground``); a file that needs migrating is
    always checked first. ``read_only=True``: the file must exist and be of the current schema
    (``NeedsUpgrade`` otherwise); it is read without any change (see ``Store.read_only``).
    """
    path = Path(path)
    if path.is_dir():  # (an empty path is the current folder)
        raise errors.IsAFolder(path.resolve())
    fresh = not path.exists()
    if fresh and (not create or read_only):
        raise errors.FileMissing(path)
    if fresh:
        _create_new(path)
    if path.stat().st_size == 0:
        raise errors.EmptyFile(path)  # a copy that failed, perhaps: never silently a new, empty station
    app_id, version, _tables = inspect_file(path)
    if app_id != APPLICATION_ID:
        raise errors.NotOurDatabase(path)
    if version > SCHEMA_VERSION:
        raise errors.TooNew(path, found=version, known=SCHEMA_VERSION)
    if read_only:
        if version < SCHEMA_VERSION:
            raise errors.NeedsUpgrade(path, found=version, known=SCHEMA_VERSION)
        if verify:
            quick_check(path)
        return _open_read_only(path)
    if not fresh and (verify or (migrate and version < SCHEMA_VERSION)):
        quick_check(path)
    _probe_writable(path)
    for own in (path, *_side_files(path)):  # (a file made by an older version was 0644)
        files.make_private(own)
    try:
        conn = _connect(path)
        _configure(conn)
    except sqlite3.Error as exc:
        raise errors.classify(exc, path) or errors.NotADatabase(path, str(exc)) from exc
    except errors.StoreError as exc:
        raise errors.ReadOnly(path, exc.detail) from exc
    store = Store(conn, path)
    if migrate and version < SCHEMA_VERSION:
        try:
            if version > 0:
                stamp = clock.now().strftime("%Y%m%d-%H%M%S")
                target = path.with_name(f"{path.stem}.before-schema-{SCHEMA_VERSION}.{stamp}.sqlite3")
                store.migration_backup = store.backup_to(target)
            migrations().apply(store.db)
        except sqlite3.Error as exc:
            conn.close()
            raise errors.classify(exc, path) or exc from exc
    return store


class CheckInBackground:
    """SQLite's quick check of a file on a worker thread (SQLite works without holding Python's lock).

    When ``done()``, ``error`` is the ``Corrupt`` (or other ``StoreError``) it found, else None.
    """

    def __init__(self, path: Path) -> None:
        import threading

        self.path = Path(path)
        self.error: errors.StoreError | None = None
        self._thread = threading.Thread(target=self._run, name="quick-check", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            quick_check(self.path, shared=True)
        except errors.StoreError as exc:
            self.error = exc

    def done(self) -> bool:
        return not self._thread.is_alive()

    def wait(self) -> None:
        self._thread.join()

    def passed(self) -> None:
        """Wait for the check; raise the damage it found (a command that wrote nothing yet stops)."""
        self.wait()
        if self.error is not None:
            raise self.error


def now_text() -> str:
    return clock.now().isoformat(sep=" ", timespec="seconds")


def date_text(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None
