"""Fixtures for the desktop app's tests: an offscreen Qt, a pinned clock, answered message boxes,
and a running ``Session`` on a private copy of the demo database.

Every test in this folder is marked ``gui`` (``pytest -m "not gui"`` skips them). No test shows a
window on screen, touches the real home folder, sleeps, or blocks on a modal ``exec()``: message
boxes are answered through ``dialogs.answer`` and forms are opened with ``open()``.
"""

from __future__ import annotations

import os

# Before anything creates the QApplication: no window ever reaches a real screen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QScrollArea, QWidget

from station_app import clock, paths
from station_app.domain.patient import Patient
from station_app.store import patients
from station_app.ui import dialogs, login
from station_app.ui.app import Session, ensure_app

UI_TESTS = Path(__file__).parent
# The clock during GUI tests: the demo's "today", in the afternoon, after the demo's own visits.
VISIT_TIME = dt.time(17, 0)
D = TypeVar("D", bound=QDialog)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this folder ``gui``."""
    for item in items:
        if UI_TESTS in item.path.parents:
            item.add_marker(pytest.mark.gui)


@pytest.fixture(autouse=True)
def now(today: dt.date) -> Iterator[dt.datetime]:
    """The clock pinned to the demo's "today" at 17:00 (the shared ``today`` fixture pins noon)."""
    moment = dt.datetime.combine(today, VISIT_TIME)
    with clock.pinned(moment):
        yield moment


@dataclass
class Answers:
    """Answers every message box instead of showing it, and remembers what was asked.

    ``yes`` is the answer to questions (info, warning and error boxes just get "OK").
    """

    yes: bool = False
    asked: list[tuple[str, str, str]] = field(default_factory=list)

    def __call__(self, kind: str, title: str, text: str) -> bool:
        self.asked.append((kind, title, text))
        return self.yes if kind == "question" else True

    def titles(self, kind: str | None = None) -> list[str]:
        return [t for k, t, _ in self.asked if kind is None or k == kind]


@pytest.fixture(autouse=True)
def answers() -> Iterator[Answers]:
    """No message box may block a test: each is answered (by default "No") and recorded."""
    recorder = Answers()
    dialogs.answer = recorder
    dialogs.shown.clear()
    try:
        yield recorder
    finally:
        dialogs.answer = None
        dialogs.shown.clear()


class Sessions:
    """Starts the app (``sessions(db)``, window shown) and closes it (``sessions.close(s)``).

    The app always has a logged-in person: ``sessions(db, role="nurse")`` logs in as the first
    nurse of the station (a head by default), creating an account when there is none.
    """

    def __init__(self) -> None:
        self.started: list[Session] = []

    def __call__(self, db: Path, lang: str | None = None, role: str = "head") -> Session:
        session = Session(ensure_app(), db, lang, login=login.as_role(role))
        self.started.append(session)
        session.window.show()
        session.window.activateWindow()
        QTest.qWaitForWindowExposed(session.window)
        return session

    def close(self, session: Session) -> None:
        """Close the window (which saves its size and area), then the database; once."""
        if session not in self.started:
            return
        self.started.remove(session)
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible():
                widget.done(QDialog.DialogCode.Rejected)  # no "discard what you typed?" question
        window = session.window
        window.close()
        # Delete the window and its children (hidden forms, their pending timers) before the
        # database closes under them.
        window.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        session.close()  # after the start-up check of the file's pages


@pytest.fixture
def make_session(qapp: QApplication, tmp_data_dir: Path, now: dt.datetime) -> Iterator[Sessions]:
    """``make_session(db)`` starts the app on ``db`` with its window shown; all are closed after."""
    assert paths.data_dir() == tmp_data_dir, "GUI tests must never use the real data folder"
    sessions = Sessions()
    try:
        yield sessions
    finally:
        for session in list(sessions.started):
            sessions.close(session)


@pytest.fixture
def session(make_session: Sessions, demo_copy: Path) -> Session:
    """The app on a private copy of the 300-patient demo database, in Vietnamese, window shown."""
    return make_session(demo_copy)


