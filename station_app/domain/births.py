"""Deliveries, births and deaths: the records behind the delivery book (A4) and the death book (A6).

Plain Python (no Qt, no SQL). A delivery is recorded on the mother's record: when and where
(this station, another facility, at home), who attended, and one :class:`Baby` per child born
(outcome, sex, weight, and the birth doses given at the birth facility). A live-born baby becomes
a patient of the station (the name may come later; the mother is the guardian) and is enrolled in
the vaccination schedule. A death is recorded on a patient: date, place and cause (ICD-10).

Every wrong field is a :class:`Problem` naming it, with a message in the current language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from station_app.domain.problems import Problem
from station_app.i18n import N_, tr

# A baby's weight at birth, grams: what a scale can show at all (refused outside), and what is usual.
WEIGHT_POSSIBLE = (300, 7000)
WEIGHT_USUAL = (1500, 4500)
LOW_BIRTH_WEIGHT = 2500  # grams: < 2,500 g is low birth weight (WHO)
# Two deliveries of one woman closer than this are one delivery entered twice (or a twin entered as a
# delivery of its own): a birth is counted from 22 weeks of pregnancy, so the next one is months away.
MIN_DELIVERY_INTERVAL = dt.timedelta(days=140)
HEPB_WINDOW = dt.timedelta(hours=24)


class Place(StrEnum):
    STATION = "station"
    FACILITY = "facility"  # another health facility (named in place_name)
    HOME = "home"
    OTHER = "other"  # on the way, elsewhere (deaths only)


PLACE_TITLES = {
    Place.STATION: N_("This station"),
    Place.FACILITY: N_("Another health facility"),
    Place.HOME: N_("At home"),
    Place.OTHER: N_("Elsewhere"),
}
DELIVERY_PLACES = (Place.STATION, Place.FACILITY, Place.HOME)
DEATH_PLACES = (Place.STATION, Place.FACILITY, Place.HOME, Place.OTHER)


class Attendant(StrEnum):
    HEALTH_STAFF = "health_staff"  # doctor, midwife, nurse, assistant doctor
    VILLAGE_MIDWIFE = "village_midwife"  # trained village birth attendant (cô đỡ thôn bản)
    OTHER = "other"  # relative, untrained, none


ATTENDANT_TITLES = {
    Attendant.HEALTH_STAFF: N_("Health staff"),
    Attendant.VILLAGE_MIDWIFE: N_("Village birth attendant"),
    Attendant.OTHER: N_("Other or no one"),
}


class Outcome(StrEnum):
    LIVE = "live"
    STILLBIRTH = "stillbirth"


OUTCOME_TITLES = {Outcome.LIVE: N_("Live birth"), Outcome.STILLBIRTH: N_("Stillbirth")}
BABY_OF = N_("Baby of {mother}")  # the name a baby has until the family gives one
MOTHER = N_("Mother")


def place_title(place: str) -> str:
    try:
        return tr(PLACE_TITLES[Place(place)])
    except ValueError:
        return place


@dataclass(frozen=True)
class Baby:
    sex: str  # "1" male, "2" female, "3" undetermined
    weight_grams: int | None = None
    outcome: Outcome = Outcome.LIVE
    name: str = ""  # may be empty: the family names the baby later
    hepb_at: dt.datetime | None = None  # hepatitis B birth dose, when given at the birth facility
    bcg_at: dt.datetime | None = None
    child_id: int | None = None  # the baby's own record (live births), once saved
    id: int | None = None

    @property
    def low_weight(self) -> bool:
        return self.weight_grams is not None and self.weight_grams < LOW_BIRTH_WEIGHT


@dataclass(frozen=True)
class Delivery:
    mother_id: int
    delivered_at: dt.datetime
    place: Place
    place_name: str = ""  # the other facility's name (or the village for a home birth)
    attendant: str = ""  # who attended, by name
    attendant_kind: Attendant = Attendant.HEALTH_STAFF
    babies: tuple[Baby, ...] = field(default_factory=tuple)
    notes: str = ""
    id: int | None = None

    @property
    def live_births(self) -> int:
        return sum(1 for b in self.babies if b.outcome is Outcome.LIVE)


@dataclass(frozen=True)
class Death:
    patient_id: int
    died_on: dt.date
    place: Place
    place_name: str = ""
    cause_code: str = ""  # ICD-10
    cause_text: str = ""
    id: int | None = None


def validate_delivery(d: Delivery, now: dt.datetime, mother_birth: dt.date | None = None) -> list[Problem]:
    problems: list[Problem] = []
    if d.delivered_at > now:
        problems.append(Problem("delivered_at", N_("The delivery is in the future.")))
    if mother_birth is not None and d.delivered_at.date() < mother_birth:
        problems.append(Problem("delivered_at", N_("The delivery is before the mother's date of birth.")))
    if d.place not in DELIVERY_PLACES:
        problems.append(Problem("place", N_("Choose where the baby was born.")))
    if d.place is Place.FACILITY and not d.place_name.strip():
        problems.append(Problem("place_name", N_("Write the name of the facility.")))
    if not d.babies:
        problems.append(Problem("babies", N_("Enter at least one baby.")))
    for number, baby in enumerate(d.babies, start=1):
        key = f"baby{number}"
        if baby.sex not in ("1", "2", "3"):
            problems.append(Problem(f"{key}.sex", N_("Choose the baby's sex.")))
        w = baby.weight_grams
        if w is not None:
            if not WEIGHT_POSSIBLE[0] <= w <= WEIGHT_POSSIBLE[1]:
                problems.append(Problem(f"{key}.weight_grams", N_("{value} g is not possible (expected {low}–{high})."),
                                        "error", {"value": w, "low": WEIGHT_POSSIBLE[0], "high": WEIGHT_POSSIBLE[1]}))
            elif not WEIGHT_USUAL[0] <= w <= WEIGHT_USUAL[1]:
                problems.append(Problem(f"{key}.weight_grams", N_("{value} g is unusual: check it."), "warning",
                                        {"value": w}))
        elif baby.outcome is Outcome.LIVE:
            problems.append(Problem(f"{key}.weight_grams", N_("Enter the baby's weight."), "warning"))
        for name, at in (("hepb_at", baby.hepb_at), ("bcg_at", baby.bcg_at)):
            if at is None:
                continue
            if baby.outcome is not Outcome.LIVE:
                problems.append(Problem(f"{key}.{name}", N_("A stillborn baby is not vaccinated.")))
            elif at < d.delivered_at:
                problems.append(Problem(f"{key}.{name}", N_("The dose is before the birth.")))
            elif at > now:
                problems.append(Problem(f"{key}.{name}", N_("The dose is in the future.")))
    return problems


def validate_death(d: Death, today: dt.date, birth: dt.date | None = None) -> list[Problem]:
    problems: list[Problem] = []
    if d.died_on > today:
        problems.append(Problem("died_on", N_("The date of death is in the future.")))
    if birth is not None and d.died_on < birth:
        problems.append(Problem("died_on", N_("The date of death is before the date of birth.")))
    if d.place not in DEATH_PLACES:
        problems.append(Problem("place", N_("Choose where the death happened.")))
    if not d.cause_code.strip() and not d.cause_text.strip():
        problems.append(Problem("cause_code", N_("Enter the cause of death (ICD-10 code or words).")))
    return problems


# A person's recorded death closes their records: nothing of their care is dated after it, and a
# death is not dated before the last record of their care. (record → the refusal, naming the date)
AFTER_DEATH = {
    "visit": N_("The visit is after the patient's death ({date})."),
    "delivery": N_("The delivery is after the mother's death ({date})."),
    "dose": N_("The dose is after the patient's death ({date})."),
    "outcome": N_("The call outcome is after the patient's death ({date})."),
}
DEATH_BEFORE = {
    "visit": N_("The date of death is before the visit of {date}."),
    "delivery": N_("The date of death is before the delivery of {date}."),
    "dose": N_("The date of death is before the vaccine dose of {date}."),
}


def after_death(field_name: str, record: str, day: dt.date, died_on: dt.date | None) -> list[Problem]:
    """The problem of a ``record`` (a key of ``AFTER_DEATH``) dated ``day``, of a person who died on
    ``died_on`` (None: not recorded as dead, or the date unknown): refused when it is later."""
    if died_on is None or day <= died_on:
        return []
    return [Problem(field_name, AFTER_DEATH[record], params={"date": died_on.strftime("%d/%m/%Y")})]


def death_before(field_name: str, died_on: dt.date, last_care: tuple[dt.date, str] | None) -> list[Problem]:
    """The problem of a death dated ``died_on`` when the person's last record of care
    (``(day, record)``, a key of ``DEATH_BEFORE``) is later."""
    if last_care is None or last_care[0] <= died_on:
        return []
    day, record = last_care
    return [Problem(field_name, DEATH_BEFORE[record], params={"date": day.strftime("%d/%m/%Y")})]


def hepb_within_24h(born_at: dt.datetime, given_at: dt.datetime | None) -> bool:
    """Whether a hepatitis B birth dose given at ``given_at`` counts as "within 24 hours"."""
    return given_at is not None and dt.timedelta(0) <= given_at - born_at <= HEPB_WINDOW


FIELD_LABELS = {
    "delivered_at": N_("Date and time of birth"),
    "place": N_("Place of birth or death"),
    "place_name": N_("Health facility"),
    "babies": N_("Baby"),
    "sex": N_("Sex"),
    "weight_grams": N_("Weight (g)"),
    "hepb_at": N_("Hepatitis B birth dose"),
    "bcg_at": N_("BCG"),
    "died_on": N_("Date of death"),
    "cause_code": N_("Cause of death"),
}


def field_label(name: str) -> str:
    """``baby2.weight_grams`` → "Baby 2 — Weight (g)" in the current language."""
    head, _, tail = name.partition(".")
    if tail and head.startswith("baby"):
        return f"{tr(FIELD_LABELS['babies'])} {head[4:]} — {tr(FIELD_LABELS.get(tail, tail))}"
    return tr(FIELD_LABELS.get(name, name))
