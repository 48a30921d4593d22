"""The holes found by the outside attack (issue #15, point 3), each called the way it was found:
a store function called directly with a nurse or an admin, as a screen that forgot to hide a
button would. Refused calls write nothing; allowed ones leave an audit entry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from station_app.domain.accounts import SYSTEM, Actor, Permission, Role
from station_app.domain.followup import Kind
from station_app.reports import exports, worklist_export
from station_app.store import Store, audit, backup, followups, station, users
from station_app.store.errors import NotPermitted

NURSE = Actor(2, "yta.mai", "Trần Thị Mai", Role.NURSE)
HEAD = Actor(1, "truong", "Nguyễn Văn Hùng", Role.HEAD)
ADMIN = Actor(3, "quantri", "Quản trị", Role.ADMIN)


def _log(store: Store) -> list[audit.Entry]:
    """The audit log as the local operator reads it (the test's own eyes, not the actor's)."""
    actor, store.actor = store.actor, SYSTEM
    try:
        return audit.entries(store)
    finally:
        store.actor = actor


def _refused(store: Store, call, action: str = "") -> NotPermitted:  # type: ignore[no-untyped-def]
    before = len(_log(store))
    with pytest.raises(NotPermitted) as caught:
        call()
    assert len(_log(store)) == before, "a refused call writes nothing"
    if action:
        assert action in caught.value.text("vi")
    return caught.value


def _audited(store: Store, call, action: str):  # type: ignore[no-untyped-def]
    before = len(_log(store))
    result = call()
    new = _log(store)[: len(_log(store)) - before]
    assert new, "the change left no audit entry"
    assert action in {e.action for e in new}
    assert {e.username for e in new} == {store.actor.username}
    return result


@pytest.fixture
def people(store: Store, add_patient, today: dt.date):  # type: ignore[no-untyped-def]
    head = users.create_first_head(store, "truong", "Nguyễn Văn Hùng", "tram-truong")
    admin = users.create(store, "quantri", "Quản trị", "tram-quantri", Role.ADMIN)
    nurse = users.create(store, "yta.mai", "Trần Thị Mai", "tram-yta-1", Role.NURSE)
    child = add_patient("Lê Văn Bé", sex="1", birth="2025-06-01", phone="0912345678", citizen_id="001225000123")
    adult = add_patient("Trần Thị Lan", birth="1960", phone="0987654321")
    return {"head": head, "admin": admin, "nurse": nurse, "child": child, "adult": adult}


# -- a nurse --------------------------------------------------------------------------------------
def test_a_nurse_cannot_export_the_registry_with_identifiers(store: Store, people, tmp_path: Path) -> None:
    store.actor = NURSE
    target = tmp_path / "all.csv"
    _refused(store, lambda: exports.export(store, "patients", target, "csv"), "xuất dữ liệu")
    assert not target.exists()
    store.actor = ADMIN
    _audited(store, lambda: exports.export(store, "patients", target, "csv"), audit.EXPORT)
    assert "001225000123" in target.read_text("utf-8-sig")


def test_a_nurse_cannot_export_the_follow_up_list(store: Store, people, tmp_path: Path, today) -> None:
    rows = followups.work_rows(store, today)
    store.actor = NURSE
    for write in (worklist_export.write_csv, worklist_export.write_xlsx):
        target = tmp_path / f"list.{write.__name__[-4:]}"
        _refused(store, lambda: write(store, rows, target, today), "xuất dữ liệu")  # noqa: B023
        assert not target.exists()
    store.actor = HEAD
    written = _audited(store, lambda: worklist_export.write_csv(store, rows, tmp_path / "l.csv", today),
                       audit.EXPORT)
    assert written.exists()


def test_a_nurse_cannot_read_the_audit_log(store: Store, people) -> None:
    store.actor = NURSE
    _refused(store, lambda: audit.entries(store), "xem nhật ký truy cập")
    _refused(store, lambda: audit.verify(store))
    _refused(store, lambda: audit.usernames(store))
    store.actor = HEAD
    assert audit.entries(store)


def test_a_nurse_cannot_restore_over_the_database(store: Store, people, tmp_path: Path) -> None:
    made = backup.make_backup(store.path, tmp_path / "backups")
    db = store.path
    store.close()
    before = db.read_bytes()
    with pytest.raises(NotPermitted):
        backup.restore(db, made, by=NURSE)
    assert db.read_bytes() == before
    assert not list(db.parent.glob("*.before-restore-*"))
    with pytest.raises(TypeError):  # who restores is not optional
        backup.restore(db, made)  # type: ignore[call-arg]
    assert backup.restore(db, made, by=ADMIN) is not None


def test_a_nurse_cannot_turn_the_screen_lock_off(store: Store, people) -> None:
    store.actor = NURSE
    _refused(store, lambda: users.set_idle_lock_minutes(store, 0))
    with pytest.raises(RuntimeError):  # a setting is written only inside a checked write
        store.set_setting(users.IDLE_KEY, "0")
    assert users.idle_lock_minutes(store) == 10


def test_the_station_profile_and_staff_are_the_heads(store: Store, people) -> None:
    store.actor = HEAD
    station.save_profile(store, station.StationProfile(name="Trạm Y tế xã An Bình", head_name="Nguyễn Văn Hùng"))
    people_before = station.staff(store)  # the people with an account (every account is a person)
    for actor in (NURSE, ADMIN):
        store.actor = actor
        profile = station.load_profile(store)
        profile.head_name = "Trần Thị Mai"
        _refused(store, lambda: station.save_profile(store, profile), "hồ sơ trạm")  # noqa: B023
        _refused(store, lambda: station.save_staff(store, station.StaffMember("Trần Thị Mai", "Trưởng trạm")))
        _refused(store, lambda: station.save_villages(store, ["Thôn 1"]))
    assert station.load_profile(store).head_name == "Nguyễn Văn Hùng"
    assert station.staff(store) == people_before
    store.actor = HEAD
    profile = station.load_profile(store)
    profile.head_name = "Đỗ Văn Nam"
    _audited(store, lambda: station.save_profile(store, profile), audit.UPDATE)
    entry = _log(store)[0]
    assert entry.details["before"] == {"head_name": "Nguyễn Văn Hùng"}
    _audited(store, lambda: station.save_staff(store, station.StaffMember("Trần Thị Mai", "Y sĩ")), audit.CREATE)
    _audited(store, lambda: station.save_villages(store, ["Thôn 1", "Thôn 2"]), audit.UPDATE)


# -- an admin -------------------------------------------------------------------------------------
def test_an_admin_cannot_make_itself_head(store: Store, people) -> None:
    admin = people["admin"]
    users.login(store, "quantri", "tram-quantri")
    _refused(store, lambda: users.set_role(store, admin.id, Role.HEAD), "trưởng trạm")
    _refused(store, lambda: users.create(store, "truong2", "Ai Đó", "password-22", Role.HEAD))
    head = people["head"]
    _refused(store, lambda: users.set_role(store, head.id, Role.NURSE))
    _refused(store, lambda: users.change_password(store, head.id, None, "password-23"))
    assert users.get(store, admin.id).role is Role.ADMIN  # type: ignore[union-attr]
    _audited(store, lambda: users.create(store, "yta.lan", "Đỗ Thị Lan", "password-3", Role.NURSE),
             audit.MANAGE_USERS)  # but it manages the other accounts
    users.login(store, "truong", "tram-truong")
    _audited(store, lambda: users.set_role(store, admin.id, Role.HEAD), audit.MANAGE_USERS)


def test_an_admin_records_no_follow_ups_programmes_or_doses(store: Store, people, today: dt.date) -> None:
    child, adult = people["child"], people["adult"]
    store.actor = HEAD
    enrolment = followups.enrol(store, adult.id, "hypertension", today)
    items = len(followups.patient_items(store, adult.id))
    store.actor = ADMIN
    _refused(store, lambda: followups.add_item(store, adult.id, Kind.CUSTOM, "Gọi lại", today), "ghi lượt khám")
    _refused(store, lambda: followups.enrol(store, adult.id, "diabetes", today))
    _refused(store, lambda: followups.close_enrolment(store, enrolment, today, "moved"))
    _refused(store, lambda: followups.record_dose(store, child.id, "bcg", 1, today))
    assert len(followups.patient_items(store, adult.id)) == items
    assert followups.given_doses(store, child.id) == []
    store.actor = NURSE
    _audited(store, lambda: followups.add_item(store, adult.id, Kind.CUSTOM, "Gọi lại", today), audit.CREATE)
    _audited(store, lambda: followups.enrol(store, adult.id, "diabetes", today), audit.CREATE)
    _audited(store, lambda: followups.close_enrolment(store, enrolment, today, "moved"), audit.UPDATE)
    _audited(store, lambda: followups.record_dose(store, child.id, "bcg", 1, today), audit.CREATE)
    assert len(followups.given_doses(store, child.id)) == 1


def test_an_admin_registering_a_baby_still_enrols_it(store: Store, people, add_patient, today) -> None:
    """The vaccination enrolment of a child registered is part of the registration, not a clinical
    entry of the admin's: it is covered by the registration's permission."""
    store.actor = ADMIN
    baby = add_patient("Lê Thị Nhỏ", birth="2025-09-01")
    assert [e.programme for e in followups.enrolments(store, baby.id)] == ["vaccination"]


# -- the write itself ------------------------------------------------------------------------------
def test_a_write_opens_only_for_an_actor_who_holds_the_permission(store: Store) -> None:
    store.actor = NURSE
    with pytest.raises(NotPermitted) as caught, store.write(Permission.MANAGE_USERS):
        pytest.fail("the block must not run")
    assert caught.value.text("vi") == (
        "Không được phép: vai trò Điều dưỡng / y sĩ không được quản lý tài khoản người dùng."
    )
    assert not store.conn.in_transaction


def test_a_checked_write_without_an_audit_entry_is_rolled_back(store: Store, people) -> None:
    store.actor = HEAD
    with pytest.raises(RuntimeError, match="audit"), store.write(Permission.EDIT_PATIENTS):
        store.conn.execute("UPDATE patients SET phone = '' WHERE id = ?", (people["adult"].id,))
    assert store.scalar("SELECT phone FROM patients WHERE id = ?", (people["adult"].id,)) == "0987654321"
