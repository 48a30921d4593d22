"""Every public function of the store, called with a nurse, a head and an administrator, does
exactly what the one permission table (``domain.accounts.PERMISSIONS``, the README's role table)
allows: a call the role's permissions cover succeeds and leaves an audit entry; any other is
refused (``NotPermitted``) and writes nothing.

A public store function that takes the store (or an actor) and is not listed here fails
``test_every_store_function_is_listed``: a new function must say which permission it needs, or
be listed as a read of records every role may see, or as a step of its caller's write."""

from __future__ import annotations

import contextlib
import datetime as dt
import inspect
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from station_app import clock
from station_app.domain.accounts import ACCOUNT_ROLES, PERMISSIONS, SYSTEM, Actor, Permission, Role
from station_app.domain.dates import parse_partial_date
from station_app.domain.followup import Kind, Outcome, OutcomeKind
from station_app.domain.medicines import AdjustReason, PrescriptionLine, ReceiptLine
from station_app.domain.monthly import Month
from station_app.domain.patient import Patient
from station_app.domain.visit import Visit
from station_app.reports import monthly
from station_app.store import (
    Store,
    audit,
    backup,
    births,
    books,
    bulk,
    bulk_import,
    claims,
    corrections,
    database,
    epi_targets,
    errors,
    followups,
    formulary,
    history_import,
    icd10,
    importer,
    lifespan,
    notifications,
    open_store,
    patients,
    prescriptions,
    referrals,
    reports,
    schema,
    station,
    stock,
    users,
    visit_lookup,
    visits,
    vital_import,
)
from station_app.store.errors import NotPermitted

MODULES: tuple[ModuleType, ...] = (
    audit, backup, bulk, bulk_import, corrections, database, errors, followups, history_import, icd10, importer,
    patients,
    referrals, reports, schema, station, users, visits, births, books, notifications, vital_import, epi_targets,
    claims, formulary, prescriptions, stock, visit_lookup, lifespan,
)
TODAY = dt.date(2025, 11, 20)
PASSWORDS = {"truong": "tram-truong", "quantri": "tram-quantri", "yta.mai": "tram-yta-1", "yta.lan": "tram-yta-2"}
P = Permission


@dataclass
class World:
    """The ids of the records in the template station."""

    store: Store
    ids: dict[str, int] = field(default_factory=dict)
    tmp: Path = Path()

    def __getitem__(self, key: str) -> int:
        return self.ids[key]


Call = Callable[[World], object]


@dataclass(frozen=True)
class Case:
    needs: frozenset[Permission]  # every one of these, or the call is refused
    call: Call
    label: str = ""


def case(needs: Permission | tuple[Permission, ...] | None, call: Call, label: str = "") -> Case:
    wanted = () if needs is None else needs if isinstance(needs, tuple) else (needs,)
    return Case(frozenset(wanted), call, label)


def _visit(w: World) -> Visit:
    return Visit(patient_id=w["adult"], visit_at=dt.datetime(2025, 11, 20, 10), complaint="Đau đầu",
                 diagnosis_code="I10", bp_systolic=150, bp_diastolic=95)


def _summary(w: World) -> Any:
    return monthly.draft(w.store, Month(2025, 11))


def _own_password(w: World) -> None:
    actor = w.store.actor
    users.change_password(w.store, actor.user_id or 0, PASSWORDS[actor.username], "a-new-password-1")


def _slip(w: World) -> Any:
    slip = referrals.get(w.store, w["referral"])
    assert slip is not None
    return replace(slip, reason="Cần chụp phim phổi")


def _preview(w: World) -> Any:
    from station_app.domain import table_import as ti

    headers = ["Họ và tên", "Giới tính", "Ngày sinh"]
    table = ti.Table(headers, 1, [(2, ["Đinh Văn Mới", "Nam", "1971"])])
    return ti.build_preview(table, ti.suggest_mapping(headers, "patients"), "patients", TODAY)


def _history(w: World) -> Any:
    from station_app.domain import history_import as hi

    keys = ["record_no", "vaccine", "date", "place"]
    child = patients.get(w.store, w["child"])
    assert child is not None
    preview = hi.build_preview([(2, [child.record_no, "BCG", "02/06/2025", "Bệnh viện huyện"])],
                               dict(enumerate(keys)), "vaccinations", dt.datetime(2025, 11, 20, 9))
    history_import.find_patients(w.store, preview)
    return preview


