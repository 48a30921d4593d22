"""Follow-up: the one definition of due, overdue and lost, used by every list, count and report.

A :class:`FollowUpItem` is something a patient should come back for (a revisit, a refill, a
vaccine dose, an antenatal contact, news after a referral, or anything the nurse schedules).
After a call or a home visit the nurse records an :class:`Outcome`. :func:`classify` puts an
item in exactly one :class:`Section` on a given day; :func:`work_list` and :func:`counts` are
both built on it, so a list and its count can never disagree.

Windows (all ends exclusive, counted in days from ``today``):

* due: due today or in the next 7 days; upcoming: later than that;
* overdue: due before today, open and not suppressed; lost: more than 365 days overdue;
* agreed to come: hidden from "to call" for 7 days after the call;
* remind later: hidden for 30 days, or until the chosen date;
* no answer (the call was not answered): hidden for 3 days, then back to be called again;
* when a window ends, an item still open comes back where its due date puts it.

Outcomes recorded after ``today`` are ignored, so a summary "as of" an earlier day is right.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from station_app import clock
from station_app.i18n import N_, tr

DUE_WINDOW_DAYS = 7
AGREED_DAYS = 7
REMIND_LATER_DAYS = 30
NO_ANSWER_DAYS = 3  # no answer: the item is back on the call list this many days later
LOST_AFTER_DAYS = 365
VISIT_CLOSES_WITHIN_DAYS = 7


class Kind(StrEnum):
    REVISIT = "revisit"
    CHRONIC_REFILL = "chronic_refill"
    VACCINE_DOSE = "vaccine_dose"
    ANTENATAL_VISIT = "antenatal_visit"
    POST_REFERRAL = "post_referral"
    CUSTOM = "custom"

    @property
    def title(self) -> str:  # type: ignore[override]  # the translated name, not str.title()
        return tr(_KIND_TITLES[self])


_KIND_TITLES = {
    Kind.REVISIT: N_("Revisit"),
    Kind.CHRONIC_REFILL: N_("Medicine refill"),
    Kind.VACCINE_DOSE: N_("Vaccine dose"),
    Kind.ANTENATAL_VISIT: N_("Antenatal visit"),
    Kind.POST_REFERRAL: N_("After referral"),
    Kind.CUSTOM: N_("Other follow-up"),
}


class Status(StrEnum):
    OPEN = "open"
    DONE = "done"
    REMOVED = "removed"


class OutcomeKind(StrEnum):
    AGREED = "agreed"
    REMIND_LATER = "remind_later"
    REMOVED = "removed"
    DONE = "done"
    NO_ANSWER = "no_answer"

    @property
    def title(self) -> str:  # type: ignore[override]  # the translated name, not str.title()
        return tr(_OUTCOME_TITLES[self])


_OUTCOME_TITLES = {
    OutcomeKind.AGREED: N_("Agreed to come"),
    OutcomeKind.REMIND_LATER: N_("Remind later"),
    OutcomeKind.REMOVED: N_("Removed from the list"),
    OutcomeKind.DONE: N_("Visited"),
    OutcomeKind.NO_ANSWER: N_("Could not be reached"),
}


class RemovalReason(StrEnum):
    UNREACHABLE = "unreachable"
    MOVED_AWAY = "moved_away"
    TREATED_ELSEWHERE = "treated_elsewhere"
    REFUSED = "refused"
    DIED = "died"
    OTHER = "other"

    @property
    def title(self) -> str:  # type: ignore[override]  # the translated name, not str.title()
        return tr(_REASON_TITLES[self])


_REASON_TITLES = {
    RemovalReason.UNREACHABLE: N_("Not reachable / wrong number"),
    RemovalReason.MOVED_AWAY: N_("Moved away"),
    RemovalReason.TREATED_ELSEWHERE: N_("Now treated elsewhere (public or private)"),
    RemovalReason.REFUSED: N_("Refused"),
    RemovalReason.DIED: N_("Died"),
    RemovalReason.OTHER: N_("Other"),
}


class Section(StrEnum):
    """Where an item stands on a given day. Every open, done or removed item is in exactly one."""

    DUE = "due"
    OVERDUE = "overdue"
    AGREED = "agreed"
    LATER = "later"
    REMOVED = "removed"
    LOST = "lost"
    UPCOMING = "upcoming"
    DONE = "done"

    @property
    def title(self) -> str:  # type: ignore[override]  # the translated name, not str.title()
        return tr(_SECTION_TITLES[self])


# The order the sections are shown in.
SECTION_ORDER = (
    Section.DUE,
    Section.OVERDUE,
    Section.AGREED,
    Section.LATER,
    Section.REMOVED,
    Section.LOST,
    Section.UPCOMING,
    Section.DONE,
)

_SECTION_TITLES = {
    Section.DUE: N_("Due today / this week"),
    Section.OVERDUE: N_("Overdue — to call"),
    Section.AGREED: N_("Agreed to come"),
    Section.LATER: N_("Remind me later"),
    Section.REMOVED: N_("Removed from the list"),
    Section.LOST: N_("More than a year overdue"),
    Section.UPCOMING: N_("Upcoming"),
    Section.DONE: N_("Done"),
}


@dataclass(frozen=True)
class Outcome:
    """What came of a call, a home visit or a visit: one entry of an item's history."""

    kind: OutcomeKind
    recorded_at: dt.date
    note: str = ""
    until: dt.date | None = None  # remind later: the chosen date (default 30 days)
    reason: RemovalReason | None = None  # removed: why
    visit_id: int | str | None = None  # done: the visit that closed it

    @classmethod
    def stored(
        cls,
        kind: OutcomeKind,
        recorded_at: dt.date,
        note: str,
        until: dt.date | None,
        reason: RemovalReason | None,
        visit_id: int | str | None,
    ) -> Outcome:
        """An outcome read back from the database, made without the checks it passed when it
        was recorded (the work list reads thousands; the checks take most of the time)."""
        outcome = object.__new__(cls)
        object.__setattr__(outcome, "__dict__", {
            "kind": kind, "recorded_at": recorded_at, "note": note, "until": until, "reason": reason,
            "visit_id": visit_id,
        })
        return outcome

    def __post_init__(self) -> None:
        if type(self.kind) is not OutcomeKind:
            object.__setattr__(self, "kind", OutcomeKind(self.kind))
        if self.reason is not None and type(self.reason) is not RemovalReason:
            object.__setattr__(self, "reason", RemovalReason(self.reason))
        if self.kind is OutcomeKind.REMOVED:
            if self.reason is None:
                raise ValueError("removing an item needs a reason")
            if self.reason is RemovalReason.OTHER and not self.note.strip():
                raise ValueError("the reason 'other' needs a note")
        elif self.reason is not None:
            raise ValueError("only a removal has a reason")
        if self.until is not None:
            if self.kind is not OutcomeKind.REMIND_LATER:
                raise ValueError("only 'remind later' has a date")
            if self.until <= self.recorded_at:
                raise ValueError("the reminder date must be after the call")
        if self.visit_id is not None and self.kind is not OutcomeKind.DONE:
            raise ValueError("only 'done' names a visit")

    @property
    def hidden_until(self) -> dt.date | None:
        """First day the item is back on the call list, for 'agreed' and 'remind later'."""
        if self.kind is OutcomeKind.AGREED:
            return self.recorded_at + dt.timedelta(days=AGREED_DAYS)
        if self.kind is OutcomeKind.REMIND_LATER:
            return self.until or self.recorded_at + dt.timedelta(days=REMIND_LATER_DAYS)
        if self.kind is OutcomeKind.NO_ANSWER:
            return self.recorded_at + dt.timedelta(days=NO_ANSWER_DAYS)
        return None

    @property
    def records_death(self) -> bool:
        """True for a removal because the patient died: the patient is deceased everywhere."""
        return self.kind is OutcomeKind.REMOVED and self.reason is RemovalReason.DIED

    def describe(self) -> str:
        """One translated line for the history column of a list or call sheet."""
        date = _display(self.recorded_at)
        if self.kind is OutcomeKind.REMOVED and self.reason is not None:
            text = tr("{date}: removed ({reason})").format(date=date, reason=self.reason.title)
        elif self.kind is OutcomeKind.REMIND_LATER:
            back = self.hidden_until or self.recorded_at
            text = tr("{date}: remind on {until}").format(date=date, until=_display(back))
        elif self.kind is OutcomeKind.AGREED:
            text = tr("{date}: agreed to come").format(date=date)
        elif self.kind is OutcomeKind.NO_ANSWER:
            back = self.hidden_until or self.recorded_at
            text = tr("{date}: could not be reached, call again on {until}").format(date=date, until=_display(back))
        else:
            text = tr("{date}: visited").format(date=date)
        if self.note.strip():
            text = tr("{text} — {note}").format(text=text, note=self.note.strip())
        return text


