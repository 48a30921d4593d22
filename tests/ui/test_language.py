"""The language switch in Cài đặt (Settings): every area is rebuilt in the new language at once,
and the choice is remembered. The Vietnamese words are those of the issue; they need the
catalogue (resources/i18n/vi)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from station_app import i18n
from station_app.ui.context import settings

NAV_EN = ["Today", "Patients", "Visits", "Follow-ups", "Referrals", "Reports", "Medicines", "Insurance", "Settings"]
NAV_VI = ["Hôm nay", "Bệnh nhân", "Lượt khám", "Nhắc hẹn", "Chuyển tuyến", "Báo cáo", "Thuốc", "BHYT", "Cài đặt"]


def nav_texts(window) -> list[str]:
    return [window.nav.item(row).text() for row in range(window.nav.count())]


def choose_language(nurse, window, code: str) -> None:
    """In Settings, arrow through the language list to ``code``, as from the keyboard."""
    view = window.show_area("settings")
    combo = view.language
    combo.setFocus()
    key = Qt.Key.Key_Down if combo.findData(code) > combo.currentIndex() else Qt.Key.Key_Up
    nurse.press(combo, key)


def test_navigation_is_vietnamese_by_default(session) -> None:
    assert i18n.language() == "vi"
    assert nav_texts(session.window) == NAV_VI


def test_switch_to_english_and_back(session, nurse, make_session, demo_copy) -> None:
    window = session.window
    choose_language(nurse, window, "en")

    assert i18n.language() == "en"
    assert nav_texts(window) == NAV_EN
    assert window.current_area() == "settings", "the nurse stays where she was"
    registry = window.views["patients"]
    assert registry.list.register_button.text().startswith("Register a patient")
    assert window.views["visits"].today_button.text() == "Today"
    assert "patients" in window.status_count.text()
    assert settings().value("ui/language") == "en"
    assert window.show_area("today").greeting.text().startswith("Today, ")

    choose_language(nurse, window, "vi")
    assert i18n.language() == "vi"
    assert window.current_area() == "settings"
    assert settings().value("ui/language") == "vi"
    assert nav_texts(window) == NAV_VI


def test_language_is_remembered(session, nurse, make_session, demo_copy) -> None:
    choose_language(nurse, session.window, "en")
    make_session.close(session)
    i18n.set_language("vi")  # as a fresh start would be

    again = make_session(demo_copy)
    assert again.lang == "en"
    assert nav_texts(again.window) == NAV_EN
