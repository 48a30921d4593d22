"""A station's history brought in (issue 17, §3): ``import --what vaccinations`` and
``import --what visits`` with the contract's English keys or a station's Vietnamese headers;
all or nothing, errors by row number, a row's patient found by any one identifier, idempotent,
audited; imported doses enrol the child so the missing doses appear, imported visits close and
schedule follow-ups in date order as the visit form does."""

from __future__ import annotations

import csv
import datetime as dt
from contextlib import contextmanager
from pathlib import Path

import pytest
from openpyxl import Workbook

from station_app import clock
from station_app.cli import EXIT_FINDINGS, EXIT_OK, main
from station_app.domain.accounts import Permission
from station_app.domain.births import Death, Place
from station_app.domain.dates import PartialDate
from station_app.domain.followup import Kind, Status
from station_app.domain.patient import Patient
from station_app.store import Store, audit, births, followups, open_store, patients, visits

NOW = dt.datetime(2026, 12, 5, 10, 0)


@pytest.fixture(autouse=True)
def pinned():
    with clock.pinned(NOW):
        yield


@pytest.fixture
def station(tmp_path: Path) -> tuple[Path, dict[str, Patient]]:
    """Registered patients: a child of 3 (past the age of automatic enrolment), a baby, a
    hypertensive man, and two women of the same name and birth year."""
    db = tmp_path / "tram.sqlite3"
    store = open_store(db)
    try:
        people = {
            "bao": patients.insert(store, Patient("Vũ Gia Bảo", "1", PartialDate(2023, 6, 1),
                                                  citizen_id="001223004567")),
            "an": patients.insert(store, Patient("Lê Minh An", "1", PartialDate(2026, 9, 1),
                                                 insurance_no="TE1010123456789")),
            "loi": patients.insert(store, Patient("Hoàng Văn Lợi", "1", PartialDate(1956, 4, 2))),
            "lan1": patients.insert(store, Patient("Phạm Thị Lan", "2", PartialDate(1970))),
            "lan2": patients.insert(store, Patient("Phạm Thị Lan", "2", PartialDate(1970, 5, 5))),
        }
    finally:
        store.close()
    return db, people


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["--lang", "en", *argv])
    out, err = capsys.readouterr()
    return code, out, err


VACCINATION_KEYS = ["record_no", "citizen_id", "insurance_no", "full_name", "birth_date", "vaccine", "date", "place"]


def _vaccinations(tmp_path: Path, people: dict[str, Patient]) -> Path:
    bao_record = people["bao"].record_no
    return write_csv(tmp_path / "tiem-chung.csv", VACCINATION_KEYS, [
        [bao_record, "", "", "", "", "BCG", "02/06/2023", "Bệnh viện huyện"],
        [bao_record, "", "", "", "", "VGB sơ sinh", "01/06/2023", "Bệnh viện huyện"],
        ["", "001223004567", "", "", "", "DPT-VGB-Hib 1", "03/08/2023", "Trạm"],
        ["", "001223004567", "", "", "", "DPT-VGB-Hib 2", "05/09/2023", "Trạm"],
        ["", "001223004567", "", "", "", "DPT-VGB-Hib 3", "04/10/2023", "Trạm"],
        ["", "", "", "Vũ Gia Bảo", "01/06/2023", "OPV 1", "03/08/2023", "Trạm"],
        ["", "", "", "vu gia bao", "01/06/2023", "OPV 2", "05/09/2023", "Trạm"],
        ["", "", "", "Vũ Gia Bảo", "01/06/2023", "OPV 3", "04/10/2023", "Trạm"],
        [bao_record, "", "", "", "", "Sởi", "02/03/2024", "Trạm"],
        [bao_record, "", "", "", "", "VNNB 1", "03/11/2025", "Phòng khám tư"],
        [bao_record, "", "", "", "", "VNNB mũi 2", "10/11/2025", "Phòng khám tư"],
        ["", "", "TE1010123456789", "", "", "VGB sơ sinh", "01/09/2026", "Trạm"],
    ])


