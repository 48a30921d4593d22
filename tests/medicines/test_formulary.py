"""The formulary: the starter list, accent-free search, versioned edits, retiring, who may change it."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import pytest

from station_app.domain.accounts import Actor, Role
from station_app.domain.medicines import Drug, dose_amount, quantity_for, quantity_text, search
from station_app.store import Store, audit, formulary
from station_app.store.errors import NotPermitted
from station_app.store.formulary import FormularyRefused

NURSE = Actor(2, "yta.mai", "Trần Thị Mai", Role.NURSE)


def test_a_new_station_has_the_starter_list_with_the_fields_claims_need(store: Store) -> None:
    drugs = formulary.by_code(store)
    assert len(drugs) >= 40
    amlo = drugs["AMLO5"]
    assert (amlo.ingredient, amlo.strength, amlo.unit, amlo.programme) == ("Amlodipin", "5 mg", "viên", "hypertension")
    assert amlo.insured and amlo.funding == 1 and amlo.unit_price > 0
    assert drugs["VITA200"].funding == 3  # a national programme's drug
    # Loaded once: reading again adds nothing.
    assert len(formulary.drugs(store)) == len(drugs)


def test_search_by_ingredient_accents_optional(store: Store) -> None:
    drugs = formulary.drugs(store)
    assert [d.code for d in search(drugs, "amlo")] == ["AMLO10", "AMLO5"] or [
        d.code for d in search(drugs, "amlo")
    ] == ["AMLO5", "AMLO10"]
    assert {d.code for d in search(drugs, "amlo 5")} == {"AMLO5"}
    assert "ZINC10" in {d.code for d in search(drugs, "kem")}  # "Kẽm gluconat"
    assert "ZINC10" in {d.code for d in search(drugs, "Kẽm")}
    assert "FEFOL" in {d.code for d in search(drugs, "sat folic")}  # "Sắt + acid folic"
    assert {d.code for d in search(drugs, "clavulanic")} == {"AMCL625"}
    assert search(drugs, "no such drug") == []


def test_an_edit_is_a_new_version_and_the_old_stays(store: Store, today) -> None:
    old = formulary.get(store, "AMLO5")
    assert old is not None
    new = formulary.edit(store, replace(old, unit_price=320.0, registration_no="VD 12345 67"), "new tender")
    assert new.version == 2 and new.registration_no == "VD1234567"  # no spaces in SO_DANG_KY
    versions = formulary.history(store, "AMLO5")
    assert [(d.version, d.unit_price) for d in versions] == [(1, 300.0), (2, 320.0)]
    assert formulary.get(store, "AMLO5").unit_price == 320.0  # type: ignore[union-attr]
    assert formulary.version(store, old.id).unit_price == 300.0  # type: ignore[arg-type, union-attr]
    entry = max(audit.entries(store), key=lambda e: e.id)
    assert entry.target == "drug AMLO5" and entry.details["changed"] == ["registration_no", "unit_price"]
    with pytest.raises(sqlite3.IntegrityError):
        store.conn.execute("UPDATE drugs SET unit_price = 1 WHERE code = 'AMLO5'")  # never overwritten


def test_retired_drugs_leave_the_list_but_keep_their_history(store: Store, today) -> None:
    formulary.retire(store, "CAPT25", "no longer in the tender")
    assert "CAPT25" not in {d.code for d in formulary.drugs(store)}
    assert formulary.by_code(store)["CAPT25"].retired_on == today
    with pytest.raises(FormularyRefused):
        formulary.retire(store, "CAPT25", "")


def test_adding_a_drug_is_checked_and_for_the_head(store: Store, today) -> None:
    drug = Drug(code="perin4", ingredient="Perindopril", strength="4 mg", form="viên nén", unit="viên")
    added = formulary.add(store, drug)
    assert added.code == "PERIN4" and formulary.get(store, "PERIN4") is not None
    with pytest.raises(FormularyRefused, match="already"):
        formulary.add(store, drug)
    with pytest.raises(FormularyRefused):
        formulary.add(store, Drug(code="X1", ingredient="", strength="1", form="f", unit="viên"))
    store.actor = NURSE
    with pytest.raises(NotPermitted):
        formulary.add(store, replace(drug, code="OTHER"))
    with pytest.raises(NotPermitted):
        formulary.retire(store, "AMLO5", "x")


def test_the_quantity_is_dose_times_times_a_day_times_days_rounded_up() -> None:
    assert dose_amount("1 viên") == 1 and dose_amount("1/2 viên") == 0.5 and dose_amount("2,5 ml") == 2.5
    assert quantity_for("1 viên", 1, 30) == 30
    assert quantity_for("1/2 viên", 1, 25) == 13
    assert quantity_for("2 viên", 3, 5) == 30
    assert quantity_for("", 1, 30) is None and quantity_for("1 viên", None, 30) is None
    assert quantity_text(5) == "05" and quantity_text(30) == "30" and quantity_text(2.5) == "2,5"
