"""Deliveries, births and deaths in the database (the delivery book A4 and the death book A6).

``record_delivery`` saves a delivery on the mother's record in one transaction: the delivery, one
``births`` row per baby, a patient record for each live-born baby (the mother as guardian; the
name may come later), the baby's enrolment in the vaccination schedule, the birth doses given at
the birth facility (with their time and place: they count wherever they were given), and the
closing of the mother's open pregnancy. ``record_death`` saves a death (date, place, ICD-10
cause): the patient is marked deceased everywhere, their follow-ups and programmes are closed, the
record is kept. Neither is dated across a death: no delivery after the mother's, no death before
the person's last visit, delivery or dose (``lifespan``). Both are audited; the head corrects
either with a reason (the audit entry keeps the values before and after).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, replace

from station_app import clock
from station_app.domain import antenatal, births
from station_app.domain.accounts import Permission
from station_app.domain.births import Attendant, Baby, Death, Delivery, Outcome, Place
from station_app.domain.dates import PartialDate
from station_app.domain.patient import Patient
from station_app.domain.problems import Problem, errors
from station_app.i18n import N_, translate
from station_app.store import audit, followups, lifespan
from station_app.store import patients as patient_store
from station_app.store.database import Store, now_text
from station_app.store.errors import StoreError

THIS_STATION = N_("this station")


class EntryRefused(StoreError):
    """Something about the entry (a field, the patient) stops it from being saved."""

    message = N_("The entry could not be saved.")

    def __init__(self, **params: object) -> None:
        super().__init__("", "", **params)


class InvalidEntry(EntryRefused):
    message = N_("Check these fields: {fields}")

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(fields="")

    def text(self, lang: str | None = None) -> str:
        from station_app import i18n

        previous = i18n.language()
        if lang:
            i18n.set_language(lang)
        try:
            fields = "; ".join(f"{births.field_label(p.field)}: {p.text(lang)}" for p in self.problems)
        finally:
            if lang:
                i18n.set_language(previous)
        return translate(self.message, lang).format(fields=fields)


class PatientMissing(EntryRefused):
    message = N_("There is no patient {id}.")


class NotAWoman(EntryRefused):
    message = N_("A delivery is recorded on the mother's record: {name} is not recorded as a woman.")


class DeliveryTooClose(EntryRefused):
    message = N_("A delivery of {name} is already recorded on {date}: twins are one delivery with every baby "
                 "in it. Check the date, or correct the delivery already recorded.")


class DeathAlreadyRecorded(EntryRefused):
    message = N_("The death of {name} is already recorded: correct it instead.")


class EntryMissing(EntryRefused):
    message = N_("The entry {id} does not exist.")


class ReasonMissing(EntryRefused):
    message = N_("Write the reason for the correction.")


def _vi(source: str) -> str:
    return translate(source, "vi")


def _minutes(at: dt.datetime) -> str:
    return at.isoformat(sep=" ", timespec="minutes")


def _refuse_errors(problems: list[Problem]) -> None:
    wrong = errors(problems)
    if wrong:
        raise InvalidEntry(wrong)


def _patient(store: Store, patient_id: int) -> Patient:
    found = patient_store.get(store, patient_id)
    if found is None:
        raise PatientMissing(id=patient_id)
    return found


def _birth_day(p: Patient) -> dt.date | None:
    b = p.birth
    if b is None:
        return None
    return dt.date(b.year, b.month or 1, b.day or 1)


def dose_place(d: Delivery) -> str:
    """Where the birth doses were given: the birth facility's name (this station's, the other
    facility's), or "at home"."""
    if d.place is Place.STATION:
        return _vi(THIS_STATION)
    if d.place is Place.FACILITY:
        return d.place_name.strip()
    return d.place_name.strip() or _vi(births.PLACE_TITLES[Place.HOME])


def _record_birth_dose(store: Store, child_id: int, series: str, at: dt.datetime, place: str) -> None:
    store.conn.execute(
        "INSERT INTO vaccine_doses (patient_id, series, dose, given_on, given_at, place, from_booklet, created_at) "
        "VALUES (?, ?, 1, ?, ?, ?, 0, ?)",
        (child_id, series, at.date().isoformat(), _minutes(at), place, now_text()),
    )


# -- deliveries ---------------------------------------------------------------------------------
def delivery_near(store: Store, mother_id: int, at: dt.datetime) -> dt.datetime | None:
    """When the mother's recorded delivery closest to ``at`` took place, if it is closer than
    ``MIN_DELIVERY_INTERVAL`` (the same birth, or a twin)."""
    found = store.scalar(
        "SELECT delivered_at FROM deliveries WHERE mother_id = ? AND delivered_at > ? AND delivered_at < ? "
        "ORDER BY abs(julianday(delivered_at) - julianday(?)) LIMIT 1",
        (mother_id, _minutes(at - births.MIN_DELIVERY_INTERVAL), _minutes(at + births.MIN_DELIVERY_INTERVAL),
         _minutes(at)))
    return dt.datetime.fromisoformat(str(found)) if found else None


