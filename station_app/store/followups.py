"""Follow-up items, programme enrolments and vaccine doses in the database, and the rules that
keep them in step with what happens: a recorded visit closes the patient's matching open items
(also when it is entered late, with its real date) and schedules the next ones; a child under 2
is enrolled in vaccination when registered; each programme's next due item is recomputed from
its schedule data whenever a dose, a visit or an enrolment changes.

Which section an item is in (due, overdue, agreed…) is decided by one function only:
``station_app.domain.followup.classify``. Everything here loads items and hands them to it.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import functools
import gc
import json
import operator
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, ParamSpec, TypeVar

from station_app import clock
from station_app.domain import antenatal, vaccination
from station_app.domain.accounts import Permission
from station_app.domain.births import after_death
from station_app.domain.chronic import HIGH_RISK_BP, HYPERTENSION_THRESHOLD, BloodPressure, is_high_risk, refill_due
from station_app.domain.followup import (
    DUE_WINDOW_DAYS,
    FollowUpItem,
    Kind,
    Outcome,
    OutcomeKind,
    RemovalReason,
    Section,
    Status,
    close_matching,
    replaced_by_visit,
    sections_of,
    tally,
    work_order,
)
from station_app.domain.patient import Patient
from station_app.domain.visit import Visit
from station_app.i18n import N_, translate
from station_app.store import audit, lifespan
from station_app.store.database import Store, now_text
from station_app.store.errors import StoreError

P = ParamSpec("P")
R = TypeVar("R")

CHRONIC_CODES = {"hypertension": ("I10", "I11", "I12", "I13", "I15"), "diabetes": ("E10", "E11", "E12", "E13", "E14")}
VACCINATION_AGE_LIMIT_DAYS = 2 * 365
REMOVED_SHOWN_DAYS = 90  # removed items stay visible in their section this long
# The fields a refused dose or call outcome names.
DOSE_LABELS = {"given_on": N_("Date given")}
OUTCOME_LABELS = {"recorded_at": N_("Date")}


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _date(text: object) -> dt.date | None:
    return dt.date.fromisoformat(str(text)) if text else None


def _day(text: object) -> dt.date:
    """A date the schema requires (``NOT NULL``)."""
    return dt.date.fromisoformat(str(text))


def vi(source: str) -> str:
    """Labels are stored in the station's language (Vietnamese) as the nurse will read them."""
    return translate(source, "vi")


# -- loading items ------------------------------------------------------------------------------
# The columns an item is read from. Its kind, its status and whether it has call outcomes come as
# one number, ``(kind * 3 + status) * 2 + has outcomes`` (kind and status: their places in
# ``Kind`` and ``Status``): small numbers are shared objects in Python, where texts would be made
# anew for every item of a list of thousands, and each column read costs about as much again.
# The patient's id comes last: the facts of a row read with them (``_FACT_COLUMNS``) follow it.
_KIND_NUMBER = "CASE f.kind " + " ".join(f"WHEN '{k.value}' THEN {n}" for n, k in enumerate(Kind)) + " END"
_STATUS_NUMBER = "CASE f.status " + " ".join(f"WHEN '{s.value}' THEN {n}" for n, s in enumerate(Status)) + " END"
_HAS_OUTCOMES = "EXISTS (SELECT 1 FROM followup_outcomes o WHERE o.followup_id = f.id)"
ITEM_COLUMNS = (
    f"f.id, (({_KIND_NUMBER}) * {len(Status)} + {_STATUS_NUMBER}) * 2 + {_HAS_OUTCOMES}, "
    "f.label, f.due_date, f.source, f.rule, f.created_on, f.patient_id"
)
_CODES = [(kind, status) for kind in Kind for status in Status for _has_outcomes in (0, 1)]
_KIND_OF = tuple(kind for kind, _status in _CODES)
_STATUS_OF = tuple(status for _kind, status in _CODES)


def _outcomes(store: Store, ids: list[int]) -> dict[int, tuple[Outcome, ...]]:
    """The call outcomes of the items ``ids``, oldest first, per item."""
    found: dict[int, list[Outcome]] = {}
    kinds, reasons, date = _OUTCOME_KINDS, _REASONS, dt.date.fromisoformat
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        marks = ",".join("?" * len(chunk))
        for row in store.conn.execute(
            "SELECT followup_id, kind, recorded_at, note, until, reason, visit_id FROM followup_outcomes "
            f"WHERE followup_id IN ({marks}) ORDER BY recorded_at, id",
            chunk,
        ):
            outcome = Outcome.stored(
                kinds[row[1]], date(row[2]), row[3], date(row[4]) if row[4] else None, reasons.get(row[5]), row[6]
            )
            found.setdefault(row[0], []).append(outcome)
    return {item_id: tuple(history) for item_id, history in found.items()}


_OUTCOME_KINDS = {k.value: k for k in OutcomeKind}
_REASONS = {r.value: r for r in RemovalReason}


# What a work-list row shows of the patient (their "facts"), read with the items, or once per
# patient when the items were read before (for the counts): the name, sex, birth date as one
# number (``year * 10000 + month * 100 + day``, 0 for a month or day not known), village and one
# phone (the patient's own, else the guardian's). A patient's facts are a tuple of their id, then
# these: the end of a row read with them, from the item's patient id on, or a row read by id.
_FACT_COLUMNS = (
    "p.full_name, p.sex, p.birth_year * 10000 + coalesce(p.birth_month, 0) * 100 + coalesce(p.birth_day, 0), "
    "p.village, CASE WHEN p.phone <> '' THEN p.phone ELSE p.guardian_phone END"
)
_NAME, _SEX, _BORN, _VILLAGE, _PHONE = 1, 2, 3, 4, 5
_CODE, _RULE, _FACTS_AT = 1, 5, 7  # (in a row of ``ITEM_COLUMNS``, then ``_FACT_COLUMNS``)


def _patient_facts(store: Store, patient_ids: Iterable[int]) -> dict[int, tuple]:
    """The facts of the patients ``patient_ids``, by id (one statement for all of them)."""
    ids = json.dumps(sorted(set(patient_ids)))
    return {
        row[0]: row
        for row in store.conn.execute(
            f"SELECT p.id, {_FACT_COLUMNS} FROM json_each(?) j JOIN patients p ON p.id = j.value", (ids,)
        )
    }


def _born(born: int | None) -> tuple[int, int, int] | None:
    """(year, month, day) from a birth number of the facts (0 for a month or day not known)."""
    if not born:
        return None
    year, rest = divmod(born, 10000)
    return (year, *divmod(rest, 100))


