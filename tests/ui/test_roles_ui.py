"""What a role may not do is not offered: the buttons of the main actions, per role, on the demo
station (its nurse yta.mai, head truong and administrator quantri). The store refuses the same
actions anyway (tests/store/test_role_table.py); here nobody is asked first and refused after."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QPushButton

from station_app.domain.accounts import Role
from station_app.store import users, visits
from station_app.ui.views.backups import BackupsBox
from station_app.ui.views.patient_followups import FollowUpsTab, ProgrammesTab
from station_app.ui.views.users import UsersSection

ROLES = ("nurse", "head", "admin")


def _shown(button: QPushButton) -> bool:
    return not button.isHidden() and button.isEnabled()


@pytest.mark.parametrize("role", ROLES)
def test_settings_offer_the_station_profile_backups_and_restore_by_role(make_session, demo_copy: Path,
                                                                        role: str) -> None:
    session = make_session(demo_copy, role=role)
    view = session.window.show_area("settings")
    head = role == "head"
    assert [_shown(b) for b in view.station_buttons] == [head] * 4
    assert all(edit.isReadOnly() is not head for edit in view.profile_edits.values())
    assert view.villages.isReadOnly() is not head
    box = view.findChild(BackupsBox)
    assert _shown(box.backup_now)
    assert _shown(box.restore) is (role != "nurse")
    assert _shown(box.export) is (role != "nurse")
    assert (view.findChild(UsersSection) is not None) is (role != "nurse")


def test_an_admin_is_not_offered_the_heads_role_or_a_heads_account(make_session, demo_copy: Path) -> None:
    session = make_session(demo_copy, role="admin")
    section = session.window.show_area("settings").findChild(UsersSection)
    assert section is not None
    names = [section.table.item(r, 0).text() for r in range(section.table.rowCount())]
    section.table.selectRow(names.index("truong"))
    assert [section.buttons[k].isEnabled() for k in ("password", "role", "active")] == [False] * 3
    section.table.selectRow(names.index("yta.mai"))
    assert [section.buttons[k].isEnabled() for k in ("password", "role", "active")] == [True] * 3
    from station_app.ui.views.users import NewUserDialog, grantable_roles

    assert Role.HEAD not in grantable_roles(session.store.actor)
    dialog = NewUserDialog(session.ctx, section)
    offered = [dialog.role.itemData(i) for i in range(dialog.role.count())]
    assert offered == ["nurse", "admin"]
    dialog.deleteLater()


def test_the_head_may_give_the_heads_role(make_session, demo_copy: Path) -> None:
    session = make_session(demo_copy, role="head")
    section = session.window.show_area("settings").findChild(UsersSection)
    from station_app.ui.views.users import NewUserDialog

    dialog = NewUserDialog(session.ctx, section)
    assert [dialog.role.itemData(i) for i in range(dialog.role.count())] == ["nurse", "head", "admin"]
    dialog.deleteLater()
    assert users.by_username(session.store, "truong").role is Role.HEAD  # type: ignore[union-attr]


@pytest.mark.parametrize(("role", "expected"), [
    ("nurse", set()),
    ("head", {"Merge duplicates…", "Import from Excel…", "Export to Excel…"}),
    ("admin", {"Import from Excel…", "Export to Excel…"}),
])
def test_the_patient_list_offers_merge_import_and_export_by_role(make_session, demo_copy: Path, role: str,
                                                                 expected: set[str]) -> None:
    session = make_session(demo_copy, role=role)
    registry = session.window.show_area("patients")
    assert set(registry.list.action_buttons) == expected


@pytest.mark.parametrize("role", ROLES)
def test_the_patient_page_offers_amendments_and_clinical_entries_by_role(make_session, demo_copy: Path,
                                                                         role: str) -> None:
    session = make_session(demo_copy, role=role)
    registry = session.window.show_area("patients")
    registry.open_patient(visits.recent_patient_ids(session.store, 1)[0])
    page = registry.page
    assert ("Amend…" in page.visit_buttons) is (role == "head")
    assert "History…" in page.visit_buttons
    clinical = role != "admin"
    tab = page.findChild(FollowUpsTab)
    assert (not tab.add_button.isHidden()) is clinical
    programmes = page.findChild(ProgrammesTab)
    assert [not b.isHidden() for b in (programmes.enrol_button, programmes.close_button,
                                       programmes.dose_button)] == [clinical] * 3


@pytest.mark.parametrize("role", ROLES)
def test_the_follow_up_list_offers_printing_exporting_and_calls_by_role(make_session, demo_copy: Path,
                                                                        role: str) -> None:
    session = make_session(demo_copy, role=role)
    view = session.window.show_area("followups")
    assert view.model.rowCount() > 0
    assert view.print_button.isHidden() is not (role != "admin")
    assert view.export_button.isHidden() is not (role != "nurse")
    view.table.selectRow(0)
    view._update_buttons()
    assert view.agreed_button.isEnabled() is (role != "admin")


@pytest.mark.parametrize("role", ROLES)
def test_the_report_offers_finalising_printing_and_exporting_by_role(make_session, demo_copy: Path,
                                                                     role: str) -> None:
    session = make_session(demo_copy, role=role)
    view = session.window.show_area("reports")
    head = role == "head"
    for button in (view.correct_button, view.finalise_button, view.reopen_button):
        assert (not button.isHidden()) is head
    for button in (view.pdf_button, view.book_button):
        assert (not button.isHidden()) is (role != "admin")
    for button in (view.xlsx_button, view.dhis2_button):
        assert (not button.isHidden()) is (role != "nurse")


def test_an_export_of_the_follow_up_list_is_audited(make_session, demo_copy: Path, tmp_path: Path,
                                                    read_log) -> None:
    session = make_session(demo_copy, role="head")
    view = session.window.show_area("followups")
    written = view.export_list(tmp_path / "list.csv")
    assert written is not None and written.exists()
    entry = read_log(session.store)[0]
    assert (entry.action, entry.target_type, entry.username) == ("export", "followups", "truong")
    assert entry.details["rows"] == view.model.rowCount()
