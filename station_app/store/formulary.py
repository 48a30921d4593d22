"""The station's formulary in the database: every edit a new version (the old one closed, as the
catalogue sent to the insurance agency closes a row and opens another), retired drugs kept.

A new station gets the starter list of ``resources/data/formulary_starter.csv`` the first time the
formulary is read.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import replace
from typing import Any

from station_app import clock
from station_app.domain.accounts import ANYONE, Permission
from station_app.domain.medicines import Drug, normalise_drug, validate_drug
from station_app.domain.problems import Problem
from station_app.i18n import N_, translate
from station_app.resources import data_file
from station_app.store import errors
from station_app.store.database import Store, now_text

SEEDED_KEY = "formulary_seeded"
STARTER = "formulary_starter.csv"

_COLUMNS = (
    "id, code, version, ingredient, strength, form, unit, route, brand, dmdc_code, registration_no, tender, "
    "route_code, insured, unit_price, funding, programme, low_stock, valid_from, retired_on"
)
_VALUES = (
    "code",
    "version",
    "ingredient",
    "strength",
    "form",
    "unit",
    "route",
    "brand",
    "dmdc_code",
    "registration_no",
    "tender",
    "route_code",
    "insured",
    "unit_price",
    "funding",
    "programme",
    "low_stock",
)


class FormularyRefused(errors.StoreError):
    """A formulary change that cannot be made; the message names what is wrong."""

    def __init__(self, message: str, problems: list[Problem] | None = None, **params: object) -> None:
        self.message = message
        self.problems = problems or []
        super().__init__("", "", **params)

    def text(self, lang: str | None = None) -> str:
        if self.problems:
            return "; ".join(p.text(lang) for p in self.problems)
        return translate(self.message, lang).format(**self.params)


def _drug(row: Any) -> Drug:
    return Drug(
        id=int(row["id"]),
        code=str(row["code"]),
        version=int(row["version"]),
        ingredient=str(row["ingredient"]),
        strength=str(row["strength"]),
        form=str(row["form"]),
        unit=str(row["unit"]),
        route=str(row["route"]),
        brand=str(row["brand"]),
        dmdc_code=str(row["dmdc_code"]),
        registration_no=str(row["registration_no"]),
        tender=str(row["tender"]),
        route_code=str(row["route_code"]),
        insured=bool(row["insured"]),
        unit_price=float(row["unit_price"]),
        funding=int(row["funding"]),
        programme=str(row["programme"]),
        low_stock=float(row["low_stock"]),
        valid_from=dt.date.fromisoformat(str(row["valid_from"])),
        retired_on=dt.date.fromisoformat(str(row["retired_on"])) if row["retired_on"] else None,
    )


def starter_drugs() -> list[Drug]:
    """The shipped starter list."""
    with data_file(STARTER).open(encoding="utf-8", newline="") as fh:
        return [
            Drug(
                code=row["code"],
                ingredient=row["ingredient"],
                strength=row["strength"],
                form=row["form"],
                route=row["route"],
                unit=row["unit"],
                programme=row["programme"],
                insured=row["insured"] == "1",
                funding=int(row["funding"]),
                unit_price=float(row["unit_price"]),
                low_stock=float(row["low_stock"]),
            )
            for row in csv.DictReader(fh)
        ]


def ensure_starter(store: Store) -> None:
    """Load the starter list once into a station whose formulary is empty (when the file is opened)."""
    if store.setting(SEEDED_KEY) or store.scalar("SELECT 1 FROM drugs LIMIT 1"):
        return
    with store.write(ANYONE):
        for drug in starter_drugs():
            _insert(store, normalise_drug(drug), 1, clock.today(), "starter")
        store.set_setting(SEEDED_KEY, now_text())


def _insert(store: Store, drug: Drug, version: int, valid_from: dt.date, reason: str) -> int:
    values: dict[str, object] = {name: getattr(drug, name) for name in _VALUES}
    values.update(
        version=version,
        insured=int(drug.insured),
        folded=drug.search_text(),
        valid_from=valid_from.isoformat(),
        reason=reason,
        changed_by=store.actor.username,
        changed_at=now_text(),
    )
    names = ", ".join(values)
    marks = ", ".join(f":{k}" for k in values)
    cursor = store.conn.execute(f"INSERT INTO drugs ({names}) VALUES ({marks})", values)
    return int(cursor.lastrowid or 0)


def drugs(store: Store, *, include_retired: bool = False) -> list[Drug]:
    """The current version of every drug, by ingredient and strength."""
    where = "superseded = 0" + ("" if include_retired else " AND retired_on IS NULL")
    rows = store.query(f"SELECT {_COLUMNS} FROM drugs WHERE {where} ORDER BY folded, code")
    return [_drug(r) for r in rows]


def by_code(store: Store) -> dict[str, Drug]:
    """Current versions (retired ones too) by code."""
    return {d.code: d for d in drugs(store, include_retired=True)}


def get(store: Store, code: str) -> Drug | None:
    rows = store.query(f"SELECT {_COLUMNS} FROM drugs WHERE code = ? AND superseded = 0", (code.strip().upper(),))
    return _drug(rows[0]) if rows else None


def version(store: Store, drug_id: int) -> Drug | None:
    rows = store.query(f"SELECT {_COLUMNS} FROM drugs WHERE id = ?", (drug_id,))
    return _drug(rows[0]) if rows else None


def history(store: Store, code: str) -> list[Drug]:
    rows = store.query(f"SELECT {_COLUMNS} FROM drugs WHERE code = ? ORDER BY version", (code,))
    return [_drug(r) for r in rows]


def _checked(store: Store, drug: Drug) -> Drug:
    """``drug`` as it is saved (the head's to add or change), or ``FormularyRefused`` with its first error."""
    store.require(Permission.MANAGE_FORMULARY)
    drug = normalise_drug(drug)
    problems = [p for p in validate_drug(drug) if p.is_error]
    if problems:
        raise FormularyRefused(problems[0].message, problems)
    return drug


def add(store: Store, drug: Drug) -> Drug:
    """A new drug (head of station)."""
    from station_app.store import audit

    drug = _checked(store, drug)
    today = clock.today()
    with store.write(Permission.MANAGE_FORMULARY):
        if store.scalar("SELECT 1 FROM drugs WHERE code = ?", (drug.code,)):
            raise FormularyRefused(N_("The code {code} is already in the formulary."), code=drug.code)
        new_id = _insert(store, drug, 1, today, "")
        audit.record(store, audit.CREATE, ("drug", drug.code), {"version": 1, "name": drug.name})
    return replace(drug, id=new_id, version=1, valid_from=today)


def edit(store: Store, drug: Drug, reason: str = "") -> Drug:
    """A new version of ``drug.code`` from today; the old version stays, closed."""
    from station_app.store import audit

    drug = _checked(store, drug)
    today = clock.today()
    with store.write(Permission.MANAGE_FORMULARY):
        current = get(store, drug.code)
        if current is None:
            raise FormularyRefused(N_("{code} is not in the formulary."), code=drug.code)
        if current.retired_on is not None:
            raise FormularyRefused(N_("{code} is retired from the formulary."), code=drug.code)
        store.conn.execute(
            "UPDATE drugs SET superseded = 1, valid_to = ? WHERE id = ?", (today.isoformat(), current.id)
        )
        number = current.version + 1
        new_id = _insert(store, drug, number, today, reason)
        changed = sorted(
            name for name in _VALUES if name != "version" and getattr(drug, name) != getattr(current, name)
        )
        audit.record(
            store, audit.UPDATE, ("drug", drug.code), {"version": number, "changed": changed, "reason": reason}
        )
    return replace(drug, id=new_id, version=number, valid_from=today)


def retire(store: Store, code: str, reason: str) -> None:
    """The drug is no longer prescribed or received (its lots and history stay)."""
    from station_app.store import audit

    store.require(Permission.MANAGE_FORMULARY)
    if not reason.strip():
        raise FormularyRefused(N_("Write why the drug is retired."))
    today = clock.today()
    with store.write(Permission.MANAGE_FORMULARY):
        current = get(store, code)
        if current is None:
            raise FormularyRefused(N_("{code} is not in the formulary."), code=code)
        store.conn.execute(
            "UPDATE drugs SET retired_on = ?, valid_to = ? WHERE id = ? AND retired_on IS NULL",
            (today.isoformat(), today.isoformat(), current.id),
        )
        audit.record(store, audit.CANCEL, ("drug", current.code), {"retired": True, "reason": reason})