class _Dates(dict[str, dt.date]):
    """Dates read as text, each text parsed once: the items of a list share a few hundred due
    dates, and the list is kept with one date object for each rather than one per item."""

    def __missing__(self, text: str) -> dt.date:
        value = self[text] = dt.date.fromisoformat(text)
        return value


def _items(store: Store, where: str, params: Iterable[object] = ()) -> list[FollowUpItem]:
    """The items matching ``where``, in the order of their ids."""
    return _read(store, where, params)[0]


def _read(
    store: Store, where: str, params: Iterable[object], with_facts: bool = False
) -> tuple[list[FollowUpItem], list[tuple]]:
    """The items matching ``where`` in the order of their ids, and the row read for each (in the
    same order; ``ITEM_COLUMNS``, its rule at ``_RULE``), with its patient's facts from
    ``_FACTS_AT`` on when ``with_facts``."""
    extra, join = (f", {_FACT_COLUMNS}", " JOIN patients p ON p.id = f.patient_id") if with_facts else ("", "")
    rows = store.conn.execute(
        f"SELECT {ITEM_COLUMNS}{extra} FROM followups f{join} WHERE {where} ORDER BY f.id", list(params)
    ).fetchall()
    with_outcomes = [r[0] for r in rows if r[_CODE] & 1]
    outcomes = _outcomes(store, with_outcomes) if with_outcomes else {}
    # (Made in one comprehension with local names, as plain tuples of FollowUpItem's fields in
    # order: the work list makes tens of thousands.)
    date, kinds, statuses, history, new = _Dates(), _KIND_OF, _STATUS_OF, outcomes.get, tuple.__new__
    items = [
        new(FollowUpItem, (r[0], r[7], kinds[r[1]], r[2], date[r[3]], statuses[r[1]], r[4], history(r[0], ()),
                           date[r[6]]))
        for r in rows
    ]
    return items, rows


def rule_of(store: Store, item_id: int) -> str:
    return str(store.scalar("SELECT rule FROM followups WHERE id = ?", (item_id,)) or "")


def patient_items(store: Store, patient_id: int, open_only: bool = False) -> list[FollowUpItem]:
    where = "f.patient_id = ?" + (" AND f.status = 'open'" if open_only else "")
    return sorted(_items(store, where, (patient_id,)), key=lambda i: (i.status != Status.OPEN, i.due_date))


def get_item(store: Store, item_id: int) -> FollowUpItem | None:
    found = _items(store, "f.id = ?", (item_id,))
    return found[0] if found else None


# The last items read per open store, for as long as the file has not changed: the Nhắc hẹn view
# reads the counts and a section, then other sections and filters; the Today view two counts.
_LISTED: weakref.WeakKeyDictionary[Store, tuple[tuple[int, int], dict[tuple, Any]]] = weakref.WeakKeyDictionary()


def _stamp(store: Store) -> tuple[int, int]:
    """Changes whenever the file changes: rows changed through this connection (``total_changes``,
    even uncommitted or rolled back) and commits through any other (``data_version``)."""
    return store.conn.total_changes, int(store.conn.execute("PRAGMA data_version").fetchone()[0])


def clear_cache(store: Store | None = None) -> None:
    """Forget the items read (for ``store``, or for every store): the next list reads them again."""
    if store is None:
        _LISTED.clear()
    else:
        _LISTED.pop(store, None)


def list_items(
    store: Store, today: dt.date | None = None, upcoming: bool = True,
    facts: dict[int | str | None, tuple] | None = None,
) -> list[FollowUpItem]:
    """Everything the work list can show on ``today``: the open items, and the items removed
    recently (still shown in their section).

    ``upcoming=False`` leaves out the open items due after this week's window that have no call
    outcome: ``classify`` can only put those in UPCOMING, which the work list does not show (most
    of a station's items: the next refill, the next dose). Counts add them back in SQL.
    ``facts`` (a dict) receives the facts of each item's patient (``_FACT_COLUMNS``), by item id.
    """
    today = today or clock.today()
    found = _facts(store, today, upcoming) if facts is not None else []
    items, _rows = _listed(store, today, upcoming)
    if facts is not None:
        facts.update((item.id, fact) for item, fact in zip(items, found, strict=True))
    return list(items)


def _cache(store: Store) -> dict[tuple, Any]:
    """What was read from ``store`` since the file last changed."""
    stamp = _stamp(store)
    entry = _LISTED.get(store)
    if entry is None or entry[0] != stamp:
        entry = (stamp, {})
        _LISTED[store] = entry
    return entry[1]


def _listed(store: Store, today: dt.date, upcoming: bool) -> tuple[list[FollowUpItem], list[tuple]]:
    """``list_items`` with the row read for each item, as kept in the cache (not to be changed by
    the caller)."""
    cache = _cache(store)
    key = ("listed", today, upcoming)
    if key not in cache:
        where, params = _list_where(today, upcoming)
        cache[key] = _read(store, where, params)
    return cache[key]


def _facts(store: Store, today: dt.date, upcoming: bool) -> list[tuple]:
    """The facts of the patient of each item of ``_listed``, in its order; read when a list is
    shown (the counts need none), and kept like the items."""
    cache = _cache(store)
    key = ("facts", today, upcoming)
    if key not in cache:
        listed = ("listed", today, upcoming)
        if listed in cache:  # (the counts were asked first)
            cache[key] = _aligned(store, cache[listed][0], {})
        else:  # the items and their patients' facts in one statement
            where, params = _list_where(today, upcoming)
            cache[listed] = _read(store, where, params, with_facts=True)
            cache[key] = [row[_FACTS_AT:] for row in cache[listed][1]]
    return cache[key]


def _aligned(store: Store, items: list[FollowUpItem], known: dict[int, tuple]) -> list[tuple]:
    """The facts of the patient of each of ``items``: those in ``known`` (by patient id), the
    others read."""
    missing = {item.patient_id for item in items}
    if known:
        missing -= known.keys()
    if missing:
        known = {**known, **_patient_facts(store, missing)}  # type: ignore[arg-type]
    get = known.get
    return [get(item.patient_id) or (item.patient_id, "", "", None, "", "") for item in items]  # type: ignore[arg-type]


