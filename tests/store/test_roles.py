"""What each role may do, enforced in the store: the functions are called directly with a nurse
(or admin) actor, as a screen that forgot to hide a button would."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from station_app.domain.accounts import PERMISSIONS, Actor, Permission, Role
from station_app.domain.monthly import Month
from station_app.domain.visit import Visit
from station_app.reports import monthly
from station_app.store import Store, corrections, reports, users, visits
from station_app.store.errors import NotPermitted

NURSE = Actor(2, "yta.mai", "Trần Thị Mai", Role.NURSE)
ADMIN = Actor(3, "quantri", "Quản trị", Role.ADMIN)


def test_the_roles_of_the_records_rules() -> None:
    nurse, head, admin = PERMISSIONS[Role.NURSE], PERMISSIONS[Role.HEAD], PERMISSIONS[Role.ADMIN]
    assert {Permission.EDIT_PATIENTS, Permission.RECORD_VISITS, Permission.PRINT} <= nurse
    assert not nurse & {Permission.FINALISE_REPORT, Permission.MANAGE_USERS, Permission.RESTORE,
                        Permission.MERGE_PATIENTS, Permission.AMEND_RECORDS, Permission.VIEW_AUDIT}
    assert nurse < head  # the head does all a nurse does, and more
    assert {Permission.FINALISE_REPORT, Permission.AMEND_RECORDS, Permission.MERGE_PATIENTS,
            Permission.MANAGE_USERS} <= head
    assert {Permission.MANAGE_USERS, Permission.BACKUP, Permission.RESTORE, Permission.IMPORT} <= admin
    assert not admin & {Permission.RECORD_VISITS, Permission.AMEND_RECORDS, Permission.FINALISE_REPORT}


@pytest.fixture
def two(store: Store, add_patient, today: dt.date):
    a = add_patient("Phạm Văn Lâm", sex="1", birth="1970")
    b = add_patient("Pham Van Lam", sex="1", birth="1970")
    v = visits.insert(store, Visit(patient_id=a.id, visit_at=dt.datetime(2025, 11, 19, 9), complaint="Ho"))
    users.create_first_head(store, "truong", "Nguyễn Văn Hùng", "tram-truong")
    return a, b, v


def _log_size(store: Store) -> int:
    return int(store.scalar("SELECT count(*) FROM audit_log"))  # type: ignore[call-overload]


def _refused(store: Store, call) -> None:  # type: ignore[no-untyped-def]
    before = _log_size(store)
    with pytest.raises(NotPermitted):
        call()
    assert _log_size(store) == before, "a refused call writes nothing"


def test_a_nurse_cannot_finalise_a_report(store: Store, two) -> None:
    store.actor = NURSE
    summary = monthly.draft(store, Month(2025, 11))
    _refused(store, lambda: reports.finalise(store, summary))
    assert not reports.state(store, Month(2025, 11)).is_final


def test_a_nurse_cannot_manage_users(store: Store, two) -> None:
    head = users.by_username(store, "truong")
    assert head is not None
    store.actor = NURSE
    _refused(store, lambda: users.create(store, "moi", "Người mới", "password-1", Role.HEAD))
    _refused(store, lambda: users.set_active(store, head.id, False))
    _refused(store, lambda: users.change_password(store, head.id, None, "password-2"))
    assert [u.username for u in users.all_users(store)] == ["truong"]


def test_a_nurse_cannot_merge_or_amend(store: Store, two) -> None:
    a, b, v = two
    store.actor = NURSE
    _refused(store, lambda: corrections.merge_patients(store, a.id, b.id, "Trùng"))
    _refused(store, lambda: corrections.amend_visit(store, Visit(**{**v.__dict__, "complaint": "Sốt"}), "Sai"))
    assert visits.get(store, v.id).complaint == "Ho"  # type: ignore[union-attr]


def test_a_nurse_cannot_restore(store: Store, tmp_path: Path) -> None:
    """The restore of ``store.backup`` works on files (the command line is the local operator); the
    app asks the store first, as here."""
    store.actor = NURSE
    with pytest.raises(NotPermitted):
        store.require(Permission.RESTORE)
    store.actor = ADMIN
    store.require(Permission.RESTORE)


def test_an_admin_records_no_clinical_data(store: Store, two) -> None:
    a, _b, v = two
    store.actor = ADMIN
    _refused(store, lambda: visits.insert(store, Visit(patient_id=a.id, visit_at=dt.datetime(2025, 11, 19, 10),
                                                       complaint="Ho")))
    _refused(store, lambda: corrections.amend_visit(store, Visit(**{**v.__dict__, "complaint": "Sốt"}), "Sai"))
    users.create(store, "yta.lan", "Đỗ Thị Lan", "password-3", Role.NURSE)  # but manages accounts
