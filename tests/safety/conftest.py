"""Fixtures of the data-safety tests: a small station file on disk, its rows, its fingerprint."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from station_app.domain.dates import PartialDate
from station_app.domain.patient import Patient
from station_app.domain.visit import Visit
from station_app.store import Store, open_store
from station_app.store import patients as patient_store
from station_app.store import visits as visit_store

# Tables whose content a backup and a restore must keep row for row (the ICD-10 catalogue is
# large and shipped: counted instead).
COMPARED = ("patients", "visits", "settings", "station", "staff", "villages")


def add_people(store: Store, n: int, start: int = 0) -> list[int]:
    ids = []
    for i in range(start, start + n):
        p = patient_store.insert(store, Patient(f"Nguyễn Văn Số {i}", "1", PartialDate(1950 + i % 50)))
        assert p.id is not None
        ids.append(p.id)
    return ids


def add_visit(store: Store, patient_id: int, note: str = "Ho, sốt") -> int:
    v = visit_store.insert(
        store, Visit(patient_id=patient_id, visit_at=dt.datetime(2025, 11, 20, 9, 0), complaint=note)
    )
    assert v.id is not None
    return v.id


def rows(path: Path, table: str) -> list[tuple]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
    finally:
        conn.close()


def content(path: Path) -> dict[str, list[tuple]]:
    return {table: rows(path, table) for table in COMPARED}


def fingerprint(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_size


def integrity(path: Path) -> list[str]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    finally:
        conn.close()


@pytest.fixture(scope="session")
def station_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("station-template") / "tram.sqlite3"
    store = open_store(path)
    try:
        for pid in add_people(store, 20):
            add_visit(store, pid)
    finally:
        store.close()
    return path


@pytest.fixture
def station(station_template: Path, tmp_path: Path) -> Path:
    """A closed station file with 20 patients and a visit each (a private copy)."""
    path = tmp_path / "station" / "tram.sqlite3"
    path.parent.mkdir()
    shutil.copyfile(station_template, path)
    return path

