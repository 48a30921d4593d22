"""Follow-up data for the demo station, made after its patients and visits: chronic patients
enrolled with a mix of on-time and overdue refills, children at every stage of the vaccination
schedule (some behind), pregnancies with their antenatal contacts, revisits, and call outcomes.
Deterministic for a seed and a "today".
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from station_app.domain import antenatal, vaccination
from station_app.domain.accounts import ANYONE
from station_app.domain.followup import OutcomeKind, RemovalReason
from station_app.i18n import translate
from station_app.store.bulk import insert_rows
from station_app.store.database import Store

ITEM_COLUMNS = (
    "patient_id",
    "kind",
    "label",
    "due_date",
    "source",
    "rule",
    "source_visit_id",
    "created_on",
    "created_at",
)


def add_followups(
    store: Store, seed: int, today: dt.date, stamp: str, moved: dict[int, dt.date] | None = None
) -> int:
    """Fill enrolments, vaccine doses, follow-up items and outcomes; returns the item count.

    ``moved`` names the patients who moved away (and when): their open items are removed with
    that reason, as the deceased patients' are with theirs."""
    rng = random.Random(seed * 7 + 3)
    conn = store.conn
    vi = lambda text: translate(text, "vi")  # noqa: E731 - labels are stored in Vietnamese
    refill = vi("Medicine refill")
    with store.write(ANYONE):  # invented rows of a demo file being built
        # Chronic programmes from the chronic visits (written with their 30 days of medicine, and
        # the antenatal visits marked, by the generator). They are a quarter of all visits: reading
        # the table through is faster than fetching each row from the diagnosis index.
        conn.execute(
            "INSERT INTO enrolments (patient_id, programme, enrolled_on, detected_on, last_visit_on, history_cvd, "
            "created_at) SELECT patient_id, CASE WHEN diagnosis_code = 'I10' THEN 'hypertension' ELSE 'diabetes' END, "
            "min(substr(visit_at, 1, 10)), min(substr(visit_at, 1, 10)), max(substr(visit_at, 1, 10)), "
            "(patient_id * 7919) % 11 = 0, ? FROM visits NOT INDEXED WHERE diagnosis_code IN ('I10', 'E11.9') "
            "GROUP BY patient_id, diagnosis_code",
            (stamp,),
        )
        conn.execute(
            "UPDATE enrolments SET (last_bp_systolic, last_bp_diastolic, last_glucose) = ("
            "SELECT bp_systolic, bp_diastolic, glucose FROM visits v WHERE v.patient_id = enrolments.patient_id "
            "AND v.diagnosis_code IN ('I10', 'E11.9') ORDER BY v.visit_at DESC LIMIT 1) "
            "WHERE programme IN ('hypertension', 'diabetes')"
        )
        conn.execute(
            "INSERT INTO followups (patient_id, kind, label, due_date, source, rule, created_on, created_at) "
            "SELECT patient_id, 'chronic_refill', ? || ' — ' || CASE programme WHEN 'hypertension' THEN 'I10' "
            "ELSE 'E11.9' END, date(last_visit_on, '+30 days'), 'programme', 'chronic:' || programme, last_visit_on, ? "
            "FROM enrolments WHERE programme IN ('hypertension', 'diabetes')",
            (refill, stamp),
        )
        # Revisits asked at the last visit of the past four months.
        conn.execute(
            "INSERT INTO followups (patient_id, kind, label, due_date, source, rule, source_visit_id, created_on, "
            "created_at) SELECT v.patient_id, 'revisit', ? || ' — ' || v.diagnosis_code || ' ' || v.diagnosis_text, "
            "v.follow_up_date, 'visit:' || v.id, '', v.id, substr(v.visit_at, 1, 10), ? FROM visits v "
            "WHERE v.follow_up_date IS NOT NULL AND v.diagnosis_code NOT IN ('I10', 'E11.9') AND v.visit_at >= ? "
            "AND v.visit_at = (SELECT max(visit_at) FROM visits w WHERE w.patient_id = v.patient_id)",
            (vi("Revisit"), stamp, (today - dt.timedelta(days=120)).isoformat()),
        )
        _children(store, rng, today, stamp)
        _pregnancies(store, rng, today, stamp)
        _outcomes(store, rng, today, stamp)
        # Saved through the store as the app saves them (number of the year, follow-up item, audit
        # entries), in this one transaction.
        _referrals(store, rng, today)
        _refills_closed_by_visits(store, refill, stamp)
        _gone(store, moved or {}, stamp)
    return int(conn.execute("SELECT count(*) FROM followups").fetchone()[0])