def test_vaccinations_count_wherever_given_and_the_missing_doses_appear(capsys, tmp_path, station) -> None:
    db, people = station
    path = _vaccinations(tmp_path, people)
    code, out, err = run(capsys, "import", "--db", str(db), str(path), "--what", "vaccinations")
    assert code == EXIT_OK, err
    assert "Imported 12 vaccine doses of 2 children; 0 already recorded." in out
    store = open_store(db)
    try:
        bao = people["bao"].id
        given = {(g.series, g.dose): (g.given_on, g.place) for g in followups.given_doses(store, bao)}
        assert given[("je", 2)] == (dt.date(2025, 11, 10), "Phòng khám tư")
        assert given[("dpt_vgb_hib", 1)] == (dt.date(2023, 8, 3), followups.vi("this station"))
        assert [e.programme for e in followups.enrolments(store, bao)] == ["vaccination"]
        due = {followups.rule_of(store, int(i.id)): i.due_date for i in followups.patient_items(store, bao, True)}
        # The late Japanese encephalitis dose 3 (a year after dose 2), and the doses never given.
        assert due["vaccine:je:3"] == dt.date(2026, 11, 10)
        assert "vaccine:mr:1" in due and "vaccine:dpt_booster:4" in due and "vaccine:ipv:1" in due
        assert not any(rule.startswith(("vaccine:bcg", "vaccine:opv", "vaccine:dpt_vgb_hib")) for rule in due)
        entries = audit.entries(store, audit.Filter(action=audit.IMPORT))
        assert entries[0].details["what"] == "vaccinations" and entries[0].details["imported"] == 12
    finally:
        store.close()
    # The same file again adds nothing.
    code, out, err = run(capsys, "import", "--db", str(db), str(path), "--what", "vaccinations")
    assert code == EXIT_OK, err
    assert "Imported 0 vaccine doses of 0 children; 12 already recorded." in out
    store = open_store(db)
    try:
        assert len(followups.given_doses(store, people["bao"].id)) == 11
    finally:
        store.close()


def test_a_wrong_row_imports_nothing_and_each_problem_names_its_row(capsys, tmp_path, station) -> None:
    db, people = station
    path = write_csv(tmp_path / "tiem-chung.csv", VACCINATION_KEYS, [
        [people["bao"].record_no, "", "", "", "", "BCG", "02/06/2023", ""],
        ["", "", "", "Phạm Thị Lan", "1970", "Sởi", "02/03/1971", ""],  # two patients match
        ["", "999999999999", "", "", "", "BCG", "02/06/2023", ""],  # nobody
        [people["bao"].record_no, "", "", "", "", "Thuốc bổ", "02/06/2023", ""],
        [people["bao"].record_no, "", "", "", "", "OPV 4", "02/06/2023", ""],
        [people["bao"].record_no, "", "", "", "", "BCG", "02/06/2022", ""],  # before birth
        ["", "", "", "Vũ Gia Bảo", "", "BCG", "02/06/2023", ""],  # a name without the birth date
    ])
    code, _out, err = run(capsys, "import", "--db", str(db), str(path), "--what", "vaccinations")
    assert code == EXIT_FINDINGS
    lines = err.splitlines()
    assert lines[0].startswith("Row 3, Patient: The row matches several patients (Phạm Thị Lan (")
    assert lines[1] == "Row 4, Patient: No registered patient has the citizen ID 999999999999."
    assert lines[2].startswith('Row 5, Vaccine and dose: "Thuốc bổ" is not a vaccine of the schedule')
    assert lines[3] == 'Row 6, Vaccine and dose: "OPV 4": OPV has no dose 4.'
    assert lines[4].startswith("Row 7, Date given: The date is before the patient's date of birth")
    assert lines[5].startswith("Row 8, Patient: Name the patient:")
    assert lines[-1] == "6 rows are invalid: nothing was imported. Correct them and import the file again."
    store = open_store(db)
    try:
        assert followups.given_doses(store, people["bao"].id) == []
    finally:
        store.close()


def _workbook(path: Path, headers: list[str], rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["SỔ TIÊM CHỦNG TRẺ EM — TRẠM Y TẾ XÃ TÂN PHÚ"])
    sheet.append([])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_vaccinations_with_the_stations_vietnamese_headers(capsys, tmp_path, station) -> None:
    db, people = station
    path = _workbook(tmp_path / "so-tiem-chung.xlsx", ["STT", "Họ và tên trẻ", "Ngày sinh", "Vắc xin", "Ngày tiêm",
                                                       "Nơi tiêm"], [
        [1, "Lê Minh An", dt.datetime(2026, 9, 1), "VGB sơ sinh", dt.datetime(2026, 9, 1), "Tại trạm"],
        [2, "Lê Minh An", "01/09/2026", "BCG", "15/09/2026", "Tại trạm"],
        [3, "Lê Minh An", "01/09/2026", "DPT-VGB-Hib 1", "03/11/2026", "Tại trạm"],
    ])
    code, _out, err = run(capsys, "import", "--db", str(db), str(path), "--what", "vaccinations")
    assert code == EXIT_OK, err
    store = open_store(db)
    try:
        an = people["an"].id
        assert {(g.series, g.dose) for g in followups.given_doses(store, an)} == {
            ("hepb0", 1), ("bcg", 1), ("dpt_vgb_hib", 1)}
        due = {followups.rule_of(store, int(i.id)): i.due_date for i in followups.patient_items(store, an, True)}
        assert due["vaccine:dpt_vgb_hib:2"] == dt.date(2026, 12, 1)  # 3 months of age (28 days after dose 1)
    finally:
        store.close()


