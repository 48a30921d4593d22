"""Qt table models over the store. They hold ids and fetch rows on demand, in pages, so a list of
100,000 patients opens and scrolls instantly. ``data()`` switches on the role; formatting lives in
small functions beside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from station_app import clock
from station_app.domain.identifiers import SEX_CODES
from station_app.domain.patient import Patient
from station_app.i18n import N_, tr
from station_app.store import Store, patients, visits
from station_app.ui.qt_i18n import fmt_datetime

PAGE = 200
ID_ROLE = Qt.ItemDataRole.UserRole + 1
EXPIRED = QColor("#b3261e")
Index = QModelIndex | QPersistentModelIndex


class LazyIdModel(QAbstractTableModel):
    """A table of records known by id; rows are loaded a page at a time when first shown."""

    columns: tuple[str, ...] = ()

    def __init__(self, store: Store, parent: Any = None) -> None:
        super().__init__(parent)
        self.store = store
        self._ids: list[int] = []
        self._cache: dict[int, Any] = {}

    # -- content ------------------------------------------------------------------------------
    def set_ids(self, ids: list[int]) -> None:
        self.beginResetModel()
        self._ids = list(ids)
        self._cache.clear()
        self.endResetModel()

    def ids(self) -> list[int]:
        return list(self._ids)

    def id_at(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, record_id: int) -> int | None:
        try:
            return self._ids.index(record_id)
        except ValueError:
            return None

    def record(self, row: int) -> Any:
        record_id = self._ids[row]
        if record_id not in self._cache:
            start = (row // PAGE) * PAGE
            page = self._ids[start : start + PAGE]
            self._cache.update(self.load(page))
        return self._cache.get(record_id)

    def load(self, ids: list[int]) -> dict[int, Any]:
        raise NotImplementedError

    def cell(self, record: Any, column: int) -> str:
        raise NotImplementedError

    # -- Qt API -------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            return tr(self.columns[section])
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        if role == ID_ROLE:
            return self._ids[index.row()]
        record = self.record(index.row())
        if record is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(record, index.column())
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.foreground(record, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(record, index.column())
        return None

    def foreground(self, record: Any, column: int) -> QBrush | None:
        return None

    def tooltip(self, record: Any, column: int) -> str | None:
        return None


def birth_text(p: Patient) -> str:
    if p.birth is None:
        return ""
    if not p.birth.is_full or p.birth.estimated:
        return p.birth.display()  # "~1948"
    return p.birth.display()


def insurance_text(p: Patient) -> str:
    if not p.insurance_no:
        return ""
    if p.insurance_valid_to:
        return f"{p.insurance_no} ({p.insurance_valid_to:%d/%m/%Y})"
    return p.insurance_no


class PatientTableModel(LazyIdModel):
    columns = (N_("Record no."), N_("Full name"), N_("Sex"), N_("Born"), N_("Village"), N_("Phone"),
               N_("Insurance card (valid to)"))

    def __init__(self, store: Store, parent: Any = None, today: Callable[[], dt.date] = clock.today) -> None:
        super().__init__(store, parent)
        self._today = today

    def load(self, ids: list[int]) -> dict[int, Any]:
        return patients.get_many(self.store, ids)

    def cell(self, p: Patient, column: int) -> str:
        match column:
            case 0:
                return p.record_no or ""
            case 1:
                return p.full_name + (" †" if p.deceased else "")
            case 2:
                return tr(SEX_CODES.get(p.sex, ""))
            case 3:
                return birth_text(p)
            case 4:
                return p.village
            case 5:
                return p.phone
            case 6:
                return insurance_text(p)
        return ""

    def foreground(self, p: Patient, column: int) -> QBrush | None:
        if column == 6 and p.insurance_expired(self._today()):
            return QBrush(EXPIRED)
        return None

    def tooltip(self, p: Patient, column: int) -> str | None:
        if column == 6 and p.insurance_expired(self._today()):
            return tr("The insurance card has expired.")
        return None


class VisitLogModel(LazyIdModel):
    """The digital A1 visit book: one row per visit with the patient's identity."""

    columns = (N_("Date"), N_("Record no."), N_("Full name"), N_("Sex"), N_("Born"), N_("Village"),
               N_("Complaint"), N_("Diagnosis"), N_("Treatment"), N_("Clinician"), N_("Insurance"),
               N_("Referred"))

    def load(self, ids: list[int]) -> dict[int, Any]:
        return visits.log_rows(self.store, ids)

    def cell(self, r: dict[str, Any], column: int) -> str:
        match column:
            case 0:
                return fmt_datetime(dt.datetime.fromisoformat(r["visit_at"]))
            case 1:
                return r["record_no"]
            case 2:
                return r["full_name"]
            case 3:
                return tr(SEX_CODES.get(r["sex"], ""))
            case 4:
                if r["birth_year"] is None:
                    return ""
                if r["birth_day"] and not r["birth_estimated"]:
                    return f"{r['birth_day']:02d}/{r['birth_month']:02d}/{r['birth_year']}"
                return f"~{r['birth_year']}"
            case 5:
                return r["village"]
            case 6:
                return r["complaint"]
            case 7:
                return " ".join(x for x in (r["diagnosis_code"], r["diagnosis_text"]) if x)
            case 8:
                return r["treatment"]
            case 9:
                return r["clinician_name"]
            case 10:
                return tr("Yes") if r["insurance_paid"] else ""
            case 11:
                return tr("Yes") if r["referred"] else ""
        return ""

    def patient_id_at(self, row: int) -> int | None:
        record = self.record(row) if 0 <= row < self.rowCount() else None
        return record["patient_id"] if record else None