def record_delivery(store: Store, delivery: Delivery) -> Delivery:
    """Save a delivery on the mother's record, register each live-born baby and give it its
    schedule and birth doses; returns the delivery with its ids (and the babies' record ids)."""
    store.require(Permission.RECORD_VISITS)
    store.require(Permission.EDIT_PATIENTS)  # (the babies' records)
    mother = _patient(store, delivery.mother_id)
    if mother.sex != "2":
        raise NotAWoman(name=mother.full_name)
    _refuse_errors(births.validate_delivery(delivery, clock.now(), _birth_day(mother)))
    close = delivery_near(store, mother.id or 0, delivery.delivered_at)
    if close is not None:
        raise DeliveryTooClose(name=mother.full_name, date=close.strftime("%d/%m/%Y %H:%M"))
    stamp = now_text()
    day = delivery.delivered_at.date()
    with store.write(Permission.RECORD_VISITS):
        _refuse_errors(lifespan.after_death(store, mother.id or 0, day, "delivered_at", "delivery"))
        pregnancy = next((e for e in followups.enrolments(store, mother.id or 0) if e.programme == "antenatal"), None)
        cursor = store.conn.execute(
            "INSERT INTO deliveries (mother_id, delivered_at, place, place_name, attendant, attendant_kind, "
            "enrolment_id, notes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (mother.id, _minutes(delivery.delivered_at), str(delivery.place), delivery.place_name.strip(),
             delivery.attendant.strip(), str(delivery.attendant_kind), pregnancy.id if pregnancy else None,
             delivery.notes.strip(), stamp, stamp),
        )
        delivery_id = int(cursor.lastrowid or 0)
        if pregnancy is not None:
            followups.close_enrolment(store, pregnancy.id, day, antenatal.Closure.DELIVERED.value)
        saved_babies = []
        for baby in delivery.babies:
            child_id = None
            if baby.outcome is Outcome.LIVE:
                child = patient_store.insert(store, Patient(
                    full_name=baby.name.strip() or _vi(births.BABY_OF).format(mother=mother.full_name),
                    sex=baby.sex,
                    birth=PartialDate(day.year, day.month, day.day),
                    address=mother.address,
                    village=mother.village,
                    ethnicity=mother.ethnicity,
                    nationality=mother.nationality,
                    guardian_name=mother.full_name,
                    guardian_phone=mother.phone,
                    guardian_relation=_vi(births.MOTHER),
                ))
                child_id = child.id or 0
                place = dose_place(delivery)
                for series, at in (("hepb0", baby.hepb_at), ("bcg", baby.bcg_at)):
                    if at is not None:
                        _record_birth_dose(store, child_id, series, at, place)
                # every live-born baby joins the schedule: birth doses not given show as due
                followups.enrol(store, child_id, "vaccination", day)
                followups.sync_vaccination(store, child_id, clock.today(), closed_on=day)
            row = store.conn.execute(
                "INSERT INTO births (delivery_id, child_id, outcome, sex, weight_grams, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (delivery_id, child_id, str(baby.outcome), baby.sex, baby.weight_grams, stamp),
            )
            saved_babies.append(replace(baby, id=int(row.lastrowid or 0), child_id=child_id))
        audit.record(store, audit.CREATE, ("delivery", delivery_id),
                     {"delivered_at": _minutes(delivery.delivered_at), "place": str(delivery.place),
                      "babies": len(saved_babies), "children": [b.child_id for b in saved_babies if b.child_id]},
                     patient_id=mother.id)
    followups.clear_cache(store)
    return replace(delivery, id=delivery_id, babies=tuple(saved_babies))


def _dose_time(store: Store, child_id: int | None, series: str) -> dt.datetime | None:
    if child_id is None:
        return None
    text = store.scalar(
        "SELECT coalesce(given_at, given_on) FROM vaccine_doses WHERE patient_id = ? AND series = ? "
        "ORDER BY given_on LIMIT 1",
        (child_id, series),
    )
    return dt.datetime.fromisoformat(str(text)) if text else None


def _name(store: Store, patient_id: int | None) -> str:
    if patient_id is None:
        return ""
    return str(store.scalar("SELECT full_name FROM patients WHERE id = ?", (patient_id,)) or "")


