"""Faults a station really has: the power cut (the process killed while saving), a full disk, a
read-only file or folder, a second window on the same file, a damaged file.

Each fault gives a clear message (a ``StoreError`` with Vietnamese text), loses no confirmed save,
and never damages the file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from station_app.domain.accounts import ANYONE
from station_app.domain.visit import Visit
from station_app.store import errors, open_store
from station_app.store import visits as visit_store
from tests.safety.conftest import add_people, add_visit, fingerprint, integrity
from tests.safety.test_backups import damage_pages

ROOT = Path(__file__).resolve().parents[2]

# A "zygote" process imports the app once, then forks one writer per request (a fresh process in
# milliseconds, so the test can kill many). Each writer saves visits one by one and appends each id
# to its own file only after the transaction committed: a written id is a save the nurse saw
# confirmed. The kernel keeps what a killed process wrote, as it keeps what the app committed.
ZYGOTE = """
import datetime as dt, os, signal, sys
from station_app.domain.visit import Visit
from station_app.store import followups, icd10, open_store, visits  # imported once, before the forks
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # killed writers are reaped at once
for line in sys.stdin:
    db, patient, tag, out = line.split()
    pid = os.fork()
    if pid == 0:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        store = open_store(db)
        n = 0
        while True:
            n += 1
            saved = visits.insert(store, Visit(patient_id=int(patient), visit_at=dt.datetime(2025, 11, 20, 9, 0),
                                               complaint=f"{tag} {n} " + "ho sốt " * (n % 50)))
            os.write(fd, f"{saved.id}\\n".encode())
    print(pid, flush=True)
