"""The whole-file page check under another process that writes the file meanwhile: a healthy file is
never called damaged (the check reads one consistent snapshot), and damage is confirmed by a
second check before anything is offered."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from station_app.domain.accounts import ANYONE
from station_app.store import database, errors, open_store
from tests.safety.conftest import add_people

# Another program (a second window, a command) writing the file: it opens the file, saves,
# checkpoints the write-ahead log into the main file (which then changes under any reader) and
# closes (the log is removed), over and over, until told to stop.
WRITER = textwrap.dedent(
    """
    import sqlite3, sys, pathlib, time
    path, stop = sys.argv[1], pathlib.Path(sys.argv[2])
    n = 0
    print("started", flush=True)
    while not stop.exists():
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM settings WHERE key IN (SELECT key FROM settings WHERE key LIKE 'scratch-%' "
                     "ORDER BY random() LIMIT 60)")
        for i in range(60):
            conn.execute("INSERT INTO settings (key, value) VALUES (?, randomblob(abs(random() % 6000)))",
                         (f"scratch-{n}-{i}",))
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        n += 1
        time.sleep(0.001)
    """
)


@pytest.fixture
def busy_station(station: Path, tmp_path: Path):
    """The station file with a writer process running on it."""
    store = open_store(station)
    with store.write(ANYONE):
        add_people(store, 2000, start=5000)
        for i in range(400):
            store.conn.execute("INSERT INTO settings (key, value) VALUES (?, randomblob(3000))", (f"scratch-{i}",))
    store.close()
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(station), str(stop)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "started"
        yield station
    finally:
        stop.touch()
        writer.wait(timeout=60)
        writer.stdout.close()  # type: ignore[union-attr]
    assert writer.returncode == 0


def between_writes(path: Path) -> None:
    """Wait for a moment when the writer has closed the file (no write-ahead log beside it), as
    when the app starts while another window is between two saves."""
    wal = path.with_name(path.name + "-wal")
    for _ in range(100_000):
        if not wal.exists():
            return
        time.sleep(0.0002)


@pytest.mark.parametrize("shared", [False, True])
def test_a_file_written_by_another_process_is_never_called_damaged(busy_station, shared):
    for _ in range(150):
        between_writes(busy_station)
        database.quick_check(busy_station, shared=shared)
        between_writes(busy_station)
        database.inspect_file(busy_station)


def test_the_background_check_under_a_writer_finds_nothing(busy_station):
    for _ in range(30):
        between_writes(busy_station)
        check = database.CheckInBackground(busy_station)
        check.wait()
        assert check.error is None


def test_damage_is_reported_only_when_a_second_check_confirms_it(station, monkeypatch):
    """One check that reads a damaged page (a fault of the moment) and a second that finds the file
    whole: nothing is reported. Real damage is found twice and reported."""
    real = database._quick_check_once
    results = iter([["*** in database main ***\nPage 12: btreeInitPage() returns error code 11"]])
    monkeypatch.setattr(database, "_quick_check_once", lambda path: next(results, None) or real(path))
    database.quick_check(station)  # the second check found the file whole

    from tests.safety.test_backups import damage_pages

    store = open_store(station)
    with store.write(ANYONE):
        add_people(store, 300, start=1000)
    store.close()
    damage_pages(station, range(40, 60))
    calls: list[Path] = []
    monkeypatch.setattr(database, "_quick_check_once", lambda path: calls.append(path) or real(path))
    with pytest.raises(errors.Corrupt):
        database.quick_check(station)
    assert len(calls) == 2