def _list_where(today: dt.date, upcoming: bool) -> tuple[str, tuple[str, ...]]:
    """The condition (and its values) of the items ``list_items`` reads."""
    since = (today - dt.timedelta(days=REMOVED_SHOWN_DAYS)).isoformat()
    if upcoming:
        return "(f.status = 'open' OR (f.closed_on >= ? AND f.closed_on <= ?))", (since, today.isoformat())
    # Three index ranges rather than one scan of every open item: due by the end of the window,
    # open with a call outcome (whatever the due date), closed recently.
    after = _upcoming_after(today)
    return (
        "f.id IN (SELECT id FROM followups WHERE status = 'open' AND due_date <= ? "
        "UNION ALL SELECT DISTINCT o.followup_id FROM followup_outcomes o JOIN followups g ON g.id = o.followup_id "
        "WHERE g.status = 'open' AND g.due_date > ? "
        "UNION ALL SELECT id FROM followups WHERE closed_on >= ? AND closed_on <= ?)",
        (after, after, since, today.isoformat()),
    )


def _refresh_item(store: Store, before: tuple[int, int], item_id: int) -> None:
    """After a change to one item alone, saved in its own transaction by this connection (a call
    outcome): bring the items kept since ``before`` (the file's stamp just before the change) up
    to date by reading that item again, instead of reading every item at the next list. When
    anything else may have changed, forget them instead."""
    entry = _LISTED.get(store)
    after = _stamp(store)
    if entry is None or entry[0] != before or after[1] != before[1] or store.conn.in_transaction:
        clear_cache(store)  # kept from before another change, another connection wrote, or not committed
        return
    kept: dict[tuple, Any] = {}
    for key, value in entry[1].items():
        if key[0] != "listed":
            continue  # (the classification, risk and order are made again from the items)
        items, rows = value
        where, params = _list_where(key[1], key[2])
        found, found_rows = _read(store, f"{where} AND f.id = ?", (*params, item_id))
        # (In the place a new read would give it: the items are in the order of their ids.)
        at = bisect.bisect_left(items, item_id, key=_ITEM_ID)
        end = at + 1 if at < len(items) and items[at].id == item_id else at
        kept[key] = (items[:at] + found + items[end:], rows[:at] + found_rows + rows[end:])
    for key, value in entry[1].items():
        if key[0] == "facts" and ("listed", *key[1:]) in kept:  # (the same patients: reused)
            kept[key] = _aligned(store, kept[("listed", *key[1:])][0], {fact[0]: fact for fact in value})
    _LISTED[store] = (after, kept)


_ITEM_ID = operator.attrgetter("id")


def _upcoming_after(today: dt.date) -> str:
    """Items due after this date are UPCOMING unless a call outcome says otherwise."""
    return (today + dt.timedelta(days=DUE_WINDOW_DAYS)).isoformat()


def _upcoming_left_out(store: Store, today: dt.date, listed: list[FollowUpItem]) -> int:
    """How many items ``list_items(…, upcoming=False)`` leaves out (all of them UPCOMING): the
    open items due after the window, less those of them in ``listed`` (that list)."""
    after = _upcoming_after(today)
    due_later = int(
        store.scalar("SELECT count(*) FROM followups WHERE status = 'open' AND due_date > ?", (after,)) or 0
    )
    limit = dt.date.fromisoformat(after)
    return due_later - sum(1 for item in listed if item.status is Status.OPEN and item.due_date > limit)


# -- the work list with the facts a nurse needs on each row -------------------------------------
class WorkRow(NamedTuple):
    """One line of the Nhắc hẹn list: the item, its section, whether its patient goes first, its
    patient's facts and its rule. (A named tuple whose shown values are worked
    out when read: the whole list has thousands of rows, a screen shows a few dozen.)"""

    item: FollowUpItem
    section: Section
    high_risk: bool
    today: dt.date
    fact: tuple  # the patient's facts (``_FACT_COLUMNS``): offsets _NAME…
    rule: str  # the item's rule (what made it: "vaccine:bcg:1", "chronic:hypertension"…)

    @property
    def patient_id(self) -> int:
        return self.item.patient_id  # type: ignore[return-value]

    @property
    def days_overdue(self) -> int:
        return max((self.today - self.item.due_date).days, 0)

    @property
    def full_name(self) -> str:
        return self.fact[_NAME]

    @property
    def sex(self) -> str:
        return self.fact[_SEX]

    @property
    def birth_year(self) -> int | None:
        born = self.fact[_BORN]
        return born // 10000 if born else None

    @property
    def birth_date(self) -> dt.date | None:
        """The full birth date, when the day is known (month ages of young children)."""
        birth = _born(self.fact[_BORN])
        return dt.date(*birth) if birth and birth[1] and birth[2] else None

    @property
    def age(self) -> int | None:
        """Whole years on ``today`` (a month or day not known: 1 July, or the 1st)."""
        birth = _born(self.fact[_BORN])
        if not birth:
            return None
        year, month, day = birth
        today = self.today
        return today.year - year - ((today.month, today.day) < (month or 7, day or 1))

    @property
    def village(self) -> str:
        return self.fact[_VILLAGE]

    @property
    def phone(self) -> str:
        """The patient's phone, else the guardian's."""
        return self.fact[_PHONE]

    @property
    def programme(self) -> str:
        """The item's programme, from its rule: vaccination, antenatal, hypertension, diabetes,
        referral, or "" for none."""
        return _programme(self.rule, self.item.kind)

    @property
    def outcome_text(self) -> str:
        last = self.item.last_outcome
        return last.describe() if last else ""


def _programme(rule: str, kind: Kind) -> str:
    return _rule_programme(rule) or ("referral" if kind is Kind.POST_REFERRAL else "")


@functools.cache
def _rule_programme(rule: str) -> str:
    """The programme a rule belongs to ("" for none), remembered per rule."""
    if rule.startswith("vaccine:"):
        return "vaccination"
    if rule.startswith("antenatal:"):
        return "antenatal"
    if rule.startswith("chronic:"):
        return rule.split(":")[1]
    return ""


