"""Thuốc: the stock by lot with expired and expiring lots marked, a delivery typed in, a delivery
note read, a stock count (head only), the formulary's versions; the Today view's counts; the
prescription slip from the patient's page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtWidgets import QPushButton

from station_app import clock
from station_app.domain.medicines import PrescriptionLine, ReceiptLine
from station_app.domain.visit import Visit
from station_app.store import audit, formulary, stock, visits
from station_app.ui import dialogs
from station_app.ui.pdf_preview import PdfPreviewDialog
from station_app.ui.views import stock as stock_view


def lots_by_no(store) -> dict[str, float]:
    return {lot.lot_no: lot.balance for lot in stock.lots(store)}


def test_stock_view_marks_expired_and_expiring_lots(session) -> None:
    today = clock.today()
    stock.receive(session.store, [
        ReceiptLine("ORS", "OLD-1", today + dt.timedelta(days=20), 30, 2500),
        ReceiptLine("ORS", "NEW-1", today + dt.timedelta(days=400), 100, 2500),
    ], today - dt.timedelta(days=10))
    view = session.window.show_area("medicines")
    view.filter.setText("oresol")
    rows = {view.lots.item(r, 2).text(): view.lots.item(r, 6).text() for r in range(view.lots.rowCount())}
    assert rows["OLD-1"] == "Hết hạn sau 20 ngày" and rows["NEW-1"] == ""
    assert {view.lots.item(r, 0).text() for r in range(view.lots.rowCount())} == {"ORS"}


def test_receive_a_delivery_in_the_form_all_or_nothing(session, qtbot) -> None:
    view = session.window.show_area("medicines")
    filled: list[object] = []

    def fill(dialog) -> bool:
        filled.append(dialog)
        cells = [("AMLO5", "F-1", "31/12/2027", "300", "300"), ("NOPE", "F-2", "31/12/2027", "10", "1")]
        for row, values in enumerate(cells):
            for col, text in enumerate(values):
                dialog.lines.setItem(row, col, stock_view._item(text))
        return True

    dialogs.fill = fill
    try:
        view.receive()
        assert "NOPE" in filled[0].problems.text()  # refused whole: the form stays open with the reason
        assert "F-1" not in lots_by_no(session.store)

        def fill_good(dialog) -> bool:
            dialog.lines.setItem(0, 0, stock_view._item("amlo5"))
            for col, text in enumerate(("F-1", "31/12/2027", "300", "300"), start=1):
                dialog.lines.setItem(0, col, stock_view._item(text))
            return True

        dialogs.fill = fill_good
        view.receive()
    finally:
        dialogs.fill = None
    assert lots_by_no(session.store)["F-1"] == 300


def test_read_a_delivery_note(session, tmp_path: Path, answers) -> None:
    note = tmp_path / "phieu.csv"
    note.write_text("Mã thuốc,Số lô,Hạn dùng,Số lượng,Đơn giá\nMETF500,DN-1,30/06/2027,400,350\n", encoding="utf-8")
    view = session.window.show_area("medicines")
    stock_view.choose_path = lambda *_a: str(note)
    try:
        view.import_note()
    finally:
        stock_view.choose_path = None
    assert lots_by_no(session.store)["DN-1"] == 400
    assert answers.titles("info") == ["Nhập"]


def test_stock_count_writes_the_differences_for_the_head(session) -> None:
    today = clock.today()
    stock.receive(session.store, [ReceiptLine("PARA500", "SC-1", today + dt.timedelta(days=300), 500, 200)],
                  today - dt.timedelta(days=5))
    view = session.window.show_area("medicines")
    assert view.count_button.isEnabled()

    def fill(dialog) -> bool:
        row = next(r for r, lot in enumerate(dialog.found) if lot.lot_no == "SC-1")
        dialog.table.item(row, 4).setText("497")
        return True

    dialogs.fill = fill
    try:
        view.count()
    finally:
        dialogs.fill = None
    assert lots_by_no(session.store)["SC-1"] == 497
    entry = max(audit.entries(session.store), key=lambda e: e.id)
    assert entry.target_type == "stock_count"


def test_a_nurse_cannot_count_or_change_the_formulary(make_session, demo_copy) -> None:
    session = make_session(demo_copy, role="nurse")
    view = session.window.show_area("medicines")
    assert not view.count_button.isEnabled() and not view.add_drug_button.isEnabled()
    assert view.receive_button.isEnabled()


def test_change_a_drug_makes_a_new_version(session) -> None:
    view = session.window.show_area("medicines")

    def fill(dialog) -> bool:
        dialog.price.setValue(333)
        dialog.reason.setText("giá thầu mới")
        return True

    view.filter.setText("AMLO5")
    view.drugs.setCurrentCell(0, 0)
    dialogs.fill = fill
    try:
        view.edit_drug(view._selected_drug())
    finally:
        dialogs.fill = None
    assert [d.unit_price for d in formulary.history(session.store, "AMLO5")][-2:] == [300, 333]


def test_today_counts_low_stock_and_expiring_lots(session) -> None:
    today = clock.today()
    stock.receive(session.store, [ReceiptLine("ADRE1", "EX-1", today + dt.timedelta(days=30), 2, 3500)],
                  today - dt.timedelta(days=5))
    view = session.window.show_area("today")
    view.refresh()
    cards = {card.title.text(): card.value.text() for card, _fn in view.cards}
    assert int(cards["Lô hết hạn trong 60 ngày"]) == len(stock.expiring(session.store, today)) >= 1
    assert int(cards["Thuốc sắp hết"]) == len(stock.low_stock(session.store, today)) >= 1


def test_print_the_prescription_from_the_patients_page(session, nurse, adult) -> None:
    today = clock.today()
    store = session.store
    stock.receive(store, [ReceiptLine("AMLO5", "PR-1", today + dt.timedelta(days=300), 100, 300)],
                  today - dt.timedelta(days=5))
    saved = visits.insert(store, Visit(patient_id=int(adult.id or 0), visit_at=dt.datetime.combine(today, dt.time(9)),
                                       diagnosis_code="I10", diagnosis_text="Tăng huyết áp"),
                          prescription=[PrescriptionLine("AMLO5", 30, "1 viên", 1, 30)])
    session.ctx.open_patient.emit(adult.id)
    page = session.window.views["patients"].page
    assert page.selected_visit_id() == saved.id  # the newest visit heads the history
    button = next(b for b in page.findChildren(QPushButton) if b.text() == "In đơn thuốc…")
    nurse.click(button)
    preview = nurse.dialog(PdfPreviewDialog)
    assert preview.isVisible()
    preview.done(0)


def test_codes_lots_and_expiry_dates_show_whole_at_the_largest_text_size(make_session, demo_copy: Path) -> None:
    from station_app.ui.context import FONT_SCALES, settings

    s = settings()
    s.setValue("ui/font_scale", max(FONT_SCALES))
    s.sync()
    session = make_session(demo_copy)
    session.window.resize(1366, 688)
    view = session.window.show_area("medicines")
    table = view.lots
    assert table.rowCount() > 5
    metrics = table.fontMetrics()
    for column in (0, 2, 3, 4):  # code, lot, expiry, in stock
        widest = max(metrics.horizontalAdvance(table.item(r, column).text()) for r in range(table.rowCount()))
        assert table.columnWidth(column) >= widest, table.horizontalHeaderItem(column).text()
    long_name = max((table.item(r, 1) for r in range(table.rowCount())), key=lambda item: len(item.text()))
    assert long_name.toolTip() == long_name.text(), "a name cut short is whole in its tooltip"
