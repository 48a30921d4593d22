"""Sao lưu in the settings: back up now (with a copy on the "USB" folder), an encrypted copy, a
restore that reopens the app on the restored file; the automatic backup at start-up; the offer to
restore the latest good backup when the file is damaged."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from station_app.domain.dates import PartialDate
from station_app.domain.patient import Patient
from station_app.store import backup, errors, open_store, patients
from station_app.ui import dialogs
from station_app.ui.views import backups
from station_app.ui.views.backups import BackupsBox, PassphraseDialog, RestoreCompareDialog, RestoreDialog

PASS = "trạm y tế xã 2025"


@pytest.fixture
def choosers() -> Iterator[dict[str, str]]:
    """Answers for the folder and file choosers: ``choosers["folder"] = path``."""
    answers: dict[str, str] = {"folder": "", "file": ""}
    backups.choose_folder = lambda _parent, _title, _start: answers["folder"]
    backups.choose_file = lambda _parent, _title, _start: answers["file"]
    try:
        yield answers
    finally:
        backups.choose_folder = None
        backups.choose_file = None
        dialogs.fill = None


def box_of(session) -> BackupsBox:
    view = session.window.show_area("settings")
    return view.backups


def wait_done(qtbot, box: BackupsBox) -> None:
    qtbot.waitUntil(lambda: box._op is None or not box._op.running, timeout=20000)
    qtbot.waitUntil(lambda: box._op is None, timeout=20000)


def fill_with(*steps: Callable[[QDialog], bool]) -> None:
    """The next form dialogs are answered by ``steps``, in order."""
    queue = list(steps)

    def answer(dialog: QDialog) -> bool:
        return queue.pop(0)(dialog)

    dialogs.fill = answer


def test_back_up_now_with_a_copy_in_the_second_folder(session, qtbot, choosers, tmp_path) -> None:
    box = box_of(session)
    assert box.isVisible()
    assert box.last.text() == "chưa có"  # no backup yet, in Vietnamese
    usb = tmp_path / "usb"
    usb.mkdir()
    choosers["folder"] = str(usb)
    box.choose_second()
    assert box.second.text() == str(usb) and backups.second_folder() == usb

    qtbot.mouseClick(box.backup_now, Qt.MouseButton.LeftButton)
    wait_done(qtbot, box)
    (made,) = backup.backups(backups.backup_folder(), session.store.path)
    assert (usb / made.path.name).read_bytes() == made.path.read_bytes()
    assert box.last.text() == backups.when_text(made)
    kind, _title, text = dialogs.shown[-1]
    assert kind == "info" and str(made.path) in text and str(usb) in text
    logged = session.store.query("SELECT action, details FROM audit_log WHERE action = 'backup'")
    assert logged and made.path.name in logged[-1]["details"]


def test_a_second_folder_that_is_not_there_is_a_warning_not_a_failure(session, qtbot, choosers, tmp_path) -> None:
    box = box_of(session)
    backups.set_second_folder(tmp_path / "unplugged-stick")
    box.make_backup()
    wait_done(qtbot, box)
    assert backup.latest(backups.backup_folder(), session.store.path) is not None
    kind, _title, text = dialogs.shown[-1]
    assert kind == "warning" and "USB" in text
    assert not (tmp_path / "unplugged-stick").exists()


def test_encrypted_copy_for_outside_the_station(session, qtbot, choosers, tmp_path) -> None:
    box = box_of(session)
    out = tmp_path / "district"
    out.mkdir()
    choosers["folder"] = str(out)
    problems: list[str] = []

    def type_passphrase(dialog: QDialog) -> bool:
        assert isinstance(dialog, PassphraseDialog)
        dialog.first.setText("ngắn")
        dialog.second.setText("ngắn")
        dialog.accept()  # refused: too short, the dialog stays open with the reason
        problems.append(dialog.problem.text())
        dialog.first.setText(PASS)
        dialog.second.setText(PASS + "x")
        dialog.accept()
        problems.append(dialog.problem.text())
        dialog.second.setText(PASS)
        return True

    fill_with(type_passphrase)
    box.export_encrypted()
    wait_done(qtbot, box)
    assert "8" in problems[0] and problems[1] == "Hai cụm mật khẩu không giống nhau."
    (sealed,) = out.iterdir()
    assert backup.is_encrypted(sealed)
    plain = backup.decrypt_file(sealed, tmp_path / "plain.sqlite3", PASS)
    assert backup.verify_plain(plain) > 0


def pick_first(dialog: QDialog) -> bool:
    assert isinstance(dialog, RestoreDialog)
    assert dialog.list.count() >= 1
    dialog.list.setCurrentRow(0)
    return True


def confirm(seen: list[RestoreCompareDialog], *, tick: bool = False, ok: bool = True) -> Callable[[QDialog], bool]:
    """Answer the dialog that shows both stations (kept in ``seen``): OK or Cancel, the box ticked or not."""

    def answer(dialog: QDialog) -> bool:
        assert isinstance(dialog, RestoreCompareDialog)
        seen.append(dialog)
        if tick:
            dialog.confirm_other.setChecked(True)
        return ok

    return answer


def test_restore_reopens_the_app_on_the_restored_file(session, qtbot, choosers, answers, tmp_path) -> None:
    store = session.store
    count = patients.count(store)
    made = backup.make_backup(store.path, backups.backup_folder())
    patients.insert(store, Patient("Người Sau Sao Lưu", "1", PartialDate(1990)))
    assert patients.count(store) == count + 1
    box = box_of(session)
    seen: list[RestoreCompareDialog] = []
    fill_with(pick_first, confirm(seen))  # the backup chosen, then both stations shown: OK
    box.restore_backup()
    qtbot.waitUntil(lambda: session.store is not store, timeout=20000)
    assert patients.count(session.store) == count  # the window now works on the restored file
    assert session.window.ctx.store is session.store
    assert session.window.current_area() == "settings"
    shown = seen[0]
    assert shown.confirm_other.isHidden() and not shown.other_station  # the same station: no extra step
    assert shown.cell("patients", 0) == str(count + 1) and shown.cell("patients", 1) == str(count)
    assert shown.cell("made", 1) == backup.read_record(made).made.strftime("%d/%m/%Y %H:%M")  # type: ignore[union-attr]
    kinds = [k for k, _t, _x in dialogs.shown]
    assert kinds[-1] == "info"
    aside = [p for p in session.store.path.parent.iterdir() if ".before-restore-" in p.name]
    assert len(aside) == 1
    conn = sqlite3.connect(aside[0])
    assert conn.execute("SELECT count(*) FROM patients").fetchone()[0] == count + 1  # nothing lost
    conn.close()
    # Still usable: a patient can be saved in the restored database.
    patients.insert(session.store, Patient("Sau Khôi Phục", "2", PartialDate(1991)))


def test_restore_refused_without_confirmation_or_with_a_bad_file(session, qtbot, choosers, answers, tmp_path) -> None:
    store = session.store
    box = box_of(session)
    backup.make_backup(store.path, backups.backup_folder())
    fill_with(pick_first, confirm([], ok=False))  # the head says no once both stations are shown
    box.restore_backup()
    wait_done(qtbot, box)
    assert session.store is store and box._op is None
    assert not [p for p in store.path.parent.iterdir() if p.name.endswith(".restoring")]  # nothing left staged

    bad = tmp_path / "not-a-backup.sqlite3"
    bad.write_text("hello\n" * 100)
    choosers["file"] = str(bad)

    def other_file(dialog: QDialog) -> bool:
        assert isinstance(dialog, RestoreDialog)
        dialog._other()
        assert dialog.chosen() == bad
        return True

    answers.yes = True
    fill_with(other_file)
    box.restore_backup()
    wait_done(qtbot, box)
    assert session.store is store
    kind, _title, text = dialogs.shown[-1]
    assert kind == "error" and str(bad) in text
    assert patients.count(store) > 0  # the open database is untouched and still in use


def another_station(tmp_path: Path) -> Path:
    """A backup of another station: another name and facility code, two patients."""
    from station_app.store import station

    other = tmp_path / "other" / "tram.sqlite3"
    store = open_store(other)
    try:
        station.save_profile(store, station.StationProfile(name="Trạm Y tế xã Phú Mỹ", facility_code="05678"))
        for name in ("Lê Văn Một", "Lê Thị Hai"):
            patients.insert(store, Patient(name, "1", PartialDate(1980)))
    finally:
        store.close()
    return backup.make_backup(other, tmp_path / "other-backups")


def test_another_stations_backup_is_shown_beside_this_one_and_needs_a_tick(session, qtbot, choosers,
                                                                          tmp_path) -> None:
    from station_app.store import station

    store = session.store
    ours = station.load_profile(store)
    count = patients.count(store)
    theirs = another_station(tmp_path)
    choosers["file"] = str(theirs)

    def other_file(dialog: QDialog) -> bool:
        assert isinstance(dialog, RestoreDialog)
        dialog._other()
        return True

    box = box_of(session)
    seen: list[RestoreCompareDialog] = []
    # OK without ticking "replace with the other station's records": refused, nothing restored.
    fill_with(other_file, confirm(seen, tick=False))
    box.restore_backup()
    wait_done(qtbot, box)
    assert session.store is store and patients.count(store) == count
    shown = seen[0]
    assert shown.other_station and not shown.confirm_other.isHidden()
    assert shown.cell("station", 0) == ours.name and shown.cell("station", 1) == "Trạm Y tế xã Phú Mỹ"
    assert shown.cell("code", 0) == ours.facility_code and shown.cell("code", 1) == "05678"
    assert shown.cell("patients", 0) == str(count) and shown.cell("patients", 1) == "2"
    assert "another station" in shown.warning.text().lower() or "trạm khác" in shown.warning.text()
    assert not [p for p in store.path.parent.iterdir() if p.name.endswith(".restoring")]
    # Ticked: restored, and the audit entry says it was another station's.
    fill_with(other_file, confirm(seen, tick=True))
    box.restore_backup()
    qtbot.waitUntil(lambda: session.store is not store, timeout=20000)
    assert patients.count(session.store) == 2
    assert station.load_profile(session.store).facility_code == "05678"
    from station_app.store import audit

    entry = audit.entries(session.store, audit.Filter(action=audit.RESTORE))[0]
    assert entry.details.get("other_station") is True


def test_a_nurse_may_not_restore(session, choosers) -> None:
    from station_app.domain.accounts import Actor, Role

    session.store.actor = Actor(None, "lan", "Nguyễn Thị Lan", Role.NURSE)
    box = box_of(session)
    box.restore_backup()
    kind, title, _text = dialogs.shown[-1]
    assert kind == "error" and title == "Không được phép"
    assert dialogs.fill is None  # no dialog was even opened


def test_the_automatic_backup_at_start_up_runs_once_a_day(session, qtbot) -> None:
    op = session.backup_op = backups.start(session.store, session.window)
    assert op is not None
    qtbot.waitUntil(lambda: not op.running, timeout=20000)
    assert len(backup.backups(backups.backup_folder(), session.store.path)) == 1
    assert "Bản sao lưu" in session.window.statusBar().currentMessage()
    session.backup_op = backups.start(session.store, session.window)
    assert session.backup_op is None  # not due again the same day
    backups.finish(session.backup_op, session.store)
    assert len(backup.backups(backups.backup_folder(), session.store.path)) == 1


def test_a_damaged_file_offers_the_latest_intact_backup(demo_copy, answers, tmp_path) -> None:
    from tests.safety.test_backups import damage_pages

    made = backup.make_backup(demo_copy, backups.backup_folder())
    good = backup.backups(backups.backup_folder(), demo_copy)[0]
    assert good.path == made
    damage_pages(demo_copy, range(20, 60))
    with pytest.raises(errors.Corrupt) as caught:
        open_store(demo_copy)
    answers.yes = True
    assert backups.offer_restore(None, demo_copy, caught.value)
    kind, _title, text = answers.asked[-1]
    assert kind == "question" and backups.when_text(good) in text
    store = open_store(demo_copy)
    try:
        assert store.integrity_problems() == []
    finally:
        store.close()


def test_a_damaged_file_without_any_backup(demo_copy, answers) -> None:
    from tests.safety.test_backups import damage_pages

    damage_pages(demo_copy, range(20, 60))
    with pytest.raises(errors.Corrupt) as caught:
        open_store(demo_copy)
    assert not backups.offer_restore(None, demo_copy, caught.value)
    kind, _title, text = answers.asked[-1]
    assert kind == "error" and str(backups.backup_folder()) in text


def test_no_backup_is_left_half_written(session, qtbot, choosers, monkeypatch) -> None:
    """A backup that fails its check leaves nothing with a backup's name."""
    box = box_of(session)
    monkeypatch.setattr(backup, "_integrity", lambda conn: False)
    box.make_backup()
    wait_done(qtbot, box)
    assert backup.backups(backups.backup_folder(), session.store.path) == []
    assert [p.name for p in Path(backups.backup_folder()).iterdir()] == []
    assert dialogs.shown[-1][0] == "error"