def high_risk_patients(
    store: Store, items: Sequence[FollowUpItem], today: dt.date, facts: Sequence[tuple]
) -> set[int]:
    """Patients who go first on the call list: last BP ≥ 160/100, or ≥ 140/90 with a history of
    stroke or heart attack; an infant behind on vaccines; a pregnancy near term that is overdue.
    ``items`` are those of the list (every open item due before ``today`` is among them) and
    ``facts`` the facts of each one's patient (as ``list_items`` gives them), in the same order."""
    risky: set[int] = set()
    verdicts: dict[tuple, bool] = {}  # (readings repeat: decide each one once)
    # (The rule's own thresholds leave out in SQL the readings it cannot flag; it decides the rest.)
    for pid, systolic, diastolic, cvd in store.conn.execute(
        "SELECT patient_id, last_bp_systolic, last_bp_diastolic, history_cvd FROM enrolments "
        "WHERE programme = 'hypertension' AND closed_on IS NULL AND last_bp_systolic IS NOT NULL "
        "AND (last_bp_systolic >= ? OR last_bp_diastolic >= ? "
        "OR (history_cvd AND (last_bp_systolic >= ? OR last_bp_diastolic >= ?)))",
        (*HIGH_RISK_BP, *HYPERTENSION_THRESHOLD),
    ):
        key = (systolic, diastolic, cvd)
        verdict = verdicts.get(key)
        if verdict is None:
            try:
                verdict = verdicts[key] = is_high_risk(BloodPressure(systolic, diastolic), bool(cvd))
            except ValueError:
                verdict = verdicts[key] = False
        if verdict:
            risky.add(pid)
    near_term = {
        pid
        for (pid,) in store.conn.execute(
            "SELECT patient_id FROM enrolments WHERE programme = 'antenatal' AND closed_on IS NULL AND edd <= ?",
            ((today + dt.timedelta(days=28)).isoformat(),),
        )
    }
    # An infant: born within the last year (a month or day not known: the 1st), as a birth number
    # of the facts (``year * 10000 + month * 100 + day``). In the loop, a month of 0 becomes 1
    # (+100) and a day of 0 becomes 1 (+1) before comparing.
    born_after = today - dt.timedelta(days=365)
    infant_from = born_after.year * 10000 + born_after.month * 100 + born_after.day
    vaccine, antenatal_visit, open_ = Kind.VACCINE_DOSE, Kind.ANTENATAL_VISIT, Status.OPEN  # (looked up once)
    for item, fact in zip(items, facts, strict=True):
        if item.due_date >= today:
            continue
        if item.kind is vaccine and item.status is open_:
            born = fact[_BORN]
            if born and born + 100 * (born % 10000 < 100) + (born % 100 == 0) >= infant_from:
                risky.add(int(item.patient_id))
        elif item.kind is antenatal_visit and item.patient_id in near_term:
            risky.add(int(item.patient_id))
    return risky


def _sections(store: Store, today: dt.date, upcoming: bool) -> list[Section]:
    """The section of each item the list can show on ``today`` (``classify``, once), in the order
    of ``_listed``; kept while the file has not changed, for the counts and the list."""
    cache = _cache(store)
    key = ("sections", today, upcoming)
    if key not in cache:
        cache[key] = sections_of(_listed(store, today, upcoming)[0], today)
    return cache[key]


def _risky(store: Store, today: dt.date, upcoming: bool) -> set[int]:
    """``high_risk_patients`` of the items the list can show, kept while the file has not changed."""
    cache = _cache(store)
    key = ("risky", today, upcoming)
    if key not in cache:
        facts = _facts(store, today, upcoming)
        cache[key] = high_risk_patients(store, _listed(store, today, upcoming)[0], today, facts)
    return cache[key]


def _made_rows(store: Store, today: dt.date, upcoming: bool, section: Section | None) -> list[WorkRow]:
    """The rows of ``section`` (of every section when None), in the list's order (section, risk,
    days overdue)."""
    facts = _facts(store, today, upcoming)  # (first: read with the items when neither is kept)
    items, read = _listed(store, today, upcoming)
    sections = _sections(store, today, upcoming)
    risky = _risky(store, today, upcoming)
    new = tuple.__new__  # (WorkRow's own __new__ adds a call per row)
    return [
        new(WorkRow, (items[n], sections[n], items[n].patient_id in risky, today, facts[n], read[n][_RULE]))
        for n in work_order(items, sections, risky, section)
    ]


def _rows(store: Store, today: dt.date, upcoming: bool, section: Section | None) -> list[WorkRow]:
    """The rows of ``section`` (when None, of every section the list shows: not the upcoming and
    done ones), kept while the file has not changed, so going back to a section or changing a
    filter sorts nothing again. A section asked first is made alone (the view shows one); the
    whole list, once made, gives every section as a run of its rows."""
    cache = _cache(store)
    whole = cache.get(("rows", today, upcoming))
    if whole is None and section is not None:
        key = ("section rows", today, upcoming, section)
        if key not in cache:
            cache[key] = _made_rows(store, today, upcoming, section)
        return cache[key]
    if whole is None:
        rows = _made_rows(store, today, upcoming, None)
        # The sections follow each other in SECTION_ORDER: each one is a run of the rows.
        spans, start = {}, 0
        for where, count in tally(_sections(store, today, upcoming)).items():
            spans[where] = (start, start + count)
            start += count
        whole = cache[("rows", today, upcoming)] = (rows, spans)
    rows, spans = whole
    if section is None:  # (UPCOMING and DONE come last in SECTION_ORDER)
        return rows[: min(spans[Section.UPCOMING][0], spans[Section.DONE][0])]
    start, end = spans[section]
    return rows[start:end]


@contextlib.contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Python's cycle collector paused for the block. The lists make a few hundred thousand
    small objects and no reference cycles; while they are made the collector would walk them,
    and every object of the app, several times over (about a tenth of the time of a build). A
    caller that asks for the counts and then a section (the Nhắc hẹn view) pauses it around both,
    so no collection runs between them either.

    At the end, what was made goes straight to the collector's oldest generation: the lists are
    kept until the file changes, and would otherwise all be walked by the next young collection
    (the first allocation after the pause: about a tenth of a build again) to end up there."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # (every tracked object to the permanent generation…)
        gc.unfreeze()  # (…and from there into the oldest one)
        gc.enable()


def _without_cycle_collection(build: Callable[P, R]) -> Callable[P, R]:
    """``build`` run under :func:`cycle_collection_paused`."""

    @functools.wraps(build)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with cycle_collection_paused():
            return build(*args, **kwargs)

    return wrapper


@_without_cycle_collection
def work_rows(
    store: Store, today: dt.date | None = None, section: Section | None = None, programme: str = "", village: str = ""
) -> list[WorkRow]:
    """The Nhắc hẹn list: items sorted by section, then risk, then days overdue (every section
    the list shows when ``section`` is None: not the upcoming and done ones)."""
    today = today or clock.today()
    chosen = list(_rows(store, today, section is Section.UPCOMING, section))
    if programme:
        chosen = [row for row in chosen if row.programme == programme]
    if village:
        chosen = [row for row in chosen if row.fact[_VILLAGE] == village]
    return chosen


