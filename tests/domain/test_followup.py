"""The one definition of due / overdue / lost, suppression windows, closing by visits, counts."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from hypothesis import given, settings
from hypothesis import strategies as st

from station_app import clock, i18n
from station_app.domain import followup as fu
from station_app.domain.followup import (
    FollowUpItem,
    Kind,
    Outcome,
    OutcomeKind,
    RemovalReason,
    Section,
    Status,
)

D = dt.date
TODAY = D(2026, 6, 15)
ROOT = Path(__file__).resolve().parents[2]


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def item(due: dt.date, *outcomes: Outcome, patient=1, kind=Kind.REVISIT, status=Status.OPEN,
         id=None, created_on=None) -> FollowUpItem:
    return FollowUpItem(
        id=id, patient_id=patient, kind=kind, label="Tái khám", due_date=due, status=status,
        source="manual", outcomes=outcomes, created_on=created_on,
    )


def agreed(on: dt.date) -> Outcome:
    return Outcome(OutcomeKind.AGREED, on)


def later(on: dt.date, until: dt.date | None = None) -> Outcome:
    return Outcome(OutcomeKind.REMIND_LATER, on, until=until)


def removed(on: dt.date, reason=RemovalReason.MOVED_AWAY, note="") -> Outcome:
    return Outcome(OutcomeKind.REMOVED, on, reason=reason, note=note)


# --- sections -------------------------------------------------------------------------------


def test_section_values_are_exactly_these():
    assert {s.value for s in Section} == {
        "due", "overdue", "agreed", "later", "removed", "lost", "upcoming", "done",
    }
    assert set(fu.SECTION_ORDER) == set(Section)


@pytest.mark.parametrize(
    ("offset", "section"),
    [
        (-30, Section.UPCOMING),
        (-8, Section.UPCOMING),
        (-7, Section.DUE),
        (-1, Section.DUE),
        (0, Section.DUE),
        (1, Section.OVERDUE),
        (200, Section.OVERDUE),
        (365, Section.OVERDUE),
        (366, Section.LOST),
        (2000, Section.LOST),
    ],
)
def test_due_overdue_lost_by_days_late(offset, section):
    """``offset`` is how many days ago the item was due (negative: still ahead)."""
    assert fu.classify(item(TODAY - days(offset)), TODAY) is section
    assert fu.days_overdue(item(TODAY - days(offset)), TODAY) == max(offset, 0)


def test_closed_items():
    assert fu.classify(item(TODAY - days(3), status=Status.DONE), TODAY) is Section.DONE
    gone = item(TODAY - days(3), removed(TODAY - days(1)), status=Status.REMOVED)
    assert fu.classify(gone, TODAY) is Section.REMOVED
    # removed stays removed, however old
    very_old = item(TODAY - days(900), removed(TODAY), status=Status.REMOVED)
    assert fu.classify(very_old, TODAY) is Section.REMOVED


def test_agreed_to_come_hides_for_seven_days_then_back_to_overdue():
    called = D(2026, 6, 1)
    it = item(D(2026, 5, 20), agreed(called))
    for n in range(7):
        assert fu.classify(it, called + days(n)) is Section.AGREED
    assert fu.classify(it, called + days(7)) is Section.OVERDUE
    assert fu.classify(it, called - days(1)) is Section.OVERDUE  # before the call


def test_remind_later_hides_for_thirty_days_by_default():
    called = D(2026, 6, 1)
    it = item(D(2026, 5, 20), later(called))
    assert fu.classify(it, called) is Section.LATER
    assert fu.classify(it, called + days(29)) is Section.LATER
    assert fu.classify(it, called + days(30)) is Section.OVERDUE


def test_remind_later_until_a_chosen_date():
    called = D(2026, 6, 1)
    it = item(D(2026, 5, 20), later(called, until=D(2026, 9, 1)))
    assert fu.classify(it, D(2026, 8, 31)) is Section.LATER
    assert fu.classify(it, D(2026, 9, 1)) is Section.OVERDUE
    soon = item(D(2026, 5, 20), later(called, until=D(2026, 6, 4)))
    assert fu.classify(soon, D(2026, 6, 4)) is Section.OVERDUE


def test_after_the_window_an_item_not_yet_due_goes_where_its_date_puts_it():
    called = D(2026, 6, 1)
    it = item(D(2026, 6, 12), agreed(called))
    assert fu.classify(it, D(2026, 6, 5)) is Section.AGREED
    assert fu.classify(it, D(2026, 6, 8)) is Section.DUE
    assert fu.classify(it, D(2026, 6, 13)) is Section.OVERDUE


def test_the_last_outcome_counts():
    it = item(D(2026, 5, 1), later(D(2026, 5, 10)), agreed(D(2026, 6, 1)))
    assert fu.classify(it, D(2026, 6, 3)) is Section.AGREED
    assert fu.classify(it, D(2026, 6, 8)) is Section.OVERDUE  # later's window is superseded
    assert fu.classify(it, D(2026, 5, 20)) is Section.LATER  # as of before the second call


def test_lost_after_365_days_unless_recently_called():
    due = TODAY - days(400)
    assert fu.classify(item(due), TODAY) is Section.LOST
    assert fu.classify(item(due, agreed(TODAY - days(2))), TODAY) is Section.AGREED
    assert fu.classify(item(due, agreed(TODAY - days(10))), TODAY) is Section.LOST


def test_as_of_an_earlier_day_later_outcomes_do_not_count():
    it = fu.close_by_visit(item(D(2026, 5, 1)), visit_id=7, on=D(2026, 6, 10))
    assert it.status is Status.DONE
    assert fu.classify(it, D(2026, 6, 10)) is Section.DONE
    assert fu.classify(it, D(2026, 6, 9)) is Section.OVERDUE
    gone = fu.record_outcome(item(D(2026, 5, 1)), removed(D(2026, 6, 10)))
    assert fu.classify(gone, D(2026, 6, 1)) is Section.OVERDUE


def test_the_clock_seam_supplies_today():
    it = item(D(2026, 5, 1))
    with clock.pinned(D(2026, 5, 2)):
        assert fu.classify(it) is Section.OVERDUE
        assert fu.days_overdue(it) == 1
    with clock.pinned(D(2027, 5, 3)):
        assert fu.classify(it) is Section.LOST


# --- outcomes -------------------------------------------------------------------------------


def test_recording_outcomes_sets_the_status():
    it = item(D(2026, 5, 1))
    it = fu.record_outcome(it, agreed(D(2026, 6, 1)))
    assert it.status is Status.OPEN and it.last_outcome.kind is OutcomeKind.AGREED
    it = fu.record_outcome(it, removed(D(2026, 6, 9), RemovalReason.DIED))
    assert it.status is Status.REMOVED
    assert it.last_outcome.records_death
    assert [o.kind for o in it.outcomes] == [OutcomeKind.AGREED, OutcomeKind.REMOVED]
    with pytest.raises(ValueError, match="already"):
        fu.record_outcome(it, agreed(D(2026, 6, 10)))


def test_outcomes_are_checked():
    with pytest.raises(ValueError, match="reason"):
        Outcome(OutcomeKind.REMOVED, TODAY)
    with pytest.raises(ValueError, match="note"):
        Outcome(OutcomeKind.REMOVED, TODAY, reason=RemovalReason.OTHER)
    assert Outcome("removed", TODAY, reason="other", note="Đi làm ăn xa").reason is (
        RemovalReason.OTHER
    )
    with pytest.raises(ValueError):
        Outcome(OutcomeKind.AGREED, TODAY, reason=RemovalReason.REFUSED)
    with pytest.raises(ValueError):
        Outcome(OutcomeKind.AGREED, TODAY, until=TODAY + days(3))
    with pytest.raises(ValueError):
        Outcome(OutcomeKind.REMIND_LATER, TODAY, until=TODAY)
    with pytest.raises(ValueError):
        Outcome(OutcomeKind.AGREED, TODAY, visit_id=3)
    assert not removed(TODAY, RemovalReason.REFUSED).records_death


def test_outcome_sentences():
    previous = i18n.language()
    try:
        i18n.set_language("vi")
        text = removed(D(2026, 6, 1), RemovalReason.UNREACHABLE, note="Gọi 3 lần").describe()
        assert text == "01/06/2026: bỏ khỏi danh sách (Không liên lạc được / sai số điện thoại)" \
            " — Gọi 3 lần"
        i18n.set_language("en")
        assert later(D(2026, 6, 1)).describe() == "01/06/2026: remind on 01/07/2026"
        assert Section.OVERDUE.title == "Overdue — to call"
        assert RemovalReason.TREATED_ELSEWHERE.title == "Now treated elsewhere (public or private)"
    finally:
        i18n.set_language(previous)


# --- closing by a visit ---------------------------------------------------------------------


def test_a_back_dated_visit_closes_the_overdue_item():
    overdue = item(D(2026, 5, 1), id=1, created_on=D(2026, 4, 1))
    # recorded today, three weeks late, with its real date
    visit_date = D(2026, 5, 25)
    assert fu.close_matching([overdue], visit_date, [Kind.REVISIT]) == [overdue]
    closed = fu.close_by_visit(overdue, 42, visit_date)
    assert closed.status is Status.DONE and closed.last_outcome.visit_id == 42
    assert fu.classify(closed, TODAY) is Section.DONE


def test_which_items_a_visit_closes():
    visit = D(2026, 6, 10)
    items = [
        item(D(2026, 6, 17), id="on the limit"),
        item(D(2026, 6, 18), id="too far ahead"),
        item(D(2025, 1, 1), id="lost but open"),
        item(D(2026, 6, 1), id="other kind", kind=Kind.VACCINE_DOSE),
        item(D(2026, 6, 1), id="other patient", patient=2),
        item(D(2026, 6, 1), id="already done", status=Status.DONE),
        item(D(2026, 6, 1), id="removed", status=Status.REMOVED),
        item(D(2026, 6, 12), id="created after the visit", created_on=D(2026, 6, 11)),
        item(D(2026, 6, 12), id="created that day", created_on=visit),
        item(D(2026, 6, 12), agreed(D(2026, 6, 5)), id="agreed"),
    ]
    closed = fu.close_matching(items, visit, ["revisit", Kind.CHRONIC_REFILL], patient_id=1)
    assert [i.id for i in closed] == ["on the limit", "lost but open", "created that day", "agreed"]


# --- the work list and its counts -----------------------------------------------------------


def test_work_list_sorts_by_risk_then_days_overdue():
    items = [
        item(TODAY - days(3), id="a", patient=1),
        item(TODAY - days(40), id="b", patient=2),
        item(TODAY - days(10), id="c", patient=3),
        item(TODAY - days(5), id="d", patient=4),
        item(TODAY + days(3), id="e", patient=3),
    ]
    plain = fu.work_list(items, TODAY, Section.OVERDUE)
    assert [i.id for i in plain] == ["b", "c", "d", "a"]
    risky = fu.work_list(items, TODAY, Section.OVERDUE, high_risk={3, 1})
    assert [i.id for i in risky] == ["c", "a", "b", "d"]
    everything = fu.work_list(items, TODAY)
    assert [i.id for i in everything] == ["e", "b", "c", "d", "a"]  # the due section first


def mixed_items() -> list[FollowUpItem]:
    return [
        item(TODAY, id=1),
        item(TODAY + days(7), id=2, kind=Kind.VACCINE_DOSE),
        item(TODAY + days(8), id=3),
        item(TODAY - days(1), id=4, kind=Kind.CHRONIC_REFILL),
        item(TODAY - days(90), id=5, kind=Kind.ANTENATAL_VISIT),
        item(TODAY - days(20), agreed(TODAY - days(3)), id=6),
        item(TODAY - days(20), agreed(TODAY - days(8)), id=7),
        item(TODAY - days(20), later(TODAY - days(3)), id=8),
        item(TODAY - days(20), later(TODAY - days(40), until=TODAY + days(2)), id=9),
        item(TODAY - days(20), removed(TODAY - days(2)), id=10, status=Status.REMOVED),
        item(TODAY - days(500), id=11, kind=Kind.POST_REFERRAL),
        item(TODAY - days(5), Outcome(OutcomeKind.DONE, TODAY), id=12, status=Status.DONE),
        item(TODAY - days(366), id=13, kind=Kind.CUSTOM),
    ]


def test_counts_match_the_work_list_for_a_mixed_set():
    items = mixed_items()
    table = fu.counts(items, TODAY)
    assert set(table) == set(Section)
    for section in Section:
        assert table[section] == len(fu.work_list(items, TODAY, section)), section
    assert sum(table.values()) == len(items)
    assert table == {
        Section.DUE: 2, Section.OVERDUE: 3, Section.AGREED: 1, Section.LATER: 2,
        Section.REMOVED: 1, Section.LOST: 2, Section.UPCOMING: 1, Section.DONE: 1,
    }


@st.composite
def random_item(draw) -> FollowUpItem:
    due = TODAY + days(draw(st.integers(-800, 60)))
    status = draw(st.sampled_from(list(Status)))
    history = []
    for _ in range(draw(st.integers(0, 3))):
        when = TODAY + days(draw(st.integers(-60, 10)))
        kind = draw(st.sampled_from([OutcomeKind.AGREED, OutcomeKind.REMIND_LATER]))
        until = None
        if kind is OutcomeKind.REMIND_LATER and draw(st.booleans()):
            until = when + days(draw(st.integers(1, 90)))
        history.append(Outcome(kind, when, until=until))
    if status is Status.DONE:
        history.append(Outcome(OutcomeKind.DONE, TODAY + days(draw(st.integers(-30, 5)))))
    elif status is Status.REMOVED:
        history.append(removed(TODAY + days(draw(st.integers(-30, 5)))))
    return item(
        due, *history, status=status,
        patient=draw(st.integers(1, 5)), id=draw(st.integers(1, 10_000)),
        kind=draw(st.sampled_from(list(Kind))),
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(random_item(), max_size=30), st.sets(st.integers(1, 5)))
def test_counts_always_equal_list_lengths(items, high_risk):
    table = fu.counts(items, TODAY)
    everything = fu.work_list(items, TODAY, high_risk=high_risk)
    assert len(everything) == len(items)
    for section in Section:
        listed = fu.work_list(items, TODAY, section, high_risk=high_risk)
        assert table[section] == len(listed)
        assert all(fu.classify(i, TODAY) is section for i in listed)
        keys = [fu.risk_key(i, TODAY, high_risk) for i in listed]
        assert keys == sorted(keys)


@settings(max_examples=150, deadline=None)
@given(random_item())
def test_overdue_and_lost_are_past_due_and_open(it):
    section = fu.classify(it, TODAY)
    if section in (Section.OVERDUE, Section.LOST):
        assert it.due_date < TODAY
        assert fu.days_overdue(it, TODAY) > (365 if section is Section.LOST else 0)
    if section in (Section.DUE, Section.UPCOMING):
        assert it.due_date >= TODAY


# --- translations ---------------------------------------------------------------------------

MODULES = ["followup", "vaccination", "antenatal", "chronic"]
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def marked_strings() -> set[str]:
    found: set[str] = set()
    for name in MODULES:
        source = (ROOT / "station_app" / "domain" / f"{name}.py").read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("tr", "N_", "translate")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def test_every_string_has_a_vietnamese_translation():
    strings = marked_strings()
    assert len(strings) > 40
    missing = sorted(s for s in strings if not i18n.has_translation(s, "vi"))
    assert missing == []


def test_catalogue_placeholders_match():
    with (ROOT / "resources" / "i18n" / "vi" / "followup.po").open("rb") as fh:
        catalogue = read_po(fh)
    checked = 0
    for message in catalogue:
        if not message.id:
            continue
        assert message.string, message.id
        assert sorted(PLACEHOLDER.findall(message.id)) == sorted(
            PLACEHOLDER.findall(message.string)
        ), message.id
        checked += 1
    assert checked > 40
    for source in ("{vaccine} dose {dose}", "Given on {date} at {place}", "Given on {date}"):
        assert i18n.has_translation(source, "vi", context="oral vaccine")


def test_an_outcome_read_back_equals_the_one_recorded() -> None:
    """``Outcome.stored`` (no checks, for the thousands the work list reads) makes the same value."""
    recorded = [
        Outcome(OutcomeKind.AGREED, TODAY, note="sẽ đến thứ Hai"),
        Outcome(OutcomeKind.REMIND_LATER, TODAY, until=TODAY + days(10)),
        Outcome(OutcomeKind.REMOVED, TODAY, reason=RemovalReason.MOVED_AWAY),
        Outcome(OutcomeKind.DONE, TODAY, visit_id=12),
    ]
    for outcome in recorded:
        back = Outcome.stored(outcome.kind, outcome.recorded_at, outcome.note, outcome.until, outcome.reason,
                              outcome.visit_id)
        assert back == outcome and hash(back) == hash(outcome)
        assert back.hidden_until == outcome.hidden_until and back.describe() == outcome.describe()