def _children(store: Store, rng: random.Random, today: dt.date, stamp: str) -> None:
    """The children born since a year before the records began, at every stage of the schedule:
    most on time, some late, a few who stopped coming (about 9 in 10 complete their first
    year's doses). The babies of the recorded deliveries go on from their birth doses; the doses
    of the older ones given before the records began are copied from the paper book; each dose
    given closes the reminder the previous visit left; the doses still to come are reminders."""
    schedule = vaccination.load_schedule()
    records_start = today - dt.timedelta(days=3 * 365)
    limit = records_start - dt.timedelta(days=365)
    conn = store.conn
    children = conn.execute(
        "SELECT id, birth_year, birth_month, birth_day, deceased_date FROM patients WHERE birth_day IS NOT NULL "
        "AND printf('%04d-%02d-%02d', birth_year, birth_month, birth_day) > ? ORDER BY id",
        (limit.isoformat(),),
    ).fetchall()
    recorded: dict[int, list[vaccination.GivenDose]] = {}
    for pid, series, dose, given_on, place in conn.execute(
        "SELECT patient_id, series, dose, given_on, place FROM vaccine_doses ORDER BY given_on"
    ):
        recorded.setdefault(pid, []).append(vaccination.GivenDose(series, dose, dt.date.fromisoformat(given_on), place))
    enrolled = {r[0] for r in conn.execute("SELECT patient_id FROM enrolments WHERE programme = 'vaccination'")}
    # The reminders the deliveries left are made again here, with the doses that followed.
    conn.execute("DELETE FROM followups WHERE kind = 'vaccine_dose' AND status = 'open' AND rule LIKE 'vaccine:%' "
                 "AND NOT EXISTS (SELECT 1 FROM followup_outcomes o WHERE o.followup_id = followups.id)")
    enrol_rows, dose_rows, item_rows, done_rows = [], [], [], []
    place = translate("this station", "vi")
    for pid, year, month, day, died in children:
        birth = dt.date(year, month, day)
        if pid not in enrolled:
            enrol_rows.append((pid, "vaccination", max(birth, records_start).isoformat(), birth.isoformat(), stamp))
        behaviour = rng.random()  # < 0.72 on time; < 0.90 late; else stopped coming at some point
        last_day = min(today, dt.date.fromisoformat(died) - dt.timedelta(days=1)) if died else today
        stop_after = last_day if behaviour < 0.90 else min(last_day, birth + dt.timedelta(days=rng.randint(45, 420)))
        given: list[vaccination.GivenDose] = list(recorded.get(pid, []))
        came = max((g.given_on for g in given), default=birth)
        # Visit by visit as the child comes, each time given the doses due by then (the schedule
        # as it stood that day: a birth dose or BCG missed in its time is not given later).
        cursor = came
        for _round in range(40):
            due = [d for d in vaccination.next_doses(birth, given, cursor, schedule) if d.earliest <= stop_after]
            if not due:
                break
            delay = rng.randint(0, 10) if behaviour < 0.72 else rng.randint(5, 60)
            visit_day = max(cursor, min(max(d.earliest, d.due_date) for d in due)) + dt.timedelta(days=delay)
            if visit_day > stop_after:
                break
            for d in due:
                if not d.earliest <= visit_day or (d.last_date and visit_day > d.last_date):
                    continue
                booklet = visit_day < records_start
                given.append(vaccination.GivenDose(d.series_key, d.number, visit_day, place, booklet))
                dose_rows.append((pid, d.series_key, d.number, visit_day.isoformat(), place, int(booklet), stamp))
                if not booklet:
                    done_rows.append((pid, d.series.label(d.number, "vi"), d.due_date.isoformat(),
                                      f"vaccine:{d.series_key}:{d.number}", max(came, records_start).isoformat(),
                                      visit_day.isoformat()))
            if given and given[-1].given_on == visit_day:
                came = visit_day
            cursor = visit_day + dt.timedelta(days=1)
        pending = vaccination.next_doses(birth, given, today, schedule)
        if died:
            continue  # (no reminder for a child who died)
        for d in pending:
            item_rows.append(
                (
                    pid,
                    "vaccine_dose",
                    d.series.label(d.number, "vi"),
                    d.due_date.isoformat(),
                    "programme",
                    f"vaccine:{d.series_key}:{d.number}",
                    None,
                    max(came, records_start).isoformat(),
                    stamp,
                )
            )
    insert_rows(
        store, "enrolments", ("patient_id", "programme", "enrolled_on", "detected_on", "created_at"), enrol_rows
    )
    insert_rows(
        store,
        "vaccine_doses",
        ("patient_id", "series", "dose", "given_on", "place", "from_booklet", "created_at"),
        dose_rows,
    )
    insert_rows(store, "followups", ITEM_COLUMNS, item_rows)
    _done_items(store, "vaccine_dose", done_rows, stamp)


