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
    assert label is not None and label.wordWrap()
    kept = label.toolTip().splitlines()
    assert len(kept) >= 5 and label.text().splitlines() == [*kept[:3], f"… và {len(kept) - 3} thẻ nữa"]