def items_open_on(
    store: Store, day: dt.date, rule_prefix: str = "", open_since: dt.date | None = None
) -> list[FollowUpItem]:
    """The items that existed and were still open at the end of ``day`` (also those closed
    since), for a summary "as of" a past day; ``classify(item, day)`` places each of them.
    ``rule_prefix`` keeps one programme's items ("chronic:"). With ``open_since`` (an earlier
    day), the items open at the end of any day from ``open_since`` to ``day`` (one load for
    several days: keep those with ``created_on`` on or before the day you classify for)."""
    where = _OPEN_ON
    params: list[object] = [day.isoformat(), (open_since or day).isoformat()]
    if rule_prefix:
        where += " AND f.rule LIKE ?"
        params.append(rule_prefix.replace("%", "") + "%")
    return _items(store, where, params)


_OPEN_ON = "f.created_on <= ? AND (f.status = 'open' OR f.closed_on > ?)"


def items_and_rules_open_on(store: Store, day: dt.date, open_since: dt.date) -> list[tuple[FollowUpItem, str]]:
    """``(item, rule)`` of ``items_open_on(store, day, open_since=open_since)``, in one read: the
    monthly summary counts the programmes' items by their rule."""
    items, rows = _read(store, _OPEN_ON, (day.isoformat(), open_since.isoformat()))
    return list(zip(items, [row[_RULE] for row in rows], strict=True))


@_without_cycle_collection
def section_counts(store: Store, today: dt.date | None = None) -> dict[Section, int]:
    """The counts on the Today view and in reports: the same items, the same ``classify``."""
    today = today or clock.today()
    # (The items alone, kept for the list shown next; its patients' facts are read then.)
    table = tally(_sections(store, today, upcoming=False))
    table[Section.UPCOMING] += _upcoming_left_out(store, today, _listed(store, today, upcoming=False)[0])
    return table


# -- writing items and outcomes -----------------------------------------------------------------
def add_item(
    store: Store,
    patient_id: int,
    kind: Kind,
    label: str,
    due: dt.date,
    source: str = "manual",
    rule: str = "",
    visit_id: int | None = None,
    created_on: dt.date | None = None,
) -> int:
    with store.write(Permission.RECORD_VISITS):
        cursor = store.conn.execute(
            "INSERT INTO followups (patient_id, kind, label, due_date, source, rule, source_visit_id, created_on, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                patient_id,
                str(kind),
                label,
                due.isoformat(),
                source,
                rule,
                visit_id,
                (created_on or clock.today()).isoformat(),
                now_text(),
            ),
        )
        audit.record(store, audit.CREATE, ("followup", cursor.lastrowid),
                     {"kind": str(kind), "label": label, "due": due.isoformat(), "source": source},
                     patient_id=patient_id)
        return int(cursor.lastrowid or 0)


def record_outcome(store: Store, item_id: int, outcome: Outcome) -> int:
    """Save a call outcome (agreed, remind later, no answer, removed with a reason, done) of the
    item ``item_id``; returns the outcome's id (to undo it). A death recorded here marks the
    patient deceased everywhere and closes their other open items. An outcome dated after the
    patient's recorded death is refused, as is a death dated before their last visit, delivery or
    dose."""
    before = _stamp(store)
    with store.write(Permission.RECORD_VISITS):
        patient_id = store.scalar("SELECT patient_id FROM followups WHERE id = ?", (item_id,))
        if patient_id is not None:
            died_on = lifespan.death_day(store, int(patient_id))
            found = after_death("recorded_at", "outcome", outcome.recorded_at, died_on)
            if outcome.records_death and died_on is None:
                found += lifespan.death_before_care(store, int(patient_id), outcome.recorded_at, "recorded_at")
            lifespan.refuse(found, OUTCOME_LABELS)
        audit.record(store, audit.UPDATE, ("followup", item_id), {"outcome": str(outcome.kind), "note": outcome.note},
                     patient_id=patient_id)
        cursor = store.conn.execute(
            "INSERT INTO followup_outcomes (followup_id, kind, recorded_at, note, until, reason, visit_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item_id,
                str(outcome.kind),
                outcome.recorded_at.isoformat(),
                outcome.note,
                _iso(outcome.until),
                str(outcome.reason) if outcome.reason else None,
                outcome.visit_id,
                now_text(),
            ),
        )
        if outcome.kind in (OutcomeKind.REMOVED, OutcomeKind.DONE):
            status = "removed" if outcome.kind is OutcomeKind.REMOVED else "done"
            store.conn.execute(
                "UPDATE followups SET status = ?, closed_on = ? WHERE id = ?",
                (status, outcome.recorded_at.isoformat(), item_id),
            )
        if outcome.records_death:
            mark_deceased(store, int(patient_id), outcome.recorded_at)
    if outcome.records_death:
        clear_cache(store)  # the patient's other items and facts changed too
    else:
        _refresh_item(store, before, item_id)
    return int(cursor.lastrowid or 0)


class CannotUndo(StoreError):
    message = N_(
        "This outcome can no longer be undone: only the last outcome of an item, recorded after a call "
        "(a visit or a death is corrected on the patient's page)."
    )


def undo_outcome(store: Store, outcome_id: int) -> int:
    """Take back a call outcome recorded by mistake: it must be the last outcome of its item,
    and not a visit nor a death. The item is back as it was (reopened when the outcome closed it);
    the undoing is audited. Returns the item's id."""
    before = _stamp(store)
    with store.write(Permission.RECORD_VISITS):
        row = store.conn.execute(
            "SELECT o.followup_id, o.kind, o.recorded_at, o.reason, o.visit_id, f.patient_id, "
            "(SELECT max(id) FROM followup_outcomes WHERE followup_id = o.followup_id) "
            "FROM followup_outcomes o JOIN followups f ON f.id = o.followup_id WHERE o.id = ?",
            (outcome_id,),
        ).fetchone()
        if row is None or row[6] != outcome_id or row[4] is not None or row[1] == "done" or row[3] == "died":
            raise CannotUndo(store.path)
        item_id, kind, recorded_at, _reason, _visit, patient_id, _last = row
        store.conn.execute("DELETE FROM followup_outcomes WHERE id = ?", (outcome_id,))
        if kind == "removed":
            store.conn.execute("UPDATE followups SET status = 'open', closed_on = NULL WHERE id = ?", (item_id,))
        audit.record(store, audit.UPDATE, ("followup", item_id),
                     {"change": "outcome undone", "outcome": kind, "on": recorded_at}, patient_id=patient_id)
    _refresh_item(store, before, item_id)
    return int(item_id)