class Nurse:
    """Drives the widgets from the keyboard and the mouse, as a nurse would."""

    def __init__(self, qtbot) -> None:
        self.qtbot = qtbot

    def type(self, widget: QWidget, text: str) -> None:
        """Type ``text`` key by key, as a keyboard with a Vietnamese input method would.

        ``QTest.keyClicks`` turns each character into Latin-1 and loses ệ, ư, đ…; non-ASCII
        characters are sent as the text of a key event instead.
        """
        for ch in text:
            if ch.isascii():
                self.qtbot.keyClick(widget, ch)
            else:
                for action in (QTest.KeyAction.Press, QTest.KeyAction.Release):
                    QTest.sendKeyEvent(
                        action, widget, Qt.Key.Key_unknown, ch, Qt.KeyboardModifier.NoModifier
                    )

    def press(
        self,
        widget: QWidget,
        key: Qt.Key,
        modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
    ) -> None:
        self.qtbot.keyClick(widget, key, modifier)

    def ctrl(self, widget: QWidget, key: Qt.Key) -> None:
        """A shortcut such as Ctrl+S, pressed while ``widget`` has the keyboard."""
        self.qtbot.keyClick(widget, key, Qt.KeyboardModifier.ControlModifier)

    def click(self, widget: QWidget) -> None:
        """Scroll ``widget`` into sight if it is in a scrolled form, then click it."""
        parent = widget.parentWidget()
        while parent is not None:
            if isinstance(parent, QScrollArea):
                parent.ensureWidgetVisible(widget)
            parent = parent.parentWidget()
        self.qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)

    def dialog(self, kind: type[D]) -> D:
        """The one visible dialog of ``kind`` (opened with ``open()``), once it is active."""
        found: list[D] = []

        def shown() -> bool:
            found[:] = [
                w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()
            ]
            return len(found) == 1

        self.qtbot.waitUntil(shown)
        dialog = found[0]
        dialog.activateWindow()
        self.qtbot.waitUntil(dialog.isActiveWindow)
        return dialog

    def closed(self, dialog: QDialog) -> None:
        """Wait for ``dialog`` to close, then give the keyboard back to the window under it.

        A window manager re-activates the parent window; the offscreen platform does not.
        """
        self.qtbot.waitUntil(lambda: not dialog.isVisible())
        parent = dialog.parentWidget()
        if parent is not None:
            window = parent.window()
            window.activateWindow()
            self.qtbot.waitUntil(window.isActiveWindow)


@pytest.fixture
def nurse(qtbot) -> Nurse:
    return Nurse(qtbot)


@pytest.fixture
def adult(session) -> Patient:
    """A living adult of the demo whose full name no one else has (a search finds only them)."""
    row = session.store.query(
        "SELECT id FROM patients WHERE deceased = 0 AND birth_year BETWEEN ? AND ? "
        "AND village <> '' AND full_name IN "
        "(SELECT full_name FROM patients GROUP BY full_name HAVING count(*) = 1) "
        "ORDER BY id LIMIT 1",
        (clock.today().year - 70, clock.today().year - 25),
    )
    assert row, "the demo database has no adult with a unique name"
    found = patients.get(session.store, row[0]["id"])
    assert found is not None
    return found


@pytest.fixture
def visit_form(session, nurse: Nurse, adult: Patient):
    """The adult's page open in the registry, and the visit form opened from it with Ctrl+N."""
    from station_app.ui.forms.visit_form import VisitForm

    session.ctx.open_patient.emit(adult.id)
    registry = session.window.views["patients"]
    assert registry.stack.currentWidget() is registry.page
    nurse.ctrl(registry.page.new_visit_button, Qt.Key.Key_N)
    form = nurse.dialog(VisitForm)
    assert form.patient.id == adult.id
    return form


def summary_tab(session):  # type: ignore[no-untyped-def]
    """The record summary tab ("Tóm tắt hồ sơ (PDF)") of the first patient with follow-up items,
    opened in the registry: (patient id, the tab)."""
    from station_app.store import followups, patients

    store = session.ctx.store
    pid = next(i for i in patients.all_ids(store) if followups.patient_items(store, i))
    registry = session.window.show_area("patients")
    registry.open_patient(pid)
    tabs = registry.page.tabs
    index = next(i for i in range(tabs.count()) if tabs.tabText(i) == "Tóm tắt hồ sơ (PDF)")
    tabs.setCurrentIndex(index)
    return pid, tabs.widget(index)
