"""Nhắc hẹn: the sections and their counts, recording call outcomes from the keyboard and the
buttons (the rows move section, the Today counts follow), the filters, the exports, the patient's
Follow-ups and Programmes tabs, and the Programmes row of the visit form.

The database is built here, small and known: an adult overdue for a revisit, a hypertensive man
with an overdue refill (high risk), a child under 2 behind on vaccines, a woman due this week and
two more adults for the removal tests.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from station_app import clock
from station_app.domain.dates import parse_partial_date
from station_app.domain.followup import OutcomeKind, RemovalReason, Section
from station_app.domain.patient import Patient
from station_app.domain.visit import Visit
from station_app.i18n import tr
from station_app.store import Store, followups, open_store, patients, visits
from station_app.ui import dialogs, wiring
from station_app.ui.context import Change
from station_app.ui.views.followups import (
    SECTIONS,
    FollowUpModel,
    FollowUpsView,
    RemindLaterDialog,
    RemoveDialog,
)
from station_app.ui.views.patient_followups import (
    AddFollowUpDialog,
    CloseProgrammeDialog,
    EnrolDialog,
    FollowUpsTab,
    ProgrammesTab,
    RecordDoseDialog,
)

pytestmark = pytest.mark.gui

TODAY = dt.date(2025, 11, 20)  # tests/conftest.py pins the clock to this day
CHILD_BIRTH = dt.date(2025, 1, 15)


def _add(store: Store, name: str, sex: str, birth: str, village: str, phone: str,
         registered: dt.date = TODAY) -> int:
    with clock.pinned(registered):
        saved = patients.insert(store, Patient(full_name=name, sex=sex,
                                               birth=parse_partial_date(birth),
                                               village=village, phone=phone))
    assert saved.id is not None
    return saved.id


def _visit(store: Store, patient_id: int, on: dt.date, follow_up: dt.date | None = None,
           code: str = "", bp: tuple[int, int] | None = None,
           feeds: followups.VisitFeeds | None = None) -> None:
    with clock.pinned(on):
        visits.insert(store, Visit(
            patient_id, dt.datetime.combine(on, dt.time(9)), complaint="khám lại",
            diagnosis_code=code, diagnosis_text="Tăng huyết áp" if code == "I10" else "",
            bp_systolic=bp[0] if bp else None, bp_diastolic=bp[1] if bp else None,
            follow_up_date=follow_up,
        ), feeds)


def build_station(path: Path) -> dict[str, int]:
    """The small station of these tests; returns the patients' ids by first name."""
    store = open_store(path)
    try:
        ids = {
            "huong": _add(store, "Nguyễn Thị Hương", "2", "1960", "Thôn Đông", "0912345678"),
            "duc": _add(store, "Trần Văn Đức", "1", "1955", "Thôn Tây", "0987654321"),
            "khoi": _add(store, "Lê Minh Khôi", "1", "15/01/2025", "Thôn Đông", "0901222333",
                         registered=dt.date(2025, 1, 20)),
            "lan": _add(store, "Phạm Thị Lan", "2", "1990", "Thôn Bắc", "0933111222"),
            "binh": _add(store, "Đỗ Văn Bình", "1", "1948", "Thôn Tây", "0977000111"),
            "cuc": _add(store, "Vũ Thị Cúc", "2", "1952", "Thôn Bắc", "0966000222"),
        }
        _visit(store, ids["huong"], dt.date(2025, 10, 1), follow_up=dt.date(2025, 10, 15))
        _visit(store, ids["duc"], dt.date(2025, 9, 1), code="I10", bp=(170, 105),
               feeds=followups.VisitFeeds(refill_days=30))
        with clock.pinned(dt.date(2025, 1, 20)):
            followups.record_dose(store, ids["khoi"], "hepb0", 1, CHILD_BIRTH, "Bệnh viện huyện",
                                  from_booklet=True)
        _visit(store, ids["lan"], dt.date(2025, 11, 10), follow_up=dt.date(2025, 11, 22))
        _visit(store, ids["binh"], dt.date(2025, 9, 20), follow_up=dt.date(2025, 10, 20))
        _visit(store, ids["cuc"], dt.date(2025, 10, 5), follow_up=dt.date(2025, 11, 5))
    finally:
        store.close()
    return ids