def undo_outcomes(store: Store, outcome_ids: Sequence[int]) -> None:
    """Undo the outcomes one action recorded (all of a child's doses), last first, in one
    transaction: all of them, or none when one can no longer be undone."""
    with store.write(Permission.RECORD_VISITS):
        for outcome_id in reversed(outcome_ids):
            undo_outcome(store, outcome_id)


def mark_deceased(store: Store, patient_id: int, on: dt.date) -> None:
    with store.write(Permission.RECORD_VISITS):
        audit.record(store, audit.UPDATE, ("patient", patient_id), {"deceased": on.isoformat()})
        store.conn.execute(
            "UPDATE patients SET deceased = 1, deceased_date = coalesce(deceased_date, ?), updated_at = ? WHERE id = ?",
            (on.isoformat(), now_text(), patient_id),
        )
        others = [
            r[0]
            for r in store.conn.execute(
                "SELECT id FROM followups WHERE patient_id = ? AND status = 'open'", (patient_id,)
            )
        ]
        for other in others:
            store.conn.execute(
                "INSERT INTO followup_outcomes (followup_id, kind, recorded_at, reason, created_at) "
                "VALUES (?, 'removed', ?, 'died', ?)",
                (other, on.isoformat(), now_text()),
            )
            store.conn.execute(
                "UPDATE followups SET status = 'removed', closed_on = ? WHERE id = ?", (on.isoformat(), other)
            )
        store.conn.execute(
            "UPDATE enrolments SET closed_on = ?, closure = 'died' WHERE patient_id = ? AND closed_on IS NULL",
            (on.isoformat(), patient_id),
        )


def _close(
    store: Store,
    item_id: int,
    on: dt.date,
    visit_id: int | None,
    kind: str = "done",
    reason: str | None = None,
    note: str = "",
) -> None:
    store.conn.execute(
        "INSERT INTO followup_outcomes (followup_id, kind, recorded_at, note, reason, visit_id, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (item_id, kind, on.isoformat(), note, reason, visit_id, now_text()),
    )
    store.conn.execute(
        "UPDATE followups SET status = ?, closed_on = ? WHERE id = ?",
        ("done" if kind == "done" else "removed", on.isoformat(), item_id),
    )


# -- programmes -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Enrolment:
    id: int
    patient_id: int
    programme: str
    enrolled_on: dt.date
    detected_on: dt.date | None
    closed_on: dt.date | None
    closure: str
    lmp: dt.date | None
    edd: dt.date | None
    history_cvd: bool
    last_bp: tuple[int, int] | None
    last_glucose: float | None
    last_visit_on: dt.date | None


def enrolments(store: Store, patient_id: int, open_only: bool = True) -> list[Enrolment]:
    rows = store.conn.execute(
        "SELECT id, patient_id, programme, enrolled_on, detected_on, closed_on, closure, lmp, edd, history_cvd, "
        "last_bp_systolic, last_bp_diastolic, last_glucose, last_visit_on FROM enrolments WHERE patient_id = ?"
        + (" AND closed_on IS NULL" if open_only else "")
        + " ORDER BY enrolled_on",
        (patient_id,),
    ).fetchall()
    return [
        Enrolment(
            r[0],
            r[1],
            r[2],
            _day(r[3]),  # enrolled_on
            _date(r[4]),
            _date(r[5]),
            r[6],
            _date(r[7]),
            _date(r[8]),
            bool(r[9]),
            (r[10], r[11]) if r[10] else None,
            r[12],
            _date(r[13]),
        )
        for r in rows
    ]


def enrol(
    store: Store,
    patient_id: int,
    programme: str,
    on: dt.date,
    *,
    detected_on: dt.date | None = None,
    lmp: dt.date | None = None,
    edd: dt.date | None = None,
    history_cvd: bool = False,
) -> int:
    """Enrol a patient in a programme (once: an open enrolment is reused) and schedule its items."""
    with store.write(Permission.RECORD_VISITS):
        existing = store.scalar(
            "SELECT id FROM enrolments WHERE patient_id = ? AND programme = ? AND closed_on IS NULL",
            (patient_id, programme),
        )
        if existing:
            return int(existing)
        if programme == "antenatal":
            pregnancy = antenatal.enrol(on, lmp=lmp, edd=edd)
            edd = pregnancy.edd
        cursor = store.conn.execute(
            "INSERT INTO enrolments (patient_id, programme, enrolled_on, detected_on, lmp, edd, history_cvd, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                patient_id,
                programme,
                on.isoformat(),
                _iso(detected_on or on),
                _iso(lmp),
                _iso(edd),
                int(history_cvd),
                now_text(),
            ),
        )
        audit.record(store, audit.CREATE, ("enrolment", cursor.lastrowid),
                     {"programme": programme, "on": on.isoformat()}, patient_id=patient_id)
        if programme == "vaccination":
            sync_vaccination(store, patient_id, on)
        elif programme == "antenatal":
            sync_antenatal(store, patient_id, on)
        return int(cursor.lastrowid or 0)


def close_enrolment(store: Store, enrolment_id: int, on: dt.date, closure: str) -> None:
    """Close a programme (delivery, loss, moved…): its open items are removed from the list."""
    with store.write(Permission.RECORD_VISITS):
        row = store.conn.execute(
            "SELECT patient_id, programme FROM enrolments WHERE id = ?", (enrolment_id,)
        ).fetchone()
        audit.record(store, audit.UPDATE, ("enrolment", enrolment_id),
                     {"closed_on": on.isoformat(), "closure": closure}, patient_id=row[0] if row else None)
        store.conn.execute(
            "UPDATE enrolments SET closed_on = ?, closure = ? WHERE id = ?", (on.isoformat(), closure, enrolment_id)
        )
        prefix = {"vaccination": "vaccine:", "antenatal": "antenatal:"}.get(row[1], f"chronic:{row[1]}")
        for (item_id,) in store.conn.execute(
            "SELECT id FROM followups WHERE patient_id = ? AND status = 'open' AND rule LIKE ?", (row[0], prefix + "%")
        ).fetchall():
            _close(store, item_id, on, None, "removed", "other", closure)


def given_doses(store: Store, patient_id: int) -> list[vaccination.GivenDose]:
    return [
        vaccination.GivenDose(r[0], r[1], dt.date.fromisoformat(r[2]), r[3], bool(r[4]))
        for r in store.conn.execute(
            "SELECT series, dose, given_on, place, from_booklet FROM vaccine_doses WHERE patient_id = ? "
            "ORDER BY given_on",
            (patient_id,),
        )
    ]