def get_delivery(store: Store, delivery_id: int) -> Delivery | None:
    row = store.conn.execute(
        "SELECT id, mother_id, delivered_at, place, place_name, attendant, attendant_kind, notes "
        "FROM deliveries WHERE id = ?",
        (delivery_id,),
    ).fetchone()
    if row is None:
        return None
    babies = tuple(
        Baby(sex=sex, weight_grams=weight, outcome=Outcome(outcome), child_id=child_id, id=bid,
             name=_name(store, child_id),
             hepb_at=_dose_time(store, child_id, "hepb0"), bcg_at=_dose_time(store, child_id, "bcg"))
        for bid, child_id, outcome, sex, weight in store.conn.execute(
            "SELECT id, child_id, outcome, sex, weight_grams FROM births WHERE delivery_id = ? ORDER BY id",
            (delivery_id,),
        ).fetchall()
    )
    try:
        kind = Attendant(row[6])
    except ValueError:
        kind = Attendant.OTHER
    return Delivery(mother_id=row[1], delivered_at=dt.datetime.fromisoformat(row[2]), place=Place(row[3]),
                    place_name=row[4], attendant=row[5], attendant_kind=kind, babies=babies, notes=row[7], id=row[0])


def deliveries_of(store: Store, mother_id: int) -> list[Delivery]:
    ids = [r[0] for r in store.conn.execute(
        "SELECT id FROM deliveries WHERE mother_id = ? ORDER BY delivered_at DESC", (mother_id,))]
    return [d for d in (get_delivery(store, i) for i in ids) if d is not None]


def birth_of(store: Store, child_id: int) -> Delivery | None:
    """The delivery a child was born in (None when the child's birth was not recorded here)."""
    found = store.scalar("SELECT delivery_id FROM births WHERE child_id = ?", (child_id,))
    return get_delivery(store, int(found)) if isinstance(found, int) else None


def _delivery_facts(d: Delivery) -> dict[str, object]:
    return {
        "delivered_at": _minutes(d.delivered_at), "place": str(d.place), "place_name": d.place_name,
        "attendant": d.attendant, "attendant_kind": str(d.attendant_kind), "notes": d.notes,
        "babies": [{"outcome": str(b.outcome), "sex": b.sex, "weight_grams": b.weight_grams} for b in d.babies],
    }


def correct_delivery(store: Store, delivery: Delivery, reason: str) -> Delivery:
    """Correct a recorded delivery (time, place, attendant, each baby's sex, weight and outcome
    as recorded; the number of babies stays). Head only, with a reason; the audit entry keeps
    the values before and after. A live-born baby's date of birth follows the delivery's."""
    store.require(Permission.AMEND_RECORDS)
    if not reason.strip():
        raise ReasonMissing()
    before = get_delivery(store, delivery.id or 0)
    if before is None:
        raise EntryMissing(id=delivery.id)
    mother = _patient(store, before.mother_id)
    if len(delivery.babies) != len(before.babies):
        raise InvalidEntry([Problem("babies", N_("The number of babies cannot be corrected here."))])
    # doses are not changed by a correction: check the new values without them
    check = replace(delivery, babies=tuple(replace(b, hepb_at=None, bcg_at=None) for b in delivery.babies))
    _refuse_errors(births.validate_delivery(check, clock.now(), _birth_day(mother)))
    day = delivery.delivered_at.date()
    with store.write(Permission.AMEND_RECORDS):
        _refuse_errors(lifespan.after_death(store, before.mother_id, day, "delivered_at", "delivery"))
        store.conn.execute(
            "UPDATE deliveries SET delivered_at = ?, place = ?, place_name = ?, attendant = ?, attendant_kind = ?, "
            "notes = ?, updated_at = ? WHERE id = ?",
            (_minutes(delivery.delivered_at), str(delivery.place), delivery.place_name.strip(),
             delivery.attendant.strip(), str(delivery.attendant_kind), delivery.notes.strip(), now_text(),
             before.id),
        )
        for old, new in zip(before.babies, delivery.babies, strict=True):
            store.conn.execute("UPDATE births SET sex = ?, weight_grams = ? WHERE id = ?",
                               (new.sex, new.weight_grams, old.id))
            if old.child_id:
                store.conn.execute(
                    "UPDATE patients SET sex = ?, birth_year = ?, birth_month = ?, birth_day = ?, updated_at = ? "
                    "WHERE id = ?",
                    (new.sex, day.year, day.month, day.day, now_text(), old.child_id),
                )
                if day != before.delivered_at.date():  # the schedule counts from the corrected birthday
                    followups.sync_vaccination(store, old.child_id, clock.today())
        after = get_delivery(store, before.id or 0)
        assert after is not None
        was, now = _delivery_facts(before), _delivery_facts(after)
        audit.record(store, audit.AMEND, ("delivery", before.id),
                     {"reason": reason.strip(), "fields": sorted(k for k in was if was[k] != now[k]), "before": was},
                     patient_id=before.mother_id)
    followups.clear_cache(store)
    return after


