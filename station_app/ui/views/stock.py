"""Thuốc: the medicine stock by drug and lot (expired, expiring and low lines marked), deliveries
entered in a form or read from the district's delivery note, the stock count (kiểm kê, head of
station), the monthly medicine report, and the formulary (head of station: add, change, retire).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from station_app import clock
from station_app.domain.accounts import Permission
from station_app.domain.medicines import EXPIRING_DAYS, Drug, ReceiptLine, quantity_text, search
from station_app.domain.monthly import Month
from station_app.domain.receipt_import import ReceiptFileError, parse_day, parse_number, read_receipt
from station_app.i18n import N_, tr
from station_app.store import StoreError, formulary, stock
from station_app.ui import dialogs
from station_app.ui.context import AppContext, Change
from station_app.ui.widgets import heading, py_date, shortcut

EXPIRED_COLOUR = QColor("#f8d7da")
EXPIRING_COLOUR = QColor("#fff3cd")

# In tests: (parent, title, suggested, filter, save) -> the chosen path ("" = cancelled).
choose_path: Callable[[QWidget | None, str, str, str, bool], str] | None = None


def _path(parent: QWidget | None, title: str, suggested: str, file_filter: str, save: bool) -> str:
    if choose_path is not None:
        return choose_path(parent, title, suggested, file_filter, save)
    if save:
        path, _ = QFileDialog.getSaveFileName(parent, title, suggested, file_filter)
    else:
        path, _ = QFileDialog.getOpenFileName(parent, title, suggested, file_filter)
    return path


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    # Codes, lots, dates and counts whole at any text size; the drug's name takes the rest (cut
    # with "…" when narrow, whole in the tooltip).
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
    return table


def _item(text: str, right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setToolTip(text)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class StockView(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(tr("Find a drug (accents optional)"))
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(lambda _t: self.refresh())
        self.summary = QLabel()

        self.lots = _table([tr("Code"), tr("Drug"), tr("Lot"), tr("Expiry"), tr("In stock"), tr("Unit"),
                            tr("Status")])
        self.drugs = _table([tr("Code"), tr("Drug"), tr("Dosage form"), tr("Unit"), tr("Unit price"),
                             tr("Insurance"), tr("In stock"), tr("Version")])
        self.tabs = QTabWidget()
        self.tabs.addTab(self.lots, tr("Stock by lot"))
        self.tabs.addTab(self.drugs, tr("Formulary"))

        self.receive_button = QPushButton(tr("Receive medicines…"))
        self.import_button = QPushButton(tr("Read a delivery note…"))
        self.count_button = QPushButton(tr("Stock count…"))
        self.report_button = QPushButton(tr("Monthly medicine report…"))
        self.add_drug_button = QPushButton(tr("Add a drug…"))
        self.edit_drug_button = QPushButton(tr("Change the drug…"))
        self.retire_drug_button = QPushButton(tr("Retire the drug…"))
        self.receive_button.clicked.connect(self.receive)
        self.import_button.clicked.connect(self.import_note)
        self.count_button.clicked.connect(self.count)
        self.report_button.clicked.connect(self.monthly_report)
        self.add_drug_button.clicked.connect(lambda: self.edit_drug(None))
        self.edit_drug_button.clicked.connect(lambda: self.edit_drug(self._selected_drug()))
        self.retire_drug_button.clicked.connect(self.retire_drug)
        self.drugs.itemActivated.connect(lambda _i: self.edit_drug(self._selected_drug()))

        top = QHBoxLayout()
        top.addWidget(heading(tr("Medicines")))
        top.addStretch(1)
        top.addWidget(self.filter, 2)
        # The stock's work on one row, the formulary's on the next (one row of seven is wider than
        # the screen at the largest text size).
        buttons = QVBoxLayout()
        for row in ((self.receive_button, self.import_button, self.count_button, self.report_button),
                    (self.add_drug_button, self.edit_drug_button, self.retire_drug_button)):
            line = QHBoxLayout()
            for button in row:
                line.addWidget(button)
            line.addStretch(1)
            buttons.addLayout(line)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)
        shortcut("Ctrl+F", self, self.filter.setFocus)
        ctx.subscribe(self, {Change.VISITS, Change.STOCK}, self.refresh)
        self.refresh()

    def activate(self) -> None:
        self.refresh()
        self.filter.setFocus()

    # -- reading ------------------------------------------------------------------------------------
    def refresh(self) -> None:
        store = self.ctx.store
        today = clock.today()
        actor = store.actor
        head = actor.can(Permission.ADJUST_STOCK)
        self.count_button.setEnabled(head)
        for button in (self.add_drug_button, self.edit_drug_button, self.retire_drug_button):
            button.setEnabled(actor.can(Permission.MANAGE_FORMULARY))
        self.receive_button.setEnabled(actor.can(Permission.RECEIVE_STOCK))
        self.import_button.setEnabled(actor.can(Permission.RECEIVE_STOCK))
        all_drugs = formulary.by_code(store)
        query = self.filter.text().strip()
        shown = {d.code for d in search(all_drugs.values(), query)} if query else set(all_drugs)
        lots = [lot for lot in stock.lots(store) if lot.drug_code in shown]
        self.lots.setRowCount(len(lots))
        soon = today + dt.timedelta(days=EXPIRING_DAYS)
        for row, lot in enumerate(lots):
            drug = all_drugs.get(lot.drug_code)
            if lot.expiry < today:
                status, colour = tr("Expired: do not give"), EXPIRED_COLOUR
            elif lot.expiry <= soon:
                status, colour = tr("Expires in {days} days").format(days=(lot.expiry - today).days), EXPIRING_COLOUR
            else:
                status, colour = "", None
            cells = [_item(lot.drug_code), _item(drug.name if drug else lot.drug_code), _item(lot.lot_no),
                     _item(lot.expiry.strftime("%d/%m/%Y")), _item(quantity_text(lot.balance), True),
                     _item(drug.unit if drug else ""), _item(status)]
            for col, cell in enumerate(cells):
                if colour is not None:
                    cell.setBackground(QBrush(colour))
                cell.setData(Qt.ItemDataRole.UserRole, lot.lot_id)
                self.lots.setItem(row, col, cell)
        on_hand = stock.on_hand(store, today)
        drugs = [d for d in formulary.drugs(store) if d.code in shown]
        self.drugs.setRowCount(len(drugs))
        for row, drug in enumerate(drugs):
            balance = on_hand.get(drug.code, 0.0)
            cells = [_item(drug.code), _item(drug.name), _item(drug.form), _item(drug.unit),
                     _item(f"{drug.unit_price:,.0f}".replace(",", "."), True),
                     _item(tr("yes") if drug.insured else tr("no")), _item(quantity_text(balance), True),
                     _item(str(drug.version), True)]
            low = drug.low_stock > 0 and balance <= drug.low_stock
            for col, cell in enumerate(cells):
                if low:
                    cell.setBackground(QBrush(EXPIRING_COLOUR))
                cell.setData(Qt.ItemDataRole.UserRole, drug.code)
                self.drugs.setItem(row, col, cell)
        low_count = len(stock.low_stock(store, today))
        expiring = len(stock.expiring(store, today))
        self.summary.setText(tr("{lots} lots in stock · {low} drugs running low · {expiring} lots expiring within "
                                "60 days (or expired)").format(lots=len(lots), low=low_count, expiring=expiring))

    def _changed(self) -> None:
        """This view shows the change at once; the others (Today's counts) when they next show."""
        self.refresh()
        self.ctx.notify({Change.STOCK}, self)

    def _selected_drug(self) -> Drug | None:
        item = self.drugs.item(self.drugs.currentRow(), 0) if self.drugs.currentRow() >= 0 else None
        return formulary.get(self.ctx.store, item.data(Qt.ItemDataRole.UserRole)) if item else None

    # -- receiving ------------------------------------------------------------------------------------
    def receive(self) -> None:
        dialog = ReceiptDialog(self.ctx, self)
        if dialogs.run(dialog):
            self._changed()

    def import_note(self) -> None:
        path = _path(self, tr("Read a delivery note…"), "", tr("Spreadsheets (*.xlsx *.csv)"), False)
        if not path:
            return
        try:
            received_on, supplier, lines = read_receipt(Path(path), clock.today())
            stock.receive(self.ctx.store, lines, received_on, supplier=supplier, note=Path(path).name)
        except ReceiptFileError as exc:
            dialogs.error(self, tr("Not entered"), exc.text())
            return
        except StoreError as exc:
            dialogs.error(self, tr("Not entered"), exc.text())
            return
        dialogs.info(self, tr("Received"), tr("{n} lines received into stock on {date}.").format(
            n=len(lines), date=received_on.strftime("%d/%m/%Y")))
        self._changed()

    def count(self) -> None:
        dialog = StockCountDialog(self.ctx, self)
        if dialogs.run(dialog):
            self._changed()

    # -- the monthly report ---------------------------------------------------------------------------
    def monthly_report(self) -> None:
        dialog = MonthDialog(self)
        if not dialogs.run(dialog):
            return
        from station_app.printing.medicine_report import report_pdf
        from station_app.reports import medicines
        from station_app.store import audit

        month = dialog.month()
        report = medicines.compute(self.ctx.store, month)
        if dialog.excel.isChecked():
            path = _path(self, tr("Save the medicine report"), f"bao-cao-thuoc-{month.key}.xlsx", "Excel (*.xlsx)",
                         True)
            if not path:
                return
            from station_app.files import write_atomic

            try:
                write_atomic(path, medicines.xlsx_bytes(report))
            except OSError as exc:
                dialogs.error(self, tr("Not saved"), str(exc))
                return
            audit.record(self.ctx.store, audit.EXPORT, ("medicine_report", month.key), {"format": "xlsx"})
            dialogs.info(self, tr("Saved"), tr("Saved to {path}.").format(path=path))
            return
        from station_app.ui.pdf_preview import show_pdf

        def printed() -> str:
            audit.record(self.ctx.store, audit.PRINT, ("medicine_report", month.key), {"format": "pdf"})
            return tr("Printed.")

        show_pdf(self, report_pdf(report), tr("Monthly medicine report"), f"bao-cao-thuoc-{month.key}.pdf", printed)

    # -- the formulary --------------------------------------------------------------------------------
    def edit_drug(self, drug: Drug | None) -> None:
        if not self.ctx.store.actor.can(Permission.MANAGE_FORMULARY):
            return
        dialog = DrugDialog(self.ctx, drug, self)
        if dialogs.run(dialog):
            self._changed()

    def retire_drug(self) -> None:
        drug = self._selected_drug()
        if drug is None:
            return
        dialog = ReasonDialog(tr("Retire {drug}").format(drug=drug.name), self)
        if not dialogs.run(dialog):
            return
        try:
            formulary.retire(self.ctx.store, drug.code, dialog.reason.text())
        except StoreError as exc:
            dialogs.error(self, tr("Not saved"), exc.text())
            return
        self._changed()


class ReceiptDialog(QDialog):
    """A delivery typed in: lines of drug code, lot, expiry, quantity, unit price; all or nothing."""

    COLUMNS = (N_("Drug code"), N_("Lot"), N_("Expiry (dd/mm/yyyy)"), N_("Quantity"), N_("Unit price"))

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(tr("Receive medicines"))
        self.resize(820, 460)
        today = clock.today()
        self.received_on = QDateEdit(QDate(today.year, today.month, today.day))
        self.received_on.setDisplayFormat("dd/MM/yyyy")
        self.supplier = QLineEdit()
        self.supplier.setPlaceholderText(tr("e.g. district health centre"))
        self.lines = QTableWidget(8, len(self.COLUMNS))
        self.lines.setHorizontalHeaderLabels([tr(c) for c in self.COLUMNS])
        self.lines.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.lines.setTabKeyNavigation(True)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #b00020;")
        form = QFormLayout()
        form.addRow(tr("Date received"), self.received_on)
        form.addRow(tr("Supplier"), self.supplier)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.lines, 1)
        layout.addWidget(self.problems)
        layout.addWidget(buttons)

    def receipt_lines(self) -> list[ReceiptLine]:
        found = []
        for row in range(self.lines.rowCount()):
            items = [self.lines.item(row, col) for col in range(len(self.COLUMNS))]
            cells = [item.text().strip() if item is not None else "" for item in items]
            if not any(cells):
                continue
            expiry = parse_day(cells[2]) or dt.date.min
            quantity = parse_number(cells[3]) if cells[3] else 0.0
            price = parse_number(cells[4]) if cells[4] else 0.0
            found.append(ReceiptLine(cells[0].upper(), cells[1], expiry, quantity or 0.0, price or 0.0, row=row + 1))
        return found

    def accept(self) -> None:
        day = py_date(self.received_on.date())
        try:
            stock.receive(self.ctx.store, self.receipt_lines(), day, supplier=self.supplier.text().strip())
        except StoreError as exc:
            self.problems.setText(exc.text())
            return
        super().accept()