def _delivery(w: World) -> Any:
    from station_app.domain.births import Baby, Delivery, Place

    # (an earlier pregnancy: the mother's delivery of 18/11/2025 is months away)
    return Delivery(w["mother"], dt.datetime(2025, 6, 20, 23, 0), Place.STATION, babies=(Baby("2", 3000),))


def _death(w: World, **changes: Any) -> Any:
    from station_app.domain.births import Death, Place

    return replace(Death(w["adult"], TODAY, Place.HOME, cause_code="I21"), **changes)


def _vital_rows(w: World) -> tuple[list[Any], dict[int, int]]:
    from station_app.domain import vital_import as vi

    mother = patients.get(w.store, w["mother"])
    assert mother is not None
    rows = vi.rows([(2, [mother.record_no, "nữ", "10/01/2025 06:00", "2900"])],
                   dict(enumerate(["mother_record_no", "sex", "born_at", "weight_grams"])), "births",
                   dt.datetime(2025, 11, 20, 9))
    return rows, vital_import.find_people(w.store, rows)


def _receipt(lot: str) -> ReceiptLine:
    return ReceiptLine("AMLO5", lot, TODAY + dt.timedelta(days=400), 500, 300)


def _import_rows() -> list[Any]:
    from station_app.domain.patient_import import read_rows

    _mapping, rows = read_rows("Họ và tên,Giới tính,Ngày sinh\nĐinh Văn Nhập,Nam,1972\n", TODAY)
    return rows


