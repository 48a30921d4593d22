"""Lượt khám: the visit book (A1) for a day or a period, with filters and totals."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from station_app import clock
from station_app.i18n import tr
from station_app.store import visits
from station_app.ui.context import AppContext, Change
from station_app.ui.models import VisitLogModel
from station_app.ui.qt_i18n import fmt_int
from station_app.ui.widgets import py_date


def _qdate(value: dt.date) -> QDate:
    return QDate(value.year, value.month, value.day)


class VisitLogView(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        today = clock.today()
        self.start = QDateEdit(_qdate(today))
        self.end = QDateEdit(_qdate(today))
        for edit in (self.start, self.end):
            edit.setDisplayFormat("dd/MM/yyyy")
            edit.setCalendarPopup(True)
        self.today_button = QPushButton(tr("Today"))
        self.today_button.clicked.connect(self.show_today)
        self.month_button = QPushButton(tr("This month"))
        self.month_button.clicked.connect(self.show_month)
        self.diagnosis = QLineEdit()
        self.diagnosis.setPlaceholderText(tr("ICD-10 code, e.g. I10"))
        self.diagnosis.setMaximumWidth(160)
        self.clinician = QComboBox()
        self.insurance = QComboBox()
        self.insurance.addItem(tr("All"), None)
        self.insurance.addItem(tr("Health insurance"), True)
        self.insurance.addItem(tr("Not insured"), False)

        filters = QHBoxLayout()
        filters.addWidget(QLabel(tr("From")))
        filters.addWidget(self.start)
        filters.addWidget(QLabel(tr("to")))
        filters.addWidget(self.end)
        filters.addWidget(self.today_button)
        filters.addWidget(self.month_button)
        filters.addStretch(1)
        # A second row: in one, the filters made the window wider than a 1366-pixel screen at the
        # larger text sizes.
        more_filters = QHBoxLayout()
        more_filters.addWidget(QLabel(tr("Diagnosis")))
        more_filters.addWidget(self.diagnosis)
        more_filters.addWidget(QLabel(tr("Clinician")))
        more_filters.addWidget(self.clinician)
        more_filters.addWidget(self.insurance)
        more_filters.addStretch(1)

        self.model = VisitLogModel(ctx.store, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        scale = self.table.fontMetrics().height() / 17
        for column, width in enumerate((130, 80, 190, 60, 95, 120, 190, 230, 200, 140, 70)):
            self.table.setColumnWidth(column, int(width * scale))
        self.table.activated.connect(self._open)
        self.totals = QLabel()
        self.totals.setStyleSheet("font-weight: bold;")
        self.totals.setWordWrap(True)  # (on a narrow window the totals take two lines, never its width)

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addLayout(more_filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.totals)

        for signal in (self.start.dateChanged, self.end.dateChanged, self.diagnosis.textChanged,
                       self.clinician.currentIndexChanged, self.insurance.currentIndexChanged):
            signal.connect(self.refresh)
        ctx.subscribe(self, {Change.VISITS}, self.refresh)
        self._fill_clinicians()
        self.refresh()  # made when first needed (the main window builds views lazily): show the data now

    def _fill_clinicians(self) -> None:
        self.clinician.blockSignals(True)
        current = self.clinician.currentData()
        self.clinician.clear()
        self.clinician.addItem(tr("Everyone"), "")
        for name in visits.clinicians(self.ctx.store):
            self.clinician.addItem(name, name)
        index = self.clinician.findData(current)
        self.clinician.setCurrentIndex(max(index, 0))
        self.clinician.blockSignals(False)

    def activate(self) -> None:
        self.refresh()

    def show_today(self) -> None:
        today = _qdate(clock.today())
        self.start.setDate(today)
        self.end.setDate(today)

    def show_month(self) -> None:
        today = clock.today()
        self.start.setDate(_qdate(today.replace(day=1)))
        self.end.setDate(_qdate(today))

    def current_filter(self) -> visits.LogFilter:
        start = py_date(self.start.date())
        end = py_date(self.end.date())
        if end < start:
            start, end = end, start
        return visits.LogFilter(
            start=start, end=end, diagnosis=self.diagnosis.text().strip(),
            clinician=self.clinician.currentData() or "", insurance=self.insurance.currentData(),
        )

    def refresh(self) -> None:
        f = self.current_filter()
        self.model.set_ids(visits.log_ids(self.ctx.store, f))
        t = visits.log_totals(self.ctx.store, f)
        self.totals.setText(tr(
            "{visits} visits · {patients} patients · {insured} paid by insurance · {referred} referred"
        ).format(visits=fmt_int(t.visits), patients=fmt_int(t.patients), insured=fmt_int(t.insured),
                 referred=fmt_int(t.referred)))

    def _open(self, index) -> None:
        patient_id = self.model.patient_id_at(index.row())
        if patient_id is not None:
            self.ctx.open_patient.emit(patient_id)
