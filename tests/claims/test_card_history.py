"""A card renewed after a visit: the visit is still claimed on the card valid on its day, whatever
path changed the card (the patient form, the claims fields); the cards replaced are kept as they
were and move with their patient when duplicates are merged."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from station_app.domain import claims_xml
from station_app.reports import claims as claims_report
from station_app.store import claims as store_claims
from station_app.store import corrections, patients
from tests.claims.conftest import Station, written


def _xml1(folder: Path) -> dict[str, str]:
    (read,) = written(folder).values()
    tables = claims_xml.field_tables(dt.date(2025, 6, 1))
    (record,) = claims_xml.read_records(tables, "XML1", dict(read.files)["XML1"])
    return record


def _renew(station: Station, number: str, start: dt.date | None, end: dt.date | None) -> None:
    current = patients.get(station.store, int(station.patient.id or 0))
    assert current is not None
    patients.update(station.store, dataclasses.replace(current, insurance_no=number, insurance_valid_from=start,
                                                       insurance_valid_to=end))


def test_a_visit_before_the_renewal_is_claimed_on_the_card_it_was_made_on(station: Station, tmp_path: Path) -> None:
    station.visit()
    _renew(station, "GD4481234567890", station.day + dt.timedelta(days=30), dt.date(2026, 12, 31))
    (outcome,) = claims_report.run(station.store, station.day, station.day, tmp_path / "c")
    assert outcome.status == "written", outcome.problems
    xml1 = _xml1(tmp_path / "c")
    assert (xml1["MA_THE_BHYT"], xml1["GT_THE_TU"], xml1["GT_THE_DEN"]) == ("GD4481234567890", "20250101", "20251231")
    assert xml1["MA_DKBD"] == "48123"


def test_a_new_card_number_and_group_stay_with_the_visits_after_it(station: Station, tmp_path: Path) -> None:
    """A person who turns 60 changes group: the earlier visit keeps the old card and group, a later
    one is claimed on the new card."""
    before = station.visit(8)
    renewal = station.day + dt.timedelta(days=1)
    _renew(station, "HT3481234567890", renewal, dt.date(2026, 12, 31))
    store_claims.save_patient_claim_fields(station.store, int(station.patient.id or 0), insurance_group="HT",
                                           insurance_benefit="3")
    station.day = renewal
    after = station.visit(9)
    outcomes = claims_report.run(station.store, before.visit_at.date(), renewal, tmp_path / "c")
    assert [o.status for o in outcomes] == ["written", "written"], [o.problems for o in outcomes]
    cards = sorted(claims_xml.read_records(claims_xml.field_tables(renewal), "XML1", dict(r.files)["XML1"])[0]
                   ["MA_THE_BHYT"] for r in written(tmp_path / "c").values())
    assert cards == ["GD4481234567890", "HT3481234567890"]
    assert after.id != before.id


def test_a_visit_no_card_was_valid_on_is_still_held_back_naming_the_current_card(station: Station,
                                                                                tmp_path: Path) -> None:
    station.visit()
    _renew(station, "GD4481234567890", station.day + dt.timedelta(days=30), dt.date(2026, 12, 31))
    _renew(station, "GD4481234567890", station.day + dt.timedelta(days=60), dt.date(2026, 12, 31))
    # (the card valid on the visit's day is kept; the one between, never valid on it, is not chosen)
    (outcome,) = claims_report.run(station.store, station.day, station.day, None)
    assert outcome.status == "ready"
    station.store.conn.execute("UPDATE patients SET insurance_valid_from = '2024-01-01', "
                               "insurance_valid_to = '2024-12-31' WHERE id = ?", (station.patient.id,))
    station.store.conn.execute("UPDATE visits SET visit_at = '2023-06-02 08:15:00'")
    (outcome,) = claims_report.run(station.store, dt.date(2023, 6, 2), dt.date(2023, 6, 2), None)
    assert outcome.status == "held" and any("31/12/2024" in p or "01/01/2024" in p for p in outcome.problems)


def test_a_corrected_card_is_not_a_card_of_its_own(station: Station) -> None:
    """The card's end mistyped and corrected, a digit of its number corrected: the visit after the
    true end is held back (the wrong dates were never a card), and nothing is kept."""
    station.visit()
    _renew(station, "GD4481234567809", dt.date(2025, 1, 1), dt.date(2025, 10, 31))
    (outcome,) = claims_report.run(station.store, station.day, station.day, None)
    assert outcome.status == "held" and outcome.problems == ["Thẻ BHYT hết hạn ngày 31/10/2025"]
    assert station.store.conn.execute("SELECT count(*) FROM insurance_cards").fetchone()[0] == 0


def test_a_card_removed_keeps_nothing(station: Station) -> None:
    """A card removed (entered on the wrong person, say) is a correction: no visit is claimed on it."""
    station.visit()
    _renew(station, "", None, None)
    (outcome,) = claims_report.run(station.store, station.day, station.day, None)
    assert outcome.status == "held"
    assert station.store.conn.execute("SELECT count(*) FROM insurance_cards").fetchone()[0] == 0


def test_a_ten_digit_card_changing_group_keeps_the_card_before(station: Station, tmp_path: Path) -> None:
    """A person turns 60: the same 10-digit number, a new group and digit from a later day. The
    earlier visit is claimed on the group it was made under."""
    pid = int(station.patient.id or 0)
    _renew(station, "4812345678", dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    store_claims.save_patient_claim_fields(station.store, pid, insurance_group="GD", insurance_benefit="4")
    station.visit()
    store_claims.save_patient_claim_fields(station.store, pid, insurance_valid_from=str(station.day
                                           + dt.timedelta(days=1)), insurance_group="HT", insurance_benefit="3")
    (outcome,) = claims_report.run(station.store, station.day, station.day, tmp_path / "c")
    assert outcome.status == "written", outcome.problems
    assert _xml1(tmp_path / "c")["MA_THE_BHYT"] == "GD4484812345678"


def test_the_cards_replaced_are_kept_as_they_were(station: Station) -> None:
    _renew(station, "GD4481234567890", dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    with pytest.raises(sqlite3.DatabaseError, match="kept"):
        station.store.conn.execute("UPDATE insurance_cards SET valid_to = '2030-01-01'")
    with pytest.raises(sqlite3.DatabaseError, match="kept"):
        station.store.conn.execute("DELETE FROM insurance_cards")
    rows = station.store.conn.execute("SELECT card_no, valid_from, valid_to FROM insurance_cards").fetchall()
    assert [tuple(r) for r in rows] == [("GD4481234567890", "2025-01-01", "2025-12-31")]


def test_merging_a_duplicate_moves_its_earlier_cards_with_its_visits(station: Station, tmp_path: Path,
                                                                     add_patient) -> None:
    """The visit was made on the duplicate record, whose card was renewed since; the record kept
    has no card. After the merge the visit is claimed on the card it was made on."""
    kept = add_patient("Trần Thị Bình", sex="2", birth="02/03/1960", address="Thôn 1, xã Hòa Phước")
    duplicate = add_patient("Trần Thị Bình", sex="2", birth="02/03/1960", insurance_no="GD4489999999999",
                            insurance_valid_from=dt.date(2025, 1, 1), insurance_valid_to=dt.date(2025, 12, 31),
                            insurance_facility="48123")
    station.visit(patient=duplicate)
    found = patients.get(station.store, int(duplicate.id or 0))
    assert found is not None
    patients.update(station.store, dataclasses.replace(found, insurance_valid_from=dt.date(2026, 1, 1),
                                                       insurance_valid_to=dt.date(2026, 12, 31)))
    corrections.merge_patients(station.store, int(kept.id or 0), int(duplicate.id or 0), "hai hồ sơ")
    (outcome,) = claims_report.run(station.store, station.day, station.day, tmp_path / "c")
    assert outcome.status == "written", outcome.problems
    xml1 = _xml1(tmp_path / "c")
    assert (xml1["MA_THE_BHYT"], xml1["GT_THE_DEN"]) == ("GD4489999999999", "20251231")


def test_merging_keeps_the_duplicates_current_card_for_its_visits(station: Station, tmp_path: Path,
                                                                   add_patient) -> None:
    """The record kept has a newer card; the duplicate's visit was made on the duplicate's own card,
    which was never replaced: after the merge the visit is still claimed on it, and an undo takes
    the card back."""
    kept = add_patient("Trần Thị Bình", sex="2", birth="02/03/1960", address="Thôn 1", insurance_no="GD4481111111111",
                       insurance_valid_from=dt.date(2026, 1, 1), insurance_valid_to=dt.date(2026, 12, 31),
                       insurance_facility="48123")
    duplicate = add_patient("Trần Thị Bình", sex="2", birth="02/03/1960", insurance_no="GD4482222222222",
                            insurance_valid_from=dt.date(2025, 1, 1), insurance_valid_to=dt.date(2025, 12, 31),
                            insurance_facility="48123")
    station.visit(patient=duplicate)
    merge = corrections.merge_patients(station.store, int(kept.id or 0), int(duplicate.id or 0), "hai hồ sơ")
    (outcome,) = claims_report.run(station.store, station.day, station.day, tmp_path / "c")
    assert outcome.status == "written", outcome.problems
    assert _xml1(tmp_path / "c")["MA_THE_BHYT"] == "GD4482222222222"
    assert [c.card_no for c in store_claims.earlier_cards(station.store, int(kept.id or 0))] == ["GD4482222222222"]
    corrections.unmerge(station.store, merge.id, "nhầm")
    assert store_claims.earlier_cards(station.store, int(kept.id or 0)) == []


def test_a_kept_card_that_was_never_one_is_set_aside_by_the_head(station: Station, tmp_path: Path) -> None:
    """A renewal typed a year off kept the real card as an earlier one with wrong dates… or the
    other way round: the head sets the wrong kept card aside with a reason; the visit is then held
    back (and can be fixed on the current card), the card stays in the file, the audit says why."""
    from station_app.store import audit

    station.visit()
    _renew(station, "GD4481234567890", dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    (card,) = store_claims.earlier_cards(station.store, int(station.patient.id or 0))
    with pytest.raises(store_claims.ClaimsRefused):
        store_claims.set_aside_card(station.store, card.id, "  ")
    store_claims.set_aside_card(station.store, card.id, "Thẻ nhập nhầm năm")
    assert store_claims.earlier_cards(station.store, int(station.patient.id or 0)) == []
    (outcome,) = claims_report.run(station.store, station.day, station.day, None)
    assert outcome.status == "held"
    entry = audit.entries(station.store, audit.Filter(action=audit.AMEND))[0]
    assert entry.details["card_set_aside"] == "GD4481234567890" and entry.details["reason"] == "Thẻ nhập nhầm năm"
    with pytest.raises(store_claims.ClaimsRefused):  # (set aside once: never taken back or set aside again)
        store_claims.set_aside_card(station.store, card.id, "lần nữa")
    with pytest.raises(sqlite3.DatabaseError, match="stays set aside"):
        station.store.conn.execute("UPDATE insurance_cards SET voided_at = NULL")