def record_dose(
    store: Store,
    patient_id: int,
    series: str,
    dose: int,
    given_on: dt.date,
    place: str = "",
    from_booklet: bool = False,
    visit_id: int | None = None,
) -> None:
    """A vaccine dose given here, elsewhere, or copied from the child's paper booklet (never dated
    after the child's recorded death)."""
    with store.write(Permission.RECORD_VISITS):
        lifespan.refuse(lifespan.after_death(store, patient_id, given_on, "given_on", "dose"), DOSE_LABELS)
        audit.record(store, audit.CREATE, ("vaccine_dose", f"{series}:{dose}"),
                     {"given_on": given_on.isoformat(), "place": place, "from_booklet": from_booklet},
                     patient_id=patient_id)
        store.conn.execute(
            "INSERT INTO vaccine_doses (patient_id, series, dose, given_on, place, from_booklet, visit_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (patient_id, series, dose, given_on.isoformat(), place, int(from_booklet), visit_id, now_text()),
        )
        enrol(store, patient_id, "vaccination", given_on)
        sync_vaccination(store, patient_id, clock.today(), visit_id=visit_id, closed_on=given_on)


def _birth(store: Store, patient_id: int) -> dt.date | None:
    row = store.conn.execute(
        "SELECT birth_year, birth_month, birth_day FROM patients WHERE id = ?", (patient_id,)
    ).fetchone()
    if not row or row[0] is None:
        return None
    return dt.date(row[0], row[1] or 7, row[2] or 1)


def sync_vaccination(
    store: Store, patient_id: int, today: dt.date, visit_id: int | None = None, closed_on: dt.date | None = None
) -> None:
    """Make the child's open vaccine items match the schedule: one item per series' next dose."""
    birth = _birth(store, patient_id)
    if birth is None:
        return
    given = given_doses(store, patient_id)
    given_keys = {(g.series, g.dose): g.given_on for g in given}
    wanted = {f"vaccine:{d.series_key}:{d.number}": d for d in vaccination.next_doses(birth, given, today)}
    alone = not store.conn.in_transaction  # else part of a visit, dose or enrolment, audited there
    with store.write(Permission.RECORD_VISITS):
        if alone:
            audit.record(store, audit.UPDATE, ("patient", patient_id), {"followups": "vaccination"})
        open_items = store.conn.execute(
            "SELECT id, rule, due_date FROM followups"
            " WHERE patient_id = ? AND status = 'open' AND rule LIKE 'vaccine:%'",
            (patient_id,),
        ).fetchall()
        have = set()
        for item_id, rule, due in open_items:
            if rule in wanted:
                have.add(rule)
                if due != wanted[rule].due_date.isoformat():
                    store.conn.execute(
                        "UPDATE followups SET due_date = ? WHERE id = ?", (wanted[rule].due_date.isoformat(), item_id)
                    )
                continue
            _, series, dose = rule.split(":")
            if (series, int(dose)) in given_keys:  # done on the day it was given (unless told)
                _close(store, item_id, closed_on or min(given_keys[(series, int(dose))], today), visit_id)
            else:
                _close(store, item_id, today, None, "removed", "other", "schedule")
        for rule, due in wanted.items():
            if rule not in have:
                store.conn.execute(
                    "INSERT INTO followups (patient_id, kind, label, due_date, source, rule, created_on, created_at) "
                    "VALUES (?, 'vaccine_dose', ?, ?, 'programme', ?, ?, ?)",
                    (
                        patient_id,
                        due.series.label(due.number, "vi"),
                        due.due_date.isoformat(),
                        rule,
                        today.isoformat(),
                        now_text(),
                    ),
                )


def _pregnancy(e: Enrolment) -> antenatal.Pregnancy:
    return antenatal.Pregnancy(enrolled_on=e.enrolled_on, edd=e.edd, lmp=e.lmp)  # type: ignore[arg-type]


def sync_antenatal(store: Store, patient_id: int, today: dt.date, visit_id: int | None = None) -> None:
    """The pregnancy's next antenatal contact and next tetanus dose as open items."""
    open_enrolments = [e for e in enrolments(store, patient_id) if e.programme == "antenatal"]
    alone = not store.conn.in_transaction  # else part of a visit or an enrolment, audited there
    with store.write(Permission.RECORD_VISITS):
        if alone:
            audit.record(store, audit.UPDATE, ("patient", patient_id), {"followups": "antenatal"})
        items = store.conn.execute(
            "SELECT id, rule, due_date FROM followups"
            " WHERE patient_id = ? AND status = 'open' AND rule LIKE 'antenatal:%'",
            (patient_id,),
        ).fetchall()
        if not open_enrolments:
            for item_id, _rule, _due in items:
                _close(store, item_id, today, None, "removed", "other", "closed")
            return
        pregnancy = _pregnancy(open_enrolments[0])
        start = pregnancy.dating_lmp.isoformat()
        visit_days = [
            dt.date.fromisoformat(r[0][:10])
            for r in store.conn.execute(
                "SELECT visit_at FROM visits WHERE patient_id = ? AND antenatal = 1 AND visit_at >= ?",
                (patient_id, start),
            )
        ]
        tetanus_days = [
            dt.date.fromisoformat(r[0][:10])
            for r in store.conn.execute(
                "SELECT visit_at FROM visits WHERE patient_id = ? AND tetanus = 1 AND visit_at >= ?",
                (patient_id, start),
            )
        ]
        wanted: dict[str, tuple[str, dt.date, Kind]] = {}
        contact = antenatal.next_visit(pregnancy, visit_days)
        if contact:
            label = vi("Antenatal visit {number} (week {week})").format(number=contact.number, week=contact.week)
            wanted[f"antenatal:contact:{contact.number}"] = (label, contact.due_date, Kind.ANTENATAL_VISIT)
        tetanus = antenatal.tetanus_next(pregnancy, tetanus_days)
        if tetanus:
            label = vi("Tetanus dose {dose} (pregnancy)").format(dose=tetanus.dose)
            wanted[f"antenatal:tetanus:{tetanus.dose}"] = (label, tetanus.due_date, Kind.VACCINE_DOSE)
        have = set()
        for item_id, rule, due in items:
            if rule in wanted:
                have.add(rule)
                if due != wanted[rule][1].isoformat():
                    store.conn.execute(
                        "UPDATE followups SET due_date = ? WHERE id = ?", (wanted[rule][1].isoformat(), item_id)
                    )
            else:
                _close(store, item_id, today, visit_id)
        for rule, (label, due, kind) in wanted.items():
            if rule not in have:
                store.conn.execute(
                    "INSERT INTO followups (patient_id, kind, label, due_date, source, rule, created_on, created_at) "
                    "VALUES (?, ?, ?, ?, 'programme', ?, ?, ?)",
                    (patient_id, str(kind), label, due.isoformat(), rule, today.isoformat(), now_text()),
                )


