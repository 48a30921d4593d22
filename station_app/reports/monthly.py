"""The monthly summary: a calendar month → every indicator of ``indicators.json`` with its value,
its breakdown, the previous month's value beside it, and the ids of the records behind each
value (a drill-down from a cell lists those patients or visits).

Counting is done by SQLite (``GROUP BY`` with ``group_concat`` of the ids) over the month's rows,
found through indexes; Python only folds the groups into cells. Ages are whole years on the
date of the event. Chronic-disease and follow-up figures come from the follow-up store and its
one definition of due / overdue / lost (``station_app.domain.followup.classify``).

``draft`` is a month computed now with the head's corrections; ``current`` is the report as it
stands (the copy as sent when the month is final). The types are ``station_app.domain.monthly``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple

from station_app import clock
from station_app.domain import antenatal, births, icd10, vaccination
from station_app.domain import notifiable as notifiable_list
from station_app.domain.chronic import FASTING_GLUCOSE_TARGET, HYPERTENSION_THRESHOLD
from station_app.domain.coverage import TARGET_GROUPS, TARGET_TITLES, percent
from station_app.domain.followup import (
    _KIND_TITLES,
    _OUTCOME_TITLES,
    _REASON_TITLES,
    _SECTION_TITLES,
    FollowUpItem,
    Kind,
    OutcomeKind,
    RemovalReason,
    Section,
    days_overdue,
    sections_of,
)
from station_app.domain.indicators import Definitions, Indicator, load
from station_app.domain.monthly import (
    Cell,
    IndicatorResult,
    Line,
    Month,
    MonthlySummary,
    Progress,
)
from station_app.i18n import N_, translate
from station_app.store import epi_targets, followups, reports
from station_app.store.database import Store
from station_app.store.station import load_profile

PROGRAMMES = ("hypertension", "diabetes")
_PROGRAMME_TITLES = {"hypertension": N_("Hypertension"), "diabetes": N_("Diabetes")}
MONTH_END_SECTIONS = (Section.OVERDUE, Section.AGREED, Section.LATER, Section.LOST)
CALL_OUTCOMES = (OutcomeKind.AGREED, OutcomeKind.REMIND_LATER, OutcomeKind.NO_ANSWER)
# Removals written by the program itself (a schedule change, a closed programme), not by a call.
SYSTEM_REMOVAL_NOTES = ("schedule", "closed", "delivered", "loss", "moved_away", "treated_elsewhere", "other")
NO_CODE = "-"
NO_CODE_LABEL = N_("No ICD-10 code")
REMOVED_LABEL = N_("Removed: {reason}")
UNKNOWN_PLACE = "unknown"
UNKNOWN_PLACE_LABEL = N_("Not recorded")
PARTS = 8  # the counting steps of one month (``_count``), for the progress bar


def both(source: str, context: str | None = None) -> dict[str, str]:
    """A catalogue string in both languages."""
    return {"vi": translate(source, "vi", context), "en": source}


# -- counting ----------------------------------------------------------------------------------
# (indicator code, line key) → column → [count, id chunks]
Counts = dict[tuple[str, str], dict[str, list]]


def _age(date_sql: str, alias: str = "p") -> str:
    """SQL for whole years between the patient's birth (its midpoint when partial: 1 July for a
    year alone, the 15th for a month and year) and the date in ``date_sql``; NULL when unknown.
    Both dates as the number YYYYMMDD: their difference divided by 10,000 is the age."""
    month = f"coalesce({alias}.birth_month, 7)"
    day = f"coalesce({alias}.birth_day, CASE WHEN {alias}.birth_month IS NULL THEN 1 ELSE 15 END)"
    when = (
        f"(CAST(substr({date_sql}, 1, 4) AS INTEGER) * 10000 + CAST(substr({date_sql}, 6, 2) AS INTEGER) * 100"
        f" + CAST(substr({date_sql}, 9, 2) AS INTEGER))"
    )
    return f"max(({when} - {alias}.birth_year * 10000 - {month} * 100 - {day}) / 10000, 0)"


class _MonthEnd(NamedTuple):
    counted: dict[Section, list[int | str | None]]  # the ids of the items in each of MONTH_END_SECTIONS
    refills: dict[str, list[tuple[FollowUpItem, Section]]]  # each programme's refill items


class _Counter:
    def __init__(self, store: Store, month: Month, defs: Definitions, items: list | None = None,
                 records: bool = True, shared: dict | None = None) -> None:
        self.store = store
        self.shared: dict = shared if shared is not None else {}  # what the month computed serves the month before
        self.month = month
        self.defs = defs
        self.counts: Counts = {}
        self._raw: dict[tuple[str, str, str | None, int | None], list] = {}
        self._open_items: list | None = items
        self._month_end: _MonthEnd | None = None
        self.records = records  # False: counts only (the previous month, shown beside)
        self.start = month.start.isoformat()
        self.next = month.next_start.isoformat()
        self.end = month.end
        self._dims = {ind.code: ind.dimensions for ind in defs.indicators()}
        self._patient_index = self._has_index("patients_report")
        self._visit_index = self._has_index("visits_report")

    def _has_index(self, name: str) -> bool:
        return bool(self.store.scalar("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)))

    def rows(self, sql: str, params: Iterable[object] | dict[str, object] = ()) -> list[tuple]:
        return self.store.conn.execute(sql, params if isinstance(params, dict) else list(params)).fetchall()

    def add(self, code: str, line: str, count: int, ids: str | None, sex: str | None = None,
            age: int | None = None) -> None:
        """Count ``count`` records (ids comma-separated) in a line, by sex and age at the event."""
        slot = self._raw.get((code, line, sex, age))
        if slot is None:
            slot = self._raw[(code, line, sex, age)] = [0, []]
        slot[0] += count
        if ids:
            slot[1].append(ids)

    def finish(self) -> Counts:
        """Fold the (indicator, line, sex, age) groups into the cells of each column."""
        bands = self.defs.age_bands
        column_sets: dict[tuple[tuple[str, ...], str | None, int | None], list[str]] = {}
        for (code, line, sex, age), (count, chunks) in self._raw.items():
            dims = self._dims.get(code, ())
            columns = column_sets.get((dims, sex, age))
            if columns is None:
                columns = ["total"]
                if "sex" in dims and sex in ("1", "2"):
                    columns.append(f"sex:{sex}")
                if "age" in dims and age is not None:
                    columns += [f"age:{b.key}" for b in bands if b.contains(age)]
                column_sets[(dims, sex, age)] = columns
            table = self.counts.setdefault((code, line), {})
            for column in columns:
                cell = table.get(column)
                if cell is None:
                    table[column] = [count, list(chunks)]
                else:
                    cell[0] += count
                    cell[1] += chunks
        self._raw.clear()
        return self.counts

    def month_end(self) -> _MonthEnd:
        """The follow-up items open at the month's end, each placed in its section of the work
        list on that day (``classify``, once for both parts that count them): the ids in each
        section the summary counts, and each programme's refill items with their sections."""
        if self._month_end is None:
            if self._open_items is None:
                self._open_items = load_items(self.store, self.end, self.end)
            end = self.end
            items = [item for item, _rule in self._open_items]
            sections = sections_of(items, end)  # (those made after the month's end are left out below)
            counted: dict[Section, list[int | str | None]] = {section: [] for section in MONTH_END_SECTIONS}
            programme_of = {f"chronic:{programme}": programme for programme in PROGRAMMES}
            refills: dict[str, list[tuple[FollowUpItem, Section]]] = {programme: [] for programme in PROGRAMMES}
            for (item, rule), section in zip(self._open_items, sections, strict=True):
                if item.created_on is not None and item.created_on > end:
                    continue
                ids = counted.get(section)
                if ids is not None:
                    ids.append(item.id)
                programme = programme_of.get(rule)
                if programme is not None:
                    refills[programme].append((item, section))
            self._month_end = _MonthEnd(counted, refills)
        return self._month_end

    def notifiable(self, diseases: notifiable_list.DiseaseList, code: str) -> notifiable_list.Disease | None:
        """``diseases.match(code)``, looked up once per list and code for both months."""
        found = self.shared.setdefault("notifiable", {})
        key = (diseases.version, code)
        if key not in found:
            found[key] = diseases.match(code)
        return found[key]

    def ids(self, column: str) -> str:
        """SQL for the ids of a group's records, comma-separated (NULL when counting only)."""
        return f"group_concat({column})" if self.records else "NULL"

    @property
    def _patients(self) -> str:
        return "patients p INDEXED BY patients_report" if self._patient_index else "patients p"

    # -- visits: consultations, morbidity, antenatal and tetanus visits ------------------------
    def visits(self) -> None:
        emergency = tuple(p.upper() for p in self.defs.emergency_prefixes)
        notifiable = [(key, tuple(c.upper() for c in codes)) for key, codes, _ in self.defs.notifiable]
        groups = notifiable_list.list_on(self.month.start)
        chapters = icd10.load_chapters()
        # Grouped by age class rather than age: the ages of a class are in the same bands.
        classes, ages = _age_classes(self.defs)
        rows = self.rows(
            f"SELECT upper(v.diagnosis_code), v.insurance_paid, v.antenatal, v.tetanus, p.sex, "
            f"{classes.format(age=_age('v.visit_at'))}, count(*), {self.ids('v.id')} "
            f"FROM visits v JOIN {self._patients} ON p.id = v.patient_id "
            "WHERE v.visit_at >= ? AND v.visit_at < ? GROUP BY 1, 2, 3, 4, 5, 6",
            (self.start, self.next),
        )
        targets: dict[str, list[tuple[str, str]]] = {}
        for code, insured, anc, tetanus, sex, age_class, count, ids in rows:
            age = ages[age_class] if age_class else None
            code = (code or "").strip()
            found = targets.get(code)
            if found is None:
                found = targets[code] = [("consult.visits", "")]
                category = code[:3]
                if code.startswith(emergency) and code:
                    found.append(("consult.emergencies", ""))
                chapter = next((c.chapter for c in chapters if c.contains(category)), NO_CODE) if code else NO_CODE
                found.append(("morb.chapters", chapter))
                if code:
                    found.append(("morb.top10", category))
                    found += [("morb.notifiable", key) for key, prefixes in notifiable if code.startswith(prefixes)]
                    disease = self.notifiable(groups, code) if groups else None
                    if disease is not None:
                        found.append(("morb.notifiable_groups", disease.group))
            for indicator, line in found:
                self.add(indicator, line, count, ids, sex, age)
            if insured:
                self.add("consult.insured", "", count, ids, sex, age)
            if anc:
                self.add("mch.anc_visits", "", count, ids)
            if tetanus:
                self.add("epi.tetanus_pregnant", "", count, ids)

    def visits_per_day(self) -> list[tuple[str, int]]:
        found = dict(
            self.rows(
                "SELECT substr(visit_at, 1, 10), count(*) FROM visits WHERE visit_at >= ? AND visit_at < ? GROUP BY 1",
                (self.start, self.next),
            )
        )
        return [(d.isoformat(), int(found.get(d.isoformat(), 0))) for d in self.month.days()]

    # -- people and referrals ------------------------------------------------------------------
    def people(self) -> None:
        for sex, age, count, ids in self.rows(
            f"SELECT p.sex, {_age('p.created_at')}, count(*), group_concat(p.id) FROM patients p "
            "WHERE p.created_at >= ? AND p.created_at < ? AND p.merged_into IS NULL GROUP BY 1, 2",
            (self.start, self.next),
        ):
            self.add("consult.new_patients", "", count, ids, sex, age)
        for sex, age, count, ids in self.rows(
            f"SELECT p.sex, {_age('p.deceased_date')}, count(*), group_concat(p.id) FROM patients p "
            "WHERE p.deceased_date >= ? AND p.deceased_date < ? AND p.merged_into IS NULL GROUP BY 1, 2",
            (self.start, self.next),
        ):
            self.add("consult.deaths", "", count, ids, sex, age)
        for column, code in (("issued_at", "consult.referrals"), ("feedback_on", "consult.referral_feedback")):
            for sex, age, count, ids in self.rows(
                f"SELECT p.sex, {_age('r.' + column)}, count(*), group_concat(r.id) FROM referrals r "
                f"JOIN patients p ON p.id = r.patient_id WHERE r.status = 'issued' AND r.{column} >= ? "
                f"AND r.{column} < ? GROUP BY 1, 2",
                (self.start, self.next),
            ):
                self.add(code, "", count, ids, sex, age)

    # -- births and deaths (the delivery book A4, the death book A6) ----------------------------
    def births_deaths(self) -> None:
        chapters = icd10.load_chapters()
        groups = notifiable_list.list_on(self.month.start)
        for pid, sex, age, place, code in self.rows(
            f"SELECT p.id, p.sex, {_age('p.deceased_date')}, coalesce(d.place, ''), upper(coalesce(d.cause_code, '')) "
            "FROM patients p LEFT JOIN deaths d ON d.patient_id = p.id "
            "WHERE p.deceased_date >= ? AND p.deceased_date < ? AND p.merged_into IS NULL",
            (self.start, self.next),
        ):
            ids = str(pid)
            self.add("consult.deaths_place", place or UNKNOWN_PLACE, 1, ids, sex, age)
            chapter = next((c.chapter for c in chapters if c.contains(code[:3])), NO_CODE) if code else NO_CODE
            self.add("morb.death_chapters", chapter, 1, ids, sex, age)
            disease = self.notifiable(groups, code) if groups and code else None
            if disease is not None:
                self.add("morb.communicable_deaths", disease.group, 1, ids, sex, age)
        for did, place, attendant in self.rows(
            "SELECT id, place, attendant_kind FROM deliveries WHERE delivered_at >= ? AND delivered_at < ?",
            (self.start, self.next),
        ):
            self.add("mch.deliveries_place", place, 1, str(did))
            if attendant == births.Attendant.HEALTH_STAFF.value:
                self.add("mch.deliveries_attended", "", 1, str(did))
        for bid, outcome, sex, weight, born_at, hepb_at in self.rows(
            "SELECT b.id, b.outcome, b.sex, b.weight_grams, d.delivered_at, "
            "(SELECT coalesce(v.given_at, v.given_on) FROM vaccine_doses v WHERE v.patient_id = b.child_id "
            " AND v.series = 'hepb0' ORDER BY v.given_on LIMIT 1) "
            "FROM births b JOIN deliveries d ON d.id = b.delivery_id "
            "WHERE d.delivered_at >= ? AND d.delivered_at < ?",
            (self.start, self.next),
        ):
            ids = str(bid)
            if outcome != births.Outcome.LIVE.value:
                self.add("mch.stillbirths", "", 1, ids)
                continue
            self.add("mch.live_births", "", 1, ids, sex)
            if weight is not None and weight < births.LOW_BIRTH_WEIGHT:
                self.add("mch.low_birth_weight", "", 1, ids)
            born, hepb = dt.datetime.fromisoformat(born_at), dt.datetime.fromisoformat(hepb_at) if hepb_at else None
            if births.hepb_within_24h(born, hepb):
                self.add("epi.hepb_24h_births", "", 1, ids)

    # -- chronic disease -----------------------------------------------------------------------
    def chronic(self) -> None:
        end, start, nxt = self.end.isoformat(), self.start, self.next
        programmes = ",".join(f"'{p}'" for p in PROGRAMMES)
        managed = (
            f"e.programme IN ({programmes}) AND e.enrolled_on <= :end AND (e.closed_on IS NULL OR e.closed_on > :end)"
        )
        sys_bp, dia_bp = HYPERTENSION_THRESHOLD
        params = {"end": end, "start": start, "next": nxt, "sys": sys_bp, "dia": dia_bp,
                  "glucose": FASTING_GLUCOSE_TARGET}
        rows = self.rows(
            "SELECT programme, ok, seen, count(*), group_concat(id) FROM ("
            " SELECT e.id, e.programme,"
            " CASE e.programme WHEN 'hypertension' THEN"
            "  (SELECT v.bp_systolic < :sys AND v.bp_diastolic < :dia FROM visits v WHERE v.patient_id = e.patient_id"
            "   AND v.bp_systolic IS NOT NULL AND v.visit_at < :next ORDER BY v.visit_at DESC LIMIT 1)"
            " ELSE (SELECT v.glucose < :glucose FROM visits v WHERE v.patient_id = e.patient_id"
            "   AND v.glucose IS NOT NULL AND v.visit_at < :next ORDER BY v.visit_at DESC LIMIT 1) END AS ok,"
            " EXISTS (SELECT 1 FROM visits v WHERE v.patient_id = e.patient_id AND v.visit_at >= :start"
            "   AND v.visit_at < :next) AS seen"
            f" FROM enrolments e WHERE {managed}) GROUP BY 1, 2, 3",
            params,
        )
        for programme, ok, seen, count, ids in rows:
            self.add("ncd.managed", programme, count, ids)
            if ok:
                self.add("ncd.controlled", programme, count, ids)
            if seen:
                self.add("ncd.seen", programme, count, ids)
        for programme, count, ids in self.rows(
            f"SELECT programme, count(*), group_concat(id) FROM enrolments WHERE programme IN ({programmes}) "
            "AND detected_on >= ? AND detected_on < ? GROUP BY 1",
            (start, nxt),
        ):
            self.add("ncd.new", programme, count, ids)
        # Overdue and lost: the follow-up list's own classification of each refill item on the
        # month's last day; a patient counts by their latest refill appointment.
        enrolment_of = {
            (programme, pid): eid
            for eid, programme, pid in self.rows(
                f"SELECT e.id, e.programme, e.patient_id FROM enrolments e WHERE {managed}", {"end": end}
            )
        }
        min_days = int(str(self.defs.indicator("ncd.overdue").options.get("min_days_overdue", 31)))
        closed = (Section.DONE, Section.REMOVED)
        for programme, refills in self.month_end().refills.items():
            latest: dict[int, tuple[FollowUpItem, Section]] = {}
            for item, section in refills:
                pid = int(item.patient_id)
                if section in closed or (programme, pid) not in enrolment_of:
                    continue  # (closed by the month's end, or not under management)
                if pid not in latest or item.due_date > latest[pid][0].due_date:
                    latest[pid] = (item, section)
            overdue, lost = [], []
            for pid, (item, section) in latest.items():
                if section is Section.LOST:
                    lost.append(enrolment_of[(programme, pid)])
                elif section in (Section.OVERDUE, Section.AGREED, Section.LATER) and days_overdue(
                    item, self.end
                ) >= min_days:
                    overdue.append(enrolment_of[(programme, pid)])
            self.add("ncd.overdue", programme, len(overdue), ",".join(map(str, overdue)) if self.records else None)
            self.add("ncd.lost", programme, len(lost), ",".join(map(str, lost)) if self.records else None)

    # -- mother and child ----------------------------------------------------------------------
    def maternal(self) -> None:
        for count, ids in self.rows(
            "SELECT count(*), group_concat(id) FROM enrolments WHERE programme = 'antenatal' "
            "AND enrolled_on >= ? AND enrolled_on < ?",
            (self.start, self.next),
        ):
            self.add("mch.pregnancies", "", count, ids)
        deliveries = self.rows(
            "SELECT id, patient_id, enrolled_on, edd, closed_on FROM enrolments WHERE programme = 'antenatal' "
            "AND closure = ? AND closed_on >= ? AND closed_on < ? ORDER BY id",
            (antenatal.Closure.DELIVERED.value, self.start, self.next),
        )
        self.add("mch.deliveries", "", len(deliveries), ",".join(str(r[0]) for r in deliveries))
        complete, postnatal = [], []
        days = self.defs.postnatal_days
        for eid, pid, enrolled_on, edd, closed_on in deliveries:
            delivered = dt.date.fromisoformat(closed_on)
            if edd:
                pregnancy = antenatal.Pregnancy(dt.date.fromisoformat(enrolled_on), dt.date.fromisoformat(edd))
                seen = [
                    dt.date.fromisoformat(r[0][:10])
                    for r in self.rows(
                        "SELECT visit_at FROM visits WHERE patient_id = ? AND antenatal = 1 AND visit_at >= ? "
                        "AND visit_at < ?",
                        (pid, pregnancy.dating_lmp.isoformat(), (delivered + dt.timedelta(days=1)).isoformat()),
                    )
                ]
                trimesters = {pregnancy.gestational_age(day).trimester for day in seen}
                if len(seen) >= 4 and trimesters >= {1, 2, 3}:
                    complete.append(eid)
            if self.store.scalar(
                "SELECT 1 FROM visits WHERE patient_id = ? AND visit_at >= ? AND visit_at < ? AND antenatal = 0",
                (pid, delivered.isoformat(), (delivered + dt.timedelta(days=days + 1)).isoformat()),
            ):
                postnatal.append(eid)
        self.add("mch.anc4_3t", "", len(complete), ",".join(map(str, complete)))
        self.add("mch.postnatal_w1", "", len(postnatal), ",".join(map(str, postnatal)))

    # -- immunisation --------------------------------------------------------------------------
    def immunisation(self) -> None:
        for series, count, ids in self.rows(
            "SELECT series, count(*), group_concat(id) FROM vaccine_doses WHERE given_on >= ? AND given_on < ? "
            "AND from_booklet = 0 GROUP BY 1",
            (self.start, self.next),
        ):
            self.add("epi.doses", series, count, ids)
        complete = [pid for pid, day in self._fully_immunised_this_year() if day >= self.start]
        self.add("epi.full_u1", "", len(complete), ",".join(map(str, complete)))
        for count, ids in self.rows(
            "SELECT count(*), group_concat(d.id) FROM vaccine_doses d JOIN patients p ON p.id = d.patient_id "
            "WHERE d.series = 'hepb0' AND d.given_on >= ? AND d.given_on < ? AND p.birth_day IS NOT NULL "
            "AND julianday(d.given_on) - julianday(printf('%04d-%02d-%02d', p.birth_year, p.birth_month, "
            "p.birth_day)) BETWEEN 0 AND 1",
            (self.start, self.next),
        ):
            self.add("epi.hepb_24h", "", count, ids)
        self.coverage()

    def coverage(self) -> None:
        """People vaccinated from 1 January to the period's end, and that against the year's target.
        The month before, when in the same year, is read off the current month's people (each with
        the day they first counted), not counted again."""
        year = self.month.start.year
        wanted = epi_targets.targets(self.store, year)
        for group in TARGET_GROUPS:
            self.add("epi.target", group, wanted.get(group, 0), None)
        ind = next((i for i in self.defs.indicators() if i.code == "epi.coverage_given"), None)
        lines = _coverage_lines(ind)
        found = self.shared.get("coverage")
        if found is not None and found[0] == year and found[1] >= self.next:
            people = {key: {pid: day for pid, day in days.items() if day < self.next} for key, days in found[2].items()}
        else:
            people = self._coverage_people(lines, f"{year:04d}-01-01")
            self.shared["coverage"] = (year, self.next, people)
        for line in lines:
            key = str(line["key"])
            ids = sorted(people.get(key, {}))
            self.add("epi.coverage_given", key, len(ids), ",".join(map(str, ids)) if self.records else None)
            self.add("epi.coverage", key, percent(len(ids), wanted.get(str(line["target"]), 0)), None)

    def _coverage_people(self, lines: list[dict], year_start: str) -> dict[str, dict[int, str]]:
        """Per coverage line, each person counted from ``year_start`` to the period's end, with the
        day they first counted."""
        people: dict[str, dict[int, str]] = {}
        doses = {(str(line["series"]), int(line["dose"])): str(line["key"])
                 for line in lines if not line.get("special")}
        if doses:
            pairs = " OR ".join("(series = ? AND dose = ?)" for _ in doses)
            for series, dose, pid, day in self.rows(
                "SELECT series, dose, patient_id, min(given_on) FROM vaccine_doses "
                f"WHERE given_on >= ? AND given_on < ? AND from_booklet = 0 AND ({pairs}) GROUP BY 1, 2, 3",
                (year_start, self.next, *[x for pair in doses for x in pair]),
            ):
                people.setdefault(doses[(series, dose)], {})[int(pid)] = str(day)
        for line in lines:
            special = line.get("special")
            if not special:
                people.setdefault(str(line["key"]), {})
                continue
            if special == "full_u1":
                rows = self._fully_immunised_this_year()
            else:
                rows = self.rows(
                    "SELECT patient_id, min(substr(visit_at, 1, 10)) FROM visits WHERE tetanus = 1 AND visit_at >= ? "
                    "AND visit_at < ? GROUP BY patient_id", (year_start, self.next))
            people[str(line["key"])] = {int(pid): str(day) for pid, day in rows}
        return people

    def _fully_immunised_this_year(self) -> list[tuple[int, str]]:
        """(child, day of the last required dose) of the children fully immunised from 1 January to
        the period's end, by child: read once for the month and the month before in the same year
        (the month's own children are those whose day falls in it)."""
        year = self.month.start.year
        found = self.shared.get("full_u1")
        if found is None or found[0] != year or found[1] < self.next:
            found = self.shared["full_u1"] = (
                year, self.next, self._fully_immunised(f"{year:04d}-01-01"))
        return [(pid, day) for pid, day in found[2] if day < self.next]

    def _fully_immunised(self, start: str) -> list[tuple[int, str]]:
        """(child, day of the last dose) of the children whose every required dose (its first
        record) is given, the last of them from ``start`` to the period's end and before the first
        birthday (so born less than a year before ``start``), by child."""
        required = self.defs.fully_immunised
        marks = ",".join("?" * len(required))
        wanted = " OR ".join("(series = ? AND dose BETWEEN 1 AND ?)" for _ in required)
        # The children given a required dose in the period, for a month; for a longer span, those
        # born since the year before (fewer than the doses of a year).
        if start == self.start and not self.month.is_year:
            candidates = ("SELECT patient_id FROM vaccine_doses WHERE given_on >= ? AND given_on < ? "
                          f"AND series IN ({marks})")
            among: tuple = (start, self.next, *required)
        else:
            candidates = "SELECT id FROM patients WHERE birth_year >= ? AND birth_day IS NOT NULL"
            among = (int(start[:4]) - 1,)
        found = sorted(
            (r[0], r[1])
            for r in self.rows(
                "SELECT g.patient_id, max(g.given) FROM ("
                " SELECT patient_id, series, dose, min(given_on) AS given FROM vaccine_doses"
                f" WHERE patient_id IN ({candidates}) AND ({wanted}) GROUP BY patient_id, series, dose"
                ") g JOIN patients p ON p.id = g.patient_id WHERE p.birth_day IS NOT NULL AND p.birth_year >= ? "
                "GROUP BY g.patient_id, p.birth_year, p.birth_month, p.birth_day "
                "HAVING count(*) = ? AND max(g.given) >= ? AND max(g.given) < ? "
                "AND max(g.given) < date(printf('%04d-%02d-%02d', p.birth_year, p.birth_month, p.birth_day), "
                "'+12 months') ORDER BY g.patient_id",
                (*among, *[x for pair in required.items() for x in pair],
                 int(start[:4]) - 1, sum(required.values()), start, self.next),
            )
        )
        return found

    # -- follow-up work ------------------------------------------------------------------------
    def follow_up(self) -> None:
        for kind, count, ids in self.rows(
            f"SELECT kind, count(*), {self.ids('id')} FROM followups WHERE due_date >= ? AND due_date < ? GROUP BY 1",
            (self.start, self.next),
        ):
            self.add("fu.due", kind, count, ids)
        for kind, count, ids in self.rows(
            f"SELECT kind, count(*), {self.ids('id')} FROM followups WHERE status = 'done' AND closed_on >= ? "
            "AND closed_on < ? GROUP BY 1",
            (self.start, self.next),
        ):
            self.add("fu.done", kind, count, ids)
        for section, ids in self.month_end().counted.items():
            self.add("fu.month_end", section.value, len(ids), ",".join(map(str, ids)) if self.records else None)
        notes = ",".join("?" * len(SYSTEM_REMOVAL_NOTES))
        for kind, reason, count, ids in self.rows(
            f"SELECT kind, coalesce(reason, ''), count(*), {self.ids('id')} FROM followup_outcomes "
            "WHERE recorded_at >= ? AND recorded_at < ? AND kind IN ('agreed', 'remind_later', 'no_answer', 'removed') "
            f"AND NOT (kind = 'removed' AND coalesce(reason, '') IN ('', 'other') AND note IN ({notes})) GROUP BY 1, 2",
            (self.start, self.next, *SYSTEM_REMOVAL_NOTES),
        ):
            self.add("fu.outcomes", kind if kind != "removed" else f"removed:{reason or 'other'}", count, ids)


    # -- medicines (the prescriptions of the month's visits and the stock ledger) ----------------
    def medicines(self) -> None:
        # The month's visits with a prescription, and their patients (each once). (The visits are
        # looked up among the lines in the order of their ids: neighbouring pages, each read once.)
        [(visits, people, visit_ids, patient_ids)] = self.rows(
            f"SELECT count(*), count(DISTINCT v.patient_id), {self.ids('v.id')}, {self.ids('DISTINCT v.patient_id')} "
            "FROM (SELECT id, patient_id FROM visits WHERE visit_at >= ? AND visit_at < ? ORDER BY id) v "
            "WHERE EXISTS (SELECT 1 FROM prescription_lines l WHERE l.visit_id = v.id)",
            (self.start, self.next),
        )
        if visits:
            self.add("med.prescriptions", "", visits, visit_ids)
        self.add("med.patients", "", people, patient_ids)
        # Lines and value from the ledger: given out less brought back in the month, at the lot's price.
        # (The value is added up here, line by line in the order of their ids, as it always was.)
        value = 0.0
        kept: list[int] = []
        for line_id, net, worth in self.rows(
            "SELECT m.prescription_line_id, -sum(m.delta), -sum(m.delta * l.unit_price) FROM stock_movements m "
            "JOIN stock_lots l ON l.id = m.lot_id WHERE m.kind IN ('dispensed', 'returned') AND m.on_date >= ? "
            "AND m.on_date < ? AND m.prescription_line_id IS NOT NULL GROUP BY 1 ORDER BY 1",
            (self.start, self.next),
        ):
            value += worth
            if net > 1e-9:
                kept.append(line_id)
        if kept:
            self.add("med.lines", "", len(kept), ",".join(map(str, kept)) if self.records else None)
        self.add("med.value", "", round(value), None)
        # The formulary's drugs (in it by the month's end, not retired) with nothing usable on the
        # month's last day: each lot's balance then is its balance now less the movements after.
        end = self.end.isoformat()
        for did, in self.rows(
            "SELECT d.id FROM drugs d WHERE d.superseded = 0 "
            "AND (SELECT min(o.valid_from) FROM drugs o WHERE o.code = d.code) <= :end "
            "AND (d.retired_on IS NULL OR d.retired_on > :end) AND NOT EXISTS ("
            " SELECT 1 FROM stock_lots l WHERE l.drug_code = d.code AND l.expiry >= :end AND l.balance"
            " - coalesce((SELECT sum(m.delta) FROM stock_movements m WHERE m.lot_id = l.id AND m.on_date > :end), 0)"
            " > 0.0005) ORDER BY d.code",
            {"end": end},
        ):
            self.add("med.out_of_stock", "", 1, str(did))
        for lid, in self.rows(
            "SELECT l.id FROM stock_lots l WHERE l.expiry >= ? AND l.expiry < ? AND l.balance - coalesce(("
            " SELECT sum(m.delta) FROM stock_movements m WHERE m.lot_id = l.id AND m.on_date > l.expiry), 0)"
            " > 0.0005 ORDER BY l.expiry, l.id",
            (self.start, self.next),
        ):
            self.add("med.expired_lots", "", 1, str(lid))