def _display(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


class FollowUpItem(NamedTuple):
    """Something one patient should come back for, with what came of the calls so far.

    ``source`` says what created it ("manual", "vaccination:dpt_vgb_hib:2", "refill:…").
    ``created_on`` (when known) keeps a visit dated before the item existed from closing it.
    (An immutable record; a named tuple because the store builds tens of thousands of them for
    the work list, and a frozen dataclass takes about seven times as long to make.)
    """

    id: int | str | None
    patient_id: int | str
    kind: Kind
    label: str
    due_date: dt.date
    status: Status = Status.OPEN
    source: str = "manual"
    outcomes: tuple[Outcome, ...] = ()
    created_on: dt.date | None = None

    @property
    def last_outcome(self) -> Outcome | None:
        return self.outcomes[-1] if self.outcomes else None


def record_outcome(item: FollowUpItem, outcome: Outcome) -> FollowUpItem:
    """The item with ``outcome`` added to its history; removal and done close it."""
    if item.status is not Status.OPEN:
        raise ValueError(f"follow-up item {item.id} is already {item.status}")
    status = {OutcomeKind.REMOVED: Status.REMOVED, OutcomeKind.DONE: Status.DONE}.get(
        outcome.kind, Status.OPEN
    )
    return item._replace(status=status, outcomes=(*item.outcomes, outcome))


def close_by_visit(item: FollowUpItem, visit_id: int | str | None, on: dt.date) -> FollowUpItem:
    """The item marked done by the visit of ``on``."""
    return record_outcome(item, Outcome(OutcomeKind.DONE, on, visit_id=visit_id))


_TERMINAL = {Status.DONE: OutcomeKind.DONE, Status.REMOVED: OutcomeKind.REMOVED}


def _status_on(item: FollowUpItem, today: dt.date) -> Status:
    """The status as it was on ``today``: an item closed later was still open then."""
    if item.status is Status.OPEN:
        return Status.OPEN
    closing = [o for o in item.outcomes if o.kind is _TERMINAL[item.status]]
    if closing and all(o.recorded_at > today for o in closing):
        return Status.OPEN
    return item.status


def _today(today: dt.date | None) -> dt.date:
    return clock.today() if today is None else today


def days_overdue(item: FollowUpItem, today: dt.date | None = None) -> int:
    """Days since the due date (0 when due today or later)."""
    return max((_today(today) - item.due_date).days, 0)


def classify(item: FollowUpItem, today: dt.date | None = None) -> Section:
    """The one section ``item`` belongs to on ``today``."""
    if today is None:
        today = clock.today()
    if item.outcomes:
        status = _status_on(item, today)
        if status is _DONE:
            return _SECTION_DONE
        if status is _REMOVED:
            return _SECTION_REMOVED
        past = [o for o in item.outcomes if o.recorded_at <= today]
        if past:
            last = past[-1]
            back = last.hidden_until
            if back is not None and today < back:
                return _SECTION_AGREED if last.kind is OutcomeKind.AGREED else _SECTION_LATER
    elif item.status is not _OPEN:  # closed, no history to say when: as it is now
        return _SECTION_DONE if item.status is _DONE else _SECTION_REMOVED
    late = (today - item.due_date).days
    if late > LOST_AFTER_DAYS:
        return _SECTION_LOST
    if late > 0:
        return _SECTION_OVERDUE
    if -late <= DUE_WINDOW_DAYS:
        return _SECTION_DUE
    return _SECTION_UPCOMING


# The members ``classify`` returns and compares with, as module names: on Python 3.11 reading a
# member from its class (``Section.DUE``) runs a descriptor written in Python, about 0.2 µs, and
# the work list classifies tens of thousands of items.
_OPEN, _DONE, _REMOVED = Status.OPEN, Status.DONE, Status.REMOVED
_SECTION_DUE, _SECTION_OVERDUE, _SECTION_LOST, _SECTION_UPCOMING = (
    Section.DUE, Section.OVERDUE, Section.LOST, Section.UPCOMING)
_SECTION_AGREED, _SECTION_LATER, _SECTION_DONE, _SECTION_REMOVED = (
    Section.AGREED, Section.LATER, Section.DONE, Section.REMOVED)


def risk_key(
    item: FollowUpItem,
    today: dt.date | None = None,
    high_risk: Collection[int | str] = (),
) -> tuple[int, int, int]:
    """Sort key of the call list: high-risk patients first, then most days overdue, then the
    earliest due date (items with equal keys keep their order: the store reads them in the order
    of their ids); ``high_risk`` holds the ids of patients the caller flagged (last BP
    ≥ 160/100, an infant behind on vaccines…)."""
    flagged = 0 if item.patient_id in high_risk else 1
    return (flagged, -days_overdue(item, today), item.due_date.toordinal())


def work_list(
    items: Iterable[FollowUpItem],
    today: dt.date | None = None,
    section: Section | None = None,
    high_risk: Collection[int | str] = (),
) -> list[FollowUpItem]:
    """The items of one section (all of them, section by section, when ``section`` is None),
    sorted by :func:`risk_key`."""
    return [item for item, _where in sectioned_work_list(items, today, section, high_risk)]


def sectioned_work_list(
    items: Iterable[FollowUpItem],
    today: dt.date | None = None,
    section: Section | None = None,
    high_risk: Collection[int | str] = (),
) -> list[tuple[FollowUpItem, Section]]:
    """:func:`work_list` with each item's section (classified once)."""
    items = list(items)
    sections = sections_of(items, today)
    return [(items[n], sections[n]) for n in work_order(items, sections, high_risk, section)]


def sections_of(items: Iterable[FollowUpItem], today: dt.date | None = None) -> list[Section]:
    """The section :func:`classify` puts each item in on ``today``, in the same order. (An item
    with no history is placed by its status and due date alone: items sharing those are
    classified once for all of them.)"""
    today = _today(today)
    plain: dict[tuple[Status, dt.date], Section] = {}
    found = []
    for item in items:
        if item.outcomes:
            found.append(classify(item, today))
            continue
        key = (item.status, item.due_date)
        where = plain.get(key)
        if where is None:
            where = plain[key] = classify(item, today)
        found.append(where)
    return found


def work_order(
    items: Sequence[FollowUpItem],
    sections: Sequence[Section],
    high_risk: Collection[int | str] = (),
    section: Section | None = None,
) -> list[int]:
    """The positions of ``items`` (whose sections are ``sections``) in the order of the work list:
    by section (``SECTION_ORDER``), then :func:`risk_key`, then as given. Only those of
    ``section`` when it is given."""
    chosen = range(len(items)) if section is None else [n for n, where in enumerate(sections) if where is section]
    # (The order of sorting on (section, risk_key) made with one small number per item, cheaper
    # to make and compare than a tuple: the work list sorts thousands. Days overdue then due date
    # order items as the due date alone does.)
    flagged = high_risk if isinstance(high_risk, (set, frozenset, dict)) else set(high_risk)
    rank = _RANK_BITS
    keys = [
        rank[sections[n]] | (items[n].patient_id not in flagged) << _DATE_BITS | items[n].due_date.toordinal()
        for n in chosen
    ]
    return [chosen[k] for k in sorted(range(len(keys)), key=keys.__getitem__)]


# A date's ordinal is below 2**22 (year 9999); the rank goes above it, then the flag. (Keys stay
# below 2**30: Python compares such numbers fastest.)
_DATE_BITS = 22
_RANK_BITS = {s: i << (_DATE_BITS + 1) for i, s in enumerate(SECTION_ORDER)}


def counts(items: Iterable[FollowUpItem], today: dt.date | None = None) -> dict[Section, int]:
    """How many items are in each section on ``today`` (every section present, zeros too)."""
    return tally(sections_of(items, today))


def tally(sections: Iterable[Section]) -> dict[Section, int]:
    """How many of each section (every section present, zeros too)."""
    table = dict.fromkeys(SECTION_ORDER, 0)
    for where in sections:
        table[where] += 1
    return table


def close_matching(
    items: Iterable[FollowUpItem],
    visit_date: dt.date,
    kinds: Iterable[Kind | str],
    patient_id: int | str | None = None,
) -> list[FollowUpItem]:
    """The open items a visit on ``visit_date`` closes (the caller marks them done).

    Pass the patient's items (or all items with ``patient_id``). An item closes when it is open,
    of one of ``kinds``, due no later than 7 days after the visit, and not created after the
    visit date. A visit entered late with its real, earlier date closes them too. Close the
    items first, then create the ones the visit schedules, so a visit never closes its own.
    """
    wanted = {Kind(k) for k in kinds}
    limit = visit_date + dt.timedelta(days=VISIT_CLOSES_WITHIN_DAYS)
    return [
        item
        for item in items
        if item.status is Status.OPEN
        and item.kind in wanted
        and (patient_id is None or item.patient_id == patient_id)
        and item.due_date <= limit
        and (item.created_on is None or item.created_on <= visit_date)
    ]


def replaced_by_visit(
    items: Iterable[FollowUpItem], visit_date: dt.date, patient_id: int | str | None = None
) -> list[FollowUpItem]:
    """The open items a visit on ``visit_date`` answers whatever their due date: pass the
    patient's items of the visit's programme and kind (a hypertension visit: the hypertension
    refills). The patient came early, on time, late, or the visit is entered afterwards with its
    real date: the item is done, and the visit schedules the next one in its place, so a patient
    never has two open items of one programme and kind. An item created after the visit date
    (by a newer visit) is not the one this visit answers."""
    return [
        item
        for item in items
        if item.status is Status.OPEN
        and (patient_id is None or item.patient_id == patient_id)
        and (item.created_on is None or item.created_on <= visit_date)
    ]
