"""Long work off the GUI thread: one worker thread per operation, results by queued signals.

The work function gets a ``progress(done, total)`` callback and must open its own database
connection (a sqlite3 connection never crosses threads). A progress dialog appears only when the
work is slow (after ~600 ms), so quick operations never flash a window.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, SignalInstance
from PySide6.QtWidgets import QProgressDialog, QWidget
from shiboken6 import isValid

from station_app import paths
from station_app.i18n import N_, tr

SHOW_AFTER_MS = 600
FINISHING = N_("Finishing the work under way; Trạm closes when it is done…")  # (names none of the work)

# While the screen is locked nothing may open above the lock. An operation that ends meanwhile
# keeps what it has to say (its result, its error: a message box, a form) until the lock opens;
# its progress dialog stays hidden. ``login.IdleLock`` tells when the screen is locked.
#
# An operation belongs to the session (the person logged in) that started it. When that person
# logs out ("Switch user" on the lock, "Log out"), ``end_session`` is called: nothing their
# operations say (at once, or when they end later) is shown to the next person at the screen. Its
# progress hides, its result is dropped (what it wrote is in the audit log, under the name of the
# person who started it), its failure goes to error.log only.
_locked = False
_session = 0  # the session on the screen now; each log-out starts the next
_waiting: list[Callable[[], None]] = []
_running: set[Operation] = set()  # (kept until their thread has ended, whatever became of their owner)


def set_locked(locked: bool) -> None:
    """The screen is locked (True) or open again (False: what waited is done, in order)."""
    global _locked
    _locked = locked
    if not locked:
        waiting = list(_waiting)
        _waiting.clear()
        for call in waiting:
            QTimer.singleShot(0, call)


def end_session() -> None:
    """The person logged out: nothing their operations say reaches the screen from now on."""
    global _session
    _session += 1
    for op in list(_running):
        op.hide_progress()
    waiting = list(_waiting)
    _waiting.clear()
    for call in waiting:  # (each finds its session ended: only what is kept of it is done)
        call()


def busy() -> bool:
    """Some operation's thread is still running."""
    return bool(_running)


def wait_all(parent: QWidget | None = None) -> None:
    """Let every running operation end before Trạm closes (its thread must not be destroyed while
    it runs, and what it writes must not be cut off): events are processed meanwhile, so each ends
    as usual — told to the person who started it if they are still at the screen, dropped after a
    log-out (``end_session``). When this takes a while a small window says why Trạm has not closed
    yet; it names none of the work (the next person at the screen may not see it)."""
    from PySide6.QtCore import QCoreApplication, QElapsedTimer

    if not _running:
        return
    clock = QElapsedTimer()
    clock.start()
    note: QProgressDialog | None = None
    try:
        while _running:
            QCoreApplication.processEvents()
            QThread.msleep(10)
            if note is None and _running and clock.elapsed() >= SHOW_AFTER_MS:
                note = QProgressDialog(tr(FINISHING), "", 0, 0,
                                       parent if parent is not None and isValid(parent) else None)
                note.setCancelButton(None)
                note.setWindowTitle(tr("Please wait"))
                note.setWindowModality(Qt.WindowModality.ApplicationModal)
                note.show()
    finally:
        if note is not None:
            note.close()
            note.deleteLater()


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
    """A running background operation; keep a reference until ``done`` or ``error`` fires.

    ``done``/``error`` fire only while the session that started it is on the screen, and only
    while ``parent`` (the view or form that started it) still exists. ``settled`` fires after every
    success, even one nobody is told of (the changes it made are announced to the views);
    ``dropped`` with a result nobody is told of (a staged copy is deleted)."""

    done = Signal(object)
    error = Signal(object)
    settled = Signal()
    dropped = Signal(object)

    def __init__(
        self,
        parent: QWidget | None,
        label: str,
        fn: Callable[[Callable[[int, int], None]], Any],
        quiet: bool = False,
    ) -> None:
        # Not a child of ``parent``: a view deleted while its work runs (at a switch of user the
        # views are built again for the next person) must not take the running thread with it.
        super().__init__()
        self._owner = parent
        self._label = label
        self._session = _session
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
        _running.add(self)
        self._thread.start()
        if not self._quiet:
            self._timer.start(SHOW_AFTER_MS)
        return self

    @property
    def running(self) -> bool:
        return self._running

    @property
    def unseen(self) -> bool:
        """The person who started it has logged out: nothing of it shows any more."""
        return self._session != _session

    def hide_progress(self) -> None:
        if isValid(self._dialog):  # (deleted with its view)
            self._dialog.reset()  # (and its own timer to show itself stops)
            self._dialog.hide()

    def _show(self) -> None:
        if self._running:
            _when_unlocked(self._show_if_running)

    def _show_if_running(self) -> None:
        if self._running and not self.unseen and isValid(self._dialog):
            self._dialog.show()

    def _on_progress(self, done: int, total: int) -> None:
        if self._quiet or self.unseen or not isValid(self._dialog):
            return
        self._dialog.setMaximum(max(total, 1))
        self._dialog.setValue(min(done, total))

    def _finish(self) -> None:
        self._running = False
        self._timer.stop()
        self.hide_progress()
        self._thread.quit()
        self._thread.wait()
        _running.discard(self)

    def _on_finished(self, result: object) -> None:
        self._finish()
        _when_unlocked(lambda: self._deliver(self.done, result))

    def _on_failed(self, exc: object) -> None:
        self._finish()
        _when_unlocked(lambda: self._deliver(self.error, exc))

    def _deliver(self, signal: SignalInstance, value: object) -> None:
        if signal is self.done:
            self.settled.emit()
        if self.unseen:  # the last person's, not the next one's to see
            if signal is self.done:
                self.dropped.emit(value)
            elif isinstance(value, BaseException):
                _log_unseen(self._label, value)
            return
        if self._owner is None or isValid(self._owner):  # (a form closed meanwhile hears nothing)
            signal.emit(value)
        elif isinstance(value, BaseException):  # (but its failure is kept for the IT person)
            _log_unseen(self._label, value, "after the view that started it closed")


def _log_unseen(label: str, exc: BaseException, why: str = "after the person who started it logged out") -> None:
    """The failure of an operation no one is left to be told of: in error.log, not on the screen."""
    with contextlib.suppress(OSError):
        paths.log_error(f"{label} ended {why} (not shown):\n"
                        + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))


def run(
    parent: QWidget | None,
    label: str,
    fn: Callable[[Callable[[int, int], None]], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
    quiet: bool = False,
    *,
    on_settled: Callable[[], None] | None = None,
    on_dropped: Callable[[Any], None] | None = None,
) -> Operation:
    """Run ``fn(progress)`` on a worker thread: ``on_done(result)`` or ``on_error(exc)`` on the GUI
    thread, told to the person who started it (after the lock opens; never to the next person);
    ``on_settled()`` after every success, told to anyone or not; ``on_dropped(result)`` when the
    person logged out before it ended (nobody is told)."""
    op = Operation(parent, label, fn, quiet)
    op.done.connect(on_done)
    op.error.connect(on_error)
    if on_settled is not None:
        op.settled.connect(on_settled)
    if on_dropped is not None:
        op.dropped.connect(on_dropped)
    return op.start()
