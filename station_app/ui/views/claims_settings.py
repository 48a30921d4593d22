"""Cài đặt → Hồ sơ BHYT (head of station): what the claims need that a visit does not record — the
station's claims codes, each clinician's practising-certificate and social-insurance numbers, the
priced services (a price change is a new version from its day; the old one stays for earlier
visits). A code that is still the unverified placeholder of ``resources/data/claims_codes.json``
(the examination and department codes), and the district of residence whose filling since the
districts were abolished is unverified, carry "mã chưa đối chiếu" beside them."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from station_app import clock
from station_app.domain import claims_codes
from station_app.domain.accounts import Permission
from station_app.errors import UserError
from station_app.i18n import N_, tr
from station_app.store import claims as store_claims
from station_app.ui import dialogs
from station_app.ui.context import AppContext, Change
from station_app.ui.qt_i18n import fmt_date
from station_app.ui.widgets import DateEdit

USER_ROLE = Qt.ItemDataRole.UserRole
SETTING_LABELS = (
    ("department_code", N_("Department code (MA_KHOA)")),
    ("signer_bhxh_no", N_("Head of station's social-insurance number (MA_TTDV)")),
    ("province_code", N_("Province code")),
    ("district_code", N_("District code")),
    ("commune_code", N_("Commune code")),
)
GROUP_HINT = N_("Cost group (MA_NHOM): 13 examination, 18 minor procedure, 8 surgery, 1 laboratory test")
# The settings whose code is the placeholder of an entry of claims_codes.json until replaced.
PLACEHOLDER_OF = {"department_code": "department"}
UNCHECKED = N_("code not checked")
PLACEHOLDER_HINT = N_(
    "The code {code} is a placeholder not yet checked against its official list: replace it with the code "
    "your social-insurance office gives."
)
DISTRICT_HINT = N_(
    "How the district of residence is written since districts were abolished (01/07/2025) is not checked: "
    "ask your social-insurance office."
)


def unchecked_label() -> QLabel:
    label = QLabel(tr(UNCHECKED))
    label.setStyleSheet("color: #a15c00;")
    return label


class ClaimsSettings(QGroupBox):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(tr("Health-insurance claims"), parent)
        self.setObjectName("claims")  # Cài đặt → show_place("claims/…"), from the claims register
        self.ctx = ctx
        info = store_claims.station_info(ctx.store)
        form = QFormLayout()
        # The facility code is the station profile's (printed on every form); shown here, where the
        # head looks for the claims' codes, with where it is changed.
        self.facility = QLabel()
        form.addRow(tr("Facility code (MA_CSKCB)"), self.facility)
        self.fields: dict[str, QLineEdit] = {}
        self.unchecked: dict[str, QLabel] = {}
        for key, label in SETTING_LABELS:
            edit = QLineEdit(str(getattr(info, key)))
            edit.setMaximumWidth(200)
            self.fields[key] = edit
            if key in PLACEHOLDER_OF or key == "district_code":
                mark = unchecked_label()
                self.unchecked[key] = mark
                row = QHBoxLayout()
                row.addWidget(edit)
                row.addWidget(mark)
                row.addStretch(1)
                form.addRow(tr(label), row)
                edit.textChanged.connect(lambda _text, k=key: self._mark(k))
                self._mark(key)
            else:
                form.addRow(tr(label), edit)
        save_codes = QPushButton(tr("Save the claims codes"))
        save_codes.clicked.connect(lambda: self.save_codes())

        self.staff = QTableWidget(0, 3)
        self.staff.setHorizontalHeaderLabels([tr("Staff member"), tr("CCHN number"), tr("Social-insurance number")])
        self.staff.verticalHeader().setVisible(False)
        staff_header = self.staff.horizontalHeader()
        staff_header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)  # whole names and numbers
        staff_header.setStretchLastSection(True)
        self.staff.setMinimumHeight(160)
        save_staff = QPushButton(tr("Save the staff numbers"))
        save_staff.clicked.connect(lambda: self.save_staff())

        self.services = QTableWidget(0, 5)
        self.services.setHorizontalHeaderLabels(
            [tr("Code"), tr("Service"), tr("Price (đồng)"), tr("From"), tr("Until")]
        )
        self.services.verticalHeader().setVisible(False)
        self.services.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        service_header = self.services.horizontalHeader()
        service_header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        service_header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)  # the service's whole name
        self.services.setMinimumHeight(160)
        self.code = QLineEdit()
        self.code.setPlaceholderText(tr("Code"))
        self.name = QLineEdit()
        self.name.setPlaceholderText(tr("Service"))
        self.group = QLineEdit("13")
        self.group.setMaximumWidth(50)
        self.group.setToolTip(tr(GROUP_HINT))
        self.price = QSpinBox()
        self.price.setRange(0, 100_000_000)
        self.price.setSingleStep(500)
        self.price.setGroupSeparatorShown(True)  # 38.000 đồng, as the table shows prices
        self.price.setSuffix(" đồng")
        self.valid_from = DateEdit()
        self.valid_from.set_date(clock.today())
        add = QPushButton(tr("Add or change the price"))
        add.clicked.connect(lambda: self.save_service())
        new_row = QHBoxLayout()
        for widget in (self.code, self.name, QLabel(tr("Cost group")), self.group, self.price,
                       QLabel(tr("from")), self.valid_from, add):
            new_row.addWidget(widget)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("What the claims files need beyond the visits.")))
        layout.addLayout(form)
        layout.addWidget(save_codes)
        layout.addWidget(self.staff)
        layout.addWidget(save_staff)
        layout.addWidget(self.services)
        layout.addLayout(new_row)
        ctx.subscribe(self, {Change.PROFILE}, self.reload)
        self.reload()

    def _mark(self, key: str) -> None:
        """Show "mã chưa đối chiếu" beside a placeholder code (and always beside the district)."""
        mark, code = self.unchecked[key], self.fields[key].text()
        if key == "district_code":
            mark.setToolTip(tr(DISTRICT_HINT))
            return
        placeholder = claims_codes.is_unchecked(PLACEHOLDER_OF[key], code)
        mark.setVisible(placeholder)
        mark.setToolTip(tr(PLACEHOLDER_HINT).format(code=code.strip()) if placeholder else "")

    def reload(self) -> None:
        code = store_claims.station_info(self.ctx.store).facility_code
        self.facility.setText(tr("{code} (changed in the station profile above)").format(code=code) if code
                              else tr("not entered: enter it in the station profile above"))
        rows = self.ctx.store.query("SELECT id, full_name, cchn, bhxh_no FROM staff WHERE active = 1 ORDER BY id")
        self.staff.setRowCount(len(rows))
        for n, r in enumerate(rows):
            name = QTableWidgetItem(str(r["full_name"]))
            name.setData(USER_ROLE, int(r["id"]))
            self.staff.setItem(n, 0, name)
            self.staff.setItem(n, 1, QTableWidgetItem(str(r["cchn"])))
            self.staff.setItem(n, 2, QTableWidgetItem(str(r["bhxh_no"])))
        services = store_claims.services(self.ctx.store, with_history=True)
        self.services.setRowCount(len(services))
        for n, s in enumerate(services):
            unchecked = s.group == "13" and claims_codes.is_unchecked("exam_service", s.code)
            code = f"{s.code} — {tr(UNCHECKED)}" if unchecked else s.code
            cells = (code, s.name, f"{s.price:,}".replace(",", "."), fmt_date(s.valid_from),
                     fmt_date(s.valid_to) if s.valid_to else "")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if unchecked and column == 0:
                    item.setToolTip(tr(PLACEHOLDER_HINT).format(code=s.code))
                self.services.setItem(n, column, item)
        self.services.resizeColumnsToContents()
        self.staff.resizeColumnsToContents()

    def focus_part(self, part: str) -> QWidget | None:
        """The keyboard where a held-back claim is fixed: ``staff`` (the first missing CCHN),
        ``services`` (a new price), else the first claims code not entered."""
        widget: QWidget
        if part == "staff":
            self.staff.setFocus()
            rows = range(self.staff.rowCount())
            empty = [n for n in rows if not (self.staff.item(n, 1) or QTableWidgetItem()).text()]
            self.staff.setCurrentCell(empty[0] if empty else 0, 1)
            widget = self.staff
        elif part == "services":
            widget = self.code
        else:
            widget = next((e for e in self.fields.values() if not e.text().strip()), next(iter(self.fields.values())))
        widget.setFocus()
        return widget

    def _run(self, action: Callable[[], object]) -> bool:
        try:
            action()
        except UserError as exc:
            dialogs.error(self, tr("Health-insurance claims"), exc.text())
            return False
        self.ctx.notify({Change.PROFILE}, self)
        return True

    def save_codes(self) -> None:
        values = {k: e.text() for k, e in self.fields.items()}
        self._run(lambda: store_claims.save_settings(self.ctx.store, **values))

    def save_staff(self) -> None:
        def save() -> None:
            for n in range(self.staff.rowCount()):
                name, cchn, bhxh = (self.staff.item(n, c) for c in range(3))
                if name is None:
                    continue
                store_claims.save_staff_numbers(
                    self.ctx.store, int(name.data(USER_ROLE)), cchn.text() if cchn else "", bhxh.text() if bhxh else ""
                )

        self._run(save)

    def save_service(self) -> None:
        day = self.valid_from.date() or clock.today()
        service = store_claims.PricedService(
            self.code.text(), self.name.text(), self.price.value(), day, group=self.group.text().strip() or "13"
        )
        if self._run(lambda: store_claims.save_service(self.ctx.store, service)):
            self.reload()


def claims_section(ctx: AppContext) -> QWidget | None:
    if not ctx.store.actor.can(Permission.EDIT_STATION):
        return None
    return ClaimsSettings(ctx)

