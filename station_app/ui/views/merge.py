"""Merging duplicate patients (head of station) from the patient list, and undoing a merge."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from station_app.domain.accounts import Permission
from station_app.domain.patient import Patient
from station_app.i18n import N_, tr
from station_app.store import StoreError, corrections, patients
from station_app.ui import dialogs
from station_app.ui.context import AppContext, Change
from station_app.ui.qt_i18n import fmt_datetime
from station_app.ui.tables import fill_table, read_only_table, selected_key
from station_app.ui.widgets import error_label

# -- merging duplicate patients ------------------------------------------------------------------
DUPLICATE_REASONS = {
    "citizen_id": N_("Same citizen ID"),
    "insurance_no": N_("Same insurance card number"),
    "name": N_("Same name (as search reads it), same birth year"),
    "phone": N_("Same phone number"),
    "guardian_phone": N_("Same guardian's phone"),
}


class MergeDialog(QDialog):
    """Two records of one person: everything of the duplicate moves to the kept record."""

    def __init__(self, ctx: AppContext, duplicate_id: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.merge: corrections.Merge | None = None
        self.setWindowTitle(tr("Merge duplicate patients"))
        self.setMinimumWidth(620)
        self.kept = QLineEdit()
        self.duplicate = QLineEdit()
        for edit in (self.kept, self.duplicate):
            edit.setPlaceholderText(tr("record no."))
            edit.textChanged.connect(self.describe)
        self.kept_label = QLabel()
        self.duplicate_label = QLabel()
        self.reason = QLineEdit()
        form = QFormLayout()
        form.addRow(tr("Keep this record"), self.kept)
        form.addRow("", self.kept_label)
        form.addRow(tr("Merge this duplicate into it"), self.duplicate)
        form.addRow("", self.duplicate_label)
        form.addRow(tr("Reason") + " *", self.reason)
        self.message = error_label()
        self.undo_table = read_only_table([tr(c) for c in (N_("Merged on"), N_("By"), N_("Kept"), N_("Merged"),
                                                   N_("Reason"))])
        self.undo_table.setMaximumHeight(150)
        self.undo_button = QPushButton(tr("Undo the selected merge"))
        self.undo_button.clicked.connect(self.undo)
        buttons = dialogs.DialogButtons(self, tr("Merge"), tr("Close"))
        self.merge_button = buttons.accept_button
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr(
            "Visits, follow-ups, programmes and referrals of the duplicate move to the kept record. Nothing is "
            "deleted: the duplicate stays in the database, hidden, and the merge can be undone.")))
        layout.itemAt(0).widget().setWordWrap(True)  # type: ignore[union-attr]
        layout.addLayout(form)
        layout.addWidget(self.message)
        # The head's "find duplicates": the registry read with the registration's same-person rule.
        self.find_button = QPushButton(tr("Find possible duplicates"))
        self.find_button.clicked.connect(self.find_duplicates)
        self.found_table = read_only_table([tr(c) for c in (N_("Keep this record"), N_("Merge this duplicate into it"),
                                                            N_("Why"))], stretch=(0, 1, 2))
        self.found_table.setMinimumHeight(160)
        self.found_table.hide()
        self.found_table.itemSelectionChanged.connect(self._take_found)
        layout.addWidget(self.find_button)
        layout.addWidget(self.found_table)
        layout.addWidget(QLabel(tr("Earlier merges")))
        layout.addWidget(self.undo_table)
        layout.addWidget(self.undo_button)
        layout.addWidget(buttons)
        if duplicate_id is not None:
            p = patients.get(ctx.store, duplicate_id)
            if p is not None:
                self.duplicate.setText(p.record_no or "")
        self.load_merges()

    def _find(self, text: str) -> Patient | None:
        text = text.strip()
        return patients.by_record_no(self.ctx.store, text) if text else None

    def find_duplicates(self) -> None:
        """List every pair the same-person rule finds (the earliest record first)."""
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            groups = patients.duplicate_groups(self.ctx.store)
        finally:
            QGuiApplication.restoreOverrideCursor()

        def who(p: Patient) -> str:
            born = p.birth.display() if p.birth else ""
            return " · ".join(x for x in (p.record_no or "", p.full_name, born, p.village) if x)

        rows: list[list[str]] = []
        keys: list[object] = []
        for group in groups:
            kept = group[0].patient
            for candidate in group[1:]:
                rows.append([who(kept), who(candidate.patient), tr(DUPLICATE_REASONS[candidate.reason])])
                keys.append((kept.record_no or "", candidate.patient.record_no or ""))
        fill_table(self.found_table, rows, keys)
        self.found_table.show()
        self.find_button.setText(tr("{count} possible duplicates found").format(count=len(rows)) if rows
                                 else tr("No possible duplicates found"))
        self.resize(max(self.width(), 900), self.height() + 160)

    def _take_found(self) -> None:
        pair = selected_key(self.found_table)
        if isinstance(pair, tuple) and len(pair) == 2:
            self.kept.setText(str(pair[0]))
            self.duplicate.setText(str(pair[1]))

    def describe(self) -> None:
        for edit, label in ((self.kept, self.kept_label), (self.duplicate, self.duplicate_label)):
            p = self._find(edit.text())
            if p is None:
                label.setText(tr("No patient has this record no.") if edit.text().strip() else "")
            else:
                born = p.birth.display() if p.birth else ""
                label.setText(" · ".join(x for x in (p.full_name, born, p.village, p.phone) if x))

    def load_merges(self) -> None:
        merges = corrections.recent_merges(self.ctx.store)
        people = patients.get_many(self.ctx.store, sorted({m.kept_id for m in merges} | {m.merged_id for m in merges}))

        def who(pid: int) -> str:
            p = people.get(pid)
            return f"{p.record_no} {p.full_name}" if p else str(pid)

        self.merges = merges
        fill_table(self.undo_table, [
            [fmt_datetime(m.merged_at), m.username, who(m.kept_id), who(m.merged_id), m.reason] for m in merges
        ], [m.id for m in merges])

    def accept(self) -> None:
        kept, duplicate = self._find(self.kept.text()), self._find(self.duplicate.text())
        if kept is None or duplicate is None or kept.id is None or duplicate.id is None:
            self.message.setText(tr("Write the record numbers of both patients."))
            return
        if not dialogs.ask(self, tr("Merge duplicate patients"), tr(
                "Move everything of {duplicate} into {kept}?").format(
                    duplicate=f"{duplicate.record_no} {duplicate.full_name}",
                    kept=f"{kept.record_no} {kept.full_name}")):
            return
        try:
            self.merge = corrections.merge_patients(self.ctx.store, kept.id, duplicate.id, self.reason.text())
        except StoreError as exc:
            self.message.setText(exc.text())
            return
        self.ctx.notify({Change.PATIENTS, Change.VISITS, Change.FOLLOWUPS, Change.REFERRALS, Change.CLAIMS}, self)
        super().accept()

    def undo(self) -> None:
        merge_id = selected_key(self.undo_table)
        if merge_id is None:
            return
        reason = self.reason.text().strip()
        if not reason:
            self.message.setText(tr("Write the reason for undoing the merge in the Reason field."))
            return
        try:
            corrections.unmerge(self.ctx.store, int(merge_id), reason)  # type: ignore[call-overload]
        except StoreError as exc:
            self.message.setText(exc.text())
            return
        self.ctx.notify({Change.PATIENTS, Change.VISITS, Change.FOLLOWUPS, Change.REFERRALS, Change.CLAIMS}, self)
        self.message.setText("")
        self.load_merges()
        dialogs.info(self, tr("Merge duplicate patients"), tr("The merge was undone."))


def merge_action(ctx: AppContext, registry_list: QWidget) -> None:
    if not ctx.store.actor.can(Permission.MERGE_PATIENTS):
        dialogs.warning(registry_list, tr("Merge duplicate patients"),
                        tr("Only the head of station merges duplicate patients."))
        return
    current = getattr(registry_list, "current_id", lambda: None)()
    dialog = MergeDialog(ctx, current, registry_list)
    dialog.open()
    registry_list._merge_dialog = dialog  # type: ignore[attr-defined]
