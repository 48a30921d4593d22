"""Follow-up data for the demo station, made after its patients and visits: chronic patients
enrolled with a mix of on-time and overdue refills, children at every stage of the vaccination
schedule (some behind), pregnancies with their antenatal contacts, revisits, and call outcomes.
Deterministic for a seed and a "today".
"""

from __future__ import annotations

import datetime as dt
import random

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
    """Children under 2 at every stage of the schedule: some on time, some late, some behind."""
    schedule = vaccination.load_schedule()
    limit = today - dt.timedelta(days=730)
    children = store.conn.execute(
        "SELECT id, birth_year, birth_month, birth_day FROM patients WHERE birth_day IS NOT NULL "
        "AND printf('%04d-%02d-%02d', birth_year, birth_month, birth_day) > ?",
        (limit.isoformat(),),
    ).fetchall()
    enrol_rows, dose_rows, item_rows = [], [], []
    place = translate("this station", "vi")
    for pid, year, month, day in children:
        birth = dt.date(year, month, day)
        enrol_rows.append((pid, "vaccination", birth.isoformat(), birth.isoformat(), stamp))
        behaviour = rng.random()  # < 0.6 on time; < 0.85 late; else stopped coming at some point
        stop_after = today if behaviour < 0.85 else birth + dt.timedelta(days=rng.randint(30, 400))
        given: list[vaccination.GivenDose] = []
        # Dose by dose as the child comes; the loop ends when nothing more is given, so the last
        # ``pending`` worked out is already the child's next doses (no card to work out again).
        for _round in range(30):
            pending = vaccination.next_doses(birth, given, today, schedule)
            due = [d for d in pending if d.earliest <= min(today, stop_after)]
            if not due:
                break
            progressed = False
            for d in due:
                delay = rng.randint(0, 10) if behaviour < 0.6 else rng.randint(5, 60)
                when = max(d.earliest, d.due_date) + dt.timedelta(days=delay)
                if when > min(today, stop_after) or (d.last_date and when > d.last_date):
                    continue
                given.append(vaccination.GivenDose(d.series_key, d.number, when, place, rng.random() < 0.1))
                progressed = True
            if not progressed:
                break
        else:
            pending = vaccination.next_doses(birth, given, today, schedule)
        for g in given:
            dose_rows.append((pid, g.series, g.dose, g.given_on.isoformat(), g.place, int(g.from_booklet), stamp))
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
                    today.isoformat(),
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


def _pregnancies(store: Store, rng: random.Random, today: dt.date, stamp: str) -> None:
    rows = store.conn.execute(
        "SELECT patient_id, min(substr(visit_at, 1, 10)), max(substr(visit_at, 1, 10)) FROM visits "
        "WHERE diagnosis_code = 'Z34.9' GROUP BY patient_id"
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
        tetanus = antenatal.tetanus_next(pregnancy, [first_visit] if rng.random() < 0.6 else [])
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


def _outcomes(store: Store, rng: random.Random, today: dt.date, stamp: str) -> None:
    """Calls already made on some overdue items: agreed, remind later, removed with a reason."""
    overdue = store.conn.execute(
        "SELECT id, due_date FROM followups WHERE status = 'open' AND due_date < ? ORDER BY id", (today.isoformat(),)
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
    for item_id, due in overdue:
        roll = rng.random()
        called = max(dt.date.fromisoformat(due), today - dt.timedelta(days=rng.randint(0, 20)))
        if roll < 0.10:
            rows.append(
                (
                    item_id,
                    str(OutcomeKind.AGREED),
                    (today - dt.timedelta(days=rng.randint(0, 9))).isoformat(),
                    "",
                    None,
                    None,
                    stamp,
                )
            )
        elif roll < 0.17:
            rows.append((item_id, str(OutcomeKind.REMIND_LATER), called.isoformat(), "", None, None, stamp))
        elif roll < 0.21:
            reason = rng.choice(reasons)
            note = "Đi làm xa" if reason is RemovalReason.OTHER else ""
            rows.append((item_id, str(OutcomeKind.REMOVED), called.isoformat(), note, None, str(reason), stamp))
            removed.append((called.isoformat(), item_id))
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
    # The death book (A6): where and of what, as the head records it; a stroke for people treated
    # for hypertension, old age from 75, otherwise not determined.
    conn.execute(
        "INSERT INTO deaths (patient_id, died_on, place, cause_code, cause_text, created_at, updated_at) "
        "SELECT p.id, p.deceased_date, CASE WHEN p.id % 4 = 0 THEN 'facility' ELSE 'home' END, c.code, c.name_vi, "
        "?, ? FROM patients p JOIN icd10 c ON c.code = CASE "
        "WHEN EXISTS (SELECT 1 FROM enrolments e WHERE e.patient_id = p.id AND e.programme = 'hypertension') "
        "THEN 'I64' WHEN CAST(substr(p.deceased_date, 1, 4) AS INTEGER) - p.birth_year >= 75 THEN 'R54' "
        "ELSE 'R99' END WHERE p.deceased = 1 AND p.deceased_date IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM deaths d WHERE d.patient_id = p.id)",
        (stamp, stamp),
    )
