"""Sao lưu (backups) in the settings, the automatic backup at start-up and exit, and the offer to
restore the latest good backup when the database file is damaged.

The work (copy, check, encrypt, verify) runs on a worker thread (``ui.background``); only the final
swap of a restore runs on the GUI thread, with the app's connection closed for that moment.
Folder and file choosers go through ``choose_folder``/``choose_file`` so tests can answer them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from station_app import paths
from station_app.domain.accounts import SYSTEM, Actor, Permission
from station_app.i18n import tr
from station_app.store import Store, StoreError, backup, open_store
from station_app.ui import background, dialogs
from station_app.ui.context import SECOND_FOLDER_KEY, AppContext, Change, second_backup_folder, settings

# In tests: functions answering the choosers instead of showing them -> a path, or "" for Cancel.
choose_folder: Callable[[QWidget | None, str, str], str] | None = None
choose_file: Callable[[QWidget | None, str, str], str] | None = None


def _pick_folder(parent: QWidget | None, title: str, start: str) -> str:
    if choose_folder is not None:
        return choose_folder(parent, title, start)
    return QFileDialog.getExistingDirectory(parent, title, start)


def _pick_file(parent: QWidget | None, title: str, start: str) -> str:
    if choose_file is not None:
        return choose_file(parent, title, start)
    name, _ = QFileDialog.getOpenFileName(
        parent, title, start, tr("Backups (*.sqlite3 *.trambak);;All files (*)"))
    return name


# -- where backups go -------------------------------------------------------------------------------
def backup_folder() -> Path:
    return paths.backups_dir()


def second_folder() -> Path | None:
    return second_backup_folder()


def set_second_folder(folder: Path | None) -> None:
    s = settings()
    s.setValue(SECOND_FOLDER_KEY, str(folder) if folder else "")
    s.sync()


def when_text(b: backup.BackupFile) -> str:
    return b.made.strftime("%d/%m/%Y %H:%M")


@dataclass
class Outcome:
    """What a backup run made: the backup, its copy in the second folder, or why there is none."""

    path: Path
    copy: Path | None = None
    copy_problem: str = ""


def run_backup(db: Path, second: Path | None, progress: backup.Progress | None = None) -> Outcome:
    """Worker thread: a checked backup in the backup folder, and a copy in the second folder."""
    made = backup.make_backup(db, backup_folder(), progress=progress)
    outcome = Outcome(made)
    if second is not None:
        if not second.is_dir():  # a USB stick that is not plugged in: never write to the bare mount point
            outcome.copy_problem = tr(
                "The second folder {path} cannot be reached (is the USB stick plugged in?).").format(path=second)
        else:
            try:
                outcome.copy = backup.copy_backup(made, second, db)
            except StoreError as exc:
                outcome.copy_problem = exc.text()
    return outcome


def record(store: Store, action: str, details: dict[str, object]) -> None:
    """An audit-log entry for a backup or a restore (the log lives in the database)."""
    from station_app.store import audit

    try:
        audit.record(store, action, "database", details)
    except StoreError as exc:  # a full disk must not turn a made backup into a failure
        sys.stderr.write(exc.text() + "\n")


def record_as(db: Path, actor: Actor, action: str, details: dict[str, object]) -> None:
    """``record`` from a worker thread, on a connection of its own, as ``actor``: the person who
    started the work, even when another person has logged in by the time it ends."""
    from station_app.ui.operations import store_as

    try:
        store = store_as(db, actor)
    except StoreError as exc:
        sys.stderr.write(exc.text() + "\n")
        return
    try:
        record(store, action, details)
    finally:
        store.close()


def _backup_work(db: Path, second: Path | None, actor: Actor,
                 **details: object) -> Callable[[Callable[[int, int], None]], Outcome]:
    """A backup made on a worker thread and recorded there as ``actor`` (who asked for it)."""

    def work(progress: Callable[[int, int], None]) -> Outcome:
        outcome = run_backup(db, second, progress)
        record_as(db, actor, "backup", {"file": str(outcome.path), **details})
        return outcome

    return work


def start_auto_backup(store: Store, parent: QWidget | None,
                      on_done: Callable[[Outcome], None] | None = None) -> background.Operation | None:
    """At start-up: a quiet backup on a worker thread when the last one is older than a day."""
    db = store.path
    if not backup.is_due(backup_folder(), db):
        return None
    work = _backup_work(db, second_folder(), store.actor, automatic=True)

    def done(outcome: Outcome) -> None:
        if on_done is not None:
            on_done(outcome)

    def failed(exc: BaseException) -> None:
        text = exc.text() if isinstance(exc, StoreError) else str(exc)
        sys.stderr.write(text + "\n")
        dialogs.warning(parent, tr("Automatic backup"), text)

    return background.run(parent, tr("Backing up the database…"), work, done, failed, quiet=True)


def backup_on_exit(store: Store) -> Path | None:
    """At exit (the window is gone): a backup when the last one is older than a day."""
    if not backup.is_due(backup_folder(), store.path):
        return None
    try:
        outcome = run_backup(store.path, second_folder())
    except StoreError as exc:
        sys.stderr.write(exc.text() + "\n")
        return None
    record(store, "backup", {"file": str(outcome.path), "automatic": True})
    return outcome.path


def known_backups(db: Path) -> list[backup.BackupFile]:
    """Backups of ``db`` in the backup folder and the second folder, newest first."""
    found = backup.backups(backup_folder(), db)
    second = second_folder()
    if second is not None and second.is_dir() and second != backup_folder():
        found += backup.backups(second, db)
    return sorted(found, key=lambda b: (b.made, b.sequence), reverse=True)


# -- dialogs ----------------------------------------------------------------------------------------
class PassphraseDialog(QDialog):
    """A passphrase typed twice (for a new encrypted copy) or once (to open one)."""

    def __init__(self, parent: QWidget | None, confirm: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Passphrase"))
        self.confirm = confirm
        layout = QVBoxLayout(self)
        hint = QLabel(tr(
            "Copies that leave the station are encrypted. Without the passphrase nobody can read the copy — "
            "not even the station: keep it written down in a safe place.") if confirm else
            tr("This backup is encrypted: type its passphrase."))
        hint.setWordWrap(True)
        layout.addWidget(hint)
        form = QFormLayout()
        self.first = QLineEdit()
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(tr("Passphrase"), self.first)
        self.second = QLineEdit()
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        if confirm:
            form.addRow(tr("The passphrase again"), self.second)
        layout.addLayout(form)
        self.problem = QLabel("")
        self.problem.setStyleSheet("color: #b00020;")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def passphrase(self) -> str:
        return self.first.text()

    def accept(self) -> None:
        text = self.first.text()
        if not text:
            self.problem.setText(tr("Type the passphrase."))
            return
        if self.confirm:
            try:
                backup.check_passphrase(text)
            except StoreError as exc:
                self.problem.setText(exc.text())
                return
            if self.second.text() != text:
                self.problem.setText(tr("The two passphrases differ."))
                return
        super().accept()


class RestoreDialog(QDialog):
    """Choose the backup to restore: the known ones, newest first, or any file."""

    def __init__(self, parent: QWidget | None, db: Path) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Restore a backup"))
        self.resize(560, 380)
        layout = QVBoxLayout(self)
        hint = QLabel(tr("Choose the backup to put back. The current database is kept aside as a copy first."))
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.list = QListWidget()
        for b in known_backups(db):
            kind = tr("encrypted") if b.encrypted else tr("backup")
            item = QListWidgetItem(f"{when_text(b)}   {kind}   {b.path.parent}")
            item.setData(Qt.ItemDataRole.UserRole, str(b.path))
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        layout.addWidget(self.list, 1)
        other = QPushButton(tr("Another file…"))
        other.clicked.connect(self._other)
        layout.addWidget(other, 0, Qt.AlignmentFlag.AlignLeft)
        self.problem = QLabel("")
        self.problem.setStyleSheet("color: #b00020;")
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _other(self) -> None:
        name = _pick_file(self, tr("Restore a backup"), str(backup_folder()))
        if not name:
            return
        item = QListWidgetItem(name)
        item.setData(Qt.ItemDataRole.UserRole, name)
        self.list.insertItem(0, item)
        self.list.setCurrentRow(0)

    def chosen(self) -> Path | None:
        item = self.list.currentItem()
        return Path(item.data(Qt.ItemDataRole.UserRole)) if item else None

    def accept(self) -> None:
        if self.chosen() is None:
            self.problem.setText(tr("Choose a backup first."))
            return
        super().accept()


class RestoreCompareDialog(QDialog):
    """This database and the backup side by side (station, facility code, patients, date), and the
    question. A backup of another station needs a tick before "Restore" does anything."""

    ROWS = ("station", "code", "patients", "made")

    def __init__(self, parent: QWidget | None, comparison: backup.StationComparison, source: Path) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Restore a backup"))
        self.setMinimumWidth(600)
        self.other_station = not comparison.same_station
        layout = QVBoxLayout(self)
        question = QLabel(tr(
            "Put the backup {name} in place of the current database? The current database is kept aside as a "
            "copy; whatever was saved after this backup will no longer be shown.").format(name=source.name))
        question.setWordWrap(True)
        layout.addWidget(question)
        grid = QGridLayout()
        grid.setHorizontalSpacing(24)
        grid.setContentsMargins(0, 8, 0, 8)
        titles = {"station": tr("Station name"), "code": tr("Facility code"), "patients": tr("Patients"),
                  "made": tr("Date of the backup")}
        for column, heading_text in enumerate((tr("This database"), tr("The backup")), start=1):
            head = QLabel(f"<b>{heading_text}</b>")
            grid.addWidget(head, 0, column)
        self._cells: dict[tuple[str, int], QLabel] = {}
        records = (comparison.current, comparison.backup)
        for row, key in enumerate(self.ROWS, start=1):
            grid.addWidget(QLabel(titles[key]), row, 0)
            for column, record in enumerate(records):
                label = QLabel(self._value(key, record, current=column == 0))
                label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                if self.other_station and key in ("station", "code"):
                    label.setStyleSheet("font-weight: bold;")
                grid.addWidget(label, row, column + 1)
                self._cells[(key, column)] = label
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        layout.addLayout(grid)
        self.warning = QLabel(tr(
            "This backup is of another station. Restoring it replaces this station's records with the other "
            "station's.") if self.other_station else "")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #b00020; font-weight: bold;")
        self.warning.setHidden(not self.other_station)
        layout.addWidget(self.warning)
        self.confirm_other = QCheckBox(tr("Yes, replace this station's records with the other station's backup"))
        self.confirm_other.setHidden(not self.other_station)
        layout.addWidget(self.confirm_other)
        self.problem = QLabel("")
        self.problem.setStyleSheet("color: #b00020;")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox()
        restore = buttons.addButton(tr("Restore"), QDialogButtonBox.ButtonRole.AcceptRole)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        restore.setDefault(not self.other_station)
        cancel.setDefault(self.other_station)
        (cancel if self.other_station else restore).setFocus()
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    @staticmethod
    def _value(key: str, record: backup.BackupRecord | None, current: bool) -> str:
        if record is None:
            return tr("none (no readable database)") if key == "station" else "—"
        if key == "station":
            return record.station or tr("(no name)")
        if key == "code":
            return record.facility_code or "—"
        if key == "patients":
            return str(record.patients)
        if current:
            return tr("now")
        return record.made.strftime("%d/%m/%Y %H:%M") if record.made else "—"

    def cell(self, key: str, column: int) -> str:
        """What is shown for ``key`` (station, code, patients, made) of this database (0) or the backup (1)."""
        return self._cells[(key, column)].text()

    def accept(self) -> None:
        if self.other_station and not self.confirm_other.isChecked():
            self.problem.setText(tr("Tick the box to confirm that this station's records are to be replaced."))
            return
        super().accept()


# -- restoring --------------------------------------------------------------------------------------
def swap_in(ctx: AppContext, staged: Path, source: Path, other_station: bool = False) -> Path | None:
    """GUI thread: close the app's connection, swap the verified file in, reopen, tell the views.

    If the swap fails, the old file is still in place and is opened again.
    """
    old = ctx.store
    db = old.path
    actor = old.actor
    if not actor.can(Permission.RESTORE):  # checked again below, before the file
        backup.commit_restore(db, staged, by=actor)  # raises NotPermitted, removes the staged file
    old.close()
    try:
        aside = backup.commit_restore(db, staged, by=actor)
    finally:
        new = open_store(db)
        new.actor = actor
        ctx.store = new
        ctx.notify({Change.STORE})
    details: dict[str, object] = {"from": str(source), "aside": str(aside) if aside else ""}
    if other_station:
        details["other_station"] = True
    record(new, "restore", details)
    return aside


def restore_with_progress(parent: QWidget | None, ctx: AppContext, source: Path, passphrase: str | None,
                          on_end: Callable[[], None] | None = None) -> background.Operation:
    """Verify ``source`` on a worker thread, show it beside the open database and ask, then swap it
    in (see ``swap_in``); ``on_end`` after."""
    db = ctx.db_path

    def done(staged: Path) -> None:
        window = parent.window() if parent is not None else None
        if on_end is not None:
            on_end()
        try:
            current = backup.live_record(ctx.store.conn)
            comparison = backup.StationComparison(current, backup.restore_record(staged, source))
        except StoreError as exc:
            backup.discard_staged(staged)
            dialogs.error(window, tr("Not restored"), exc.text())
            return
        if not dialogs.run(RestoreCompareDialog(window, comparison, source)):
            backup.discard_staged(staged)
            return
        try:
            aside = swap_in(ctx, staged, source, other_station=not comparison.same_station)
        except StoreError as exc:
            dialogs.error(window, tr("Not restored"), exc.text())
            return
        message = tr("The backup {name} was restored.").format(name=source.name)
        if aside is not None:
            message += "\n" + tr("The database it replaced was kept as {path}.").format(path=aside)
        dialogs.info(window, tr("Restore a backup"), message)

    def failed(exc: BaseException) -> None:
        if on_end is not None:
            on_end()
        text = exc.text() if isinstance(exc, StoreError) else str(exc)
        dialogs.error(parent, tr("Not restored"), text)

    return background.run(parent, tr("Checking the backup…"),
                          lambda progress: backup.stage_restore(db, source, passphrase, progress=progress),
                          done, failed, on_dropped=backup.discard_staged)  # (its person logged out)


def offer_restore(parent: QWidget | None, db: Path, problem: StoreError) -> bool:
    """The file is damaged (found at open): offer the newest backup that is intact, restore it.

    Runs before any window exists, so the verification runs synchronously with a busy cursor.
    Returns True when a backup was put in place (the caller opens the database again).
    """
    from PySide6.QtGui import QGuiApplication

    QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        good: backup.BackupFile | None = None
        for candidate in known_backups(db):
            if candidate.encrypted:
                continue
            try:
                backup.verify_plain(candidate.path)
            except StoreError:
                continue
            good = candidate
            break
    finally:
        QGuiApplication.restoreOverrideCursor()
    damaged = tr("The database {path} is damaged: some of its pages cannot be read.").format(path=db)
    if good is None:
        dialogs.error(parent, tr("The database is damaged"),
                      damaged + "\n\n" + tr("There is no intact backup of it in {path}.").format(
                          path=backup_folder()) + " " + tr(
                          "Trạm closes now. Keep the file: the district's IT person may recover it."))
        return False
    question = damaged + "\n\n" + tr(
        "Restore the latest intact backup, made on {when}? The damaged file is kept aside, and whatever was "
        "saved after the backup will have to be entered again.").format(when=when_text(good))
    if not dialogs.ask(parent, tr("The database is damaged"), question,
                       yes=tr("Restore this backup"), no=tr("Quit Trạm")):
        return False
    try:
        # Before any login (the file cannot be opened to log in): whoever sits at the station's
        # computer, as the command line's local operator, who holds the file anyway.
        aside = backup.restore(db, good.path, by=SYSTEM)
    except StoreError as exc:
        dialogs.error(parent, tr("Not restored"), exc.text())
        return False
    try:
        store = open_store(db)
    except StoreError as exc:
        dialogs.error(parent, tr("Not restored"), exc.text())
        return False
    record(store, "restore", {"from": str(good.path), "aside": str(aside) if aside else "", "damaged": True})
    store.close()
    return True


# -- the box in the settings -------------------------------------------------------------------------
class BackupsBox(QGroupBox):
    """Last backup, "Back up now", the second folder, an encrypted copy, restoring."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(tr("Backups"), parent)
        self.ctx = ctx
        self._op: background.Operation | None = None
        form = QFormLayout(self)
        self.last = QLabel()
        self.last.setWordWrap(True)
        form.addRow(tr("Last backup"), self.last)
        folder = QLabel(str(backup_folder()))
        folder.setWordWrap(True)
        folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(tr("Backup folder"), folder)
        self.backup_now = QPushButton(tr("Back up now"))
        self.backup_now.clicked.connect(self.make_backup)
        form.addRow("", self.backup_now)

        self.second = QLineEdit()
        self.second.setReadOnly(True)
        self.second.setPlaceholderText(tr("none (recommended: a USB stick)"))
        choose = QPushButton(tr("Choose…"))
        choose.clicked.connect(self.choose_second)
        clear = QPushButton(tr("Remove"))
        clear.clicked.connect(lambda: self._set_second(None))
        row = QHBoxLayout()
        row.addWidget(choose, 1)
        row.addWidget(clear)
        form.addRow(tr("Second copy to"), self.second)
        form.addRow("", row)

        self.export = QPushButton(tr("Encrypted copy for outside the station…"))
        self.export.clicked.connect(self.export_encrypted)
        form.addRow("", self.export)
        self.restore = QPushButton(tr("Restore a backup…"))
        self.restore.clicked.connect(self.restore_backup)
        form.addRow("", self.restore)
        # What the person's role may not do is not offered (the store refuses it anyway).
        actor = ctx.store.actor
        for button, permission in ((self.backup_now, Permission.BACKUP), (self.export, Permission.EXPORT),
                                   (self.restore, Permission.RESTORE)):
            if not actor.can(permission):
                button.hide()
        self.refresh()

    def refresh(self) -> None:
        last = backup.latest(backup_folder(), self.ctx.db_path)
        if last is None:
            self.last.setText(tr("none yet"))
        else:
            text = when_text(last)
            if backup.is_due(backup_folder(), self.ctx.db_path):
                text = tr("{when} — more than a day ago").format(when=text)
            self.last.setText(text)
        second = second_folder()
        self.second.setText(str(second) if second else "")

    # -- actions -----------------------------------------------------------------------------------
    def _failed(self, title: str) -> Callable[[BaseException], None]:
        def show(exc: BaseException) -> None:
            self._op = None
            text = exc.text() if isinstance(exc, StoreError) else str(exc)
            dialogs.error(self, title, text)

        return show

    def _allowed(self, permission_name: str) -> bool:
        from station_app.domain.accounts import Permission

        try:
            self.ctx.store.require(Permission(permission_name))
        except StoreError as exc:
            dialogs.error(self, tr("Not allowed"), exc.text())
            return False
        return True

    def make_backup(self) -> None:
        if not self._allowed("backup"):
            return
        work = _backup_work(self.ctx.db_path, second_folder(), self.ctx.store.actor)

        def done(outcome: Outcome) -> None:
            self._op = None
            self.refresh()
            message = tr("Backup made and checked: {path}").format(path=outcome.path)
            if outcome.copy is not None:
                message += "\n" + tr("Copy: {path}").format(path=outcome.copy)
            if outcome.copy_problem:
                dialogs.warning(self, tr("Backups"), message + "\n\n" + outcome.copy_problem)
            else:
                dialogs.info(self, tr("Backups"), message)

        self._op = background.run(self, tr("Backing up the database…"), work, done, self._failed(tr("Backups")))

    def choose_second(self) -> None:
        start = str(second_folder() or Path.home())
        name = _pick_folder(self, tr("Second copy to"), start)
        if name:
            self._set_second(Path(name))

    def _set_second(self, folder: Path | None) -> None:
        set_second_folder(folder)
        self.refresh()

    def export_encrypted(self) -> None:
        if not self._allowed("export"):
            return
        target = _pick_folder(self, tr("Encrypted copy for outside the station…"),
                              str(second_folder() or Path.home()))
        if not target:
            return
        ask = PassphraseDialog(self, confirm=True)
        if not dialogs.run(ask):
            return
        db, passphrase, actor = self.ctx.db_path, ask.passphrase(), self.ctx.store.actor

        def work(progress: Callable[[int, int], None]) -> Path:
            path = backup.export_encrypted(db, Path(target), passphrase, progress=progress)
            record_as(db, actor, "export", {"file": str(path), "encrypted": True})
            return path

        def done(path: Path) -> None:
            self._op = None
            dialogs.info(self, tr("Backups"), tr("Encrypted copy written: {path}").format(path=path))

        self._op = background.run(self, tr("Writing the encrypted copy…"), work, done, self._failed(tr("Backups")))

    def restore_backup(self) -> None:
        if not self._allowed("restore"):
            return
        pick = RestoreDialog(self, self.ctx.db_path)
        if not dialogs.run(pick):
            return
        source = pick.chosen()
        assert source is not None  # the dialog refuses OK without a choice
        passphrase: str | None = None
        if source.is_file() and backup.is_encrypted(source):
            ask = PassphraseDialog(self, confirm=False)
            if not dialogs.run(ask):
                return
            passphrase = ask.passphrase()
        # Checked (and decrypted) first; then both stations are shown side by side and the person asked.
        self._op = restore_with_progress(self, self.ctx, source, passphrase, on_end=self._ended)

    def _ended(self) -> None:
        self._op = None


# -- the running app ----------------------------------------------------------------------------------
def start(store: Store, window: QMainWindow) -> background.Operation | None:
    """At start-up: the automatic backup, on a worker thread, when the last one is a day old."""

    def done(outcome: Outcome) -> None:
        window.statusBar().showMessage(tr("Backup made and checked: {path}").format(path=outcome.path), 15000)

    return start_auto_backup(store, window, done)


def finish(started: background.Operation | None, store: Store) -> None:
    """At exit: let the start-up backup end, then back up if the last backup is a day old."""
    from PySide6.QtCore import QCoreApplication, QThread

    while started is not None and started.running:
        QCoreApplication.processEvents()
        QThread.msleep(10)
    backup_on_exit(store)