# -- what each public store function needs -------------------------------------------------------------
# Writes and protected reads: the cases to call. The permission is what the table must allow.
CHECKED: dict[str, list[Case]] = {
    # accounts
    "users.create": [case(P.MANAGE_USERS, lambda w: users.create(w.store, "yta.moi", "Người Mới", "password-77",
                                                                  Role.NURSE)),
                     case((P.MANAGE_USERS, P.MANAGE_HEADS),
                          lambda w: users.create(w.store, "truong2", "Trưởng Hai", "password-78", Role.HEAD),
                          "a head's account")],
    "users.change_password": [case(None, _own_password, "one's own"),
                              case(P.MANAGE_USERS, lambda w: users.change_password(w.store, w["lan"], None,
                                                                                   "password-79"), "a nurse's"),
                              case((P.MANAGE_USERS, P.MANAGE_HEADS),
                                   lambda w: users.change_password(w.store, w["head2"], None, "password-80"),
                                   "a head's")],
    "users.set_role": [case(P.MANAGE_USERS, lambda w: users.set_role(w.store, w["lan"], Role.ADMIN)),
                       case((P.MANAGE_USERS, P.MANAGE_HEADS), lambda w: users.set_role(w.store, w["lan"], Role.HEAD),
                            "to head"),
                       case((P.MANAGE_USERS, P.MANAGE_HEADS),
                            lambda w: users.set_role(w.store, w["head2"], Role.NURSE), "from head")],
    "users.set_active": [case(P.MANAGE_USERS, lambda w: users.set_active(w.store, w["lan"], False)),
                         case((P.MANAGE_USERS, P.MANAGE_HEADS), lambda w: users.set_active(w.store, w["head2"], False),
                              "a head")],
    "users.unlock": [case(P.MANAGE_USERS, lambda w: users.unlock(w.store, w["lan"]))],
    "users.set_idle_lock_minutes": [case(P.MANAGE_USERS, lambda w: users.set_idle_lock_minutes(w.store, 0))],
    # the station
    "station.save_profile": [case(P.EDIT_STATION, lambda w: station.save_profile(
        w.store, replace(station.load_profile(w.store), head_name="Trần Thị Mai")))],
    "station.save_staff": [case(P.EDIT_STATION, lambda w: station.save_staff(
        w.store, station.StaffMember("Trần Thị Mai", "Trạm trưởng", id=w["staff"])))],
    "station.save_villages": [case(P.EDIT_STATION, lambda w: station.save_villages(w.store, ["Thôn Mới"]))],
    "epi_targets.save_targets": [case(P.EDIT_STATION, lambda w: epi_targets.save_targets(
        w.store, 2025, {"u1": 120, "pregnant": 130}))],
    # patients
    "patients.insert": [case(P.EDIT_PATIENTS, lambda w: patients.insert(w.store, Patient(
        full_name="Đinh Văn Mới", sex="1", birth=parse_partial_date("1971"))))],
    "patients.update": [case(P.EDIT_PATIENTS, lambda w: patients.update(w.store, replace(
        patients.get(w.store, w["adult"]), phone="0911000111")))],  # type: ignore[type-var]
    # visits and follow-ups
    "visits.insert": [case(P.RECORD_VISITS, lambda w: visits.insert(w.store, _visit(w)))],
    "followups.add_item": [case(P.RECORD_VISITS, lambda w: followups.add_item(w.store, w["adult"], Kind.CUSTOM,
                                                                             "Gọi lại", TODAY))],
    "followups.record_outcome": [case(P.RECORD_VISITS, lambda w: followups.record_outcome(
        w.store, w["item"], Outcome(OutcomeKind.AGREED, TODAY, note="Hẹn thứ Hai")))],
    "followups.undo_outcome": [case(P.RECORD_VISITS, lambda w: followups.undo_outcome(w.store, w["outcome"]))],
    "followups.undo_outcomes": [case(P.RECORD_VISITS, lambda w: followups.undo_outcomes(w.store, [w["outcome"]]))],
    "followups.mark_deceased": [case(P.RECORD_VISITS, lambda w: followups.mark_deceased(w.store, w["adult"], TODAY))],
    "followups.enrol": [case(P.RECORD_VISITS, lambda w: followups.enrol(w.store, w["adult"], "diabetes", TODAY))],
    "followups.close_enrolment": [case(P.RECORD_VISITS, lambda w: followups.close_enrolment(
        w.store, w["enrolment"], TODAY, "moved"))],
    "followups.record_dose": [case(P.RECORD_VISITS, lambda w: followups.record_dose(w.store, w["child"], "bcg", 1,
                                                                                   TODAY))],
    "followups.sync_vaccination": [case(P.RECORD_VISITS, lambda w: followups.sync_vaccination(
        w.store, w["child"], TODAY + dt.timedelta(days=400)))],
    "followups.sync_antenatal": [case(P.RECORD_VISITS, lambda w: followups.sync_antenatal(w.store, w["mother"],
                                                                                         TODAY))],
    # referrals
    "referrals.issue": [case(P.RECORD_VISITS, lambda w: referrals.issue(w.store, replace(
        _slip(w), id=None, seq=None, book_no="")))],
    "referrals.update_slip": [case(P.AMEND_RECORDS, lambda w: referrals.update_slip(w.store, _slip(w), "Sai lý do"))],
    "referrals.cancel": [case(P.RECORD_VISITS, lambda w: referrals.cancel(w.store, w["referral"], "Không đi"))],
    "referrals.record_outcome": [case(P.RECORD_VISITS, lambda w: referrals.record_outcome(
        w.store, w["referral"], "arrived", TODAY))],
    "referrals.mark_printed": [case(P.PRINT, lambda w: referrals.mark_printed(w.store, w["referral"]))],
    # corrections and merges
    "corrections.amend_visit": [case(P.AMEND_RECORDS, lambda w: corrections.amend_visit(w.store, replace(
        visits.get(w.store, w["visit"]), complaint="Ho khan"), "Ghi nhầm"))],  # type: ignore[type-var]
    "corrections.merge_patients": [case(P.MERGE_PATIENTS, lambda w: corrections.merge_patients(
        w.store, w["duplicate"], w["adult"], "Trùng hồ sơ"))],  # (the record with the death is kept)
    "corrections.unmerge": [case(P.MERGE_PATIENTS, lambda w: corrections.unmerge(w.store, w["merge"], "Nhầm"))],
    # the monthly report
    "reports.correct": [case(P.FINALISE_REPORT, lambda w: reports.correct(
        w.store, _summary(w), "consult.visits//total", 9, "Sổ giấy"))],
    "reports.finalise": [case(P.FINALISE_REPORT, lambda w: reports.finalise(w.store, _summary(w)))],
    "reports.reopen": [case(P.FINALISE_REPORT, lambda w: reports.reopen(w.store, Month(2025, 10), "Thiếu số liệu"))],
    # imports
    "bulk_import.apply": [case(P.IMPORT, lambda w: bulk_import.apply(w.store, _preview(w)))],
    "importer.import_rows": [case(P.IMPORT, lambda w: importer.import_rows(w.store, _import_rows()))],
    "history_import.apply": [case((P.IMPORT, P.RECORD_VISITS), lambda w: history_import.apply(w.store, _history(w)))],
    # births, deaths, notifications
    "births.record_delivery": [case((P.RECORD_VISITS, P.EDIT_PATIENTS), lambda w: births.record_delivery(
        w.store, _delivery(w)))],
    "births.correct_delivery": [case(P.AMEND_RECORDS, lambda w: births.correct_delivery(
        w.store, replace(_delivery(w), id=w["delivery"], attendant="Trần Thị Mai"), "Thiếu người đỡ"))],
    "births.record_death": [case(P.RECORD_VISITS, lambda w: births.record_death(w.store, _death(w)))],
    "births.correct_death": [case(P.AMEND_RECORDS, lambda w: births.correct_death(
        w.store, _death(w, id=w["death"], cause_code="I64"), "Giấy báo tử"))],
    "notifications.mark_sent": [case(P.RECORD_VISITS, lambda w: notifications.mark_sent(w.store, w["notification"]))],
    "notifications.listing": [case(P.VIEW_RECORDS, lambda w: notifications.listing(w.store))],
    "notifications.get": [case(P.VIEW_RECORDS, lambda w: notifications.get(w.store, w["notification"]))],
    "vital_import.apply": [case((P.IMPORT, P.RECORD_VISITS), lambda w: vital_import.apply(
        w.store, "births", *_vital_rows(w)))],
    "books.rows": [case(P.VIEW_RECORDS, lambda w: books.rows(w.store, "A4", TODAY, TODAY))],
    "books.immunisation_children": [case(P.VIEW_RECORDS, lambda w: books.immunisation_children(w.store, TODAY,
                                                                                              TODAY))],
    "books.tetanus_women": [case(P.VIEW_RECORDS, lambda w: books.tetanus_women(w.store, TODAY, TODAY))],
    "books.antenatal_visits": [case(P.VIEW_RECORDS, lambda w: books.antenatal_visits(w.store, TODAY, TODAY))],
    "books.deliveries": [case(P.VIEW_RECORDS, lambda w: books.deliveries(w.store, TODAY, TODAY))],
    "books.deaths": [case(P.VIEW_RECORDS, lambda w: books.deaths(w.store, TODAY, TODAY))],
    # insurance claims: the station's claims codes, priced services, staff numbers; a card's and a
    # visit's claim fields; the register of a run and the portal's answer
    "claims.save_settings": [case(P.EDIT_STATION, lambda w: claims.save_settings(w.store, department_code="K02"))],
    "claims.save_service": [case(P.EDIT_STATION, lambda w: claims.save_service(w.store, claims.PricedService(
        "MA_KHAM_TYT", "Khám bệnh tại Trạm Y tế xã", 38000, TODAY)))],
    "claims.save_staff_numbers": [case(P.EDIT_STATION, lambda w: claims.save_staff_numbers(
        w.store, w["staff"], "000111/HNO-CCHN", "0101234567"))],
    "claims.save_patient_claim_fields": [case(P.EDIT_PATIENTS, lambda w: claims.save_patient_claim_fields(
        w.store, w["adult"], insurance_facility="01001"))],
    "claims.set_category": [case(P.RECORD_VISITS, lambda w: claims.set_category(w.store, w["visit"], "1.1"))],
    "claims.record": [case(P.EXPORT_CLAIMS, lambda w: claims.record(w.store, [claims.RunEntry(
        w["visit"], "01001_2025_11_KB0000001", [], 0, 0, 0, str(w.tmp / "a.xml"), "v1", False)],
        "2025-11-19..2025-11-19", str(w.tmp)))],
    "claims.set_aside_card": [case(P.AMEND_RECORDS, lambda w: claims.set_aside_card(w.store, w["card"], "Nhập nhầm"))],
    "claims.record_answer": [case(P.EXPORT_CLAIMS, lambda w: claims.record_answer(w.store, w["rx_visit"],
                                                                                  accepted=True))],
    # medicines: the formulary, the stock ledger
    "formulary.add": [case(P.MANAGE_FORMULARY, lambda w: formulary.add(w.store, replace(
        formulary.get(w.store, "AMLO5"), code="AMLO2", strength="2.5 mg", id=None)))],  # type: ignore[type-var]
    "formulary.edit": [case(P.MANAGE_FORMULARY, lambda w: formulary.edit(w.store, replace(
        formulary.get(w.store, "AMLO5"), brand="Amlor"), "Tên biệt dược"))],  # type: ignore[type-var]
    "formulary.retire": [case(P.MANAGE_FORMULARY, lambda w: formulary.retire(w.store, "AMLO5", "Ngừng cấp"))],
    "stock.receive": [case(P.RECEIVE_STOCK, lambda w: stock.receive(w.store, [_receipt("L2")], TODAY))],
    "stock.return_line": [case(P.DISPENSE, lambda w: stock.return_line(w.store, w["line"], 1, TODAY))],
    "stock.adjust": [case(P.ADJUST_STOCK, lambda w: stock.adjust(w.store, w["lot"], -1, AdjustReason.DAMAGED,
                                                                 TODAY))],
    "stock.record_count": [case(P.ADJUST_STOCK, lambda w: stock.record_count(w.store, {w["lot"]: 480}, TODAY))],
    # the audit log and what leaves the program
    "audit.entries": [case(P.VIEW_AUDIT, lambda w: audit.entries(w.store))],
    "audit.usernames": [case(P.VIEW_AUDIT, lambda w: audit.usernames(w.store))],
    "audit.verify": [case(P.VIEW_AUDIT, lambda w: audit.verify(w.store))],
    "audit.patient_history": [case(P.VIEW_RECORDS, lambda w: audit.patient_history(w.store, w["adult"]))],
    "audit.record_output": [case(P.PRINT, lambda w: audit.record_output(w.store, P.PRINT, audit.PRINT, "visit_book")),
                            case(P.EXPORT, lambda w: audit.record_output(w.store, P.EXPORT, audit.EXPORT, "patients"),
                                 "an export")],
    # restoring (files, for the person asking)
    "backup.restore": [case(P.RESTORE, lambda w: _restore(w, staged=False))],
    "backup.commit_restore": [case(P.RESTORE, lambda w: _restore(w, staged=True))],
}
# Reads of protected data: allowed calls leave no audit entry of their own.
READS = {"audit.entries", "audit.usernames", "audit.verify", "audit.patient_history", "notifications.listing",
         "notifications.get", "books.rows", "books.immunisation_children", "books.tetanus_women",
         "books.antenatal_visits", "books.deliveries", "books.deaths"}