def _done_items(store: Store, kind: str, rows: Sequence[tuple[object, object, object, object, object, object]],
                stamp: str) -> None:
    """Reminders done: (patient, label, due, rule, created on, closed on), each with its outcome."""
    first = int(store.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM followups").fetchone()[0])
    insert_rows(
        store,
        "followups",
        ("id", "patient_id", "kind", "label", "due_date", "status", "source", "rule", "created_on", "closed_on",
         "created_at"),
        [(first + i, pid, kind, label, due, "done", "programme", rule, created, closed, stamp)
         for i, (pid, label, due, rule, created, closed) in enumerate(rows)],
    )
    insert_rows(
        store,
        "followup_outcomes",
        ("followup_id", "kind", "recorded_at", "created_at"),
        [(first + i, "done", closed, stamp) for i, (*_rest, closed) in enumerate(rows)],
    )


def _pregnancies(store: Store, rng: random.Random, today: dt.date, stamp: str) -> None:
    rows = store.conn.execute(
        "SELECT patient_id, min(substr(visit_at, 1, 10)), max(substr(visit_at, 1, 10)) FROM visits v "
        "WHERE diagnosis_code = 'Z34.9' AND NOT EXISTS (SELECT 1 FROM enrolments e WHERE e.patient_id = v.patient_id "
        "AND e.programme = 'antenatal') GROUP BY patient_id"
    ).fetchall()
    item_rows = []
    for pid, first, _last in rows:
        first_visit = dt.date.fromisoformat(first)
        lmp = first_visit - dt.timedelta(days=rng.randint(55, 75))
        try:
            pregnancy = antenatal.enrol(first_visit, lmp=lmp)
        except antenatal.PregnancyDateError:
            continue
        store.conn.execute(
            "INSERT INTO enrolments (patient_id, programme, enrolled_on, detected_on, lmp, edd, created_at) "
            "VALUES (?, 'antenatal', ?, ?, ?, ?, ?)",
            (pid, first_visit.isoformat(), first_visit.isoformat(), lmp.isoformat(), pregnancy.edd.isoformat(), stamp),
        )
        visit_days = [
            dt.date.fromisoformat(r[0][:10])
            for r in store.conn.execute("SELECT visit_at FROM visits WHERE patient_id = ? AND antenatal = 1", (pid,))
        ]
        contact = antenatal.next_visit(pregnancy, visit_days)
        if contact:
            label = translate("Antenatal visit {number} (week {week})", "vi").format(
                number=contact.number, week=contact.week
            )
            item_rows.append(
                (
                    pid,
                    "antenatal_visit",
                    label,
                    contact.due_date.isoformat(),
                    "programme",
                    f"antenatal:contact:{contact.number}",
                    None,
                    today.isoformat(),
                    stamp,
                )
            )
        # Tetanus at the first two visits for most, at the first for some, none for a few already
        # protected (the visits marked as the form marks them).
        roll = rng.random()
        tetanus_days = sorted(visit_days)[: 2 if roll < 0.55 else 1 if roll < 0.9 else 0]
        store.conn.executemany(
            "UPDATE visits SET tetanus = 1 WHERE patient_id = ? AND antenatal = 1 AND substr(visit_at, 1, 10) = ?",
            [(pid, day.isoformat()) for day in tetanus_days],
        )
        tetanus = antenatal.tetanus_next(pregnancy, tetanus_days) if roll < 0.9 else None
        if tetanus:
            label = translate("Tetanus dose {dose} (pregnancy)", "vi").format(dose=tetanus.dose)
            item_rows.append(
                (
                    pid,
                    "vaccine_dose",
                    label,
                    tetanus.due_date.isoformat(),
                    "programme",
                    f"antenatal:tetanus:{tetanus.dose}",
                    None,
                    today.isoformat(),
                    stamp,
                )
            )
    insert_rows(store, "followups", ITEM_COLUMNS, item_rows)
    _antenatal_visits_closed(store, stamp)


def _antenatal_visits_closed(store: Store, stamp: str) -> None:
    """Each antenatal visit after the first closed the contact the previous one scheduled, as a
    visit saved in the form does."""
    pregnancies: dict[int, list[antenatal.Pregnancy]] = {}
    for pid, enrolled_on, edd in store.conn.execute(
        "SELECT patient_id, enrolled_on, edd FROM enrolments WHERE programme = 'antenatal' AND edd IS NOT NULL"
    ):
        pregnancies.setdefault(pid, []).append(
            antenatal.Pregnancy(dt.date.fromisoformat(enrolled_on), dt.date.fromisoformat(edd)))
    seen: dict[tuple[int, dt.date], list[dt.date]] = {}
    done = []
    label = translate("Antenatal visit {number} (week {week})", "vi")
    for pid, at in store.conn.execute(
        "SELECT patient_id, substr(visit_at, 1, 10) FROM visits WHERE antenatal = 1 ORDER BY patient_id, visit_at"
    ):
        day = dt.date.fromisoformat(at)
        pregnancy = next((p for p in pregnancies.get(pid, ()) if p.enrolled_on <= day <= p.edd + dt.timedelta(days=21)),
                         None)
        if pregnancy is None:
            continue
        before = seen.setdefault((pid, pregnancy.enrolled_on), [])
        if before:
            contact = antenatal.next_visit(pregnancy, before)
            if contact is not None:
                done.append((pid, label.format(number=contact.number, week=contact.week), contact.due_date.isoformat(),
                             f"antenatal:contact:{contact.number}", before[-1].isoformat(), day.isoformat()))
        before.append(day)
    _done_items(store, "antenatal_visit", done, stamp)


def _outcomes(store: Store, rng: random.Random, today: dt.date, stamp: str) -> None:
    """Calls already made on some overdue items: agreed, remind later, removed with a reason (none
    after the patient's death: their items are removed then, with that reason)."""
    overdue = store.conn.execute(
        "SELECT f.id, f.due_date, p.deceased_date FROM followups f JOIN patients p ON p.id = f.patient_id "
        "WHERE f.status = 'open' AND f.due_date < ? ORDER BY f.id", (today.isoformat(),)
    ).fetchall()
    # (followup id, outcome, recorded on, note, until, reason, recorded at)
    rows: list[tuple[object, str, str, str, str | None, str | None, str]] = []
    removed: list[tuple[str, object]] = []
    reasons = [
        RemovalReason.UNREACHABLE,
        RemovalReason.MOVED_AWAY,
        RemovalReason.TREATED_ELSEWHERE,
        RemovalReason.REFUSED,
        RemovalReason.OTHER,
    ]
    for item_id, due, died in overdue:
        roll = rng.random()
        called = max(dt.date.fromisoformat(due), today - dt.timedelta(days=rng.randint(0, 20)))
        note, reason = "", None
        if roll < 0.10:
            kind, on = OutcomeKind.AGREED, today - dt.timedelta(days=rng.randint(0, 9))
        elif roll < 0.17:
            kind, on = OutcomeKind.REMIND_LATER, called
        elif roll < 0.21:
            kind, on, chosen = OutcomeKind.REMOVED, called, rng.choice(reasons)
            note, reason = "Đi làm xa" if chosen is RemovalReason.OTHER else "", str(chosen)
        else:
            continue
        if died and on.isoformat() > died:
            continue  # no call after the patient's death
        rows.append((item_id, str(kind), on.isoformat(), note, None, reason, stamp))
        if kind is OutcomeKind.REMOVED:
            removed.append((on.isoformat(), item_id))
    insert_rows(
        store,
        "followup_outcomes",
        ("followup_id", "kind", "recorded_at", "note", "until", "reason", "created_at"),
        rows,
    )
    store.conn.executemany("UPDATE followups SET status = 'removed', closed_on = ? WHERE id = ?", removed)


DESTINATIONS = [
    ("Trung tâm Y tế khu vực Tân Sơn", "25010"),
    ("Bệnh viện Đa khoa tỉnh Phú Thọ", "25001"),
    ("Bệnh viện Sản Nhi tỉnh Phú Thọ", "25003"),
]
SIGNS = [
    "Sốt cao 39 độ 3 ngày không đỡ, mệt nhiều",
    "Đau bụng hố chậu phải, phản ứng thành bụng",
    "Huyết áp 180/110 mmHg, đau đầu, chóng mặt",
    "Khó thở, ran rít hai phổi",
    "Vết thương sâu cần khâu, chảy máu nhiều",
]


def _referrals(store: Store, rng: random.Random, today: dt.date) -> None:
    """Slips for the referred visits: numbered per year, some cancelled, some with outcomes."""
    import dataclasses

    from station_app import clock
    from station_app.store import patients, referrals, visits
    from station_app.store.station import load_profile

    profile = load_profile(store)
    # Read in table order and sorted here: ordered by SQLite, the few referred visits would be
    # looked up one by one through the visit-time index of a million visits.
    rows = sorted(store.conn.execute("SELECT visit_at, id FROM visits WHERE referred = 1"))
    for _at, visit_id in rows:
        visit = visits.get(store, visit_id)
        patient = patients.get(store, visit.patient_id) if visit else None
        if visit is None or patient is None:
            continue
        facility, code = rng.choice(DESTINATIONS)
        with clock.pinned(visit.visit_at):
            slip = referrals.prefill(patient, visit, profile, visit.visit_at.date())
            slip = dataclasses.replace(
                slip,
                receiving_facility=facility,
                receiving_facility_code=code,
                reason=rng.choice(["1a", "1a", "1a", "1b", "2"]),
                clinical_signs=slip.clinical_signs or rng.choice(SIGNS),
                condition="Tỉnh, tiếp xúc được, dấu hiệu sinh tồn ổn định",
                direction="Chuyển khám chuyên khoa",
                transport="Xe máy của gia đình",
                transfer_at=visit.visit_at + dt.timedelta(minutes=40),
                signed_on=visit.visit_at.date(),
            )
            issued = referrals.issue(store, slip, visit_id)
            age = (today - visit.visit_at.date()).days
            roll = rng.random()
            if roll < 0.08:
                referrals.cancel(store, int(issued.id or 0), "Người bệnh không đồng ý chuyển, xin điều trị tại trạm")
            elif age > 10 and roll < 0.45:
                referrals.record_outcome(
                    store,
                    int(issued.id or 0),
                    "feedback",
                    visit.visit_at.date() + dt.timedelta(days=7),
                    "Đã điều trị nội trú 5 ngày, ra viện ổn định, chuyển về trạm theo dõi",
                )
            elif age > 10 and roll < 0.75:
                referrals.record_outcome(
                    store, int(issued.id or 0), "arrived", visit.visit_at.date() + dt.timedelta(days=1)
                )
            elif age > 10 and roll < 0.82:
                referrals.record_outcome(
                    store, int(issued.id or 0), "not_gone", visit.visit_at.date() + dt.timedelta(days=3)
                )


def _refills_closed_by_visits(store: Store, refill: str, stamp: str) -> None:
    """Each chronic visit after the first closed the refill item its previous visit scheduled, as a
    visit saved in the form does (the item done on the visit's day, with the visit as its outcome)."""
    conn = store.conn
    conn.execute(
        "CREATE TEMP TABLE demo_closing AS SELECT patient_id, code, previous_id, "
        "substr(previous_at, 1, 10) AS created_on, substr(visit_at, 1, 10) AS closed_on, id AS visit_id FROM ("
        "SELECT id, patient_id, visit_at, diagnosis_code AS code, "
        "lag(id) OVER w AS previous_id, lag(visit_at) OVER w AS previous_at FROM visits "
        "WHERE diagnosis_code IN ('I10', 'E11.9') "
        "WINDOW w AS (PARTITION BY patient_id, diagnosis_code ORDER BY visit_at)"
        ") WHERE previous_id IS NOT NULL"
    )
    first = int(conn.execute("SELECT coalesce(max(id), 0) + 1 FROM followups").fetchone()[0])
    conn.execute(
        "INSERT INTO followups (id, patient_id, kind, label, due_date, status, source, rule, source_visit_id, "
        "created_on, closed_on, created_at) SELECT ? + rowid - 1, patient_id, 'chronic_refill', ? || ' — ' || code, "
        "date(created_on, '+30 days'), 'done', 'programme', "
        "CASE code WHEN 'I10' THEN 'chronic:hypertension' ELSE 'chronic:diabetes' END, previous_id, created_on, "
        "closed_on, ? FROM demo_closing",
        (first, refill, stamp),
    )
    conn.execute(
        "INSERT INTO followup_outcomes (followup_id, kind, recorded_at, visit_id, created_at) "
        "SELECT ? + rowid - 1, 'done', closed_on, visit_id, ? FROM demo_closing",
        (first, stamp),
    )
    conn.execute("DROP TABLE demo_closing")


def _gone(store: Store, moved: dict[int, dt.date], stamp: str) -> None:
    """The patients who died or moved away: their open items removed with that reason on that day
    (items the schedule would have made only later are not there), their programmes closed."""
    conn = store.conn
    gone = [(pid, on.isoformat(), "moved_away") for pid, on in moved.items()]
    gone += [(int(pid), str(on), "died") for pid, on in conn.execute(
        "SELECT id, deceased_date FROM patients WHERE deceased = 1 AND deceased_date IS NOT NULL")]
    conn.execute("CREATE TEMP TABLE demo_gone (patient_id INTEGER PRIMARY KEY, on_day TEXT, reason TEXT)")
    conn.executemany("INSERT INTO demo_gone VALUES (?, ?, ?)", gone)
    later = "SELECT f.id FROM followups f JOIN demo_gone g USING (patient_id) WHERE f.created_on > g.on_day"
    conn.execute(f"DELETE FROM followup_outcomes WHERE followup_id IN ({later})")
    conn.execute(f"DELETE FROM followups WHERE id IN ({later})")
    conn.execute(
        "INSERT INTO followup_outcomes (followup_id, kind, recorded_at, reason, created_at) "
        "SELECT f.id, 'removed', g.on_day, g.reason, ? FROM followups f JOIN demo_gone g USING (patient_id) "
        "WHERE f.status = 'open'",
        (stamp,),
    )
    conn.execute(
        "UPDATE followups SET status = 'removed', closed_on = (SELECT on_day FROM demo_gone g "
        "WHERE g.patient_id = followups.patient_id) "
        "WHERE status = 'open' AND patient_id IN (SELECT patient_id FROM demo_gone)"
    )
    conn.execute(
        "UPDATE enrolments SET "
        "closed_on = (SELECT on_day FROM demo_gone g WHERE g.patient_id = enrolments.patient_id), "
        "closure = (SELECT reason FROM demo_gone g WHERE g.patient_id = enrolments.patient_id) "
        "WHERE closed_on IS NULL AND patient_id IN (SELECT patient_id FROM demo_gone)"
    )
    conn.execute("DROP TABLE demo_gone")
    # The death book (A6): where and of what, as the head records it.
    from station_app.demo_deaths import add_death_records

    add_death_records(store, stamp)