def _age_classes(defs: Definitions) -> tuple[str, dict[str, int]]:
    """SQL that puts an age (``{age}``, 0 or more, NULL when unknown) in its class — the ages
    between two neighbouring limits of the age bands, which are all in the same bands — as one
    letter, and the youngest age of each class by its letter (the age counted for the class)."""
    limits = {band.min for band in defs.age_bands} | {band.max for band in defs.age_bands if band.max is not None}
    top = max(limits, default=0)
    letters = "".join(chr(ord("A") + sum(age >= limit for limit in limits)) for age in range(top + 1))
    youngest: dict[str, int] = {}
    for age, letter in enumerate(letters):
        youngest.setdefault(letter, age)
    return f"substr('{letters}', min({{age}}, {top}) + 1, 1)", youngest


def _coverage_lines(ind: Indicator | None) -> list[dict]:
    """The lines of the coverage indicators, as the definitions give them (``lines``)."""
    found = ind.options.get("lines") if ind is not None else None
    return [line for line in found if isinstance(line, dict)] if isinstance(found, list) else []


def load_items(store: Store, day: dt.date, since: dt.date) -> list[tuple[FollowUpItem, str]]:
    """``(item, rule)`` of the follow-up items open at the end of any day from ``since`` to ``day``
    (one load serves the month and the month before)."""
    return followups.items_and_rules_open_on(store, day, since)


