"""Notifiable diseases: a dengue visit creates a 24-hour notification, shown until marked sent; a
death from a communicable disease too; the dated list; the CLI; the case report read back."""

from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader

from station_app import clock, paths
from station_app.cli import EXIT_OK, main
from station_app.domain import notifiable
from station_app.domain.births import Death, Place
from station_app.domain.visit import ExtraDiagnosis, Visit
from station_app.store import audit, births, notifications, open_store, visits

SEEN = dt.datetime(2025, 11, 19, 9, 30)


def test_the_dated_list_maps_icd10_codes_to_groups() -> None:
    dengue = notifiable.match("A91", dt.date(2025, 11, 19))
    assert (dengue.key, dengue.group, dengue.case_report_hours) == ("dengue", "B", 24)
    assert notifiable.match("a00.1", dt.date(2025, 11, 19)).group == "A"  # cholera, a sub-code
    assert notifiable.match("A08.0", dt.date(2026, 8, 1)).key == "rotavirus"  # the longer code wins over none
    assert notifiable.match("A09", dt.date(2025, 11, 19)).group == "C"
    assert notifiable.match("A09", dt.date(2026, 8, 1)) is None  # not on QĐ 97/QĐ-PB's list
    assert notifiable.match("I10", dt.date(2026, 8, 1)) is None
    assert notifiable.list_on(dt.date(2026, 6, 30)).version == "tt54-2015"
    assert notifiable.list_on(dt.date(2026, 7, 1)).version == "qd1965-2026"
    for disease_list in notifiable.lists():
        assert not disease_list.verified, "the lists are marked unverified until checked against QĐ 1965"


def test_a_disease_changes_group_or_joins_the_list_on_the_day_of_its_decision() -> None:
    assert notifiable.match("U07.1", dt.date(2023, 10, 19)).group == "A"  # COVID-19
    assert notifiable.match("U07.1", dt.date(2023, 10, 20)).group == "B"
    assert notifiable.match("B04", dt.date(2022, 11, 8)) is None  # Mpox
    assert notifiable.match("B04", dt.date(2022, 11, 9)).group == "B"
    assert notifiable.match("B33.8", dt.date(2025, 11, 24)) is None  # Nipah
    assert notifiable.match("B33.8", dt.date(2025, 11, 25)).group == "A"



def test_from_july_2026_every_group_a_and_b_disease_is_notified_within_24_hours() -> None:
    """TT 15/2026 Đ10 k1: a suspected case reaches the commune station within 24 hours, whatever
    later time the Department's list gives for sending it on (kept beside it as 'case_report')."""
    day = dt.date(2026, 8, 1)
    dengue = notifiable.match("A97", day)
    assert (dengue.key, dengue.group, dengue.case_report_hours) == ("dengue", "B", 24)
    influenza = notifiable.match("J10", day)
    assert (influenza.group, influenza.case_report_hours) == ("B", 24)
    listed = notifiable.list_on(day)
    assert listed is not None
    every = listed.diseases
    assert all(d.case_report_hours == 24 for d in every if d.group in ("A", "B"))


def test_the_lists_parse_with_a_disease_dated_inside_a_list() -> None:
    groups = {g: {"name": {"vi": g}} for g in notifiable.GROUPS}
    data = {"lists": [{"version": "v", "valid_from": "2020-01-01", "valid_to": "2020-12-31", "groups": groups,
                       "diseases": [
                           {"key": "x", "group": "A", "icd10": ["A00"], "name": {"vi": "x"}, "case_report_hours": 24,
                            "valid_to": "2020-05-31"},
                           {"key": "x", "group": "B", "icd10": ["A00"], "name": {"vi": "x"}, "case_report_hours": 48,
                            "valid_from": "2020-06-01"}]}]}
    first, second = notifiable.parse(data)
    assert (first.valid_from, first.valid_to, second.valid_from, second.valid_to) == (
        dt.date(2020, 1, 1), dt.date(2020, 5, 31), dt.date(2020, 6, 1), dt.date(2020, 12, 31))
    assert (first.match("A00.1").group, second.match("A00.1").group) == ("A", "B")
    data["lists"][0]["diseases"][1]["valid_from"] = "2020-05-01"
    with pytest.raises(ValueError, match="listed twice"):
        notifiable.parse(data)