# Restores replace the file: their entry is written, by whoever asked, into the restored database
# (``ui.views.backups.swap_in``, ``main.py restore``).
FILE_SWAPS = {"backup.restore", "backup.commit_restore"}

# Any actor, by design: logging in and out, one's own entries in the log, the reference catalogue.
ANY_ACTOR = {
    "users.create_first_head": "refused once any account exists (the first start of a station)",
    "users.login": "whoever types at the login window",
    "users.check_password": "the screen lock's password check, a login",
    "users.logout": "anyone logs out",
    "audit.record": "every actor's actions are recorded (a record opened is an entry of its own)",
    "icd10.ensure_loaded": "the diagnosis catalogue shipped with the program, at any start",
    "followups.clear_cache": "drops this program's own cache of the work list",
    "notifications.count_open": "the count on Hôm nay (no patient named)",
    "formulary.ensure_starter": "a new station's starter formulary, shipped with the program, once",
}
# Steps of a write opened by their caller (whose permission and audit entry cover them): outside a
# write they refuse to run at all.
INSIDE_A_WRITE: dict[str, Call] = {
    "bulk.insert_rows": lambda w: bulk.insert_rows(w.store, "villages", ("name",), [("Thôn X",)]),
    "corrections.keep_referral_version": lambda w: corrections.keep_referral_version(
        w.store, w["referral"], {"reason": "x"}, "x"),
    "followups.after_visit": lambda w: followups.after_visit(w.store, replace(_visit(w), id=w["visit"])),
    "followups.on_patient_registered": lambda w: followups.on_patient_registered(
        w.store, patients.get(w.store, w["child"])),  # type: ignore[arg-type]
    "notifications.after_visit": lambda w: notifications.after_visit(w.store, replace(
        _visit(w), id=w["visit"], diagnosis_code="A90")),
    "notifications.after_death": lambda w: notifications.after_death(w.store, w["adult"], 1, "A15", TODAY),
    "prescriptions.record": lambda w: prescriptions.record(w.store, replace(_visit(w), id=w["visit"]), [
        PrescriptionLine("AMLO5", 5, "1 viên", 1, 5)]),
    "prescriptions.replace_open_refills": lambda w: prescriptions.replace_open_refills(
        w.store, replace(_visit(w), id=w["visit"]), "hypertension"),
    "stock.dispense": lambda w: stock.dispense(w.store, w["line"], "AMLO5", 1, TODAY),
}
# Reads of the records, which every account's role may see (VIEW_RECORDS, checked below to be in
# every role), and of the station's settings: nothing to refuse.
RECORD_READS = {
    "audit": {"entry_hash"},
    "corrections": {"versions", "amendment_counts", "visit_versions", "referral_versions", "get_merge",
                    "merges_of", "recent_merges", "for_patient"},
    "history_import": {"find_patients"},
    "followups": {"rule_of", "patient_items", "get_item", "list_items", "high_risk_patients", "work_rows",
                  "items_open_on", "items_and_rules_open_on", "section_counts", "enrolments", "given_doses"},
    "icd10": {"search", "get"},
    "patients": {"get", "get_many", "by_record_no", "count", "all_ids", "search_ids", "search",
                 "possible_duplicates", "find", "vocabulary", "registry_people", "duplicate_groups"},
    "referrals": {"get", "for_book", "book", "for_patient", "id_of_number"},
    "reports": {"state", "finalised", "corrections", "correction_history", "final_summary", "latest_data",
                "records"},
    "station": {"load_profile", "staff", "villages"},
    "epi_targets": {"targets"},
    "users": {"all_users", "get", "by_username", "has_accounts", "idle_lock_minutes", "staff_id"},
    "visits": {"get", "for_patient", "log_ids", "log_totals", "log_rows", "count_on", "recent_patient_ids",
               "clinicians"},
    "bulk_import": {"find_matches"},
    "births": {"get_delivery", "deliveries_of", "birth_of", "death_of", "get_death", "dose_place", "delivery_near"},
    "vital_import": {"find_people"},
    "claims": {"station_info", "services", "count_insured", "gather", "register", "month_totals", "earlier_cards"},
    "formulary": {"drugs", "by_code", "get", "version", "history"},
    "prescriptions": {"check", "refill_for", "for_visit", "last_for_programme", "last_visit_of_patient_programmes"},
    "stock": {"lots", "on_hand", "ledger_problems", "period", "movements", "expiring", "low_stock", "check_receipt",
              "dispensed_lots"},
    "visit_lookup": {"resolve"},
    "lifespan": {"death_day", "last_care", "after_death", "death_before_care"},
}