@pytest.fixture
def station(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    path = tmp_path / "station.sqlite3"
    return path, build_station(path)


@pytest.fixture
def app(make_session, station):
    """The app on the small station, showing Nhắc hẹn."""
    path, _ids = station
    session = make_session(path, "vi")
    session.window.show_area("followups")
    return session


@pytest.fixture
def view(app) -> FollowUpsView:
    found = app.window.views["followups"]
    assert isinstance(found, FollowUpsView)
    return found


@pytest.fixture
def ids(station) -> dict[str, int]:
    return station[1]


@pytest.fixture
def fill() -> Iterator[Callable[[Callable[[QDialog], bool]], None]]:
    """``fill(fn)``: the next form dialogs are filled in by ``fn`` instead of being shown."""

    def set_fill(fn: Callable[[QDialog], bool]) -> None:
        dialogs.fill = fn

    yield set_fill
    dialogs.fill = None


def names(view: FollowUpsView) -> list[str]:
    return [row.full_name for row in view.model.rows()]


def select(view: FollowUpsView, patient_id: int) -> None:
    assert view.select_patient(patient_id), f"patient {patient_id} is not in the list shown"
    view.table.setFocus()


def today_card(app, fn) -> str:
    """The number on the Today view's card computed by ``fn``."""
    today_view = app.window.views["today"]
    today_view.refresh()
    for card, card_fn in today_view.cards:
        if card_fn.count is fn:
            return card.value.text()
    raise AssertionError("no such card on the Today view")


# -- sections and counts ------------------------------------------------------------------------


def test_each_section_holds_as_many_rows_as_its_count(view: FollowUpsView, app) -> None:
    counts = followups.section_counts(app.store, TODAY)
    assert counts[Section.OVERDUE] == 10  # 6 doses of the child, a refill, 3 revisits
    assert counts[Section.DUE] == 1
    for index, section in enumerate(SECTIONS):
        view.show_section(section)
        assert view.model.rowCount() == counts[section] == view.counts[section]
        assert view.sections.tabText(index).endswith(f"({counts[section]})")


def test_overdue_list_puts_high_risk_first_and_a_person_together(view: FollowUpsView, ids) -> None:
    rows = view.model.rows()
    assert [r.high_risk for r in rows] == sorted((r.high_risk for r in rows), reverse=True)
    child_rows = [i for i, r in enumerate(rows) if r.patient_id == ids["khoi"]]
    assert child_rows == list(range(child_rows[0], child_rows[0] + 6)), "the child's doses together"
    # The person's name is written once; the other rows of the person are blank there.
    first = child_rows[0]
    assert view.model.index(first, FollowUpModel.NAME).data() == "Lê Minh Khôi"
    assert view.model.index(first + 1, FollowUpModel.NAME).data() == ""
    assert view.model.index(first, FollowUpModel.AGE).data() == "10 tháng"
    assert view.model.index(first, FollowUpModel.PHONE).data() == "0901 222 333"
    assert view.model.index(first, FollowUpModel.RISK).data() == "!"
    huong = names(view).index("Nguyễn Thị Hương")
    assert view.model.index(huong, FollowUpModel.SINCE).data() == "15/10/2025 · trễ 36 ngày"


def test_the_model_passes_the_model_tester(view: FollowUpsView, qtmodeltester) -> None:
    qtmodeltester.check(view.model, force_py=True)
    view.show_section(Section.DUE)
    qtmodeltester.check(view.model, force_py=True)


def test_a_long_name_far_down_the_list_is_not_cut(app, view: FollowUpsView) -> None:
    """The name column fits the longest name of the whole list, not only of the first rows."""
    from PySide6.QtGui import QFont, QFontMetrics

    for n in range(80):
        pid = _add(app.store, f"Lê Văn An {n}", "1", "1970", "Thôn Đông", "")
        _visit(app.store, pid, dt.date(2025, 6, 1), follow_up=dt.date(2025, 7, 1))
    long_name = "Tôn Nữ Thị Hoàng Phương Thảo Nguyên"
    pid = _add(app.store, long_name, "2", "1980", "Thôn Đông", "")
    _visit(app.store, pid, dt.date(2025, 11, 1), follow_up=dt.date(2025, 11, 19))  # 1 day late: last
    view.show()
    view.reload()
    assert names(view)[-1] == long_name and len(names(view)) > 80
    bold = QFont(view.table.font())
    bold.setBold(True)
    needed = QFontMetrics(bold).horizontalAdvance(long_name)
    assert view.table.horizontalHeader().sectionSize(FollowUpModel.NAME) >= needed


# -- recording outcomes ---------------------------------------------------------------------------


def test_key_1_records_agreed_and_the_row_moves_to_agreed(
    app, view: FollowUpsView, ids, nurse, qtbot
) -> None:
    overdue_before = today_card(app, wiring.overdue_count)
    assert overdue_before == "10"
    select(view, ids["huong"])
    with qtbot.waitSignal(app.ctx.changed, check_params_cb=lambda kinds, _who: Change.FOLLOWUPS in kinds):
        nurse.press(view.table, Qt.Key.Key_1)
    assert "Nguyễn Thị Hương" not in names(view)
    assert view.counts[Section.OVERDUE] == 9 and view.counts[Section.AGREED] == 1
    assert today_card(app, wiring.overdue_count) == "9"
    view.show_section(Section.AGREED)
    assert names(view) == ["Nguyễn Thị Hương"]
    assert view.model.index(0, FollowUpModel.OUTCOME).data() == "20/11/2025: hẹn sẽ đến"
    # A week later the call is forgotten: she is back on the list to call.
    with clock.pinned(TODAY + dt.timedelta(days=7)):
        assert followups.section_counts(app.store)[Section.AGREED] == 0


def test_an_outcome_is_for_the_item_chosen_or_explicitly_for_the_whole_person(
    app, view: FollowUpsView, ids, nurse
) -> None:
    select(view, ids["khoi"])
    view.table.setCurrentIndex(view.model.index(view.table.currentIndex().row() + 3, 1))
    chosen = view.current_row().item.id
    selected = {i.row() for i in view.table.selectionModel().selectedRows()}
    assert len(selected) == 1, "one dose chosen, one dose selected"
    nurse.press(view.table, Qt.Key.Key_1)
    assert view.counts[Section.AGREED] == 1
    assert followups.get_item(app.store, int(chosen)).last_outcome.kind is OutcomeKind.AGREED
    assert names(view).count("Lê Minh Khôi") == 5  # the other doses are still to call
    assert view.current_row().patient_id == ids["khoi"]  # and still chosen, for the next dose
    # All of the child's due doses at once: an explicit choice (Ctrl+A).
    select(view, ids["khoi"])
    nurse.press(view.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert view.whole_person.isChecked()
    assert len(view.table.selectionModel().selectedRows()) == 5
    view.agreed_button.click()
    assert "Lê Minh Khôi" not in names(view)
    assert view.counts[Section.AGREED] == 6
    assert "Lê Minh Khôi" in view.status.text()


def test_key_4_could_not_be_reached_and_ctrl_z_undoes(app, view: FollowUpsView, ids, nurse, qtbot) -> None:
    assert view.no_answer_button.text() == "Không liên lạc được (4)"
    select(view, ids["huong"])
    with qtbot.waitSignal(app.ctx.changed, check_params_cb=lambda kinds, _who: Change.FOLLOWUPS in kinds):
        nurse.press(view.table, Qt.Key.Key_4)
    assert "Nguyễn Thị Hương" not in names(view)
    assert view.counts[Section.LATER] == 1
    view.show_section(Section.LATER)
    assert view.model.index(0, FollowUpModel.OUTCOME).data() == (
        "20/11/2025: không liên lạc được, gọi lại ngày 23/11/2025")
    with clock.pinned(TODAY + dt.timedelta(days=3)):  # called again by itself
        assert followups.section_counts(app.store)[Section.LATER] == 0
    # Recorded by mistake: Ctrl+Z takes it back.
    with qtbot.waitSignal(app.ctx.changed, check_params_cb=lambda kinds, _who: Change.FOLLOWUPS in kinds):
        nurse.press(view.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert view.counts[Section.LATER] == 0 and view.counts[Section.OVERDUE] == 10
    assert followups.get_item(app.store, int(_item_of(app.store, ids["huong"]))).outcomes == ()
    assert not view.undo_button.isEnabled()


def _item_of(store, patient_id: int) -> int:
    [item] = followups.patient_items(store, patient_id, open_only=True)
    return int(item.id)


def test_remind_later_after_30_days_by_default(app, view: FollowUpsView, ids, fill) -> None:
    seen: list[RemindLaterDialog] = []

    def accept_default(dialog: QDialog) -> bool:
        assert isinstance(dialog, RemindLaterDialog)
        seen.append(dialog)
        return True

    fill(accept_default)
    select(view, ids["binh"])
    view.later_button.click()
    assert seen and seen[0].in_30.isChecked()
    assert "Đỗ Văn Bình" not in names(view)
    view.show_section(Section.LATER)
    assert names(view) == ["Đỗ Văn Bình"]
    last = view.model.rows()[0].item.last_outcome
    assert last is not None and last.kind is OutcomeKind.REMIND_LATER
    assert last.hidden_until == TODAY + dt.timedelta(days=30)


def test_remind_later_on_a_chosen_date(app, view: FollowUpsView, ids, fill, nurse) -> None:
    def on_date(dialog: QDialog) -> bool:
        assert isinstance(dialog, RemindLaterDialog)
        nurse.type(dialog.date, "05/12/2025")  # typing a date chooses "on this date"
        dialog.note.setText("Con gái nghe máy, hẹn gọi lại")
        return True

    fill(on_date)
    select(view, ids["cuc"])
    nurse.press(view.table, Qt.Key.Key_2)
    view.show_section(Section.LATER)
    row = view.model.rows()[0]
    assert row.full_name == "Vũ Thị Cúc"
    assert row.item.last_outcome.until == dt.date(2025, 12, 5)  # type: ignore[union-attr]
    assert "05/12/2025" in view.model.index(0, FollowUpModel.OUTCOME).data()
    # Back on the list the day the reminder falls due.
    with clock.pinned(dt.date(2025, 12, 5)):
        assert any(r.full_name == "Vũ Thị Cúc"
                   for r in followups.work_rows(app.store, section=Section.OVERDUE))


def test_a_reminder_date_in_the_past_is_refused(app, view: FollowUpsView, ids, fill) -> None:
    def yesterday(dialog: QDialog) -> bool:
        dialog.date.setText("19/11/2025")  # type: ignore[attr-defined]
        dialog.on_date.setChecked(True)  # type: ignore[attr-defined]
        return True

    fill(yesterday)
    select(view, ids["cuc"])
    assert view.remind_later() is False
    assert "Vũ Thị Cúc" in names(view)
    assert view.counts[Section.LATER] == 0


def test_remove_with_a_reason(app, view: FollowUpsView, ids, fill, nurse) -> None:
    def moved(dialog: QDialog) -> bool:
        assert isinstance(dialog, RemoveDialog)
        dialog.choose(RemovalReason.MOVED_AWAY)
        return True

    fill(moved)
    select(view, ids["binh"])
    nurse.press(view.table, Qt.Key.Key_3)
    assert "Đỗ Văn Bình" not in names(view)
    view.show_section(Section.REMOVED)
    assert names(view) == ["Đỗ Văn Bình"]
    assert view.model.index(0, FollowUpModel.OUTCOME).data() == (
        "20/11/2025: bỏ khỏi danh sách (Đã chuyển đi nơi khác)")
    # A removed row takes no more outcomes.
    view.table.setCurrentIndex(view.model.index(0, 1))
    assert not view.agreed_button.isEnabled() and view.mark_agreed() is False


def test_another_reason_needs_a_note(app, view: FollowUpsView, ids, fill) -> None:
    notes = iter(["", "Đi làm xa ở Bình Dương"])

    def other(dialog: QDialog) -> bool:
        dialog.choose(RemovalReason.OTHER, next(notes))  # type: ignore[attr-defined]
        return True

    fill(other)
    select(view, ids["cuc"])
    assert view.remove() is False, "no note: the dialog refuses OK"
    assert view.counts[Section.REMOVED] == 0
    assert view.remove() is True
    view.show_section(Section.REMOVED)
    assert "Đi làm xa ở Bình Dương" in view.model.index(0, FollowUpModel.OUTCOME).data()


def test_a_death_marks_the_patient_deceased_everywhere(
    app, view: FollowUpsView, ids, fill, answers, qtbot
) -> None:
    fill(lambda dialog: dialog.choose(RemovalReason.DIED) or True)  # type: ignore[attr-defined]
    select(view, ids["duc"])
    answers.yes = False
    assert view.remove() is False, "the death is asked before it is recorded"
    assert answers.titles("question") == [tr("Record a death")]
    assert not patients.get(app.store, ids["duc"]).deceased  # type: ignore[union-attr]

    answers.yes = True
    with qtbot.waitSignal(app.ctx.changed, check_params_cb=lambda kinds, _who: Change.PATIENTS in kinds):
        assert view.remove() is True
    patient = patients.get(app.store, ids["duc"])
    assert patient is not None and patient.deceased and patient.deceased_date == TODAY
    assert not followups.patient_items(app.store, ids["duc"], open_only=True)
    assert not followups.enrolments(app.store, ids["duc"])  # the programme is closed too
    view.show_section(Section.REMOVED)
    assert names(view) == ["Trần Văn Đức"]
    assert "Đã tử vong" in view.model.index(0, FollowUpModel.OUTCOME).data()
    assert today_card(app, wiring.overdue_count) == "9"


def test_enter_opens_the_patient(app, view: FollowUpsView, ids, nurse) -> None:
    select(view, ids["huong"])
    nurse.press(view.table, Qt.Key.Key_Return)
    registry = app.window.views["patients"]
    assert app.window.current_area() == "patients"
    assert registry.page.patient.id == ids["huong"]
    tabs = [registry.page.tabs.tabText(i) for i in range(registry.page.tabs.count())]
    assert tr("Follow-ups") in tabs and tr("Programmes") in tabs


# -- filters, counts and exports: one definition ------------------------------------------------


def test_filters_narrow_the_rows_not_the_counts(view: FollowUpsView) -> None:
    view.programme.setCurrentIndex(view.programme.findData("vaccination"))
    assert set(names(view)) == {"Lê Minh Khôi"}
    assert "6 trên 10" in view.status.text()
    view.programme.setCurrentIndex(view.programme.findData("other"))
    assert set(names(view)) == {"Nguyễn Thị Hương", "Đỗ Văn Bình", "Vũ Thị Cúc"}
    view.programme.setCurrentIndex(0)
    view.village.setCurrentIndex(view.village.findData("Thôn Tây"))
    assert set(names(view)) == {"Trần Văn Đức", "Đỗ Văn Bình"}
    assert view.filters_text() == "Thôn/xóm: Thôn Tây"
    assert view.counts[Section.OVERDUE] == 10


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


@pytest.mark.parametrize("days_later", [0, 8, 45, 400])
def test_list_counts_and_exports_agree(
    app, view: FollowUpsView, ids, tmp_path: Path, days_later: int
) -> None:
    """The section list, the counts (Today, tabs) and the call sheet and CSV of each section
    give the same numbers, today and on later days, after calls were recorded."""
    select(view, ids["huong"])
    view.mark_agreed()
    select(view, ids["khoi"])
    view.record(followups.Outcome(OutcomeKind.REMIND_LATER, TODAY,
                                  until=TODAY + dt.timedelta(days=40)))
    with clock.pinned(TODAY + dt.timedelta(days=days_later)):
        view.reload()
        counts = followups.section_counts(app.store)
        assert today_card(app, wiring.overdue_count) == str(counts[Section.OVERDUE])
        assert today_card(app, wiring.due_count) == str(counts[Section.DUE])
        for section in SECTIONS:
            view.show_section(section)
            assert view.model.rowCount() == counts[section], section
            if not counts[section]:
                continue
            csv_path = view.export_list(tmp_path / f"{section.value}-{days_later}.csv")
            with csv_path.open(encoding="utf-8-sig", newline="") as fh:
                lines = list(csv.DictReader(fh))
            assert len(lines) == counts[section]
            assert {line[tr("Status")] for line in lines} == {section.title}
            pdf = view.print_call_sheet(tmp_path / f"{section.value}-{days_later}.pdf")
            text = _pdf_text(pdf)
            people = len({r.patient_id for r in view.model.rows()})
            found = re.search(r"(\d+) người, (\d+) mục hẹn", text)
            assert found and (int(found[1]), int(found[2])) == (people, counts[section]), text


def test_export_xlsx_from_the_view(view: FollowUpsView, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = view.export_list(tmp_path / "list.xlsx")
    sheet = load_workbook(path).active
    header = [c.value for c in sheet[1]]
    assert header[0] == tr("Status") and tr("Last outcome") in header
    assert sheet.max_row == 1 + view.model.rowCount()


# -- the patient's tabs ---------------------------------------------------------------------------


def _overdue_labels(app, patient_id: int) -> set[str]:
    rows = followups.work_rows(app.store, TODAY, Section.OVERDUE)
    return {r.item.label for r in rows if r.patient_id == patient_id}


def _page(app, patient_id: int):
    app.ctx.open_patient.emit(patient_id)
    page = app.window.views["patients"].page

    def tab(kind: type):
        for i in range(page.tabs.count()):
            if isinstance(page.tabs.widget(i), kind):
                page.tabs.setCurrentIndex(i)
                return page.tabs.widget(i)
        raise AssertionError(f"no {kind.__name__} tab")

    return page, tab


def test_follow_ups_tab_adds_a_custom_follow_up(app, ids, fill, qtbot) -> None:
    _page_widget, tab = _page(app, ids["lan"])
    fu: FollowUpsTab = tab(FollowUpsTab)
    before = fu.table.rowCount()

    def custom(dialog: QDialog) -> bool:
        assert isinstance(dialog, AddFollowUpDialog)
        dialog.due.setText("25/11/2025")
        dialog.text.setText("Mang kết quả siêu âm")
        return True

    fill(custom)
    with qtbot.waitSignal(app.ctx.changed, check_params_cb=lambda kinds, _who: Change.FOLLOWUPS in kinds):
        assert fu.add_followup()
    fu = tab(FollowUpsTab)
    assert fu.table.rowCount() == before + 1
    texts = {fu.table.item(r, 2).text() for r in range(fu.table.rowCount())}
    assert "Mang kết quả siêu âm" in texts
    assert followups.section_counts(app.store, TODAY)[Section.DUE] == 2


def test_programmes_tab_child_card_and_a_dose_from_the_booklet(app, ids, fill) -> None:
    _page_widget, tab = _page(app, ids["khoi"])
    prog: ProgrammesTab = tab(ProgrammesTab)
    assert prog.card_box.isVisibleTo(prog)
    states = {prog.card.item(r, 0).text(): prog.card.item(r, 1).text()
              for r in range(prog.card.rowCount())}
    assert states["BCG"] == "Đến hẹn ngày 15/02/2025"
    assert states["Viêm gan B sơ sinh"].endswith("(chép từ sổ tiêm chủng)")

    def bcg(dialog: QDialog) -> bool:
        assert isinstance(dialog, RecordDoseDialog)
        assert dialog.series.currentData() == "bcg", "the first dose due is offered"
        dialog.given_on.setText("20/02/2025")
        dialog.place.setText("Bệnh viện huyện")
        dialog.booklet.setChecked(True)
        return True

    fill(bcg)
    assert prog.record_dose()
    prog = tab(ProgrammesTab)
    states = {prog.card.item(r, 0).text(): prog.card.item(r, 1).text()
              for r in range(prog.card.rowCount())}
    assert states["BCG"] == "Đã tiêm ngày 20/02/2025 tại Bệnh viện huyện (chép từ sổ tiêm chủng)"
    assert "BCG" not in _overdue_labels(app, ids["khoi"])


def test_programmes_tab_enrols_and_closes_a_pregnancy(app, ids, fill) -> None:
    _page_widget, tab = _page(app, ids["lan"])
    prog: ProgrammesTab = tab(ProgrammesTab)
    assert not prog.card_box.isVisibleTo(prog)

    def pregnancy(dialog: QDialog) -> bool:
        assert isinstance(dialog, EnrolDialog)
        dialog.programme.setCurrentIndex(dialog.programme.findData("antenatal"))
        dialog.lmp.setText("01/08/2025")
        return True

    fill(pregnancy)
    assert prog.enrol()
    enrolled = followups.enrolments(app.store, ids["lan"])
    assert [e.programme for e in enrolled] == ["antenatal"]
    assert enrolled[0].edd == dt.date(2026, 5, 8)
    labels = [i.label for i in followups.patient_items(app.store, ids["lan"], open_only=True)]
    assert any(label.startswith("Khám thai lần") for label in labels)
    prog = tab(ProgrammesTab)
    assert "Dự sinh 08/05/2026" in prog.enrolments.item(0, 3).text()

    def delivered(dialog: QDialog) -> bool:
        assert isinstance(dialog, CloseProgrammeDialog)
        assert dialog.closure.count() == 2  # delivered, pregnancy loss
        return True

    fill(delivered)
    assert prog.close_programme()
    assert followups.enrolments(app.store, ids["lan"]) == []
    prog = tab(ProgrammesTab)
    assert prog.enrolments.item(0, 4).text() == "20/11/2025 — Đã sinh"


def test_enrol_in_hypertension_with_a_history_of_stroke(app, ids, fill) -> None:
    _page_widget, tab = _page(app, ids["binh"])
    prog: ProgrammesTab = tab(ProgrammesTab)

    def hypertension(dialog: QDialog) -> bool:
        assert dialog.programme.findData("antenatal") == -1  # type: ignore[attr-defined]
        dialog.detected.setText("01/03/2024")  # type: ignore[attr-defined]
        dialog.cvd.setChecked(True)  # type: ignore[attr-defined]
        return True

    fill(hypertension)
    assert prog.enrol()
    (e,) = followups.enrolments(app.store, ids["binh"])
    assert (e.programme, e.detected_on, e.history_cvd) == (
        "hypertension", dt.date(2024, 3, 1), True)


# -- the visit form's Programmes row --------------------------------------------------------------


def _visit_form(app, nurse, patient_id: int):
    from station_app.ui.forms.visit_form import VisitForm

    app.ctx.new_visit.emit(patient_id)
    return nurse.dialog(VisitForm)


def test_a_childs_visit_gives_a_due_dose(app, ids, nurse, qtbot) -> None:
    form = _visit_form(app, nurse, ids["khoi"])
    feeds = form.programmes
    offered = {dose: box for box, dose in feeds.vaccines}
    assert ("bcg", 1) in offered and ("dpt_vgb_hib", 1) in offered
    assert feeds.refill.value() == 0 and feeds.antenatal.isHidden()
    offered[("bcg", 1)].setChecked(True)
    nurse.type(form.complaint, "Tiêm chủng")
    with qtbot.waitSignal(app.ctx.changed, check_params_cb=lambda kinds, _who: Change.FOLLOWUPS in kinds):
        form.save()
    given = {(g.series, g.dose) for g in followups.given_doses(app.store, ids["khoi"])}
    assert ("bcg", 1) in given
    assert "BCG" not in _overdue_labels(app, ids["khoi"])
    view = app.window.show_area("followups")
    assert view.counts == followups.section_counts(app.store, TODAY), "the view followed"


def test_a_hypertension_visit_schedules_the_refill(app, ids, nurse) -> None:
    form = _visit_form(app, nurse, ids["duc"])
    assert form.programmes.refill.value() == 30, "enrolled in hypertension: 30 days"
    form.programmes.refill.setValue(60)
    nurse.type(form.bp, "150/95")
    nurse.type(form.complaint, "Lấy thuốc")
    nurse.type(form.diagnosis, "I10")
    form.save()
    open_items = followups.patient_items(app.store, ids["duc"], open_only=True)
    assert [(i.label, i.due_date) for i in open_items] == [
        ("Cấp thuốc tiếp — I10", TODAY + dt.timedelta(days=60))]


def test_refill_days_follow_a_chronic_diagnosis(app, ids, nurse) -> None:
    form = _visit_form(app, nurse, ids["cuc"])
    assert form.programmes.refill.value() == 0
    assert form.programmes.antenatal.isHidden(), "a woman of 73 has no antenatal tick"
    nurse.type(form.diagnosis, "E11")
    assert form.programmes.refill.value() == 30
    form.reject()