# -- lines of each indicator -------------------------------------------------------------------
def _fixed_lines(store: Store, ind: Indicator, defs: Definitions, current: Counts) -> list[tuple[str, dict[str, str]]]:
    kind = ind.rows
    if kind == "single":
        return [("", dict(ind.name))]
    if kind == "icd_chapter":
        lines = [(c.chapter, {"vi": f"{c.chapter}. {c.name_vi}", "en": f"{c.chapter}. {c.name_en}"})
                 for c in icd10.load_chapters()]
        return [*lines, (NO_CODE, both(NO_CODE_LABEL))]
    if kind == "top_diagnoses":
        limit = int(ind.options.get("top", 10))  # type: ignore[call-overload]
        ranked = sorted(
            ((line, table["total"][0]) for (code, line), table in current.items() if code == ind.code),
            key=lambda pair: (-pair[1], pair[0]),
        )[:limit]
        names = {}
        for code, name_vi, name_en in store.conn.execute(
            f"SELECT code, name_vi, name_en FROM icd10 WHERE code IN ({','.join('?' * len(ranked))})",
            [c for c, _ in ranked],
        ):
            names[code] = {"vi": f"{code} {name_vi}", "en": f"{code} {name_en}"}
        return [(c, names.get(c, {"vi": c, "en": c})) for c, _ in ranked]
    if kind == "notifiable":
        return [(key, dict(name)) for key, _, name in defs.notifiable]
    if kind == "programme":
        return [(p, both(_PROGRAMME_TITLES[p])) for p in PROGRAMMES]
    if kind == "notifiable_group":
        found = notifiable_list.lists()[-1]
        return [(g, {lang: found.group_title(g, lang) for lang in ("vi", "en")}) for g in notifiable_list.GROUPS]
    if kind == "death_place":
        return [*((str(p), both(births.PLACE_TITLES[p])) for p in births.DEATH_PLACES),
                (UNKNOWN_PLACE, both(UNKNOWN_PLACE_LABEL))]
    if kind == "delivery_place":
        return [(str(p), both(births.PLACE_TITLES[p])) for p in births.DELIVERY_PLACES]
    if kind == "epi_target":
        return [(g, both(TARGET_TITLES[g])) for g in TARGET_GROUPS]
    if kind == "coverage":
        given = next((i for i in defs.indicators() if i.code == "epi.coverage_given"), ind)
        return [(str(line["key"]), dict(line["name"])) for line in _coverage_lines(given)]
    if kind == "antigen":
        return [(s.key, {"vi": s.name("vi"), "en": s.name("en")}) for s in vaccination.load_schedule().series]
    if kind == "followup_kind":
        return [(k.value, both(_KIND_TITLES[k])) for k in Kind]
    if kind == "section":
        return [(s.value, both(_SECTION_TITLES[s])) for s in MONTH_END_SECTIONS]
    if kind == "outcome":
        lines = [(o.value, both(_OUTCOME_TITLES[o])) for o in CALL_OUTCOMES]
        for reason in RemovalReason:
            text = {lang: translate(REMOVED_LABEL, lang).format(reason=translate(_REASON_TITLES[reason], lang))
                    for lang in ("vi", "en")}
            lines.append((f"removed:{reason.value}", text))
        return lines
    raise ValueError(f"unknown kind of lines {kind!r} for {ind.code}")