VISIT_KEYS = ["record_no", "citizen_id", "insurance_no", "full_name", "birth_date", "visit_at", "complaint",
              "diagnosis_code", "treatment", "bp", "pulse", "temperature", "weight", "height", "glucose",
              "follow_up_date", "clinician", "insurance_paid"]


def test_visits_run_the_rules_of_the_visit_form_in_date_order(capsys, tmp_path, station) -> None:
    db, people = station
    loi = people["loi"].record_no
    # Written out of order: the rules run by date.
    path = write_csv(tmp_path / "luot-kham.csv", VISIT_KEYS, [
        [loi, "", "", "", "", "05/11/2026 08:30", "Tái khám", "I10", "Amlodipin 5mg x 30 ngày", "150/95", "80",
         "36,8", "62", "160", "", "", "Y sĩ Mai", "Có"],
        [loi, "", "", "", "", "06/09/2026 09:00", "Đau đầu", "I10; E11.9", "Amlodipin", "165/100", "", "", "", "",
         "8.2", "06/10/2026", "Y sĩ Mai", "1"],
        ["", "", "", "Hoàng Văn Lợi", "02/04/1956", "06/10/2026 07:45", "Tái khám", "I10", "Amlodipin", "145/90",
         "", "", "", "", "", "", "BS Hùng", "Không"],
    ])
    code, out, err = run(capsys, "import", "--db", str(db), str(path), "--what", "visits")
    assert code == EXIT_OK, err
    assert "Imported 3 visits of 1 patients; 0 already recorded." in out
    store = open_store(db)
    try:
        pid = people["loi"].id
        held = visits.for_patient(store, pid)
        assert [v.visit_at for v in held] == [dt.datetime(2026, 11, 5, 8, 30), dt.datetime(2026, 10, 6, 7, 45),
                                              dt.datetime(2026, 9, 6, 9, 0)]
        last, _, first = held
        assert (last.bp_systolic, last.bp_diastolic, last.pulse, last.temperature, last.weight) == (
            150, 95, 80, 36.8, 62)
        assert last.insurance_paid and not held[1].insurance_paid and first.insurance_paid
        assert first.diagnosis_code == "I10" and [d.code for d in first.extra_diagnoses] == ["E11.9"]
        assert first.glucose == 8.2 and first.clinician_name == "Y sĩ Mai"
        assert "hypertension" in [e.programme for e in followups.enrolments(store, pid)]
        items = followups.patient_items(store, pid)
        refills = [i for i in items if i.kind is Kind.CHRONIC_REFILL]
        assert [i.due_date for i in refills if i.status is Status.OPEN] == [dt.date(2026, 12, 5)]
        assert [i.status for i in refills].count(Status.DONE) == 2  # each closed by the next visit
        [entry] = audit.entries(store, audit.Filter(action=audit.IMPORT))
        assert (entry.details["what"], entry.details["imported"]) == ("visits", 3)
        assert entry.details["file"] == "luot-kham.csv"
        created = audit.entries(store, audit.Filter(action=audit.CREATE, patient_id=pid))
        assert [e.target_type for e in created].count("visit") == 3  # each visit too
    finally:
        store.close()
    code, out, err = run(capsys, "import", "--db", str(db), str(path), "--what", "visits")
    assert code == EXIT_OK, err
    assert "Imported 0 visits of 0 patients; 3 already recorded." in out


def test_visits_with_vietnamese_headers_and_wrong_cells(capsys, tmp_path, station) -> None:
    db, people = station
    headers = ["Mã BN", "Ngày khám", "Lý do khám", "Mã ICD", "Huyết áp", "Ngày hẹn", "Người khám", "BHYT chi trả"]
    good = [people["loi"].record_no, dt.datetime(2026, 11, 5, 8, 30), "Tái khám", "I10", "150/95", "", "Mai", "x"]
    path = _workbook(tmp_path / "so-kham.xlsx", headers, [
        good,
        [people["loi"].record_no, "05/11/2026", "Ho", "J20.9", "150-95", "", "Mai", ""],
        [people["loi"].record_no, "06/11/2026", "Ho", "Z99.99.9", "", "", "Mai", ""],
        [people["loi"].record_no, "07/11/2026", "Ho", "J20.9", "", "01/11/2026", "Mai", "có lẽ"],
    ])
    code, _out, err = run(capsys, "import", "--db", str(db), str(path), "--what", "visits")
    assert code == EXIT_FINDINGS
    lines = err.splitlines()
    assert lines[0] == 'Row 5, Blood pressure: "150-95" is not a blood pressure: write it as 150/95.'
    assert lines[1] == 'Row 6, Diagnosis (ICD-10): "Z99.99.9" is not an ICD-10 code of the catalogue.'
    assert lines[2].startswith('Row 7, Paid by insurance: "có lẽ" is not yes or no')
    assert lines[3] == "Row 7, Next follow-up: The next follow-up must be after the visit."
    store = open_store(db)
    try:
        assert visits.for_patient(store, people["loi"].id) == []
    finally:
        store.close()
    path = _workbook(tmp_path / "so-kham-dung.xlsx", headers, [good])
    code, _out, err = run(capsys, "import", "--db", str(db), str(path), "--what", "visits")
    assert code == EXIT_OK, err
    store = open_store(db)
    try:
        [visit] = visits.for_patient(store, people["loi"].id)
        assert visit.visit_at == dt.datetime(2026, 11, 5, 8, 30) and visit.bp_text == "150/95"
        assert visit.insurance_paid and visit.clinician_name == "Mai"
    finally:
        store.close()