# -- deaths -------------------------------------------------------------------------------------
def _death(row: tuple) -> Death:
    return Death(patient_id=row[1], died_on=dt.date.fromisoformat(row[2]), place=Place(row[3]), place_name=row[4],
                 cause_code=row[5], cause_text=row[6], id=row[0])


_DEATH_COLUMNS = "id, patient_id, died_on, place, place_name, cause_code, cause_text"


def death_of(store: Store, patient_id: int) -> Death | None:
    row = store.conn.execute(f"SELECT {_DEATH_COLUMNS} FROM deaths WHERE patient_id = ?", (patient_id,)).fetchone()
    return _death(row) if row else None


def get_death(store: Store, death_id: int) -> Death | None:
    row = store.conn.execute(f"SELECT {_DEATH_COLUMNS} FROM deaths WHERE id = ?", (death_id,)).fetchone()
    return _death(row) if row else None


def _cause(store: Store, death: Death) -> Death:
    """The cause with its code in capitals and, when only the code was given, the catalogue's name."""
    code = death.cause_code.strip().upper()
    text = death.cause_text.strip()
    if code and not text:
        text = str(store.scalar("SELECT name_vi FROM icd10 WHERE code = ?", (code,)) or "")
    return replace(death, cause_code=code, cause_text=text)


def record_death(store: Store, death: Death) -> Death:
    """Record a patient's death: the record is kept and marked deceased, their open follow-ups
    and programmes are closed, and the death counts in the reports and the death book."""
    store.require(Permission.RECORD_VISITS)
    person = _patient(store, death.patient_id)
    death = _cause(store, death)
    _refuse_errors(births.validate_death(death, clock.today(), _birth_day(person)))
    stamp = now_text()
    with store.write(Permission.RECORD_VISITS):
        if death_of(store, death.patient_id) is not None:
            raise DeathAlreadyRecorded(name=person.full_name)
        _refuse_errors(lifespan.death_before_care(store, death.patient_id, death.died_on))
        cursor = store.conn.execute(
            "INSERT INTO deaths (patient_id, died_on, place, place_name, cause_code, cause_text, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (death.patient_id, death.died_on.isoformat(), str(death.place), death.place_name.strip(),
             death.cause_code, death.cause_text, stamp, stamp),
        )
        followups.mark_deceased(store, death.patient_id, death.died_on)
        store.conn.execute("UPDATE patients SET deceased_date = ? WHERE id = ?",
                           (death.died_on.isoformat(), death.patient_id))
        saved = replace(death, id=int(cursor.lastrowid or 0))
        audit.record(store, audit.CREATE, ("death", saved.id),
                     {"died_on": death.died_on.isoformat(), "place": str(death.place), "cause": death.cause_code},
                     patient_id=death.patient_id)
        _after_death(store, saved)
    followups.clear_cache(store)
    return saved


def _after_death(store: Store, death: Death) -> None:
    """A death from a notifiable communicable disease is notified within 24 hours."""
    from station_app.store import notifications

    notifications.after_death(store, death.patient_id, death.id or 0, death.cause_code, death.died_on)


def correct_death(store: Store, death: Death, reason: str) -> Death:
    """Correct a recorded death (date, place, cause). Head only, with a reason; the audit entry
    keeps the values before and after."""
    store.require(Permission.AMEND_RECORDS)
    if not reason.strip():
        raise ReasonMissing()
    before = get_death(store, death.id or 0)
    if before is None:
        raise EntryMissing(id=death.id)
    person = _patient(store, before.patient_id)
    death = _cause(store, replace(death, patient_id=before.patient_id))
    _refuse_errors(births.validate_death(death, clock.today(), _birth_day(person)))
    with store.write(Permission.AMEND_RECORDS):
        if death.died_on != before.died_on:  # (a cause corrected keeps its date: nothing to bound)
            _refuse_errors(lifespan.death_before_care(store, before.patient_id, death.died_on))
        store.conn.execute(
            "UPDATE deaths SET died_on = ?, place = ?, place_name = ?, cause_code = ?, cause_text = ?, updated_at = ? "
            "WHERE id = ?",
            (death.died_on.isoformat(), str(death.place), death.place_name.strip(), death.cause_code,
             death.cause_text, now_text(), before.id),
        )
        store.conn.execute("UPDATE patients SET deceased_date = ?, updated_at = ? WHERE id = ?",
                           (death.died_on.isoformat(), now_text(), before.patient_id))
        facts = {k: str(v) for k, v in asdict(before).items() if k not in ("id", "patient_id")}
        new = {k: str(v) for k, v in asdict(death).items() if k not in ("id", "patient_id")}
        audit.record(store, audit.AMEND, ("death", before.id),
                     {"reason": reason.strip(), "fields": sorted(k for k in facts if facts[k] != new[k]),
                      "before": facts},
                     patient_id=before.patient_id)
    followups.clear_cache(store)
    return replace(death, id=before.id)