def test_a_dengue_visit_creates_a_notification_due_in_24_hours_until_marked_sent(store, add_patient, today) -> None:
    child = add_patient("Vàng A Dình", sex="1", birth="2015")
    visit = visits.insert(store, Visit(patient_id=child.id, visit_at=SEEN, complaint="Sốt cao 3 ngày",
                                       diagnosis_code="A91", diagnosis_text="Sốt xuất huyết Dengue"))
    visits.insert(store, Visit(patient_id=child.id, visit_at=SEEN + dt.timedelta(hours=1), complaint="Tiêu chảy",
                               diagnosis_code="A09"))  # group C: counted, no 24-hour report
    [n] = notifications.listing(store)
    assert (n.patient_id, n.source, n.source_id, n.disease, n.group, n.code) == (
        child.id, "visit", visit.id, "dengue", "B", "A91")
    assert n.due_by == dt.datetime(2025, 11, 20, 9, 30)
    assert n.status(dt.datetime(2025, 11, 20, 9, 0)) == "open"
    assert n.status(dt.datetime(2025, 11, 20, 10, 0)) == "overdue"
    assert notifications.count_open(store) == 1
    notifications.mark_sent(store, n.id, "Đã báo trên hệ thống giám sát")
    assert notifications.count_open(store) == 0
    assert notifications.listing(store)[0].status() == "sent"
    entry = audit.entries(store)[0]
    assert (entry.target_type, entry.details["status"]) == ("notification", "sent")


def test_an_extra_diagnosis_notifies_too_and_a_visit_notifies_each_disease_once(store, add_patient, today) -> None:
    person = add_patient("Lý Thị Sen", sex="2", birth="1990")
    visits.insert(store, Visit(patient_id=person.id, visit_at=SEEN, complaint="Sốt, phát ban",
                               diagnosis_code="J06", extra_diagnoses=[ExtraDiagnosis("B05", "Sởi"),
                                                                      ExtraDiagnosis("B05.9", "Sởi")]))
    assert [n.disease for n in notifications.listing(store)] == ["measles"]


def test_a_death_from_a_communicable_disease_is_notified(store, add_patient, today) -> None:
    person = add_patient("Lò Văn Pành", sex="1", birth="1960")
    births.record_death(store, Death(person.id, dt.date(2025, 11, 19), Place.HOME, cause_code="A15"))
    other = add_patient("Lò Văn Ím", sex="1", birth="1950")
    births.record_death(store, Death(other.id, dt.date(2025, 11, 19), Place.HOME, cause_code="I64"))
    [n] = notifications.listing(store)
    assert (n.patient_id, n.source, n.disease) == (person.id, "death", "tuberculosis")


@pytest.fixture
def dengue_db(tmp_path: Path) -> Path:
    path = tmp_path / "station.sqlite3"
    store = open_store(path)
    with clock.pinned(dt.datetime(2025, 11, 19, 12, 0)):
        from station_app.domain.dates import PartialDate
        from station_app.domain.patient import Patient
        from station_app.store import patients

        child = patients.insert(store, Patient("Vàng A Dình", "1", PartialDate(2015, 4, 2), village="Bản Hồ"))
        visits.insert(store, Visit(patient_id=child.id, visit_at=SEEN, complaint="Sốt cao 3 ngày", temperature=39.2,
                                   diagnosis_code="A91", diagnosis_text="Sốt xuất huyết Dengue"))
    store.close()
    return path


def test_the_notifications_command_lists_them_as_the_contract_says(dengue_db: Path, capsys) -> None:
    with clock.pinned(dt.datetime(2025, 11, 20, 10, 0)):
        code = main(["notifications", "--db", str(dengue_db), "--json"])
    lines = capsys.readouterr().out.splitlines()
    assert code == EXIT_OK
    assert json.loads(lines[0]) == {"id": 1, "patient_id": 1, "full_name": "Vàng A Dình",
                                    "disease": "Sốt xuất huyết Dengue", "code": "A91",
                                    "detected_at": "2025-11-19T09:30", "due_by": "2025-11-20T09:30",
                                    "status": "overdue"}