class StockCountDialog(QDialog):
    """The stock count (kiểm kê): each lot's balance beside the quantity counted; the differences
    are saved as adjustments "count difference" (head of station)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(tr("Stock count"))
        self.resize(820, 520)
        drugs = formulary.by_code(ctx.store)
        self.found = stock.lots(ctx.store)
        self.table = QTableWidget(len(self.found), 5)
        self.table.setHorizontalHeaderLabels([tr("Drug"), tr("Lot"), tr("Expiry"), tr("In stock"), tr("Counted")])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setTabKeyNavigation(True)
        for row, lot in enumerate(self.found):
            drug = drugs.get(lot.drug_code)
            for col, text in enumerate((drug.name if drug else lot.drug_code, lot.lot_no,
                                        lot.expiry.strftime("%d/%m/%Y"), quantity_text(lot.balance))):
                item = _item(text, col == 3)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(row, col, item)
            self.table.setItem(row, 4, _item(quantity_text(lot.balance), True))
        self.note = QLineEdit()
        self.note.setPlaceholderText(tr("Note (who counted)"))
        self.problems = QLabel()
        self.problems.setStyleSheet("color: #b00020;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.problems)
        layout.addWidget(buttons)

    def counted(self) -> dict[int, float] | None:
        found: dict[int, float] = {}
        for row, lot in enumerate(self.found):
            item = self.table.item(row, 4)
            value = parse_number(item.text()) if item is not None else None
            if value is None:
                self.problems.setText(tr("Row {row}: write the quantity counted.").format(row=row + 1))
                return None
            if abs(value - lot.balance) > 1e-9:
                found[lot.lot_id] = value
        return found

    def accept(self) -> None:
        counted = self.counted()
        if counted is None:
            return
        try:
            stock.record_count(self.ctx.store, counted, clock.today(), self.note.text().strip())
        except StoreError as exc:
            self.problems.setText(exc.text())
            return
        super().accept()


class MonthDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Monthly medicine report"))
        last = Month.of(clock.today())
        self.when = QDateEdit(QDate(last.year, last.month, 1))
        self.when.setDisplayFormat("MM/yyyy")
        self.excel = QCheckBox(tr("Excel file instead of the PDF"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(tr("Month"), self.when)
        form.addRow("", self.excel)
        form.addRow(buttons)

    def month(self) -> Month:
        day = py_date(self.when.date())
        return Month(day.year, day.month)


class ReasonDialog(QDialog):
    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.reason = QLineEdit()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(tr("Reason"), self.reason)
        form.addRow(buttons)

    def accept(self) -> None:
        if self.reason.text().strip():
            super().accept()


class DrugDialog(QDialog):
    """Add a drug, or change one (saved as a new version; the old one stays)."""

    def __init__(self, ctx: AppContext, drug: Drug | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.drug = drug
        self.setWindowTitle(tr("Change the drug") if drug else tr("Add a drug"))
        self.code = QLineEdit(drug.code if drug else "")
        self.code.setReadOnly(drug is not None)
        self.ingredient = QLineEdit(drug.ingredient if drug else "")
        self.brand = QLineEdit(drug.brand if drug else "")
        self.strength = QLineEdit(drug.strength if drug else "")
        self.form = QLineEdit(drug.form if drug else "")
        self.route = QLineEdit(drug.route if drug else "uống")
        self.unit = QLineEdit(drug.unit if drug else "viên")
        self.dmdc = QLineEdit(drug.dmdc_code if drug else "")
        self.registration = QLineEdit(drug.registration_no if drug else "")
        self.tender = QLineEdit(drug.tender if drug else "")
        self.price = QDoubleSpinBox()
        self.price.setRange(0, 100_000_000)
        self.price.setDecimals(3)
        self.price.setValue(drug.unit_price if drug else 0)
        self.low = QDoubleSpinBox()
        self.low.setRange(0, 1_000_000)
        self.low.setValue(drug.low_stock if drug else 0)
        self.insured = QCheckBox(tr("On the insurance drug list"))
        self.insured.setChecked(drug.insured if drug else True)
        self.programme = QComboBox()
        for key, label in (("", N_("None")), ("hypertension", N_("Hypertension")), ("diabetes", N_("Diabetes"))):
            self.programme.addItem(tr(label), key)
        self.programme.setCurrentIndex(max(self.programme.findData(drug.programme if drug else ""), 0))
        self.reason = QLineEdit()
        self.problems = QLabel()
        self.problems.setStyleSheet("color: #b00020;")
        form = QFormLayout(self)
        for label, widget in ((N_("Code"), self.code), (N_("Active ingredient"), self.ingredient),
                              (N_("Trade name"), self.brand), (N_("Strength"), self.strength),
                              (N_("Dosage form"), self.form), (N_("Route"), self.route), (N_("Unit"), self.unit),
                              (N_("Active-ingredient code (DMDC)"), self.dmdc),
                              (N_("Registration number"), self.registration), (N_("Tender"), self.tender),
                              (N_("Unit price"), self.price), (N_("Low-stock level"), self.low),
                              ("", self.insured), (N_("Programme"), self.programme)):
            form.addRow(tr(label) if label else "", widget)
        if drug is not None:
            form.addRow(tr("Reason for the change"), self.reason)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(self.problems)
        form.addRow(buttons)

    def value(self) -> Drug:
        base = self.drug or Drug(code="", ingredient="", strength="", form="", unit="")
        return replace(
            base, code=self.code.text(), ingredient=self.ingredient.text(), brand=self.brand.text(),
            strength=self.strength.text(), form=self.form.text(), route=self.route.text(), unit=self.unit.text(),
            dmdc_code=self.dmdc.text(), registration_no=self.registration.text(), tender=self.tender.text(),
            unit_price=self.price.value(), low_stock=self.low.value(), insured=self.insured.isChecked(),
            programme=str(self.programme.currentData() or ""),
        )

    def accept(self) -> None:
        try:
            if self.drug is None:
                formulary.add(self.ctx.store, self.value())
            else:
                formulary.edit(self.ctx.store, self.value(), self.reason.text().strip())
        except StoreError as exc:
            self.problems.setText(exc.text())
            return
        super().accept()


def print_prescription(ctx: AppContext, visit_id: int, page: QWidget) -> None:
    """The selected visit's prescription slip in the preview (Print, Save PDF); audited."""
    from station_app.printing.prescription_slip import slip_pdf
    from station_app.store import audit, visits
    from station_app.ui.pdf_preview import show_pdf

    try:
        data = slip_pdf(ctx.store, visit_id)
    except LookupError:
        dialogs.info(page, tr("Prescription"), tr("This visit has no prescription."))
        return
    visit = visits.get(ctx.store, visit_id)
    patient_id = visit.patient_id if visit else None

    def printed() -> str:
        audit.record(ctx.store, audit.PRINT, ("visit", visit_id), {"document": "prescription"},
                     patient_id=patient_id)
        return tr("Printed.")

    show_pdf(page, data, tr("Prescription"), f"don-thuoc-{visit_id}.pdf", printed)
