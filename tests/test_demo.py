"""The demo station: deterministic for a seed and a date, and shaped like a real commune."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from station_app import clock
from station_app.demo import DemoExists, generate
from station_app.domain.dates import PartialDate
from station_app.domain.patient import normalised
from station_app.domain.patient import validate as validate_patient
from station_app.domain.visit import validate as validate_visit
from station_app.store import open_store
from station_app.store import patients as patient_store
from station_app.store import visits as visit_store

TODAY = dt.date(2025, 11, 20)


def digest(path: Path) -> str:
    """A digest of every patient and visit row (not of the file's bytes, which hold page layout)."""
    conn = sqlite3.connect(path)
    try:
        h = hashlib.sha256()
        for table in ("patients", "visits", "patient_search", "staff", "villages", "station"):
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY rowid"):
                h.update(repr(row).encode())
        return h.hexdigest()
    finally:
        conn.close()


def build(
    folder: Path, name: str, *, seed: int, patients: int = 150, today: dt.date = TODAY
) -> Path:
    path = folder / name
    with clock.pinned(today):
        generate(path, patients=patients, seed=seed)
    return path


def test_same_seed_and_date_give_identical_data(tmp_path):
    first = build(tmp_path, "a.sqlite3", seed=11)
    second = build(tmp_path, "b.sqlite3", seed=11)
    assert digest(first) == digest(second)


def test_another_seed_gives_other_data(tmp_path):
    assert digest(build(tmp_path, "a.sqlite3", seed=11)) != digest(
        build(tmp_path, "b.sqlite3", seed=12)
    )


def test_another_date_gives_other_data(tmp_path):
    assert digest(build(tmp_path, "a.sqlite3", seed=11)) != digest(
        build(tmp_path, "b.sqlite3", seed=11, today=TODAY + dt.timedelta(days=1))
    )


def test_refuses_to_overwrite(tmp_path):
    path = build(tmp_path, "a.sqlite3", seed=1, patients=5)
    before = path.read_bytes()
    with pytest.raises(DemoExists):
        generate(path, patients=5)
    assert path.read_bytes() == before


# -- realistic shape (2,000 patients, built once for this module) ----------------------------------
@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    path = tmp_path_factory.mktemp("demo-large") / "demo.sqlite3"
    with clock.pinned(TODAY):
        generate(path, patients=2000, seed=1)
    conn = sqlite3.connect(path)
    try:
        yield conn
    finally:
        conn.close()


def test_family_name_nguyen_is_about_38_percent(large):
    total = large.execute("SELECT count(*) FROM patients").fetchone()[0]
    nguyen = large.execute(
        "SELECT count(*) FROM patients WHERE full_name LIKE 'Nguyễn %'"
    ).fetchone()[0]
    assert total == 2000  # the babies born this past year among them
    assert 30 <= 100 * nguyen / total <= 46


def ages(conn: sqlite3.Connection) -> list[int]:
    rows = conn.execute("SELECT birth_year, birth_month, birth_day, birth_estimated FROM patients")
    return [PartialDate(y, m, d, bool(e)).age_on(TODAY) for y, m, d, e in rows]


def test_ages_from_babies_to_the_very_old(large):
    found = ages(large)
    assert min(found) == 0
    assert max(found) >= 90
    assert sum(1 for a in found if a < 2) >= 20  # children under 2
    assert sum(1 for a in found if a >= 60) >= 200


def test_chronic_hypertension_patients_come_back_monthly(large):
    counts = [
        n
        for (n,) in large.execute(
            "SELECT count(*) FROM visits WHERE diagnosis_code = 'I10' GROUP BY patient_id"
        )
    ]
    assert sum(1 for n in counts if n >= 6) >= 20


def test_some_visits_are_referred(large):
    assert large.execute("SELECT count(*) FROM visits WHERE referred = 1").fetchone()[0] > 0


def test_elderly_sometimes_know_only_their_birth_year(large):
    year_only = large.execute(
        "SELECT count(*) FROM patients WHERE birth_month IS NULL AND birth_estimated = 1"
    ).fetchone()[0]
    assert year_only > 0


def test_no_visit_is_in_the_future_or_before_birth(large):
    now = dt.datetime.combine(TODAY, dt.time(12, 0)).isoformat(sep=" ", timespec="minutes")
    assert (
        large.execute("SELECT count(*) FROM visits WHERE visit_at > ?", (now,)).fetchone()[0] == 0
    )
    before_birth = large.execute(
        "SELECT count(*) FROM visits v JOIN patients p ON p.id = v.patient_id "
        "WHERE substr(v.visit_at, 1, 4) < CAST(p.birth_year AS TEXT)"
    ).fetchone()[0]
    assert before_birth == 0


def test_identifiers_are_unique_and_valid(large):
    dup_ids = large.execute(
        "SELECT count(*) FROM (SELECT citizen_id FROM patients WHERE citizen_id <> '' "
        "GROUP BY citizen_id HAVING count(*) > 1)"
    ).fetchone()[0]
    assert dup_ids == 0


def test_demo_patients_and_visits_pass_validation(demo_copy):
    """Every generated record would be accepted by the forms (no error; warnings are allowed)."""
    store = open_store(demo_copy)
    try:
        patients = patient_store.get_many(store, patient_store.all_ids(store))
        for p in patients.values():
            problems = [x for x in validate_patient(normalised(p), TODAY) if x.is_error]
            assert problems == [], (p.full_name, [x.text("en") for x in problems])
        now = dt.datetime.combine(TODAY, dt.time(12, 0))
        for pid, p in list(patients.items())[:150]:
            for v in visit_store.for_patient(store, pid):
                problems = [
                    x
                    for x in validate_visit(v, now, p.birth.earliest() if p.birth else None)
                    if x.is_error
                ]
                assert problems == [], (p.full_name, v.visit_at, [x.text("en") for x in problems])
    finally:
        store.close()


def test_demo_search_works(demo_copy):
    store = open_store(demo_copy)
    try:
        found = patient_store.search(store, "nguyen", limit=20)
        assert len(found) == 20
        assert all(p.full_name.startswith("Nguyễn") for p in found)
        someone = patient_store.get(store, 42)
        assert someone is not None
        assert patient_store.search(store, someone.record_no or "")[0].id == 42
    finally:
        store.close()