"""


@contextlib.contextmanager
def zygote() -> Iterator[subprocess.Popen[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", ZYGOTE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    try:
        yield proc
    finally:
        proc.kill()
        proc.communicate(timeout=10)


def spawn(proc: subprocess.Popen[str], db: Path, patient_id: int, tag: str, out: Path) -> int:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(f"{db} {patient_id} {tag} {out}\n")
    proc.stdin.flush()
    return int(proc.stdout.readline())


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.002)
    raise AssertionError(f"writer {pid} survived SIGKILL")


def wait_for_a_save(out: Path) -> None:
    deadline = time.monotonic() + 10
    while not (out.exists() and out.read_text()):
        assert time.monotonic() < deadline, "the writer saved nothing"
        time.sleep(0.005)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks writers (POSIX)")
def test_killed_while_saving_many_times_no_confirmed_visit_is_lost(station, tmp_path):
    """Two app instances save visits at once and are killed at random moments, round after round:
    the file always passes the integrity check and every confirmed visit is there."""
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    store = open_store(station)
    first, second = add_people(store, 2, start=300)
    store.close()
    confirmed: dict[int, str] = {}
    rounds, kills_in_writing = 0, 0
    with zygote() as proc:
        deadline = time.monotonic() + 3.0
        while rounds < 4 or (time.monotonic() < deadline and rounds < 20):
            rounds += 1
            outs = {tag: tmp_path / f"{tag}{rounds}.ids" for tag in ("A", "B")}
            pids = {tag: spawn(proc, station, pid, f"{tag}{rounds}", outs[tag])
                    for tag, pid in (("A", first), ("B", second))}
            early = rounds % 4 == 0  # every fourth round: killed while opening the file, or at its first save
            if early:
                time.sleep(rng.uniform(0.0, 0.3))
            for tag, pid in pids.items():
                if not early:  # killed at a random moment among the saves
                    wait_for_a_save(outs[tag])
                    time.sleep(rng.uniform(0.0, 0.08))
                kill(pid)
                ids = [int(x) for x in outs[tag].read_text().split()] if outs[tag].exists() else []
                kills_in_writing += bool(ids)
                confirmed.update(dict.fromkeys(ids, f"{tag}{rounds}"))
            assert integrity(station) == ["ok"], f"seed {seed}, round {rounds}"
            reopened = open_store(station)  # recovers the write-ahead log the killed writers left
            try:
                assert reopened.integrity_problems() == [], f"seed {seed}, round {rounds}"
                saved = {r["id"]: r["complaint"] for r in reopened.query("SELECT id, complaint FROM visits")}
            finally:
                reopened.close()
            lost = sorted(set(confirmed) - set(saved))
            assert not lost, f"confirmed visits lost: {lost} (seed {seed}, round {rounds})"
            assert all(saved[v].startswith(f"{confirmed[v]} ") for v in confirmed), f"seed {seed}"
    assert kills_in_writing >= rounds  # most kills landed while visits were being saved
    assert len(confirmed) > 2 * rounds


# -- a full disk ----------------------------------------------------------------------------------
def test_disk_full_rolls_the_save_back_with_a_clear_message_and_the_app_goes_on(station):
    store = open_store(station)
    try:
        (pid,) = add_people(store, 1, start=400)
        before = store.scalar("SELECT count(*) FROM visits")
        pages = int(store.scalar("PRAGMA page_count"))  # type: ignore[arg-type]
        store.conn.execute(f"PRAGMA max_page_count = {pages + 1}")  # the disk has one page left
        big = Visit(patient_id=pid, visit_at=dt.datetime(2025, 11, 20, 9, 0), complaint="đau đầu " * 20_000)
        with pytest.raises(errors.DiskFull) as caught:
            visit_store.insert(store, big)
        assert "đầy" in caught.value.text("vi")  # "Ổ đĩa đã đầy…"
        assert caught.value.text("vi") != caught.value.text("en")
        assert not store.conn.in_transaction
        assert store.scalar("SELECT count(*) FROM visits") == before  # rolled back, nothing half-saved
        assert visit_store.for_patient(store, pid) == []
        store.conn.execute("PRAGMA max_page_count = 4294967294")  # space is back
        saved = visit_store.insert(store, big)
        assert visit_store.get(store, saved.id).complaint == big.complaint  # type: ignore[union-attr]
        assert store.integrity_problems() == []
    finally:
        store.close()


# -- read-only file or folder ------------------------------------------------------------------------
@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a file or a folder read-only, for root too (``chattr +i``), and writable again after."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    try:
        subprocess.run(["chattr", "+i", str(path)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("running as root where chattr cannot make files read-only")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True, capture_output=True)


def test_a_read_only_file_is_refused_at_open_unchanged(station):
    before = fingerprint(station)
    with read_only(station), pytest.raises(errors.ReadOnly) as caught:
        open_store(station)
    assert str(station) in caught.value.text("vi")
    assert fingerprint(station) == before
    assert sorted(p.name for p in station.parent.iterdir()) == [station.name]
    open_store(station).close()  # writable again: opens


def test_a_read_only_folder_is_refused_at_open(station):
    before = fingerprint(station)
    with read_only(station.parent), pytest.raises(errors.ReadOnly):
        open_store(station)
    assert fingerprint(station) == before


def test_a_new_database_in_a_read_only_folder(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    with read_only(folder), pytest.raises(errors.ReadOnly):
        open_store(folder / "tram.sqlite3")


# -- a second window on the same file --------------------------------------------------------------
def test_two_instances_share_the_file_safely(station):
    """Two connections (two windows) save alternately: both succeed, nothing is lost."""
    one, two = open_store(station), open_store(station)
    try:
        (pid,) = add_people(one, 1, start=600)
        ids = []
        for i in range(20):
            ids.append(add_visit(one if i % 2 else two, pid, f"lần {i}"))
        assert sorted(r["id"] for r in one.query("SELECT id FROM visits WHERE patient_id = ?", (pid,))) == ids
    finally:
        one.close()
        two.close()
    assert integrity(station) == ["ok"]


def test_a_long_write_elsewhere_gives_a_busy_message_and_no_damage(station):
    """The other window holds the file longer than the wait: a clear "busy" message, nothing saved
    half, and the save works once the other window is done (extends tests/store's lock test)."""
    one, two = open_store(station), open_store(station)
    two.conn.execute("PRAGMA busy_timeout = 100")
    try:
        (pid,) = add_people(one, 1, start=650)
        with one.write(ANYONE):
            add_visit(one, pid, "giữ khóa")
            with pytest.raises(errors.Locked) as caught:
                add_visit(two, pid, "chờ")
            assert "busy" in caught.value.text("en")
            assert not two.conn.in_transaction
        add_visit(two, pid, "sau")
        assert [r["complaint"] for r in two.query(
            "SELECT complaint FROM visits WHERE patient_id = ? ORDER BY id", (pid,))] == ["giữ khóa", "sau"]
    finally:
        one.close()
        two.close()
    assert integrity(station) == ["ok"]


# -- a damaged file --------------------------------------------------------------------------------
def test_a_damaged_station_file_is_detected_at_open_and_left_unchanged(station):
    store = open_store(station)
    with store.write(ANYONE):
        add_people(store, 300, start=1000)  # enough pages that the damage lands inside the tables
    store.close()
    damage_pages(station, range(40, 60))
    before = fingerprint(station)
    listing = sorted(p.name for p in station.parent.iterdir())
    with pytest.raises(errors.Corrupt) as caught:
        open_store(station)
    assert str(station) in caught.value.text("vi")
    assert "backup" in caught.value.text("en")
    assert fingerprint(station) == before
    assert sorted(p.name for p in station.parent.iterdir()) == listing


def test_damage_found_while_working_is_a_store_error(station):
    """Pages damaged behind SQLite's back while the app runs: the next read says "damaged"
    (a message, not a traceback)."""
    store = open_store(station)
    try:
        with store.write(ANYONE):
            add_people(store, 300, start=2000)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        # The patients table's own pages (other writes, e.g. the audit log, move it around the file);
        # dbstat numbers pages from 1, damage_pages from 0.
        table_pages = [n - 1 for (n,) in store.conn.execute("SELECT pageno FROM dbstat WHERE name = 'patients'")]
        assert len(table_pages) > 3
        damage_pages(station, table_pages[1:])
        store.conn.execute("PRAGMA shrink_memory")  # forget the cached pages: read the damaged file
        with pytest.raises(errors.Corrupt) as caught:
            store.query("SELECT * FROM patients ORDER BY full_name")
        assert "backup" in caught.value.text("en")
    finally:
        store.close()