def test_the_case_report_carries_the_administrative_epidemiological_and_clinical_content(
        dengue_db: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "case.pdf"
    with clock.pinned(dt.datetime(2025, 11, 19, 12, 0)):
        assert main(["print", "case-report", "--db", str(dengue_db), "--id", "1", "--out", str(out)]) == EXIT_OK
    reader = PdfReader(out)
    text = " ".join(page.extract_text() for page in reader.pages)
    for expected in ("BÁO CÁO TRƯỜNG HỢP BỆNH TRUYỀN NHIỄM", "Vàng A Dình", "Bản Hồ", "Sốt xuất huyết Dengue",
                     "Nhóm B", "A91", "19/11/2025 09:30", "20/11/2025 09:30", "39,2 °C", "Bệnh phẩm"):
        assert expected in text, expected
    fonts = {str(f["/BaseFont"]) for page in reader.pages for f in page["/Resources"]["/Font"].values()}
    assert all("+" in name for name in fonts), "every font embedded as a subset"
    store = open_store(dengue_db)
    assert audit.entries(store)[0].action == "print"
    store.close()


def test_the_listing_gives_the_id_that_print_case_report_takes(dengue_db: Path, tmp_path: Path, capsys) -> None:
    """README: `notifications` lists them and `print case-report --id ID` prints one: the id is in both outputs."""
    with clock.pinned(dt.datetime(2025, 11, 19, 12, 0)):
        assert main(["notifications", "--db", str(dengue_db)]) == EXIT_OK
        listed = capsys.readouterr().out.splitlines()[0].split()[0]
        assert main(["notifications", "--db", str(dengue_db), "--json"]) == EXIT_OK
        as_json = json.loads(capsys.readouterr().out.splitlines()[0])["id"]
        out = tmp_path / "case.pdf"
        assert main(["print", "case-report", "--db", str(dengue_db), "--id", listed, "--out", str(out)]) == EXIT_OK
    assert listed == str(as_json)
    assert "Vàng A Dình" in " ".join(page.extract_text() for page in PdfReader(out).pages)


def test_the_case_report_names_the_address_once_and_the_diagnosis_by_its_name(store, add_patient, today) -> None:
    """An address already naming its village, commune and province is not followed by them again;
    a visit coded without words shows the catalogue's name of the code."""
    from station_app.printing.case_report import case_report_pdf
    from station_app.store.station import load_profile

    profile = load_profile(store)
    address = f"Thôn Đông, {profile.commune.lower()}, tỉnh {profile.province}"
    patient = add_patient("Lò Văn Pọm", village="Thôn Đông", address=address)
    visit_at = dt.datetime.combine(today, dt.time(8, 0))
    visits.insert(store, Visit(patient_id=patient.id, visit_at=visit_at, diagnosis_code="A97"))
    (found,) = notifications.listing(store, open_only=True)
    text = " ".join(" ".join(page.extract_text().split())
                    for page in PdfReader(io.BytesIO(case_report_pdf(store, found.id))).pages)
    assert text.count("Thôn Đông") == 1, text
    assert "A97 Sốt xuất huyết Dengue" in text


def test_the_case_report_holds_long_and_hostile_texts(dengue_db: Path, tmp_path: Path, capsys) -> None:
    """A complaint of a page and more, markup, control characters, emoji and right-to-left marks:
    the report still prints, every word of it, on as many pages as it needs."""
    long = "Sốt cao liên tục, đau đầu, đau hốc mắt, " * 150 + "HẾT"
    with sqlite3.connect(dengue_db) as db:
        db.execute("UPDATE visits SET complaint = ?, treatment = ?", (long, "<b>Bù dịch</b> & \x01theo dõi 😀 \u202e"))
        db.execute("UPDATE patients SET address = ?", ("x" * 3000,))  # one word wider than a line, many times
    out = tmp_path / "case.pdf"
    with clock.pinned(dt.datetime(2025, 11, 19, 12, 0)):
        code = main(["print", "case-report", "--db", str(dengue_db), "--id", "1", "--out", str(out)])
    assert code == EXIT_OK, capsys.readouterr().err
    text = " ".join(page.extract_text() for page in PdfReader(out).pages)
    assert "HẾT" in text and "<b>Bù dịch</b> &" in text
    assert not (paths.data_dir() / "error.log").exists()


def test_a_missing_notification_is_one_line(dengue_db: Path, tmp_path: Path, capsys) -> None:
    code = main(["print", "case-report", "--db", str(dengue_db), "--id", "9", "--out", str(tmp_path / "x.pdf")])
    err = capsys.readouterr().err
    assert code != EXIT_OK and err.count("\n") == 1 and "9" in err


def test_a_visit_corrected_to_a_notifiable_diagnosis_is_notified(store, add_patient, today) -> None:

    from station_app.store import corrections

    person = add_patient("Lý Thị Sen", sex="2", birth="1990")
    visit = visits.insert(store, Visit(patient_id=person.id, visit_at=SEEN, complaint="Sốt", diagnosis_code="R50"))
    assert notifications.listing(store) == []
    corrections.amend_visit(store, replace(visit, diagnosis_code="B05", diagnosis_text="Sởi"), "Có phát ban")
    [n] = notifications.listing(store)
    assert (n.source_id, n.disease) == (visit.id, "measles")
