"""The referral book: numbering per year, never reused, safe under two writers; outcomes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from pathlib import Path

import pytest

from station_app import clock
from station_app.domain.dates import PartialDate
from station_app.domain.patient import Patient
from station_app.store import followups, open_store, patients, referrals
from station_app.store.station import StationProfile


def _slip(store, patient: Patient, when: dt.datetime, facility: str = "Trung tâm Y tế khu vực Tân Sơn"):
    with clock.pinned(when):
        slip = referrals.prefill(patient, None, StationProfile(name="Trạm Y tế xã Tân Phú"), when.date())
    return dataclasses.replace(slip, receiving_facility=facility, reason="1a", diagnosis="Tăng huyết áp",
                               icd_main="I10", transfer_at=when)


@pytest.fixture
def patient(store) -> Patient:
    return patients.insert(store, Patient("Nguyễn Thị Hương", "2", PartialDate(1960), village="Thôn Đông"))


def test_numbers_follow_each_other_within_a_year_and_restart_in_the_next(store, patient) -> None:
    first = referrals.issue(store, _slip(store, patient, dt.datetime(2026, 12, 30, 9, 0)))
    second = referrals.issue(store, _slip(store, patient, dt.datetime(2026, 12, 31, 15, 0)))
    new_year = referrals.issue(store, _slip(store, patient, dt.datetime(2027, 1, 2, 8, 0)))
    assert first.number == "000001/2026/PCCSKBCB"
    assert second.number == "000002/2026/PCCSKBCB"
    assert new_year.number == "000001/2027/PCCSKBCB"


def test_a_cancelled_number_is_kept_and_never_given_again(store, patient) -> None:
    first = referrals.issue(store, _slip(store, patient, dt.datetime(2026, 3, 2, 9, 0)))
    referrals.cancel(store, first.id, "Người bệnh không đồng ý chuyển")
    second = referrals.issue(store, _slip(store, patient, dt.datetime(2026, 3, 2, 10, 0)))
    assert second.number == "000002/2026/PCCSKBCB"
    book = referrals.book(store)
    assert [(r.number, r.status) for r in book] == [
        ("000001/2026/PCCSKBCB", "cancelled"), ("000002/2026/PCCSKBCB", "issued")]
    assert referrals.get(store, first.id).cancel_reason == "Người bệnh không đồng ý chuyển"


def test_two_writers_saving_at_the_same_moment_never_share_a_number(tmp_path: Path) -> None:
    path = tmp_path / "station.sqlite3"
    setup = open_store(path)
    person = patients.insert(setup, Patient("Trần Văn An", "1", PartialDate(1970)))
    setup.close()
    barrier = threading.Barrier(4)
    numbers: list[str] = []
    failures: list[BaseException] = []

    def writer() -> None:
        store = open_store(path)  # each thread its own connection, as the app does
        try:
            barrier.wait()
            for _ in range(5):
                numbers.append(referrals.issue(store, _slip(store, person, dt.datetime(2026, 5, 4, 9, 0))).number)
        except BaseException as exc:
            failures.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    assert len(numbers) == 20
    assert sorted(numbers) == [f"{n:06d}/2026/PCCSKBCB" for n in range(1, 21)]


def test_valid_until_is_ten_working_days_or_a_year(store, patient) -> None:
    # Friday 2026-04-24: the following Thursday 30/4 and Friday 1/5 are public holidays.
    slip = referrals.issue(store, _slip(store, patient, dt.datetime(2026, 4, 24, 9, 0)))
    assert slip.valid_until() > dt.date(2026, 5, 8)  # weekends and both holidays skipped
    yearly = referrals.issue(store, dataclasses.replace(
        _slip(store, patient, dt.datetime(2026, 4, 24, 9, 0)), one_year=True))
    assert yearly.valid_until().year == 2027


def test_a_referral_opens_a_did_they_go_item_closed_by_the_outcome(store, patient) -> None:
    with clock.pinned(dt.datetime(2026, 6, 1, 9, 0)):
        slip = referrals.issue(store, _slip(store, patient, dt.datetime(2026, 6, 1, 9, 0)))
        item = [i for i in followups.patient_items(store, patient.id) if i.kind.value == "post_referral"]
        assert len(item) == 1 and item[0].status.value == "open"
        assert item[0].label == "Đã đến khám tại Trung tâm Y tế khu vực Tân Sơn chưa?"  # stored in Vietnamese
        referrals.record_outcome(store, slip.id, "feedback", dt.date(2026, 6, 9), "Ra viện ổn định")
    closed = followups.get_item(store, item[0].id)
    assert closed.status.value == "done"
    saved = referrals.get(store, slip.id)
    assert (saved.outcome, saved.feedback, saved.arrived_on) == ("feedback", "Ra viện ổn định", dt.date(2026, 6, 9))


def test_the_slip_keeps_every_field_through_the_database(store, patient) -> None:
    slip = dataclasses.replace(
        _slip(store, patient, dt.datetime(2026, 7, 1, 14, 30)), icd_extra=["E11.9"], escort_name="Lê Thị Hồng",
        escort_title="Nữ hộ sinh", transport="Xe cứu thương", test_results="Đường huyết 15,2 mmol/L <cao>")
    issued = referrals.issue(store, slip)
    again = referrals.get(store, issued.id)
    for name in ("patient_name", "icd_extra", "escort_name", "escort_title", "transport", "test_results",
                 "transfer_at", "reason", "number"):
        assert getattr(again, name) == getattr(issued, name), name