def test_a_file_without_a_patient_column_is_refused_in_one_line(capsys, tmp_path, station) -> None:
    db, _people = station
    path = write_csv(tmp_path / "x.csv", ["vaccine", "date"], [["BCG", "01/01/2026"]])
    code, _out, err = run(capsys, "import", "--db", str(db), str(path), "--what", "vaccinations")
    assert code != EXIT_OK and err.count("\n") == 1 and "Traceback" not in err
    assert "the file needs a record number, citizen ID, insurance number, or full name and date of birth" in err


def test_a_visit_or_a_dose_dated_after_the_patients_death_is_refused_by_row(capsys, tmp_path, station) -> None:
    db, people = station
    store = open_store(db)
    try:
        for who in ("loi", "bao"):
            births.record_death(store, Death(people[who].id, dt.date(2026, 10, 1), Place.HOME, cause_code="I64"))
    finally:
        store.close()
    blank = [""] * (len(VISIT_KEYS) - 7)
    seen = write_csv(tmp_path / "luot-kham.csv", VISIT_KEYS, [
        [people["loi"].record_no, "", "", "", "", "01/10/2026 08:00", "Đau đầu", "I10", *blank],  # the day: kept
        [people["loi"].record_no, "", "", "", "", "05/11/2026 08:30", "Tái khám", "I10", *blank],
    ])
    given = write_csv(tmp_path / "tiem-chung.csv", VACCINATION_KEYS, [
        [people["bao"].record_no, "", "", "", "", "MR", "02/11/2026", ""],
    ])
    code, _out, err = run(capsys, "import", "--db", str(db), str(seen), "--what", "visits")
    assert code == EXIT_FINDINGS
    assert err.splitlines()[0] == "Row 3, Date and time: The visit is after the patient's death (01/10/2026)."
    code, _out, err = run(capsys, "import", "--db", str(db), str(given), "--what", "vaccinations")
    assert code == EXIT_FINDINGS
    assert err.splitlines()[0] == "Row 2, Date given: The dose is after the patient's death (01/10/2026)."
    store = open_store(db)
    try:
        assert visits.for_patient(store, people["loi"].id) == []
        assert followups.given_doses(store, people["bao"].id) == []
    finally:
        store.close()


def test_a_death_saved_just_before_the_import_writes_refuses_the_dose(capsys, tmp_path, station, monkeypatch) -> None:
    """The rows are checked against the deaths inside the import's own write: a death another
    workstation saves after the rows were read, just before the import's write opens, refuses the
    dose given after it, naming its row, and nothing is saved."""
    db, people = station
    given = write_csv(tmp_path / "tiem-chung.csv", VACCINATION_KEYS, [
        [people["bao"].record_no, "", "", "", "", "MR", "02/11/2026", ""],
    ])
    opened = Store.write
    other_desk: list[Store] = []

    @contextmanager
    def write(self: Store, permission, /):
        if permission is Permission.RECORD_VISITS and not other_desk:  # the import's write, about to open
            other_desk.append(open_store(db))
            try:
                births.record_death(other_desk[0], Death(people["bao"].id, dt.date(2026, 10, 1), Place.HOME,
                                                             cause_code="A09"))
            finally:
                other_desk[0].close()
        with opened(self, permission):
            yield

    monkeypatch.setattr(Store, "write", write)
    code, _out, err = run(capsys, "import", "--db", str(db), str(given), "--what", "vaccinations")
    monkeypatch.undo()
    assert other_desk, "the import opened its write"
    assert code == EXIT_FINDINGS
    assert err.splitlines()[0] == "Row 2, Date given: The dose is after the patient's death (01/10/2026)."
    store = open_store(db)
    try:
        assert followups.given_doses(store, people["bao"].id) == []
    finally:
        store.close()
