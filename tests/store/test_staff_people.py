"""The staff list and the accounts are one list of people: a person may have no login, an account
always is a person on the staff list (also for accounts made before schema 10)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from station_app.domain.accounts import Role
from station_app.store import Store, open_store, users
from station_app.store.schema import _STEPS
from station_app.store.station import StaffMember, save_staff, staff


def test_an_account_is_the_staff_member_of_its_name(store: Store) -> None:
    mai = save_staff(store, StaffMember("Trần Thị Mai", "Y sĩ đa khoa"))
    save_staff(store, StaffMember("Lê Thị Hồng", "Nữ hộ sinh"))  # no login
    head = users.create_first_head(store, "truong", "Nguyễn Văn Hùng", "tram-truong")
    store.actor = head.actor
    nurse = users.create(store, "yta.mai", "Trần Thị Mai", "tram-yta-1", Role.NURSE)

    assert users.staff_id(store, nurse.id) == mai.id
    people = {m.full_name: m for m in staff(store)}
    assert set(people) == {"Trần Thị Mai", "Lê Thị Hồng", "Nguyễn Văn Hùng"}  # the head joined the list
    assert people["Trần Thị Mai"].username == "yta.mai"
    assert people["Lê Thị Hồng"].username == ""
    assert users.staff_id(store, head.id) == people["Nguyễn Văn Hùng"].id

    # Renaming the person on the staff list renames the account: one person, one name.
    save_staff(store, StaffMember("Trần Thị Mai Anh", "Y sĩ đa khoa", id=mai.id))
    renamed = users.get(store, nurse.id)
    assert renamed is not None and renamed.full_name == "Trần Thị Mai Anh"


def test_an_administrator_is_a_person_but_not_a_clinician(store: Store) -> None:
    head = users.create_first_head(store, "truong", "Nguyễn Văn Hùng", "tram-truong")
    store.actor = head.actor
    users.create(store, "quantri", "Đỗ Văn Quang", "tram-quantri-1", Role.ADMIN)
    assert "Đỗ Văn Quang" in {m.full_name for m in staff(store)}
    assert {m.full_name for m in staff(store, clinicians=True)} == {"Nguyễn Văn Hùng"}


def test_accounts_made_before_schema_10_become_people(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old = Migrations("tram")
    steps = [name for name, _step in _STEPS]
    for name, step in _STEPS[: steps.index("0010_accounts_are_staff")]:  # the schema before it
        old(name=name)(step)
    db = Database(sqlite3.connect(path))
    old.apply(db)
    db.execute("INSERT INTO staff (full_name, title) VALUES ('Trần Thị Mai', 'Y sĩ')")
    for username, name in (("yta.mai", "Trần Thị Mai"), ("truong", "Nguyễn Văn Hùng")):
        db.execute(
            "INSERT INTO users (username, full_name, role, password_hash, created_at) "
            "VALUES (?, ?, 'head', 'x', '2025-01-01 08:00:00')",
            (username, name),
        )
    db.conn.commit()
    db.conn.close()

    store = open_store(path)
    try:
        people = {m.full_name: m for m in staff(store)}
        assert set(people) == {"Trần Thị Mai", "Nguyễn Văn Hùng"}
        assert people["Trần Thị Mai"].username == "yta.mai" and people["Trần Thị Mai"].title == "Y sĩ"
        assert people["Nguyễn Văn Hùng"].username == "truong"
    finally:
        store.close()