def _restore(w: World, *, staged: bool) -> object:
    made = backup.make_backup(w.store.path, w.tmp / "backups")
    db = w.store.path.with_name("restored.sqlite3")
    shutil.copyfile(w.store.path, db)
    by = w.store.actor
    if staged:
        ready = backup.stage_restore(db, made)
        return backup.commit_restore(db, ready, by=by)
    return backup.restore(db, made, by=by)


# -- the walk --------------------------------------------------------------------------------------------
def _takes_store_or_actor(function: Callable[..., object]) -> bool:
    for parameter in inspect.signature(function).parameters.values():
        if str(parameter.annotation) in {"Store", "Actor", "Store | None", "Actor | None"}:
            return True
    return False


def _public_functions() -> Iterator[tuple[str, Callable[..., object]]]:
    for module in MODULES:
        short = module.__name__.rsplit(".", 1)[1]
        for name, value in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(value) or value.__module__ != module.__name__:
                continue
            yield f"{short}.{name}", value


def test_every_store_function_is_listed() -> None:
    listed = set(CHECKED) | set(ANY_ACTOR) | set(INSIDE_A_WRITE)
    listed |= {f"{module}.{name}" for module, names in RECORD_READS.items() for name in names}
    unlisted = sorted(name for name, function in _public_functions()
                      if _takes_store_or_actor(function) and name not in listed)
    assert unlisted == [], "say which permission these need (CHECKED) or why none (the other lists)"
    gone = sorted(listed - {name for name, _f in _public_functions()})
    assert gone == [], "listed but no longer in the store"


