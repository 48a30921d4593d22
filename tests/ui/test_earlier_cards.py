"""The patient's page shows the cards kept from before the current one: the nurse sees on which
card an earlier visit is claimed."""

from __future__ import annotations

import dataclasses
import datetime as dt

from station_app.store import patients


def test_a_renewed_card_shows_the_card_it_replaced(session, qtbot) -> None:
    row = session.store.query(
        "SELECT id FROM patients WHERE insurance_no <> '' AND insurance_valid_to IS NOT NULL AND id NOT IN "
        "(SELECT patient_id FROM insurance_cards) ORDER BY id LIMIT 1"
    )
    person = patients.get(session.store, int(row[0]["id"]))
    assert person is not None and person.insurance_valid_from and person.insurance_valid_to
    session.ctx.open_patient.emit(person.id)
    page = session.window.views["patients"].page
    assert page.earlier_cards is None  # (nothing kept yet)
    old_from, old_to = person.insurance_valid_from, person.insurance_valid_to
    patients.update(session.store, dataclasses.replace(
        person, insurance_valid_from=old_to + dt.timedelta(days=1), insurance_valid_to=old_to + dt.timedelta(days=365)))
    session.ctx.open_patient.emit(person.id)
    assert page.earlier_cards is not None
    qtbot.waitUntil(lambda: not page.earlier_cards.isHidden())  # (shown by its layout)
    assert page.earlier_cards.text() == f"{person.insurance_no} ({old_from:%d/%m/%Y} – {old_to:%d/%m/%Y})"
    label = page.insurance_form.labelForField(page.earlier_cards)
    assert label is not None and label.text() == "Thẻ trước đây:"


def test_many_earlier_cards_show_the_latest_three_and_all_in_the_tooltip(session, qtbot) -> None:
    pid = int(session.store.query(
        "SELECT id FROM patients WHERE insurance_no <> '' AND insurance_valid_from IS NOT NULL ORDER BY id LIMIT 1"
    )[0]["id"])
    for _ in range(5):  # five renewals a year apart
        person = patients.get(session.store, pid)
        assert person is not None and person.insurance_valid_from and person.insurance_valid_to
        patients.update(session.store, dataclasses.replace(
            person, insurance_valid_from=person.insurance_valid_to + dt.timedelta(days=1),
            insurance_valid_to=person.insurance_valid_to + dt.timedelta(days=365)))
    session.ctx.open_patient.emit(pid)
    label = session.window.views["patients"].page.earlier_cards
    assert label is not None
    kept = label.toolTip().splitlines()
    assert len(kept) >= 5 and label.text().splitlines() == [*kept[:3], f"… và {len(kept) - 3} thẻ nữa"]


def _with_earlier_card(store) -> int:  # type: ignore[no-untyped-def]
    return int(store.query("SELECT patient_id FROM insurance_cards ORDER BY id LIMIT 1")[0]["patient_id"])


def test_the_head_sets_aside_a_card_that_was_never_one_with_a_reason(session, qtbot) -> None:
    from PySide6.QtWidgets import QPushButton

    from station_app.store import claims
    from station_app.ui import dialogs
    from station_app.ui.views.patient_page import SetAsideCardDialog

    pid = _with_earlier_card(session.store)
    before = claims.earlier_cards(session.store, pid)
    session.ctx.open_patient.emit(pid)
    page = session.window.views["patients"].page
    (button,) = [b for b in page.findChildren(QPushButton) if b.text() == "Bỏ thẻ trước đây…"]
    seen: list[str] = []

    def empty_then_fill(dialog) -> bool:  # type: ignore[no-untyped-def]
        assert isinstance(dialog, SetAsideCardDialog)
        dialog.accept()  # no reason: the dialog says so and stays
        seen.append(dialog.problem.text())
        dialog.reason.setText("Nhập nhầm năm")
        return True

    dialogs.fill = empty_then_fill
    try:
        button.click()
    finally:
        dialogs.fill = None
    assert seen == ["Ghi lý do bỏ thẻ này."]
    assert [c.id for c in claims.earlier_cards(session.store, pid)] == [c.id for c in before[1:]]
    gone = f"{before[0].card_no} ({before[0].valid_from:%d/%m/%Y} – {before[0].valid_to:%d/%m/%Y})"
    qtbot.waitUntil(lambda: page.earlier_cards is None or gone not in page.earlier_cards.toolTip())  # (reloaded)


def test_a_nurse_has_no_way_to_set_a_card_aside(make_session, demo_copy) -> None:
    from PySide6.QtWidgets import QPushButton

    session = make_session(demo_copy, role="nurse")
    session.ctx.open_patient.emit(_with_earlier_card(session.store))
    page = session.window.views["patients"].page
    assert page.earlier_cards is not None
    assert not [b for b in page.findChildren(QPushButton) if b.text() == "Bỏ thẻ trước đây…"]
