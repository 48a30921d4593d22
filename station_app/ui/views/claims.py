"""Hồ sơ BHYT: the claims register of a period. Each insured visit with its state (not checked yet,
held back and why, written and when, to which file, changed since), its money, and the portal's
answer typed in by hand; "Check" (F5) builds every claim without writing, "Write the files…"
writes one GIAMDINHHS file per visit that passes into a folder (the head's and the administrator's),
and the month's totals are saved as PDF or Excel. The files are not signed here: the portal's
signing tool puts the station's digital signature on them before they are sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from station_app import clock
from station_app.domain import claims as domain_claims
from station_app.domain import claims_codes
from station_app.domain.accounts import Permission
from station_app.domain.dates import add_months
from station_app.domain.monthly import Month
from station_app.errors import UserError
from station_app.i18n import N_, tr
from station_app.store import Store, audit
from station_app.store import claims as store_claims
from station_app.store.claims import RegisterRow
from station_app.ui import dialogs, operations
from station_app.ui.context import AppContext, Change
from station_app.ui.qt_i18n import fmt_date
from station_app.ui.widgets import ERROR_COLOUR, DateEdit, heading, shortcut

HELD_FILL = QColor(255, 240, 224)
UNCHECKED_CODES = N_(
    "The files carry codes not yet checked against their official lists ({codes}): replace them under "
    "Settings → Health-insurance claims with the codes your social-insurance office gives."
)
COLUMNS = (
    N_("Date"),
    N_("Patient"),
    "MA_LK",
    N_("Status"),
    N_("Total cost (đồng)"),
    N_("Insurance pays (đồng)"),
    N_("Portal's answer or reasons held back"),
)

# The fix button says where it leads, by where the selected visit's first problem is fixed
# (``domain.claims.FIX_…``; "": not known until checked).
FIX_TITLES = {
    "": N_("Fix…"),
    "card-digits": N_("Enter the card's group and benefit digit…"),
    "card": N_("Correct the patient's card…"),
    "patient": N_("Correct the patient's record…"),
    "staff": N_("Enter the CCHN number in Settings…"),
    "station": N_("Enter the station's codes in Settings…"),
    "services": N_("Enter the priced services in Settings…"),
    "drug": N_("Correct the drug in Medicines…"),
    "category": N_("Change the visit category…"),
    "visit": N_("Open the visit to amend it…"),
    "refused": N_("Open the patient to correct the visit…"),
}
HEAD_ONLY = N_("Only the head of station enters this, in Settings → Health-insurance claims: {problem}")


def _money(value: object) -> str:
    return f"{int(str(value).split('.')[0]):,}".replace(",", ".")


class ClaimsView(QWidget):
    """The claims register of a period, with the checks, the export and the portal's answers.

    "Check" and "Write the files…" run off the GUI thread (``operations.run_op``), with progress;
    ``checked`` or ``written`` is emitted when the register shows the result, ``failed`` with the
    message shown when one could not be done."""

    checked_all = Signal()
    written = Signal()
    failed = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._operation: operations.Operation | None = None
        self.rows: list[RegisterRow] = []
        # What "Check" found, not yet in the register: visit → (problems, MA_LK, total, fund).
        self.checked: dict[int, tuple[list[str], str, Decimal, Decimal]] = {}
        # Where each checked visit's problems are fixed: visit → [(field, message source)].
        self.fix_fields: dict[int, list[tuple[str, str]]] = {}
        self._fix_after_check: int | None = None

        self.title = heading(tr("Health-insurance claims"))
        self.start = DateEdit()
        self.end = DateEdit()
        for edit in (self.start, self.end):
            edit.setMaximumWidth(120)
            edit.returnPressed.connect(lambda: self.reload())
        self.last_month_button = QPushButton(tr("Last month"))
        self.last_month_button.clicked.connect(lambda: self.show_month(-1))
        self.month_button = QPushButton(tr("This month"))
        self.month_button.clicked.connect(lambda: self.show_month(0))
        self.check_button = QPushButton(tr("Check") + " (F5)")
        self.check_button.clicked.connect(lambda: self.check())
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(QLabel(tr("From")))
        top.addWidget(self.start)
        top.addWidget(QLabel(tr("to")))
        top.addWidget(self.end)
        top.addWidget(self.last_month_button)
        top.addWidget(self.month_button)
        top.addWidget(self.check_button)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([tr(c) if c != "MA_LK" else c for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(lambda: self._update_buttons())

        self.write_button = QPushButton(tr("Write the files…"))
        self.write_button.clicked.connect(lambda: self.write_files())
        self.accepted_button = QPushButton(tr("Portal accepted"))
        self.accepted_button.clicked.connect(lambda: self.record_answer(True))
        self.refused_button = QPushButton(tr("Portal refused…"))
        self.refused_button.clicked.connect(lambda: self.record_answer(False))
        self.open_button = QPushButton(tr("Open the patient") + " (Enter)")
        self.open_button.clicked.connect(lambda: self.open_patient())
        self.table.activated.connect(lambda _index: self.open_patient())
        self.fix_button = QPushButton(tr(FIX_TITLES[""]) + " (F2)")
        self.fix_button.clicked.connect(lambda: self.fix())
        self.card_button = QPushButton(tr("Card group and benefit digit…"))
        self.card_button.clicked.connect(lambda: self.edit_card())
        self.category_button = QPushButton(tr("Visit category…"))
        self.category_button.clicked.connect(lambda: self.edit_category())
        self.pdf_button = QPushButton(tr("Month's totals (PDF)…"))
        self.pdf_button.clicked.connect(lambda: self.save_month("pdf"))
        self.xlsx_button = QPushButton(tr("Month's totals (Excel)…"))
        self.xlsx_button.clicked.connect(lambda: self.save_month("xlsx"))
        self.held_only = QCheckBox(tr("Only the visits held back"))
        self.held_only.toggled.connect(lambda _on: self.reload())
        # Two rows of buttons, so the register fits a 1366-pixel screen at every text size: what is
        # done for the selected visit, then what is done for the period.
        fixes = QHBoxLayout()
        for button in (self.open_button, self.card_button, self.category_button):
            fixes.addWidget(button)
        fixes.addStretch(1)
        actions = QHBoxLayout()
        for button in (self.write_button, self.accepted_button, self.refused_button):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.pdf_button)
        actions.addWidget(self.xlsx_button)
        # The selected visit's whole message (the column shows its start only).
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.note = QLabel(tr("The files are signed with the portal's signing tool before they are sent."))
        self.note.setWordWrap(True)
        self.unchecked = QLabel()
        self.unchecked.setWordWrap(True)
        self.unchecked.setStyleSheet("color: #a15c00;")
        self.problem = QLabel()
        self.problem.setStyleSheet(f"color: {ERROR_COLOUR};")
        totals = QHBoxLayout()
        totals.addWidget(self.summary, 1)
        totals.addWidget(self.held_only)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        # The message and its fix side by side (the fix button's words change with the message).
        problem_row = QHBoxLayout()
        problem_row.addWidget(self.detail, 1)
        problem_row.addWidget(self.fix_button)
        layout.addLayout(problem_row)
        layout.addLayout(fixes)
        layout.addLayout(actions)
        layout.addLayout(totals)
        layout.addWidget(self.note)
        layout.addWidget(self.unchecked)
        layout.addWidget(self.problem)

        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        shortcut("F5", self, lambda: self.check(), context)
        shortcut("F2", self, lambda: self.fix(), context)
        ctx.subscribe(self, {Change.VISITS, Change.PATIENTS, Change.PROFILE, Change.STOCK, Change.CLAIMS}, self.reload)
        may = ctx.store.actor.can(Permission.EXPORT_CLAIMS)
        for button in (self.write_button, self.accepted_button, self.refused_button, self.pdf_button,
                       self.xlsx_button):
            button.setVisible(may)  # (the check, F5, is everyone's: it writes nothing)
        self.show_month(-1)

    # -- the period -----------------------------------------------------------------------------
    def show_month(self, offset: int) -> None:
        first = add_months(clock.today().replace(day=1), offset)
        self.start.set_date(first)
        self.end.set_date(add_months(first, 1) - dt.timedelta(days=1))
        self.reload()

    def period(self) -> tuple[dt.date, dt.date] | None:
        first, last = self.start.date(), self.end.date()
        if first is None or last is None or last < first:
            self.problem.setText(tr("Write the period's first and last day (dd/mm/yyyy)."))
            return None
        self.problem.setText("")
        return first, last

    # -- the list -------------------------------------------------------------------------------
    def _held(self, row: RegisterRow) -> bool:
        found = self.checked.get(row.visit_id) if row.status != "written" else None
        return row.status == "held" or (row.status == "" and bool(found and found[0]))

    def show_unchecked_codes(self) -> None:
        """Say which placeholder codes (not checked against their official list) the files carry."""
        info = store_claims.station_info(self.ctx.store)
        exams = [s.code for s in store_claims.services(self.ctx.store) if s.group == "13"]
        codes = claims_codes.unchecked_in_use(info.department_code, exams)
        self.unchecked.setVisible(bool(codes))
        self.unchecked.setText(tr(UNCHECKED_CODES).format(codes=", ".join(codes)) if codes else "")

    def reload(self) -> None:
        period = self.period()
        if period is None:
            return
        selected = self.selected()
        every = store_claims.register(self.ctx.store, *period)
        self.rows = [r for r in every if self._held(r)] if self.held_only.isChecked() else every
        self.show_unchecked_codes()
        self.table.setRowCount(len(self.rows))
        for n, row in enumerate(self.rows):
            found = self.checked.get(row.visit_id) if row.status != "written" else None
            problems = found[0] if found else row.problems
            ma_lk, total, fund = (found[1], found[2], found[3]) if found else (row.ma_lk, row.total, row.fund)
            held = self._held(row)
            status = tr("Held back") if held and row.status == "" else row.status_label()
            if row.status == "" and row.visit_id in self.checked and not problems:
                status = tr("Ready")
            reason = "; ".join(problems) if held else row.answer_label()
            if row.status == "written" and not row.answer:
                reason = tr("Written {when} to {file}").format(
                    when=fmt_date(dt.date.fromisoformat(row.written_at[:10])), file=Path(row.file).name
                )
            cells = (
                fmt_date(dt.date.fromisoformat(row.visit_at[:10])),
                row.full_name,
                ma_lk,
                status,
                _money(total) if row.status or found else "",
                _money(fund) if row.status or found else "",
                reason,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if held:
                    item.setBackground(QBrush(HELD_FILL))
                if column >= 4:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                                          if column < 6 else Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
                if column == 6 and text:
                    item.setToolTip(text)
                self.table.setItem(n, column, item)
        written = sum(1 for r in every if r.status == "written")
        held_count = sum(1 for r in every if self._held(r))
        fund = sum((r.fund for r in every if r.status == "written"), Decimal(0))
        if not every:
            self.summary.setText(tr("No insured visit from {first} to {last}: choose another period (Last month, "
                                    "This month or the dates).").format(first=fmt_date(period[0]),
                                                                        last=fmt_date(period[1])))
        else:
            self.summary.setText(
                tr("{visits} insured visits: {written} written, {held} held back; insurance pays {fund} đồng.").format(
                    visits=len(every), written=written, held=held_count, fund=_money(fund)
                )
            )
        if selected is not None:
            again = next((n for n, r in enumerate(self.rows) if r.visit_id == selected.visit_id), None)
            if again is not None:
                self.table.selectRow(again)
        self._update_buttons()

    def selected(self) -> RegisterRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None

    def open_patient(self) -> None:
        """The patient's page, where a card's dates, registered facility and number are corrected."""
        row = self.selected()
        if row is not None:
            self.ctx.open_patient.emit(row.patient_id)

    def ask_card(self, current: str) -> str | None:
        row = self.selected()
        text, ok = QInputDialog.getText(
            self, tr("Card group and benefit digit…"),
            tr("{name}'s card: the group (2 letters) and benefit digit printed on it, e.g. GD4:").format(
                name=row.full_name if row else ""), text=current,
        )
        return text if ok else None

    def edit_card(self) -> None:
        """A card printed with its 10-digit number only: the group and digit printed on it."""
        row = self.selected()
        if row is None:
            return
        rows = self.ctx.store.query(
            "SELECT insurance_group, insurance_benefit FROM patients WHERE id = ?", (row.patient_id,)
        )
        answer = self.ask_card(f"{rows[0]['insurance_group']}{rows[0]['insurance_benefit']}" if rows else "")
        if answer is None:
            return
        text = answer.strip().upper()
        if len(text) != 3 or not text[:2].isalpha() or text[2] not in "12345":
            dialogs.error(
                self, tr("Health-insurance claims"), tr("Write two letters and a digit from 1 to 5, e.g. GD4.")
            )
            return
        try:
            store_claims.save_patient_claim_fields(
                self.ctx.store, row.patient_id, insurance_group=text[:2], insurance_benefit=text[2]
            )
        except UserError as exc:
            dialogs.error(self, tr("Health-insurance claims"), exc.text())
            return
        self.ctx.notify({Change.PATIENTS}, self)
        self.check()

    def ask_category(self, choices: list[str], current: int) -> str | None:
        text, ok = QInputDialog.getItem(self, tr("Visit category…"), tr("The visit's category (MA_DOITUONG_KCB):"),
                                        choices, current, False)
        return text if ok else None

    def edit_category(self) -> None:
        """The visit's category when it is not the station's default (1.2)."""
        from station_app.domain import claims as domain

        row = self.selected()
        if row is None:
            return
        categories = domain.categories()
        choices = [f"{code} – {c['name']}" for code, c in categories.items()]
        current = str(self.ctx.store.scalar("SELECT claim_category FROM visits WHERE id = ?", (row.visit_id,)) or "")
        codes = list(categories)
        index = codes.index(current) if current in codes else codes.index(domain.default_category())
        answer = self.ask_category(choices, index)
        if answer is None:
            return
        code = answer.split(" ", 1)[0]
        try:
            store_claims.set_category(self.ctx.store, row.visit_id, "" if code == domain.default_category() else code)
        except UserError as exc:
            dialogs.error(self, tr("Health-insurance claims"), exc.text())
            return
        self.ctx.notify({Change.VISITS}, self)
        self.check()

    def _update_buttons(self) -> None:
        row = self.selected()
        answerable = row is not None and row.status == "written"
        self.accepted_button.setEnabled(answerable)
        self.refused_button.setEnabled(answerable)
        self.open_button.setEnabled(row is not None)
        self.card_button.setEnabled(row is not None)
        self.category_button.setEnabled(row is not None)
        kind = self.fix_kind(row) if row is not None else None
        self.fix_button.setEnabled(kind is not None)
        self.fix_button.setText(tr(FIX_TITLES[kind or ""]) + " (F2)")
        text = ""
        if row is not None:
            item = self.table.item(self.table.currentRow(), 6)
            message = item.text() if item is not None else ""
            if message and self._held(row):
                text = tr("Held back: {reasons}").format(reasons=message)
            elif message:
                text = message
        self.detail.setText(text)
        self.detail.setVisible(bool(text))

    # -- fixing a held-back visit -----------------------------------------------------------------
    def fix_kind(self, row: RegisterRow) -> str | None:
        """Where the selected visit's first problem is fixed (a key of FIX_TITLES), None: nothing to fix."""
        if row.status == "written":
            return "refused" if row.answer == "refused" else None
        if not self._held(row):
            return None
        fields = self.fix_fields.get(row.visit_id)
        if not fields:
            return ""  # held in an earlier run: checked again first
        where, message = fields[0]
        kind = where.split(".", 1)[0]
        if kind == domain_claims.FIX_CARD and message == domain_claims.CARD_DIGITS_ONLY:
            return "card-digits"
        if kind == domain_claims.FIX_VISIT and message == domain_claims.CATEGORY_UNKNOWN:
            return "category"
        return kind if kind in FIX_TITLES else "visit"

    def fix(self) -> None:
        """The fix of the selected visit's first problem, in one step: the dialog, the patient's
        form, or the place in Settings or Medicines where it is entered."""
        row = self.selected()
        kind = self.fix_kind(row) if row is not None else None
        if row is None or kind is None:
            return
        if kind == "":
            self._fix_after_check = row.visit_id
            self.check()
            return
        first = self.fix_fields.get(row.visit_id, [("", "")])[0]
        places = {"staff": "claims/staff", "services": "claims/services", "station": "claims/station"}
        if kind in places:
            if not self.ctx.store.actor.can(Permission.EDIT_STATION):
                message = self.checked[row.visit_id][0][0] if row.visit_id in self.checked else ""
                dialogs.info(self, tr("Health-insurance claims"), tr(HEAD_ONLY).format(problem=message))
                return
            place = "profile/facility_code" if first[1] == domain_claims.FACILITY_MISSING else places[kind]
            self.ctx.show_place.emit("settings", place)
        elif kind == "card-digits":
            self.edit_card()
        elif kind == "category":
            self.edit_category()
        elif kind in ("card", "patient"):
            self.ctx.edit_patient.emit(row.patient_id)
        elif kind == "drug":
            self.ctx.show_place.emit("medicines", "")
        else:
            self.ctx.open_patient.emit(row.patient_id)

    # -- actions --------------------------------------------------------------------------------
    def busy(self) -> bool:
        return self._operation is not None and self._operation.running

    def _start(self, label: str, work: Callable[[Store, operations.Progress], object],
               on_done: Callable[[object], object], *, changes: set[Change] | None = None) -> None:
        for button in (self.check_button, self.write_button):
            button.setEnabled(False)
        self._operation = operations.run_op(self, self.ctx, label, work, on_done, changes=changes or (),
                                            on_error=self._failed)

    def _finished(self) -> None:
        self._operation = None
        for button in (self.check_button, self.write_button):
            button.setEnabled(True)

    def _failed(self, exc: BaseException) -> None:
        self._finished()
        if not isinstance(exc, UserError):
            operations.show_error(self, exc)
            self.failed.emit(str(exc))
            return
        dialogs.error(self, tr("Health-insurance claims"), exc.text())
        self.failed.emit(exc.text())

    def check(self) -> None:
        """Build every claim of the period off the GUI thread and show what holds each back,
        writing nothing; ``checked_all`` when the register shows it."""
        from station_app.reports import claims

        period = self.period()
        if period is None or self.busy():
            return

        fields: dict[int, list[tuple[str, str]]] = {}

        def work(store: Store, progress: operations.Progress) -> dict[int, tuple[list[str], str, Decimal, Decimal]]:
            total = store_claims.count_insured(store, *period)
            found: dict[int, tuple[list[str], str, Decimal, Decimal]] = {}
            fields.clear()
            for number, (_gathered, claim) in enumerate(claims.build_each(store, *period), start=1):
                totals = claim.totals()
                errors = [p for p in claim.problems if p.is_error]
                problems = [p.text() for p in errors]
                found[claim.visit_id] = (problems, claim.ma_lk, totals["T_TONGCHI_BV"], totals["T_BHTT"])
                fields[claim.visit_id] = [(p.field, p.message) for p in errors]
                if number % claims.PROGRESS_EVERY == 0 or number == total:
                    progress(number, total)
            return found

        def done(found: object) -> None:
            self._finished()
            assert isinstance(found, dict)
            self.checked = found
            self.fix_fields = fields
            self.reload()
            self.checked_all.emit()
            pending, self._fix_after_check = self._fix_after_check, None
            if pending is not None:
                again = next((n for n, r in enumerate(self.rows) if r.visit_id == pending), None)
                if again is not None:
                    self.table.selectRow(again)
                    self.fix()

        self._start(tr("Checking the claims…"), work, done)

    def choose_folder(self) -> str:
        return QFileDialog.getExistingDirectory(self, tr("Folder for the claims files"), str(Path.home()))

    def write_files(self) -> None:
        """Write the files of the period off the GUI thread, then show the register; ``written``."""
        from station_app.reports import claims

        period = self.period()
        if period is None or self.busy():
            return
        folder = self.choose_folder()
        if not folder:
            return

        def work(store: Store, progress: operations.Progress) -> list[claims.Outcome]:
            return claims.run(store, *period, Path(folder), progress)

        def done(result: object) -> None:
            self._finished()
            assert isinstance(result, list)
            self.checked = {}
            self.reload()
            count = sum(1 for o in result if o.status == "written")
            self.written.emit()
            dialogs.info(
                self,
                tr("Health-insurance claims"),
                tr("{written} files written to {folder}; {held} visits held back. Sign the files with the portal's "
                   "tool before sending them.").format(written=count, folder=folder, held=len(result) - count),
            )

        self._start(tr("Writing the claims files…"), work, done, changes={Change.CLAIMS})

    def ask_reason(self) -> str | None:
        text, ok = QInputDialog.getText(self, tr("Portal refused…"), tr("The portal's reason:"))
        return text if ok else None

    def record_answer(self, accepted: bool) -> None:
        row = self.selected()
        if row is None:
            return
        reason = ""
        if not accepted:
            answer = self.ask_reason()
            if answer is None:
                return
            reason = answer
        try:
            store_claims.record_answer(self.ctx.store, row.visit_id, accepted, reason)
        except UserError as exc:
            dialogs.error(self, tr("Health-insurance claims"), exc.text())
            return
        self.reload()

    def choose_file(self, suffix: str) -> str:
        name = f"ho-so-bhyt-{Month.of(self.start.date() or clock.today()).key}.{suffix}"
        path, _filter = QFileDialog.getSaveFileName(self, tr("Save"), str(Path.home() / name))
        return path

    def save_month(self, kind: str) -> None:
        from station_app.files import write_atomic
        from station_app.printing.claims_report import claims_pdf
        from station_app.reports.claims import totals_xlsx

        month = Month.of(self.start.date() or clock.today())
        target = self.choose_file(kind)
        if not target:
            return
        try:
            self.ctx.store.require(Permission.EXPORT_CLAIMS)
            totals = store_claims.month_totals(self.ctx.store, month)
            data = claims_pdf(totals, self.ctx.store) if kind == "pdf" else totals_xlsx(totals)
            write_atomic(target, data)
            audit.record_output(self.ctx.store, Permission.EXPORT_CLAIMS, audit.EXPORT, ("claims_report", month.key),
                                {"format": kind, "file": target})
        except (UserError, OSError) as exc:
            dialogs.error(self, tr("Health-insurance claims"), exc.text() if isinstance(exc, UserError) else str(exc))
