"""The import wizard from the file choice to the imported rows, the export dialog, and the record
summary tab of the patient's page — driven as a person at the station would."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pypdf
import pytest
from openpyxl import Workbook, load_workbook
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWizard

from station_app import paths
from station_app.store import followups, patients
from station_app.ui import data_io, export_dialog, import_wizard
from station_app.ui.export_dialog import ExportDialog
from station_app.ui.import_wizard import ERROR_FILL, ImportWizard
from tests.ui.conftest import summary_tab


@pytest.fixture(autouse=True)
def _no_file_dialogs():
    yield
    import_wizard.ask_open_path = None
    import_wizard.ask_save_path = None
    export_dialog.ask_save_path = None
    data_io.ask_summary_path = None


def station_list(path: Path, registered: patients.Patient) -> Path:
    """Two sheets; the list on the first under a merged title; a row already registered; a bad row."""
    book = Workbook()
    sheet = book.active
    sheet.title = "DS 2025"
    headers = ["STT", "Họ và tên", "Giới tính", "Ngày sinh", "Số CCCD", "Điện thoại", "Thôn/Xóm", "Biệt danh"]
    sheet["A1"] = "DANH SÁCH NGƯỜI BỆNH — TRẠM Y TẾ XÃ"
    sheet.merge_cells("A1:H1")
    sheet.append([])
    sheet.append([])
    sheet.append(headers)
    rows = [
        [1, "Hoàng Thị Lan Anh", "Nữ", "12/08/1979", "001179001122", "0987654321", "Thôn Mới", "Lan"],
        [2, "Phan Văn Khải", "Nam", 24_500, "", "0912000111", "Thôn Mới", ""],
        [],
        [3, registered.full_name, "Nữ" if registered.sex == "2" else "Nam",
         registered.birth.display().lstrip("~") if registered.birth else "", registered.citizen_id, "", "", ""],
        [4, "Trần Văn 7", "X", "31/02/1970", "", "", "", ""],
    ]
    for row in rows:
        sheet.append(row)
    for row in sheet.iter_rows(min_row=5):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    book.create_sheet("Hướng dẫn").append(["Cách điền danh sách"])
    book.save(path)
    return path


def next_page(nurse, qtbot, wizard: QWizard, expected: int) -> None:
    nurse.click(wizard.button(QWizard.WizardButton.NextButton))
    qtbot.waitUntil(lambda: wizard.currentId() == expected)


def test_the_wizard_from_file_choice_to_imported_rows(session, nurse, qtbot, tmp_path, answers):
    store = session.ctx.store
    registered = next(
        p for p in patients.get_many(store, patients.all_ids(store)).values() if p.citizen_id and p.birth
    )
    before = patients.count(store)
    source = station_list(tmp_path / "danh-sach.xlsx", registered)
    import_wizard.ask_open_path = lambda parent: str(source)

    registry = session.window.show_area("patients")
    button = getattr(registry.list, "action_buttons", {}).get("Import from Excel…")
    if button is not None:
        nurse.click(button)
    else:
        data_io.start_import(session.ctx, session.window)
    wizard = nurse.dialog(ImportWizard)

    # 1. the file
    page = wizard.file_page
    page._browse()
    assert page.path.text() == str(source)
    next_page(nurse, qtbot, wizard, ImportWizard.SHEET)
    # 2. the sheet: the first of two
    assert [wizard.sheet_page.sheets.item(i).text() for i in range(2)] == ["DS 2025", "Hướng dẫn"]
    next_page(nurse, qtbot, wizard, ImportWizard.ROWS)
    # 3. the first rows: the header found on row 4, under the title
    assert wizard.rows_page.header_row.value() == 4
    assert wizard.rows_page.table.item(0, 0).text().startswith("DANH SÁCH")
    next_page(nurse, qtbot, wizard, ImportWizard.MAPPING)
    # 4. the columns, suggested from the Vietnamese headers; "Biệt danh" left out
    mapping = wizard.mapping_page.mapping()
    assert mapping == {1: "full_name", 2: "sex", 3: "birth_date", 4: "citizen_id", 5: "phone", 6: "village"}
    wizard.mapping_page.set_field(7, "notes")  # the nickname goes into the notes after all
    next_page(nurse, qtbot, wizard, ImportWizard.DATES)
    remembered = json.loads((paths.data_dir() / "import-mappings.json").read_text(encoding="utf-8"))
    assert remembered["patients"]["biet danh"] == "notes"
    # 5. dates: day first (12/08/1979 could be either; 31/02 only day first)
    assert wizard.dates_page.dmy.isChecked()
    next_page(nurse, qtbot, wizard, ImportWizard.PREVIEW)
    # 6. the preview: the bad row is red and says why; Next waits for a decision
    qtbot.waitUntil(lambda: wizard.preview is not None)
    preview_page = wizard.preview_page
    assert "1" in preview_page.summary.text()
    model = preview_page.model
    assert model.rowCount() == 1  # only the invalid rows are shown at first
    assert model.headerData(0, Qt.Orientation.Vertical) == "9"
    sex_column = 1 + model.keys.index("sex")
    cell = model.index(0, sex_column)
    assert model.data(cell, Qt.ItemDataRole.BackgroundRole).color() == ERROR_FILL
    assert "X" in model.data(cell, Qt.ItemDataRole.ToolTipRole)
    birth_cell = model.index(0, 1 + model.keys.index("birth_date"))
    assert "31/02/1970" in model.data(birth_cell, Qt.ItemDataRole.ToolTipRole)
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    report = tmp_path / "loi.xlsx"
    import_wizard.ask_save_path = lambda parent, suggested: str(report)
    nurse.click(preview_page.save_report)
    sheet = load_workbook(report).active
    assert {(r[0].value, r[1].value) for r in sheet.iter_rows(min_row=2)} >= {(9, "Giới tính"), (9, "Ngày sinh")}
    nurse.click(preview_page.invalid_only)
    assert model.rowCount() == 4
    box = preview_page.leave_out
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))  # on the tick box
    assert box.isChecked()
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    next_page(nurse, qtbot, wizard, ImportWizard.DUPLICATES)
    # 7. duplicates: the registered person, by citizen ID; "new" is not offered for that
    duplicates = wizard.duplicates_page
    assert duplicates.numbers == [8]
    assert registered.full_name in duplicates.table.item(0, 2).text()
    combo = duplicates.choices[0]
    assert [combo.itemData(i) for i in range(combo.count())] == ["skip", "merge"]
    combo.setCurrentIndex(combo.findData("merge"))
    # 8. the import, off the GUI thread; 9. the result
    nurse.click(wizard.button(QWizard.WizardButton.NextButton))
    qtbot.waitUntil(lambda: wizard.currentId() == ImportWizard.RESULT, timeout=20_000)
    outcome = wizard.outcome
    assert (outcome.imported, outcome.merged) == (2, 1)
    assert "2" in wizard.result_page.text.text()
    assert wizard.run_page.bar.value() == wizard.run_page.bar.maximum()
    assert patients.count(store) == before + 2
    (lan,) = patients.search(store, "hoang thi lan anh")
    assert (lan.citizen_id, lan.phone, lan.village, lan.notes) == ("001179001122", "0987654321", "Thôn Mới", "Lan")
    assert lan.birth.day == 12 and lan.birth.month == 8
    (khai,) = patients.search(store, "phan van khai")
    assert khai.birth.earliest() == dt.date(1899, 12, 30) + dt.timedelta(days=24_500)
    # The registry shows them (it subscribes to changes of patients).
    registry.list.search.setText("hoang thi lan")
    qtbot.waitUntil(lambda: registry.list.model.rowCount() == 1)
    # The rejected rows report from the result page.
    final = tmp_path / "bo-qua.csv"
    import_wizard.ask_save_path = lambda parent, suggested: str(final)
    nurse.click(wizard.result_page.save)
    text = final.read_text(encoding="utf-8-sig")
    assert "9,Giới tính" in text and "Ngày sinh" in text
    nurse.click(wizard.button(QWizard.WizardButton.FinishButton))
    qtbot.waitUntil(lambda: not wizard.isVisible())


def test_a_new_patient_needs_a_reason_in_the_wizard(session, nurse, qtbot, tmp_path):
    store = session.ctx.store
    someone = next(p for p in patients.get_many(store, patients.all_ids(store)).values()
                   if not p.citizen_id and p.birth and p.village)
    book = Workbook()
    book.active.append(["Họ và tên", "Năm sinh", "Thôn/Xóm"])
    book.active.append([someone.full_name, someone.birth.year, someone.village])
    source = tmp_path / "mot-nguoi.xlsx"
    book.save(source)
    import_wizard.ask_open_path = lambda parent: str(source)
    wizard = data_io.start_import(session.ctx, session.window)
    wizard.file_page._browse()
    next_page(nurse, qtbot, wizard, ImportWizard.ROWS)  # one sheet: no sheet page
    next_page(nurse, qtbot, wizard, ImportWizard.MAPPING)
    next_page(nurse, qtbot, wizard, ImportWizard.DATES)
    next_page(nurse, qtbot, wizard, ImportWizard.PREVIEW)
    qtbot.waitUntil(lambda: wizard.button(QWizard.WizardButton.NextButton).isEnabled())
    next_page(nurse, qtbot, wizard, ImportWizard.DUPLICATES)
    page = wizard.duplicates_page
    assert page.numbers == [2]
    page.choose(2, import_wizard.Choice.NEW)
    nurse.click(wizard.button(QWizard.WizardButton.NextButton))
    assert wizard.currentId() == ImportWizard.DUPLICATES
    assert page.problem.text()
    page.choose(2, import_wizard.Choice.NEW, "Hai người trùng tên cùng thôn")
    before = patients.count(store)
    nurse.click(wizard.button(QWizard.WizardButton.NextButton))
    qtbot.waitUntil(lambda: wizard.currentId() == ImportWizard.RESULT, timeout=20_000)
    assert patients.count(store) == before + 1
    wizard.close()


def test_export_dialog_writes_the_list(session, nurse, qtbot, tmp_path, answers):
    target = tmp_path / "so-benh-nhan.xlsx"
    export_dialog.ask_save_path = lambda parent, suggested: str(target)
    dialog = data_io.start_export(session.ctx, session.window)
    assert isinstance(dialog, ExportDialog)
    dialog.no_identifiers.setChecked(True)
    nurse.click(dialog.save_button)
    qtbot.waitUntil(lambda: dialog.result_path is not None, timeout=20_000)
    header = [c.value for c in load_workbook(target).active[1]]
    assert "Họ và tên" in header and "Số CCCD" not in header
    assert any("so-benh-nhan.xlsx" in text for _kind, _title, text in answers.asked)


def test_record_summary_tab_saves_the_pdf(session, nurse, qtbot, tmp_path):
    store = session.ctx.store
    pid, tab = summary_tab(session)
    target = tmp_path / "tom-tat.pdf"
    data_io.ask_summary_path = lambda parent, suggested: str(target)
    nurse.click(tab.button)
    qtbot.waitUntil(lambda: tab.saved is not None, timeout=20_000)
    text = "".join(page.extract_text() for page in pypdf.PdfReader(target).pages)
    assert patients.get(store, pid).full_name in text


def test_a_chronic_register_through_the_wizard_fills_the_follow_up_list(session, nurse, qtbot, tmp_path, today):
    book = Workbook()
    sheet = book.active
    sheet.append(["SỔ QUẢN LÝ BỆNH KHÔNG LÂY NHIỄM"])
    sheet.append(["Họ và tên", "Năm sinh", "Thôn", "Bệnh", "Ngày phát hiện", "Ngày cấp thuốc gần nhất"])
    sheet.append(["Đinh Văn Tám", 1951, "Thôn Đồi", "THA", "2017", "01/10/2025"])
    sheet.append(["Mai Thị Chín", 1957, "Thôn Đồi", "ĐTĐ", "03/2021", "20/10/2025"])
    source = tmp_path / "so-tha-dtd.xlsx"
    book.save(source)
    import_wizard.ask_open_path = lambda parent: str(source)
    wizard = data_io.start_import(session.ctx, session.window)
    wizard.file_page._browse()
    what = wizard.file_page.what
    what.setCurrentIndex(what.findData("chronic"))
    next_page(nurse, qtbot, wizard, ImportWizard.ROWS)
    assert wizard.rows_page.header_row.value() == 2
    next_page(nurse, qtbot, wizard, ImportWizard.MAPPING)
    assert set(wizard.mapping_page.mapping().values()) == {
        "full_name", "birth_date", "village", "programme", "detected_on", "last_refill"
    }
    next_page(nurse, qtbot, wizard, ImportWizard.DATES)
    next_page(nurse, qtbot, wizard, ImportWizard.PREVIEW)
    qtbot.waitUntil(lambda: wizard.button(QWizard.WizardButton.NextButton).isEnabled())
    next_page(nurse, qtbot, wizard, ImportWizard.DUPLICATES)
    nurse.click(wizard.button(QWizard.WizardButton.NextButton))
    qtbot.waitUntil(lambda: wizard.currentId() == ImportWizard.RESULT, timeout=20_000)
    assert (wizard.outcome.imported, wizard.outcome.enrolled, wizard.outcome.refills) == (2, 2, 2)
    rows = {(r.full_name, r.programme): r for r in followups.work_rows(session.ctx.store, today)}
    assert rows[("Đinh Văn Tám", "hypertension")].item.due_date == dt.date(2025, 10, 31)
    assert ("Mai Thị Chín", "diabetes") in rows
    wizard.close()


def test_a_vaccination_register_through_the_wizard(session, nurse, qtbot, tmp_path, today):
    """Bệnh nhân → "Nhập từ Excel…": the station's vaccination register as a choice of what the
    file holds; a wrong row stops it at the preview (all or nothing), a right file saves every dose."""
    from station_app.domain.dates import PartialDate
    from station_app.domain.patient import Patient

    store = session.ctx.store
    child = patients.insert(store, Patient("Đoàn Gia Hân", "2", PartialDate(2023, 3, 10)))
    book = Workbook()
    sheet = book.active
    sheet.append(["SỔ TIÊM CHỦNG"])
    sheet.append(["Số hồ sơ", "Họ và tên", "Ngày sinh", "Vắc xin", "Ngày tiêm", "Nơi tiêm"])
    sheet.append([child.record_no, child.full_name, "10/03/2023", "VNNB 1", "05/11/2025", "Phòng khám tư"])
    sheet.append([child.record_no, child.full_name, "10/03/2023", "VNNB 2", "12/11/2025", "Phòng khám tư"])
    sheet.append([child.record_no, child.full_name, "10/03/2023", "Thuốc bổ", "12/11/2025", ""])
    source = tmp_path / "so-tiem-chung.xlsx"
    book.save(source)

    def start() -> ImportWizard:
        import_wizard.ask_open_path = lambda parent: str(source)
        wizard = data_io.start_import(session.ctx, session.window)
        wizard.file_page._browse()
        what = wizard.file_page.what
        assert what.itemText(what.findData("vaccinations")) == "Sổ tiêm chủng (mũi tiêm tại trạm hoặc nơi khác)"
        assert what.findData("visits") >= 0
        what.setCurrentIndex(what.findData("vaccinations"))
        next_page(nurse, qtbot, wizard, ImportWizard.ROWS)
        assert wizard.rows_page.header_row.value() == 2
        next_page(nurse, qtbot, wizard, ImportWizard.MAPPING)
        assert set(wizard.mapping_page.mapping().values()) == {
            "record_no", "full_name", "birth_date", "vaccine", "date", "place"}
        next_page(nurse, qtbot, wizard, ImportWizard.DATES)
        next_page(nurse, qtbot, wizard, ImportWizard.PREVIEW)
        qtbot.waitUntil(lambda: wizard.preview is not None)
        return wizard

    wizard = start()
    assert len(wizard.preview.invalid) == 1
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert not wizard.preview_page.leave_out.isVisible()
    assert "Thuốc bổ" in wizard.preview_page.model.index(0, 0).data()
    wizard.close()
    sheet.delete_rows(5)
    book.save(source)
    wizard = start()
    qtbot.waitUntil(lambda: wizard.button(QWizard.WizardButton.NextButton).isEnabled())
    nurse.click(wizard.button(QWizard.WizardButton.NextButton))
    qtbot.waitUntil(lambda: wizard.currentId() == ImportWizard.RESULT, timeout=20_000)
    assert wizard.outcome.added == 2
    assert "2" in wizard.result_page.text.text()
    due = {followups.rule_of(store, int(i.id)): i.due_date for i in followups.patient_items(store, child.id, True)}
    assert due["vaccine:je:3"] == dt.date(2026, 11, 12)
    wizard.close()
