"""Issue 15, point 8: restoring shows and compares the station of the backup with this database's
(name, facility code, patients, date of the backup) and refuses another station's backup unless
the person confirms (``restore --db FILE --from BACKUP --other-station`` on the command line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from station_app.cli import EXIT_ERROR, EXIT_OK, main
from station_app.domain.accounts import SYSTEM
from station_app.store import audit, backup, open_store, station
from station_app.store import patients as patient_store
from tests.safety.conftest import add_people, fingerprint

PASS = "một cụm mật khẩu dài"


def make_station(path: Path, name: str, code: str, people: int) -> Path:
    store = open_store(path)
    try:
        if name or code:
            station.save_profile(store, station.StationProfile(name=name, facility_code=code))
        add_people(store, people)
    finally:
        store.close()
    return path


@pytest.fixture
def ours(tmp_path: Path) -> Path:
    return make_station(tmp_path / "tram.sqlite3", "Trạm Y tế xã Tân Hòa", "01234", 12)


@pytest.fixture
def theirs(tmp_path: Path) -> Path:
    """A backup of another station (another facility code and name, fewer patients)."""
    other = make_station(tmp_path / "other" / "tram.sqlite3", "Trạm Y tế xã Phú Mỹ", "05678", 3)
    return backup.make_backup(other, tmp_path / "other-backups")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--lang", "en", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_backup_of_this_station_is_restored_and_both_are_shown(ours: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    made = backup.make_backup(ours, tmp_path / "backups")
    record = backup.read_record(made)
    store = open_store(ours)
    add_people(store, 2, start=50)
    store.close()
    code, out, err = run(capsys, "restore", "--db", str(ours), "--from", str(made))
    assert code == EXIT_OK, err
    lines = out.splitlines()
    current = next(line for line in lines if line.startswith("This database"))
    restored = next(line for line in lines if line.startswith("The backup"))
    assert "Trạm Y tế xã Tân Hòa" in current and "01234" in current and "14 patients" in current
    assert "Trạm Y tế xã Tân Hòa" in restored and "01234" in restored and "12 patients" in restored
    assert record.made is not None and record.made.strftime("%d/%m/%Y %H:%M") in restored
    store = open_store(ours)
    try:
        assert patient_store.count(store) == 12
    finally:
        store.close()


def test_another_stations_backup_is_refused_without_the_flag(ours: Path, theirs: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    before = fingerprint(ours)
    code, out, err = run(capsys, "restore", "--db", str(ours), "--from", str(theirs))
    assert code == EXIT_ERROR
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "another station" in err and "--other-station" in err
    assert "Trạm Y tế xã Phú Mỹ" in err and "05678" in err
    assert "Trạm Y tế xã Phú Mỹ" in out and "3 patients" in out and "12 patients" in out  # both shown
    assert fingerprint(ours) == before  # not touched
    assert sorted(p.name for p in ours.parent.iterdir() if p.is_file()) == ["tram.sqlite3"]  # nothing left beside


def test_another_stations_backup_is_restored_with_the_flag(ours: Path, theirs: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "restore", "--db", str(ours), "--from", str(theirs), "--other-station")
    assert code == EXIT_OK, err
    store = open_store(ours)
    try:
        assert patient_store.count(store) == 3
        assert station.load_profile(store).facility_code == "05678"
        entry = audit.entries(store, audit.Filter(action=audit.RESTORE))[0]
        assert entry.details.get("other_station") is True
    finally:
        store.close()
    assert any(".before-restore-" in p.name for p in ours.parent.iterdir())  # ours kept aside


def test_an_encrypted_backup_of_another_station_is_refused_too(ours: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    other = make_station(tmp_path / "far" / "tram.sqlite3", "Trạm Y tế phường 3", "09999", 2)
    sealed = backup.export_encrypted(other, tmp_path / "usb", PASS)
    monkeypatch.setenv("TRAM_BACKUP_PASSPHRASE", PASS)
    before = fingerprint(ours)
    code, _out, err = run(capsys, "restore", "--db", str(ours), "--from", str(sealed))
    assert code == EXIT_ERROR and "another station" in err
    assert fingerprint(ours) == before


def test_a_new_empty_station_takes_any_backup(tmp_path: Path, theirs: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A new PC: the station's own backup restored into a fresh, unnamed file is not "another station"."""
    fresh = make_station(tmp_path / "new" / "tram.sqlite3", "", "", 0)
    code, _out, err = run(capsys, "restore", "--db", str(fresh), "--from", str(theirs))
    assert code == EXIT_OK, err


def test_the_store_refuses_another_station_unless_told(ours: Path, theirs: Path) -> None:
    before = fingerprint(ours)
    with pytest.raises(backup.OtherStation) as refused:
        backup.restore(ours, theirs, by=SYSTEM)
    assert "Trạm Y tế xã Phú Mỹ" in refused.value.text("en") and "05678" in refused.value.text("en")
    assert fingerprint(ours) == before
    backup.restore(ours, theirs, by=SYSTEM, other_station=True)
    assert fingerprint(ours) != before


def test_same_station_is_decided_by_facility_code_then_name() -> None:
    def rec(name: str, code: str) -> backup.BackupRecord:
        return backup.BackupRecord(None, 0, "0" * 64, name, code, 0)

    assert rec("Trạm A", "01").same_station(rec("Trạm A (đổi tên)", "01"))
    assert not rec("Trạm A", "01").same_station(rec("Trạm A", "02"))
    assert rec("Trạm  y tế A", "").same_station(rec("trạm y tế a", "01"))
    assert not rec("Trạm A", "").same_station(rec("Trạm B", ""))
    assert rec("", "").same_station(rec("Trạm B", "02"))


def test_what_is_shown_and_compared_is_what_the_file_holds_not_its_record(
        ours: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A backup whose record says this station while its tables are another's (the record left in a
    copy that was changed afterwards, or written by hand) is the other station: refused, and shown
    with the name, code and patients that would be restored."""
    import sqlite3

    made = backup.make_backup(ours, tmp_path / "backups")
    conn = sqlite3.connect(made)
    with conn:
        conn.execute("UPDATE station SET name = 'Trạm Y tế xã Phú Mỹ', facility_code = '05678'")
        conn.execute("DELETE FROM patients WHERE id > 3")
    conn.close()
    before = fingerprint(ours)
    code, out, err = run(capsys, "restore", "--db", str(ours), "--from", str(made))
    assert code == EXIT_ERROR and "another station" in err and "05678" in err
    restored = next(line for line in out.splitlines() if line.startswith("The backup"))
    assert "Trạm Y tế xã Phú Mỹ" in restored and "3 patients" in restored
    assert fingerprint(ours) == before