def _count(store: Store, month: Month, defs: Definitions, progress: Progress | None, step: int, steps: int,
           items: list | None = None, records: bool = True,
           shared: dict | None = None) -> tuple[Counts, list[tuple[str, int]]]:
    counter = _Counter(store, month, defs, items, records, shared)
    parts = (counter.visits, counter.people, counter.births_deaths, counter.chronic, counter.maternal,
             counter.immunisation, counter.follow_up, counter.medicines)
    for number, part in enumerate(parts, start=1):
        part()
        if progress:
            progress(step + number, steps)
    return counter.finish(), counter.visits_per_day() if records else []


def compute(store: Store, month: Month, progress: Progress | None = None,
            definitions: Definitions | None = None, previous_month: bool = True) -> MonthlySummary:
    """The draft summary of ``month`` with the previous month beside each value (computed too,
    unless ``previous_month`` is False: then the caller fills ``Cell.previous`` in)."""
    defs = definitions or load()
    own = not store.conn.in_transaction
    if own:
        store.conn.execute("BEGIN")  # one read snapshot for both months
    try:
        # (Tens of thousands of small objects and no cycles: the collector would walk them over and over.)
        with followups.cycle_collection_paused():
            steps = 2 * PARTS if previous_month else PARTS
            items = load_items(store, month.end, month.previous().end if previous_month else month.end)
            shared: dict = {}
            current, per_day = _count(store, month, defs, progress, 0, steps, items, shared=shared)
            previous: Counts = {}
            if previous_month:
                previous, _ = _count(store, month.previous(), defs, progress, PARTS, steps, items, records=False,
                                     shared=shared)
    finally:
        if own:
            store.conn.execute("COMMIT")
    results = []
    if month.is_year:  # the year: every indicator valid on some day of it
        indicators = [ind for ind in defs.indicators()
                      if ind.valid_from <= month.end and (ind.valid_to is None or ind.valid_to >= month.start)]
    else:
        indicators = defs.indicators(month.start)
    for ind in indicators:
        columns = defs.columns(ind)
        lines = []
        for key, names in _fixed_lines(store, ind, defs, current):
            now = current.get((ind.code, key), {})
            before = previous.get((ind.code, key), {})
            cells = {}
            for column in columns:
                count, chunks = now.get(column, [0, []])
                earlier = int(before.get(column, [0])[0]) if previous_month else None
                cells[column] = Cell(int(count), earlier, list(chunks))
            lines.append(Line(key, names, cells))
        results.append(IndicatorResult(ind, columns, lines))
    used = {ind.block for ind in indicators}
    profile = load_profile(store)
    station = {
        "name": profile.name,
        "governing_body": profile.governing_body,
        "commune": profile.commune,
        "province": profile.province,
        "facility_code": profile.facility_code,
        "address": profile.address,
        "head_name": profile.head_name,
        "head_title": profile.head_title,
    }
    return MonthlySummary(
        month=month,
        definitions_version=defs.version,
        generated_at=clock.now().isoformat(sep=" ", timespec="seconds"),
        station=station,
        blocks=[(b.code, dict(b.name)) for b in defs.blocks if b.code in used],
        indicators=results,
        visits_per_day=per_day,
        definitions=defs,
    )


# -- the report of a month: the draft, or the copy as sent ---------------------------------------
def draft(store: Store, month: Month, progress: Progress | None = None) -> MonthlySummary:
    """The month computed from the records now, with the head's corrections; the previous
    month's values are those sent when it was finalised."""
    sent = reports.latest_data(store, month.previous())
    summary = compute(store, month, progress, previous_month=sent is None)
    summary.apply_corrections(reports.corrections(store, month))
    if sent is not None:
        before = MonthlySummary.from_dict(sent)
        reported = {key: cell.reported for key, cell in before.cells()}
        for key, cell in summary.cells():
            if key in reported:
                cell.previous = reported[key]
    return summary


def current(store: Store, month: Month, progress: Progress | None = None) -> tuple[MonthlySummary, str]:
    """What the report of ``month`` is now: the frozen copy when final, else the draft."""
    if reports.state(store, month).is_final:
        return reports.final_summary(store, month), reports.FINAL
    return draft(store, month, progress), reports.DRAFT