def test_damage_found_by_the_start_up_check_stops_the_app(demo_copy, make_session, qtbot, monkeypatch) -> None:
    """The app checks every page on a worker thread while it starts and the person begins work:
    damage found there (here in pages the start-up itself never reads) is reported, once.
    (tests/ui/test_damaged_start.py starts the app the real way, with damage found before and after
    the login.)"""
    import threading

    from station_app.store import database
    from tests.safety.test_backups import damage_pages

    with sqlite3.connect(demo_copy) as conn:  # the ICD-10 list: read by the diagnosis picker only
        pages = [n - 1 for (n,) in conn.execute("SELECT pageno FROM dbstat WHERE name = 'icd10'")]
    conn.close()
    damage_pages(demo_copy, pages[1:])
    started = threading.Event()
    real = database._quick_check_once
    monkeypatch.setattr(database, "_quick_check_once", lambda path: (started.wait(30), real(path))[1])
    session = make_session(demo_copy)
    started.set()  # the check of a large station ends after the window is up
    assert session.window.isVisible(), "the window does not wait for the check"
    found: list[errors.StoreError] = []
    session.watch_check(found.append)
    qtbot.waitUntil(lambda: bool(found), timeout=10_000)
    assert isinstance(found[0], errors.Corrupt) and session.damage is found[0]
    assert "backup" in found[0].text("en")


def test_an_intact_file_passes_the_start_up_check_silently(session, qtbot) -> None:
    found: list[errors.StoreError] = []
    session.watch_check(found.append)
    qtbot.waitUntil(lambda: session.check is None or session.check.done(), timeout=10_000)
    qtbot.wait(150)
    assert found == [] and session.damage is None


def test_an_unhandled_database_error_is_a_message_and_a_log_line(tmp_data_dir, answers) -> None:
    import sqlite3 as sql

    from station_app.ui.app import _report_error

    damaged = sql.DatabaseError("database disk image is malformed")
    damaged.sqlite_errorcode = 11  # type: ignore[attr-defined]  # SQLITE_CORRUPT, as SQLite sets it
    try:
        raise damaged
    except sql.DatabaseError as exc:
        _report_error(tmp_data_dir / "station.sqlite3", None, type(exc), exc, exc.__traceback__)
    ((kind, _title, text),) = answers.asked
    assert kind == "error" and "bị hỏng" in text and "Traceback" not in text
    assert "Traceback" in (tmp_data_dir / "error.log").read_text(encoding="utf-8")
