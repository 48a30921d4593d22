"""import --what births|deaths with the contract's keys: all or nothing with errors by row, twins as
one delivery, idempotent, the baby registered with its birth doses, the death closing follow-ups."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from station_app import clock
from station_app.cli import EXIT_FINDINGS, EXIT_OK, main
from station_app.domain.dates import PartialDate
from station_app.domain.followup import Kind
from station_app.domain.patient import Patient
from station_app.store import audit, births, followups, open_store, patients

BIRTHS = (
    "mother_record_no,citizen_id,child_name,sex,born_at,place,attendant,weight_grams,hepb_at,bcg_at\n"
    "{hoa},,,nam,18/11/2025 22:40,TTYT huyện Mường Tè,Hà Thị Liên,3100,19/11/2025 08:40,19/11/2025 10:00\n"
    ",{do_id},Mùa Thị Mai,nữ,02/11/2025 05:00,tại nhà,Mẹ chồng,2300,,\n"
    ",{do_id},Mùa A Sử,1,02/11/2025 05:00,tại nhà,Mẹ chồng,2100,,\n"
)
DEATHS = (
    "record_no,citizen_id,insurance_no,full_name,birth_date,died_on,place,cause_code\n"
    "{tam},,,,,07/11/2025,nhà,i64\n"
    ",,,Lò Văn Pành,1960,15/11/2025,Bệnh viện huyện,A15\n"
)


@pytest.fixture
def db(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    path = tmp_path / "station.sqlite3"
    store = open_store(path)
    with clock.pinned(dt.datetime(2025, 11, 28, 12, 0)):
        hoa = patients.insert(store, Patient("Lò Thị Hoa", "2", PartialDate(1998)))
        patients.insert(store, Patient("Mùa Thị Dợ", "2", PartialDate(2002), citizen_id="011302001234"))
        tam = patients.insert(store, Patient("Đinh Văn Tâm", "1", PartialDate(1950)))
        patients.insert(store, Patient("Lò Văn Pành", "1", PartialDate(1960)))
        followups.add_item(store, tam.id, Kind.REVISIT, "Tái khám", dt.date(2025, 12, 1))
    store.close()
    return path, {"hoa": hoa.record_no or "", "do_id": "011302001234", "tam": tam.record_no or ""}


def _run(path: Path, tmp_path: Path, text: str, what: str, capsys) -> tuple[int, str, str]:
    source = tmp_path / f"{what}.csv"
    source.write_text(text, encoding="utf-8")
    with clock.pinned(dt.datetime(2025, 11, 28, 12, 0)):
        code = main(["import", "--db", str(path), str(source), "--what", what])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_births_register_babies_with_their_doses_twins_as_one_delivery_and_twice_adds_nothing(
        db, tmp_path: Path, capsys) -> None:
    path, ids = db
    code, out, _err = _run(path, tmp_path, BIRTHS.format(**ids), "births", capsys)
    assert code == EXIT_OK and "Đã nhập 2 cuộc đẻ (3 trẻ)" in out
    store = open_store(path)
    hoa = patients.by_record_no(store, ids["hoa"])
    [delivery] = births.deliveries_of(store, hoa.id)
    assert (delivery.place, delivery.place_name, delivery.attendant) == ("facility", "TTYT huyện Mường Tè",
                                                                          "Hà Thị Liên")
    child = delivery.babies[0].child_id
    assert patients.get(store, child).full_name == "Con bà Lò Thị Hoa"
    assert {d.series for d in followups.given_doses(store, child)} == {"hepb0", "bcg"}
    do = store.query("SELECT id FROM patients WHERE citizen_id = '011302001234'")[0]["id"]
    [twins] = births.deliveries_of(store, do)
    assert [b.name for b in twins.babies] == ["Mùa Thị Mai", "Mùa A Sử"] and twins.place == "home"
    assert audit.entries(store, audit.Filter(action=audit.IMPORT))[0].details["added"] == 2
    store.close()
    code, out, _err = _run(path, tmp_path, BIRTHS.format(**ids), "births", capsys)
    assert code == EXIT_OK and "đã có từ trước" in out and "Đã nhập 0 cuộc đẻ" in out


def test_a_wrong_row_imports_nothing_and_names_its_row_and_field(db, tmp_path: Path, capsys) -> None:
    path, ids = db
    text = BIRTHS.format(**ids) + f"{ids['tam']},,,nữ,31/11/2025 9:00,,,90000,,\n"
    code, _out, err = _run(path, tmp_path, text, "births", capsys)
    assert code == EXIT_FINDINGS
    assert "Dòng 5, Ngày giờ sinh" in err and "Dòng 5, Số hồ sơ của mẹ" in err
    store = open_store(path)
    assert store.scalar("SELECT count(*) FROM deliveries") == 0
    store.close()


def test_a_twin_born_minutes_later_is_not_a_second_delivery(db, tmp_path: Path, capsys) -> None:
    """Rows of one mother at one time are twins; the same mother at another time within months is a
    mistake (a twin's own time, a wrong date), named by its row, and nothing is imported."""
    path, ids = db
    text = BIRTHS.replace("Mùa A Sử,1,02/11/2025 05:00", "Mùa A Sử,1,02/11/2025 05:20").format(**ids)
    code, _out, err = _run(path, tmp_path, text, "births", capsys)
    assert code == EXIT_FINDINGS and "Dòng 4, Ngày giờ sinh" in err and "02/11/2025" in err
    store = open_store(path)
    assert store.scalar("SELECT count(*) FROM deliveries") == 0
    store.close()


def test_deaths_close_follow_ups_and_count_once(db, tmp_path: Path, capsys) -> None:
    path, ids = db
    code, out, _err = _run(path, tmp_path, DEATHS.format(**ids), "deaths", capsys)
    assert code == EXIT_OK and "Đã nhập 2 trường hợp tử vong" in out
    store = open_store(path)
    tam = patients.by_record_no(store, ids["tam"])
    death = births.death_of(store, tam.id)
    assert (death.died_on, death.place, death.cause_code) == (dt.date(2025, 11, 7), "home", "I64")
    assert followups.patient_items(store, tam.id, open_only=True) == []
    panh = store.query("SELECT id FROM patients WHERE full_name = 'Lò Văn Pành'")[0]["id"]
    assert births.death_of(store, panh).place_name == "Bệnh viện huyện"
    store.close()
    code, out, _err = _run(path, tmp_path, DEATHS.format(**ids), "deaths", capsys)
    assert "Đã nhập 0 trường hợp tử vong; 2 dòng đã có từ trước." in out


@pytest.mark.parametrize(("what", "text", "column"), [
    ("deaths", DEATHS.splitlines(keepends=True)[0] + ",,,Lò Văn Pành,1960,15/11/2025,Bệnh viện huyện,A15\n"
     "{tam},,,,,07/11/1945,nhà,I64\n", "Ngày tử vong"),
    ("births", "mother_record_no,sex,born_at,weight_grams\n{hoa},nam,18/11/1990 22:40,3100\n", "Ngày giờ sinh"),
])
def test_a_date_before_the_persons_own_birth_is_a_row_error_and_nothing_is_saved(
        db, tmp_path: Path, capsys, what: str, text: str, column: str) -> None:
    """Đinh Văn Tâm was born in 1950, Lò Thị Hoa in 1998: a death in 1945, a child born in 1990 are
    the row's mistakes, named with the row and the column like every other, not a refusal of the
    whole file at the moment of saving. (A good row beside the wrong one is not saved either.)"""
    path, ids = db
    code, _out, err = _run(path, tmp_path, text.format(**ids), what, capsys)
    assert code == EXIT_FINDINGS, err
    row = 3 if what == "deaths" else 2
    assert f"Dòng {row}, {column}" in err and "Lỗi:" not in err, err
    assert err.count("Dòng ") == 1
    store = open_store(path)
    assert store.scalar("SELECT count(*) FROM deaths") == 0 and store.scalar("SELECT count(*) FROM deliveries") == 0
    store.close()