def chronic_programme(code: str) -> str | None:
    for programme, prefixes in CHRONIC_CODES.items():
        if any(code.startswith(p) for p in prefixes):
            return programme
    return None


# -- hooks called by the patient and visit stores ---------------------------------------------------
def on_patient_registered(store: Store, patient: Patient) -> None:
    """Every child registered under 2 years is enrolled in vaccination automatically."""
    store.inside_write("a registration's enrolment")
    if patient.id is None or patient.birth is None or patient.deceased:
        return
    today = clock.today()
    if (today - patient.birth.midpoint()).days < VACCINATION_AGE_LIMIT_DAYS:
        enrol(store, patient.id, "vaccination", today)


@dataclass
class VisitFeeds:
    """What a visit brings to the programmes besides the visit itself."""

    refill_days: int | None = None  # medicine supplied for N days (chronic programmes)
    refill_on: dt.date | None = None  # the refill reminder's day when a prescription sets it
    refill_programme: str = ""  # the programme of the medicines supplied (without a diagnosis of it)
    vaccines: tuple[tuple[str, int], ...] = ()  # (series, dose) given at this visit
    antenatal: bool = False  # an antenatal visit
    tetanus: bool = False  # a tetanus dose given to a pregnant woman
    history_cvd: bool | None = None


def after_visit(store: Store, visit: Visit, feeds: VisitFeeds | None = None) -> None:
    """Inside the visit's transaction: close the matching open items, then schedule the next.

    A visit of a programme (a hypertension refill) closes that programme's open item whatever its
    due date and schedules the next in its place; a visit older than one already held (entered
    afterwards) closes nothing of it and schedules nothing: the newer visit's item stays the one.
    A revisit, or anything else the nurse scheduled, closes when it was due within a week of the
    visit; a visit that sets a new revisit date replaces the open revisit whatever its date."""
    store.inside_write("a visit's follow-ups")
    feeds = feeds or VisitFeeds()
    assert visit.id is not None
    day = visit.visit_at.date()
    today = clock.today()
    pid = visit.patient_id
    programme = chronic_programme(visit.diagnosis_code) if visit.diagnosis_code else None
    refill = programme or feeds.refill_programme or (
        _only_chronic_programme(store, pid) if feeds.refill_days else None)
    if feeds.refill_days and refill is None:
        refill = "hypertension"
    refill_rule = f"chronic:{refill}" if refill else ""
    # 1. Close what this visit answers (a back-dated visit too: it happened after the item was made).
    kinds = [Kind.REVISIT, Kind.CUSTOM]
    if feeds.antenatal:
        kinds.append(Kind.ANTENATAL_VISIT)
    open_items = patient_items(store, pid, open_only=True)
    closing = {item.id: item for item in close_matching(open_items, day, kinds, pid)}
    # (Open items of one programme and kind, oldest first: what the visit replaces.)
    rules = _rules(store, [int(item.id or 0) for item in open_items])
    refills = [i for i in open_items if i.kind is Kind.CHRONIC_REFILL and rules.get(int(i.id or 0)) == refill_rule]
    revisits = [i for i in open_items if i.kind is Kind.REVISIT]
    if refill:
        closing.update((item.id, item) for item in replaced_by_visit(refills, day, pid))
    elif visit.follow_up_date:
        closing.update((item.id, item) for item in replaced_by_visit(revisits, day, pid))
    for item in closing.values():
        _close(store, int(item.id), day, visit.id)  # type: ignore[arg-type]
    # 2. Programmes fed by the visit.
    if programme:
        enrol(store, pid, programme, day, detected_on=day)
    if refill:
        store.conn.execute(
            "UPDATE enrolments SET last_visit_on = ?, last_bp_systolic = coalesce(?, last_bp_systolic), "
            "last_bp_diastolic = coalesce(?, last_bp_diastolic), last_glucose = coalesce(?, last_glucose), "
            "history_cvd = coalesce(?, history_cvd) "
            "WHERE patient_id = ? AND programme IN ('hypertension', 'diabetes') AND closed_on IS NULL "
            "AND (last_visit_on IS NULL OR last_visit_on <= ?)",
            (
                day.isoformat(),
                visit.bp_systolic,
                visit.bp_diastolic,
                visit.glucose,
                None if feeds.history_cvd is None else int(feeds.history_cvd),
                pid,
                day.isoformat(),
            ),
        )
    for series, dose in feeds.vaccines:
        record_dose(store, pid, series, dose, day, vi("this station"), visit_id=visit.id)
    if feeds.antenatal or feeds.tetanus:
        sync_antenatal(store, pid, today, visit.id)
    # 3. What comes next — unless a newer visit's item is still open (this one is older).
    if refill:
        if any(item.id not in closing for item in refills):
            return
        days = feeds.refill_days or 30
        due = visit.follow_up_date or feeds.refill_on or refill_due(day, min(max(days, 1), 90))
        label = vi("Medicine refill") + (" — " + visit.diagnosis_code if visit.diagnosis_code else "")
        add_item(store, pid, Kind.CHRONIC_REFILL, label, due, f"visit:{visit.id}", refill_rule, visit.id, day)
    elif visit.follow_up_date:
        if any(item.id not in closing for item in revisits):
            return
        label = vi("Revisit") + (" — " + visit.diagnosis_display if visit.diagnosis_display else "")
        add_item(store, pid, Kind.REVISIT, label[:120], visit.follow_up_date, f"visit:{visit.id}", "", visit.id, day)


def _rules(store: Store, ids: list[int]) -> dict[int, str]:
    """The rule of each of the items ``ids``."""
    return dict(store.conn.execute(
        "SELECT f.id, f.rule FROM json_each(?) j JOIN followups f ON f.id = j.value", (json.dumps(ids),)
    ).fetchall())


def _only_chronic_programme(store: Store, patient_id: int) -> str | None:
    """The patient's chronic programme when they are in exactly one (a refill given without a
    diagnosis code is for it)."""
    found = [
        r[0] for r in store.conn.execute(
            "SELECT DISTINCT programme FROM enrolments WHERE patient_id = ? AND closed_on IS NULL "
            "AND programme IN ('hypertension', 'diabetes')", (patient_id,))
    ]
    return found[0] if len(found) == 1 else None
