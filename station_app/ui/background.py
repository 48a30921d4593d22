"""Long work off the GUI thread: one worker thread per operation, results by queued signals.

The work function gets a ``progress(done, total)`` callback and must open its own database
connection (a sqlite3 connection never crosses threads). A progress dialog appears only when the
work is slow (after ~600 ms), so quick operations never flash a window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, SignalInstance
from PySide6.QtWidgets import QProgressDialog, QWidget
from shiboken6 import isValid

from station_app.i18n import tr

SHOW_AFTER_MS = 600

# While the screen is locked nothing may open above the lock. An operation that ends meanwhile
# keeps what it has to say (its result, its error: a message box, a form) until the lock opens;
# its progress dialog stays hidden. ``login.IdleLock`` tells when the screen is locked.
_locked = False
_waiting: list[Callable[[], None]] = []


def set_locked(locked: bool, *, forget: bool = False) -> None:
    """The screen is locked (True) or open again (False: what waited is done, in order; with
    ``forget``, another person logged in meanwhile, whose views are built afresh: it was not
    theirs, and is dropped)."""
    global _locked
    _locked = locked
    if not locked:
        waiting = list(_waiting)
        _waiting.clear()
        for call in [] if forget else waiting:
            QTimer.singleShot(0, call)


def _when_unlocked(call: Callable[[], None]) -> None:
    if _locked:
        _waiting.append(call)
    else:
        call()


class _Worker(QObject):
    progressed = Signal(int, int)
    finished = Signal(object)
    failed = Signal(object)

    def __init__(self, fn: Callable[[Callable[[int, int], None]], Any]) -> None:
        super().__init__()
        self._fn = fn

    def run(self) -> None:
        try:
            result = self._fn(lambda done, total: self.progressed.emit(int(done), int(total)))
        except Exception as exc:  # handed to the GUI thread's error handler
            self.failed.emit(exc)
        else:
            self.finished.emit(result)


class Operation(QObject):
    """A running background operation; keep a reference until ``done`` or ``error`` fires."""

    done = Signal(object)
    error = Signal(object)

    def __init__(
        self,
        parent: QWidget | None,
        label: str,
        fn: Callable[[Callable[[int, int], None]], Any],
        quiet: bool = False,
    ) -> None:
        super().__init__(parent)
        self._quiet = quiet  # no progress dialog at all (a backup the nurse did not ask for)
        self._thread = QThread()
        self._worker = _Worker(fn)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.progressed.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._worker.finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)
        self._worker.failed.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)
        self._dialog = QProgressDialog(label, "", 0, 0, parent)
        self._dialog.setCancelButton(None)
        self._dialog.setWindowTitle(tr("Please wait"))
        self._dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self._dialog.setMinimumDuration(SHOW_AFTER_MS)
        self._dialog.setAutoClose(False)
        self._dialog.reset()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._show)
        self._running = False

    def start(self) -> Operation:
        self._running = True
        self._thread.start()
        if not self._quiet:
            self._timer.start(SHOW_AFTER_MS)
        return self

    @property
    def running(self) -> bool:
        return self._running

    def _show(self) -> None:
        if self._running:
            _when_unlocked(self._show_if_running)

    def _show_if_running(self) -> None:
        if isValid(self) and self._running:
            self._dialog.show()

    def _on_progress(self, done: int, total: int) -> None:
        if self._quiet:
            return
        self._dialog.setMaximum(max(total, 1))
        self._dialog.setValue(min(done, total))

    def _finish(self) -> None:
        self._running = False
        self._timer.stop()
        self._dialog.hide()
        self._thread.quit()
        self._thread.wait()

    def _on_finished(self, result: object) -> None:
        self._finish()
        _when_unlocked(lambda: self._emit(self.done, result))

    def _on_failed(self, exc: object) -> None:
        self._finish()
        _when_unlocked(lambda: self._emit(self.error, exc))

    def _emit(self, signal: SignalInstance, value: object) -> None:
        if isValid(self):  # (what started it may have gone meanwhile: a form closed at a switch of user)
            signal.emit(value)


def run(
    parent: QWidget | None,
    label: str,
    fn: Callable[[Callable[[int, int], None]], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
    quiet: bool = False,
) -> Operation:
    op = Operation(parent, label, fn, quiet)
    op.done.connect(on_done)
    op.error.connect(on_error)
    return op.start()
