"""The main window: its title and status bar, numbers in Vietnamese, the size and area remembered
between runs, and no blank area."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QWidget

from station_app import i18n
from station_app.store import patients
from station_app.store.station import load_profile
from station_app.ui.context import FONT_SCALES, settings
from station_app.ui.forms.patient_form import PatientForm
from station_app.ui.forms.visit_form import VisitForm
from station_app.ui.qt_i18n import fmt_int
from station_app.ui.wiring import AREAS


def test_title_names_the_station(session) -> None:
    name = load_profile(session.store).name
    assert name, "the demo station has a name"
    assert name in session.window.windowTitle()
    assert session.window.status_station.text() == name


def test_status_bar_shows_the_file_and_the_patient_count(session, demo_copy: Path) -> None:
    window = session.window
    assert demo_copy.name in window.status_file.text()
    assert patients.count(session.store) == 300
    assert "300" in window.status_count.text()
    for label in (window.status_file, window.status_station, window.status_count):
        assert label.isVisible()


@pytest.mark.parametrize(
    ("lang", "value", "text"),
    [
        ("vi", 300, "300"),
        ("vi", 1234, "1.234"),
        ("vi", 100000, "100.000"),
        ("en", 100000, "100,000"),
    ],
)
def test_numbers_use_the_language_separators(lang: str, value: int, text: str) -> None:
    i18n.set_language(lang)
    assert fmt_int(value) == text


def test_size_and_area_are_remembered(make_session, demo_copy: Path, tmp_data_dir: Path) -> None:
    first = make_session(demo_copy)
    assert first.window.current_area() == "today", "a first start opens on Today"
    first.window.show_area("visits")
    # A size of the person's choosing, never below what the visit book needs.
    first.window.resize(max(760, first.window.minimumSizeHint().width()), 540)
    size = first.window.size()
    assert size.height() == 540
    make_session.close(first)
    assert (tmp_data_dir / "settings.ini").is_file(), "settings live in the (temporary) data folder"

    second = make_session(demo_copy)
    assert second.window.size() == size
    assert second.window.current_area() == "visits"
    assert second.window.stack.currentWidget() is second.window.views["visits"]


def visible_texts(view: QWidget) -> list[str]:
    texts = []
    for kind in (QLabel, QAbstractButton):
        texts += [
            w.text().strip() for w in view.findChildren(kind) if w.isVisible() and w.text().strip()
        ]
    texts += [
        w.placeholderText()
        for w in view.findChildren(QLineEdit)
        if w.isVisible() and w.placeholderText()
    ]
    return texts


@pytest.mark.parametrize("key", [a.key for a in AREAS])
def test_no_area_is_blank(session, key: str) -> None:
    view = session.window.show_area(key)
    assert view.isVisible()
    assert visible_texts(view), f"the {key} area shows nothing"


# The screen of the station's laptop: 1366×768, less a taskbar and a title bar.
SCREEN = QSize(1366, 768 - 80)


# At the largest text size, Nhắc hẹn and Thuốc still need more than the screen (their rows of buttons).
TOO_WIDE = pytest.mark.xfail(strict=True, reason="Nhắc hẹn and Thuốc are wider than 1366 px at 150 %")


@pytest.mark.parametrize("scale", [s if s < 1.5 else pytest.param(s, marks=TOO_WIDE) for s in FONT_SCALES])
def test_window_and_forms_fit_a_small_laptop_screen(
    make_session, demo_copy: Path, nurse, scale: float
) -> None:
    s = settings()
    s.setValue("ui/font_scale", scale)
    s.sync()
    session = make_session(demo_copy)
    assert session.font_scale == scale
    for area in AREAS:  # each area is made when first opened: all of them must fit
        session.window.show_area(area.key)
    needed = session.window.minimumSizeHint()
    widest = {key: view.minimumSizeHint().width() for key, view in session.window.views.items()}
    assert needed.width() <= SCREEN.width(), (
        f"the window needs {needed.width()} px; areas: {widest}"
    )
    assert needed.height() <= SCREEN.height(), needed

    registry = session.window.show_area("patients")
    nurse.ctrl(registry.list.search, Qt.Key.Key_R)
    form = nurse.dialog(PatientForm)
    needed = form.minimumSizeHint().expandedTo(form.minimumSize())
    assert needed.width() <= SCREEN.width() and needed.height() <= SCREEN.height(), needed
    form.reject()

    session.ctx.new_visit.emit(patients.all_ids(session.store)[0])
    form = nurse.dialog(VisitForm)
    needed = form.minimumSizeHint().expandedTo(form.minimumSize())
    assert needed.width() <= SCREEN.width() and needed.height() <= SCREEN.height(), needed
    assert form.size().height() <= form.screen().availableGeometry().height()  # .height is a field
    form.reject()
