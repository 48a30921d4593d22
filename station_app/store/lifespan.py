"""A person's recorded death bounds their records, whichever way they are written (a form, the
command line, an import): no visit, delivery, vaccine dose or call outcome dated after the death,
and no death dated before the person's last visit, delivery or dose.

The date of death is the death book's (``deaths.died_on``), else the patient's ``deceased_date``
(a death learnt on a follow-up call). The checks run inside the caller's write, so what they read
cannot change before the record is saved; a refusal names the field and the date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from station_app.domain import births
from station_app.domain.problems import Problem
from station_app.i18n import N_, translate
from station_app.store.database import Store
from station_app.store.errors import StoreError

# The last record of a person's care of each kind, as (record, SQL giving its day).
_CARE = (
    ("visit", "SELECT max(substr(visit_at, 1, 10)) FROM visits WHERE patient_id = ?"),
    ("delivery", "SELECT max(substr(delivered_at, 1, 10)) FROM deliveries WHERE mother_id = ?"),
    ("dose", "SELECT max(given_on) FROM vaccine_doses WHERE patient_id = ?"),
)


class RecordRefused(StoreError):
    """A record the person's death refuses, naming the field: "Check these fields: Date: …"."""

    message = N_("Check these fields: {fields}")

    def __init__(self, problems: list[Problem], labels: Mapping[str, str]) -> None:
        self.problems = problems
        self.labels = dict(labels)
        super().__init__("", "", fields="")

    def text(self, lang: str | None = None) -> str:
        fields = "; ".join(f"{translate(self.labels.get(p.field, p.field), lang)}: {p.text(lang)}"
                           for p in self.problems)
        return translate(self.message, lang).format(fields=fields)


def death_day(store: Store, patient_id: int) -> dt.date | None:
    """The day the person died (None: alive, or the day is not known)."""
    text = store.scalar(
        "SELECT coalesce((SELECT died_on FROM deaths WHERE patient_id = p.id), p.deceased_date) "
        "FROM patients p WHERE p.id = ?",
        (patient_id,),
    )
    return dt.date.fromisoformat(str(text)) if text else None


def last_care(store: Store, patient_id: int) -> tuple[dt.date, str] | None:
    """The day of the person's last visit, delivery (as the mother) or vaccine dose, with which it
    is (``visit``, ``delivery``, ``dose``); None when there is none."""
    found: list[tuple[dt.date, str]] = []
    for record, sql in _CARE:
        text = store.scalar(sql, (patient_id,))
        if text:
            found.append((dt.date.fromisoformat(str(text)), record))
    return max(found, key=lambda f: f[0]) if found else None


def after_death(store: Store, patient_id: int, day: dt.date, field: str, record: str) -> list[Problem]:
    """The problem of a ``record`` (a key of ``domain.births.AFTER_DEATH``) of the person dated
    ``day``, when it is after their death."""
    return births.after_death(field, record, day, death_day(store, patient_id))


def death_before_care(store: Store, patient_id: int, died_on: dt.date, field: str = "died_on") -> list[Problem]:
    """The problem of the person's death dated ``died_on`` when a record of their care is later."""
    return births.death_before(field, died_on, last_care(store, patient_id))


def refuse(problems: list[Problem], labels: Mapping[str, str] | Callable[[str], str]) -> None:
    """Raise ``RecordRefused`` for ``problems`` (nothing when there is none), each named by its
    field's label (English source, translated when shown)."""
    if not problems:
        return
    if callable(labels):
        labels = {p.field: labels(p.field) for p in problems}
    raise RecordRefused(problems, labels)
