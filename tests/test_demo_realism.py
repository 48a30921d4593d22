"""The demo station's history is made by the rules of real use: stated as properties of a
generated station (what a reviewer would check first)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from station_app import clock
from station_app.demo import generate
from station_app.store import Store, open_store

TODAY = dt.date(2025, 11, 20)
PATIENTS = 2000
# Benefit digits by beneficiary group (QĐ 1351/QĐ-BHXH, QĐ 1018/QĐ-BHXH 2024; CN became 2 in 2026).
BENEFIT = {"TE": {"1"}, "CC": {"1"}, "HN": {"2"}, "BT": {"2"}, "CN": {"2", "3"}, "HT": {"3"}, "GD": {"4"}}
# What a commune station sends on: an asthma attack, a wound, a complicated infection, imaging of a
# joint, a chronic disease out of control.
REFERRED = {"J45.9", "T14.1", "N39.0", "M17.9", "I10", "E11.9"}


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Store:
    path = Path(tmp_path_factory.mktemp("demo")) / "demo.sqlite3"
    with clock.pinned(dt.datetime.combine(TODAY, dt.time(12))):
        generate(path, patients=PATIENTS, seed=7, force=True)
    store = open_store(path)
    yield store
    store.close()


def months_back(n: int) -> list[str]:
    first = TODAY.replace(day=1)
    out = []
    for _ in range(n):
        first = (first - dt.timedelta(days=1)).replace(day=1)
        out.append(first.strftime("%Y-%m"))
    return out


def test_cards_carry_their_groups_benefit_digit(station: Store) -> None:
    cards = [r[0] for r in station.conn.execute("SELECT insurance_no FROM patients WHERE length(insurance_no) = 15")]
    assert len(cards) > PATIENTS // 5
    wrong = [c for c in cards if c[2] not in BENEFIT.get(c[:2], set())]
    assert wrong == []
    children = station.conn.execute(
        "SELECT count(*) FROM patients WHERE length(insurance_no) = 15 AND substr(insurance_no, 1, 2) <> 'TE' "
        "AND birth_year >= ?", (TODAY.year - 5,)).fetchone()[0]
    assert children == 0, "children under 6 hold TE cards"


def test_no_visit_is_billed_on_an_expired_card(station: Store) -> None:
    billed_expired = station.conn.execute(
        "SELECT count(*) FROM visits v JOIN patients p ON p.id = v.patient_id WHERE v.insurance_paid = 1 "
        "AND (p.insurance_no = '' OR substr(v.visit_at, 1, 10) > p.insurance_valid_to)").fetchone()[0]
    assert billed_expired == 0
    assert station.conn.execute("SELECT count(*) FROM visits WHERE insurance_paid = 1").fetchone()[0] > 0


def test_referrals_are_for_conditions_a_station_refers(station: Store) -> None:
    codes = [r[0] for r in station.conn.execute(
        "SELECT v.diagnosis_code FROM referrals r JOIN visits v ON v.id = r.visit_id")]
    assert codes, "the demo has referrals"
    assert set(codes) <= REFERRED, "no cold is sent to the hospital"


def test_deaths_births_and_moves_at_plausible_rates(station: Store) -> None:
    q = station.conn.execute
    deaths = q("SELECT count(*) FROM patients WHERE deceased = 1").fetchone()[0]
    per_1000_a_year = deaths / PATIENTS * 1000 / 3
    assert 3 <= per_1000_a_year <= 15
    year_ago = (TODAY - dt.timedelta(days=365)).isoformat()
    recent = q("SELECT count(*) FROM patients WHERE deceased_date >= ?", (year_ago,))
    assert recent.fetchone()[0] > 0, "people died this year"
    assert q("SELECT count(*) FROM visits v JOIN patients p ON p.id = v.patient_id "
             "WHERE p.deceased = 1 AND substr(v.visit_at, 1, 10) > p.deceased_date").fetchone()[0] == 0
    assert q("SELECT count(*) FROM followups f JOIN patients p ON p.id = f.patient_id "
             "WHERE p.deceased = 1 AND f.status = 'open'").fetchone()[0] == 0
    assert q("SELECT count(*) FROM followup_outcomes WHERE reason = 'died'").fetchone()[0] > 0
    in_the_book = q("SELECT count(*) FROM deaths d JOIN patients p ON p.id = d.patient_id "
                    "WHERE p.deceased = 1 AND d.died_on = p.deceased_date AND d.cause_code <> ''").fetchone()[0]
    assert in_the_book == deaths, "every death is in the death book with its cause"

    born = q("SELECT count(*) FROM patients WHERE printf('%04d-%02d', birth_year, birth_month) >= ?",
             (months_back(12)[-1],)).fetchone()[0]
    assert 8 <= born / PATIENTS * 1000 <= 30, "births a year per 1,000 people"
    moved = q("SELECT count(DISTINCT f.patient_id) FROM followup_outcomes o JOIN followups f ON f.id = o.followup_id "
              "WHERE o.reason = 'moved_away'").fetchone()[0]
    assert moved > 0


def test_new_chronic_cases_every_month(station: Store) -> None:
    months = {r[0] for r in station.conn.execute(
        "SELECT substr(detected_on, 1, 7) FROM enrolments WHERE programme IN ('hypertension', 'diabetes')")}
    assert set(months_back(12)) <= months


def test_visits_close_the_follow_ups(station: Store) -> None:
    q = station.conn.execute
    done = dict(q("SELECT substr(closed_on, 1, 7), count(*) FROM followups WHERE status = 'done' "
                  "AND kind = 'chronic_refill' GROUP BY 1").fetchall())
    for month in months_back(6):
        assert done.get(month, 0) > 20, month
    # Each is closed by a visit of its programme on that day.
    unclosed = q(
        "SELECT count(*) FROM followups f JOIN followup_outcomes o ON o.followup_id = f.id "
        "LEFT JOIN visits v ON v.id = o.visit_id WHERE f.status = 'done' AND f.kind = 'chronic_refill' "
        "AND (v.id IS NULL OR substr(v.visit_at, 1, 10) <> f.closed_on OR v.patient_id <> f.patient_id)"
    ).fetchone()[0]
    assert unclosed == 0
    assert q("SELECT count(*) FROM (SELECT patient_id, kind, rule FROM followups WHERE status = 'open' "
             "AND kind = 'chronic_refill' GROUP BY 1, 2, 3 HAVING count(*) > 1)").fetchone()[0] == 0


def test_one_code_one_name(station: Store) -> None:
    different = station.conn.execute(
        "SELECT v.diagnosis_code, v.diagnosis_text, c.name_vi FROM visits v JOIN icd10 c ON c.code = v.diagnosis_code "
        "WHERE v.diagnosis_text <> c.name_vi LIMIT 5").fetchall()
    assert different == []