def test_every_role_may_see_the_records() -> None:
    """What justifies RECORD_READS: seeing the records is in every account's role."""
    assert all(Permission.VIEW_RECORDS in PERMISSIONS[role] for role in ACCOUNT_ROLES)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, int]]]:
    """One station with a record of every kind, copied for each call."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "station.sqlite3"
    ids: dict[str, int] = {}
    with clock.pinned(TODAY):
        store = open_store(path)
        ids["head"] = users.create_first_head(store, "truong", "Nguyễn Văn Hùng", PASSWORDS["truong"]).id
        ids["admin"] = users.create(store, "quantri", "Quản Trị", PASSWORDS["quantri"], Role.ADMIN).id
        ids["nurse"] = users.create(store, "yta.mai", "Trần Thị Mai", PASSWORDS["yta.mai"], Role.NURSE).id
        ids["lan"] = users.create(store, "yta.lan", "Đỗ Thị Lan", PASSWORDS["yta.lan"], Role.NURSE).id
        ids["head2"] = users.create(store, "pho.truong", "Lê Văn Phó", "tram-pho-1", Role.HEAD).id
        station.save_profile(store, station.StationProfile(name="Trạm Y tế xã An Bình", head_name="Nguyễn Văn Hùng"))
        ids["staff"] = station.save_staff(store, station.StaffMember("Nguyễn Văn Hùng", "Trạm trưởng")).id or 0

        def add(name: str, birth: str, sex: str = "2", **more: object) -> int:
            saved = patients.insert(store, Patient(full_name=name, sex=sex, birth=parse_partial_date(birth),
                                                   **more))  # type: ignore[arg-type]
            return saved.id or 0

        ids["adult"] = add("Trần Thị Lan", "1960", phone="0987654321")
        ids["duplicate"] = add("Tran Thi Lan", "1960")
        ids["child"] = add("Lê Văn Bé", "2025-06-01", sex="1")
        ids["mother"] = add("Phạm Thị Hoa", "1998")
        kept, merged = add("Hoàng Văn Một", "1950", sex="1"), add("Hoang Van Mot", "1950", sex="1")
        ids["merge"] = corrections.merge_patients(store, kept, merged, "Trùng").id
        ids["enrolment"] = followups.enrol(store, ids["adult"], "hypertension", TODAY)
        followups.enrol(store, ids["mother"], "antenatal", TODAY, lmp=TODAY - dt.timedelta(days=70))
        ids["item"] = followups.add_item(store, ids["adult"], Kind.REVISIT, "Tái khám", TODAY)
        called = followups.add_item(store, ids["mother"], Kind.CUSTOM, "Gọi lại", TODAY)
        ids["outcome"] = followups.record_outcome(store, called, Outcome(OutcomeKind.AGREED, TODAY))
        visit = visits.insert(store, Visit(patient_id=ids["adult"], visit_at=dt.datetime(2025, 11, 19, 9),
                                           complaint="Ho", diagnosis_code="J00"))
        ids["visit"] = visit.id or 0
        patient = patients.get(store, ids["adult"])
        assert patient is not None
        slip = referrals.prefill(patient, visit, station.load_profile(store), TODAY)
        slip = replace(slip, receiving_facility="Bệnh viện huyện", diagnosis="Viêm phổi", reason="Chụp phim")
        ids["referral"] = referrals.issue(store, slip, visit.id).id or 0
        reports.finalise(store, monthly.draft(store, Month(2025, 10)))
        from station_app.domain.births import Baby, Death, Delivery, Place

        born = births.record_delivery(store, Delivery(ids["mother"], dt.datetime(2025, 11, 18, 8, 0), Place.HOME,
                                                      babies=(Baby("1", 3100),)))
        ids["delivery"] = born.id or 0
        ids["death"] = births.record_death(store, Death(ids["duplicate"], TODAY, Place.HOME, cause_code="A15")).id or 0
        card_holder = patients.get(store, ids["mother"])
        assert card_holder is not None
        for year in (2024, 2025):  # (a card renewed once: the 2024 card is kept)
            card_holder = patients.update(store, replace(
                card_holder, insurance_no="GD4481234567890", insurance_valid_from=dt.date(year, 1, 1),
                insurance_valid_to=dt.date(year, 12, 31)))
        ids["card"] = int(store.scalar("SELECT id FROM insurance_cards WHERE patient_id = ?", (ids["mother"],)))
        ids["notification"] = notifications.listing(store)[0].id
        stock.receive(store, [_receipt("L1")], TODAY - dt.timedelta(days=5))
        ids["lot"] = stock.lots(store, "AMLO5")[0].lot_id
        rx = visits.insert(store, Visit(patient_id=ids["adult"], visit_at=dt.datetime(2025, 11, 19, 10),
                                        complaint="Tái khám", diagnosis_code="I10", insurance_paid=True),
                           prescription=[PrescriptionLine("AMLO5", 10, "1 viên", 1, 10)])
        ids["rx_visit"] = rx.id or 0
        ids["line"] = prescriptions.for_visit(store, ids["rx_visit"])[0][0].id or 0
        claims.record(store, [claims.RunEntry(ids["rx_visit"], "01001_2025_11_KB0000002", [], 0, 0, 0,
                                              str(folder / "b.xml"), "v1", False)], "2025-11-19..2025-11-19",
                      str(folder))
        store.close()
    yield path, ids


ROLE_ACTORS = {
    Role.NURSE: ("nurse", "yta.mai"),
    Role.HEAD: ("head", "truong"),
    Role.ADMIN: ("admin", "quantri"),
}
CASES = [(name, n, c) for name, cases in CHECKED.items() for n, c in enumerate(cases)]


@pytest.mark.parametrize("role", ACCOUNT_ROLES, ids=str)
@pytest.mark.parametrize(("name", "number", "the_case"), CASES,
                         ids=[f"{name}{'-' + c.label if c.label else ''}" for name, _n, c in CASES])
def test_each_role_may_do_what_the_table_says(template, tmp_path: Path, role: Role, name: str, number: int,
                                              the_case: Case) -> None:
    with _opened_as(template, tmp_path, role) as (store, ids):
        world = World(store, ids, tmp_path)
        allowed = the_case.needs <= PERMISSIONS[role]
        before = _log_size(store)
        if allowed:
            result = the_case.call(world)
            after = _log_size(store)
            if name in READS:
                assert after == before, "a read writes nothing"
            elif name in FILE_SWAPS:
                assert isinstance(result, Path) and result.exists(), "restored, the old file kept aside"
            else:
                assert after > before, f"{name} by a {role} left no audit entry"
        else:
            with pytest.raises(NotPermitted) as refused:
                the_case.call(world)
            missing = sorted(the_case.needs - PERMISSIONS[role])
            assert refused.value.params["permission"] in missing
            assert _log_size(store) == before, "a refused call writes nothing"


@pytest.mark.parametrize("role", ACCOUNT_ROLES, ids=str)
def test_any_actor_functions_and_record_reads_are_open(template, tmp_path: Path, role: Role) -> None:
    with _opened_as(template, tmp_path, role) as (store, ids):
        # a few of the record reads, for every role
        assert patients.get(store, ids["adult"]) is not None
        assert followups.patient_items(store, ids["adult"])
        assert referrals.book(store)
        assert station.load_profile(store).name
        assert audit.patient_history(store, ids["adult"])
        with pytest.raises(users.AccountRefused):
            users.create_first_head(store, "ai.do", "Ai Đó", "password-99")
        users.logout(store)
        assert store.actor is SYSTEM or store.actor.role is Role.SYSTEM


@pytest.mark.parametrize("name", sorted(INSIDE_A_WRITE))
def test_steps_of_a_write_never_run_alone(template, tmp_path: Path, name: str) -> None:
    with _opened_as(template, tmp_path, Role.HEAD) as (store, ids):
        before = _log_size(store)
        with pytest.raises(RuntimeError, match="inside a write"):
            INSIDE_A_WRITE[name](World(store, ids, tmp_path))
        assert _log_size(store) == before


def test_the_command_line_may_do_everything() -> None:
    assert PERMISSIONS[Role.SYSTEM] == frozenset(Permission)
    assert SYSTEM.role is Role.SYSTEM


@contextlib.contextmanager
def _opened_as(template: tuple[Path, dict[str, int]], tmp_path: Path,
               role: Role) -> Iterator[tuple[Store, dict[str, int]]]:
    """A copy of the template station, open on a pinned day with one of its accounts as the actor."""
    source, ids = template
    path = tmp_path / "station.sqlite3"
    shutil.copyfile(source, path)
    with clock.pinned(TODAY):
        store = open_store(path, verify=False)
        try:
            key, username = ROLE_ACTORS[role]
            store.actor = Actor(ids[key], username, username, role)
            yield store, ids
        finally:
            store.close()


def _log_size(store: Store) -> int:
    return int(store.scalar("SELECT count(*) FROM audit_log"))  # type: ignore[call-overload]


# (schema and database expose no function taking a store besides open_store, which opens one)
_ = (schema, database, errors, Callable)
