"""The registry (Bệnh nhân): finding patients by folded queries, and the keyboard flow
search box → table → patient page → back."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from station_app.domain.text import fold, words
from station_app.store import patients
from station_app.ui.views.registry import RegistryView


def shown_names(registry: RegistryView) -> list[str]:
    model = registry.list.model
    return [model.index(row, 1).data() for row in range(model.rowCount())]


def matches(name: str, query: str) -> bool:
    """Every typed word starts a word of the name, tones and đ ignored."""
    name_words = [fold(w) for w in words(name)]
    return all(any(w.startswith(q) for w in name_words) for q in query.split())


def a_nguyen(store) -> str:
    """A "Nguyễn <middle> <given>" of the demo whose folded name no one else has, and whose
    folded words start no other patient's name words in that order (typed whole, it is the first
    found)."""
    rows = store.query(
        "SELECT full_name FROM patients WHERE full_name LIKE 'Nguyễn % %' AND full_name NOT LIKE '% % % %' "
        "AND name_folded IN (SELECT name_folded FROM patients GROUP BY name_folded HAVING count(*) = 1) "
        "ORDER BY full_name"
    )
    everyone = [str(r["full_name"]) for r in store.query("SELECT full_name FROM patients")]
    for row in rows:
        name = str(row["full_name"])
        if sum(matches(other, fold(name)) for other in everyone) == 1:
            return name
    raise AssertionError("the demo has no Nguyễn with a name of their own")


def search(nurse, qtbot, registry: RegistryView, query: str) -> list[str]:
    nurse.type(registry.list.search, query)

    def narrowed() -> bool:
        names = shown_names(registry)
        return bool(names) and all(matches(n, query) for n in names)

    qtbot.waitUntil(narrowed)
    return shown_names(registry)


@pytest.mark.parametrize("who", ["one person", "a family name"])
def test_folded_query_finds_the_patient_and_enter_opens_them(session, nurse, qtbot, who: str) -> None:
    if who == "one person":  # "nguyen thi huong" finds "Nguyễn Thị Hường"
        expected = a_nguyen(session.store)
        query = fold(expected)
    else:
        query, expected = "dang", "Đặng "
    registry = session.window.show_area("patients")
    assert QApplication.focusWidget() is registry.list.search, "the search box has the keyboard"
    names = search(nurse, qtbot, registry, query)
    assert names[0].startswith(expected)
    if expected.endswith(" "):
        assert all(n.startswith(expected) for n in names)
    else:
        assert names[0] == expected
    first = registry.list.model.id_at(0)
    assert registry.list.count_label.text()

    nurse.press(registry.list.search, Qt.Key.Key_Return)
    assert registry.stack.currentWidget() is registry.page
    assert registry.page.patient is not None and registry.page.patient.id == first
    assert registry.page.title.text().startswith(expected.strip())


def test_uppercase_query_finds_the_same(session, nurse, qtbot) -> None:
    registry = session.window.show_area("patients")
    name = fold(a_nguyen(session.store))
    lower = search(nurse, qtbot, registry, name)
    registry.list.search.clear()
    qtbot.waitUntil(lambda: registry.list.model.rowCount() == patients.count(session.store))
    nurse.type(registry.list.search, name.upper())
    qtbot.waitUntil(lambda: shown_names(registry) == lower)


def test_keyboard_flow_search_down_enter_escape(session, nurse, qtbot) -> None:
    registry = session.window.show_area("patients")
    table = registry.list.table
    names = search(nurse, qtbot, registry, "dang")
    assert len(names) >= 2

    nurse.press(registry.list.search, Qt.Key.Key_Down)
    assert QApplication.focusWidget() is table, "Down moves from the search box into the results"
    assert table.currentIndex().row() == 0
    nurse.press(table, Qt.Key.Key_Down)
    assert table.currentIndex().row() == 1
    second = registry.list.model.id_at(1)

    nurse.press(table, Qt.Key.Key_Return)
    assert registry.stack.currentWidget() is registry.page
    assert registry.page.patient is not None and registry.page.patient.id == second
    assert QApplication.focusWidget() is registry.page.new_visit_button

    nurse.press(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert registry.stack.currentWidget() is registry.list
    assert QApplication.focusWidget() is table, "back in the list, where the nurse left it"
    assert registry.list.search.text() == "dang", "the search is kept"
    assert table.currentIndex().row() == 1

    nurse.ctrl(table, Qt.Key.Key_F)
    assert QApplication.focusWidget() is registry.list.search


def test_alt_number_switches_area(session, nurse) -> None:
    window = session.window
    for number, key in enumerate(
        ("today", "patients", "visits", "followups", "referrals", "reports", "medicines", "claims", "settings"), start=1
    ):
        nurse.press(window.nav, getattr(Qt.Key, f"Key_{number}"), Qt.KeyboardModifier.AltModifier)
        assert window.current_area() == key
        assert window.stack.currentWidget() is window.views[key]


def test_a_name_found_only_with_a_slip_is_marked_gan_dung(session, nurse, qtbot) -> None:
    registry = session.window.show_area("patients")
    marker = registry.list.approx_label
    searched = lambda: not registry.list._timer.isActive()  # noqa: E731 - the last keystroke searched
    name = a_nguyen(session.store)  # "Nguyễn Mai Thủy"
    rest = fold(name).split(maxsplit=1)[1]  # "mai thuy"
    nurse.type(registry.list.search, f"ngyuen {rest}")  # two letters swapped
    qtbot.waitUntil(searched)
    assert name in shown_names(registry)
    assert marker.isVisible()
    close = len(shown_names(registry))
    assert marker.text() == f"{close} kết quả gần đúng, không đúng như đã gõ"
    # Found as typed: no marker.
    registry.list.search.selectAll()
    nurse.type(registry.list.search, f"nguyen {rest}")
    qtbot.waitUntil(searched)
    assert not marker.isVisible()
    assert shown_names(registry)[0] == name
    # Telex left in: found, marked again.
    registry.list.search.selectAll()
    nurse.type(registry.list.search, f"nguyeenx {rest}")  # Telex's tone key left in the family name
    qtbot.waitUntil(searched)
    assert marker.isVisible()
    assert shown_names(registry)[0] == name


def test_a_babys_page_gives_the_age_in_months(session) -> None:
    """A five-month-old read "0 tuổi" under the name; a nurse says "5 tháng tuổi"."""
    import datetime as dt

    from station_app import clock
    from station_app.domain.dates import PartialDate
    from station_app.domain.patient import Patient
    from station_app.store import patients

    today = clock.today()
    born = today - dt.timedelta(days=160)
    baby = patients.insert(session.store, Patient("Con bà Lò Thị Mai", "1", PartialDate.from_date(born)))
    old = patients.insert(session.store, Patient("Lò Văn Ón", "1", PartialDate(1950, None, None)))
    session.ctx.open_patient.emit(baby.id)
    page = session.window.views["patients"].page
    assert "5 tháng tuổi" in page.subtitle.text() and "0 tuổi" not in page.subtitle.text()
    session.ctx.open_patient.emit(old.id)
    assert f"{today.year - 1950} tuổi" in page.subtitle.text()  # (born some day of 1950: counted from 1 January)
