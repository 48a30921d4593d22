"""The demo station has births at a commune's rate, made through the store's own functions so the
rules hold: each baby registered with its mother as guardian and its birth doses, each delivery
closing a pregnancy, the babies among the patients asked for; and its deaths (made with the
people's history) each with an ICD-10 cause, their follow-ups closed and no visit after."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from station_app import clock
from station_app.demo import generate
from station_app.domain import accounts

TODAY = dt.date(2026, 3, 20)
PEOPLE = 3000


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    path: Path = tmp_path_factory.mktemp("demo-births") / "demo.sqlite3"
    with clock.pinned(dt.datetime.combine(TODAY, dt.time(17, 0))), pytest.MonkeyPatch.context() as cheap:
        cheap.setattr(accounts, "SCRYPT_N", 2**10)
        generate(path, patients=PEOPLE, seed=5)
    conn = sqlite3.connect(path)
    yield conn
    conn.close()


def test_a_few_deliveries_a_month_with_their_babies(db) -> None:
    year_ago = (TODAY - dt.timedelta(days=365)).isoformat()
    records_start = (TODAY - dt.timedelta(days=3 * 365)).isoformat()
    deliveries = db.execute("SELECT id, mother_id, delivered_at, place FROM deliveries").fetchall()
    # about 15 births per 1,000 people a year: 45 a year for 3,000, over the three years of records
    assert 115 <= len(deliveries) <= 160
    assert all(records_start <= at[:10] < TODAY.isoformat() for _id, _m, at, _p in deliveries)
    last_year = [at for _id, _m, at, _p in deliveries if at[:10] >= year_ago]
    assert 35 <= len(last_year) <= 55
    per_month = Counter(at[:7] for at in last_year)
    assert len(per_month) >= 10 and max(per_month.values()) <= 10
    assert {p for *_rest, p in deliveries} >= {"station", "facility"}
    # every live-born baby has a record: born on the delivery day, the mother as guardian
    babies = db.execute(
        "SELECT b.child_id, d.delivered_at, m.full_name, c.guardian_name, "
        "printf('%04d-%02d-%02d', c.birth_year, c.birth_month, c.birth_day) "
        "FROM births b JOIN deliveries d ON d.id = b.delivery_id JOIN patients m ON m.id = d.mother_id "
        "LEFT JOIN patients c ON c.id = b.child_id WHERE b.outcome = 'live'"
    ).fetchall()
    # (one baby or more per delivery; a stillbirth now and then, about 1 in 100)
    assert db.execute("SELECT count(*) FROM births").fetchone()[0] >= len(deliveries)
    assert len(deliveries) * 0.97 <= len(babies)
    assert db.execute("SELECT count(*) FROM patients").fetchone()[0] == PEOPLE  # the babies among them
    for child, at, mother, guardian, born in babies:
        assert child is not None and guardian == mother and born == at[:10]
    # each delivery closed its mother's pregnancy
    closed = db.execute("SELECT count(*) FROM enrolments WHERE programme = 'antenatal' AND closure = 'delivered'")
    assert closed.fetchone()[0] == len(deliveries)


def test_birth_doses_given_where_the_baby_was_born(db) -> None:
    rows = db.execute(
        "SELECT d.place, v.series, v.given_at, d.delivered_at FROM vaccine_doses v "
        "JOIN births b ON b.child_id = v.patient_id JOIN deliveries d ON d.id = b.delivery_id "
        "WHERE v.given_at IS NOT NULL"
    ).fetchall()
    hepb = [r for r in rows if r[1] == "hepb0"]
    assert hepb and any(r[1] == "bcg" for r in rows)
    assert all(r[0] != "home" for r in rows)  # a home birth's doses come later, at the station
    within_24h = [r for r in hepb if dt.datetime.fromisoformat(r[2]) - dt.datetime.fromisoformat(r[3])
                  <= dt.timedelta(hours=24)]
    assert len(within_24h) == len(hepb)
    # each baby given a birth dose is enrolled in the vaccination schedule
    assert not db.execute(
        "SELECT v.patient_id FROM vaccine_doses v WHERE v.given_at IS NOT NULL AND NOT EXISTS ("
        "SELECT 1 FROM enrolments e WHERE e.patient_id = v.patient_id AND e.programme = 'vaccination')"
    ).fetchall()


def test_the_deaths_have_icd10_causes_and_no_visit_after(db) -> None:
    deaths = db.execute(
        "SELECT d.patient_id, d.died_on, d.cause_code, d.cause_text, p.deceased_date FROM deaths d "
        "JOIN patients p ON p.id = d.patient_id WHERE d.died_on >= ?", ((TODAY - dt.timedelta(days=365)).isoformat(),)
    ).fetchall()
    assert 6 <= len(deaths) <= 60  # a few a year for 3,000 people
    codes = {r[0] for r in db.execute("SELECT code FROM icd10")}
    for pid, died_on, cause, cause_text, deceased in deaths:
        assert cause in codes and cause_text, cause
        assert deceased == died_on < TODAY.isoformat()
        assert not db.execute("SELECT 1 FROM visits WHERE patient_id = ? AND visit_at >= ?",
                              (pid, died_on + " 23:59")).fetchone()
        assert not db.execute("SELECT 1 FROM followups WHERE patient_id = ? AND status = 'open'", (pid,)).fetchone()
