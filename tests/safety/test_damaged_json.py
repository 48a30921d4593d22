"""One damaged JSON cell — a file edited by hand, a copy gone wrong — never crashes a screen or a
command: the record still shows (with a safe empty value where that is honest), or the one thing
that cannot be read is refused in one clear line naming it. Never a traceback, never an entry in
error.log. The audit chain is not made tolerant: a changed detail is still reported as tampering."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from station_app import clock, paths
from station_app.cli import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, main
from station_app.domain.monthly import Month
from station_app.reports import claims as claims_run
from station_app.reports import monthly
from station_app.store import audit, corrections, open_store, referrals, reports, visits
from station_app.store import claims as store_claims
from station_app.store.errors import StoreError
from tests.conftest import TODAY

BAD = "{not json"
REFERRAL = "000005/2025/PCCSKBCB"  # the demo's last slip, of an insured visit on 28/10/2025
SENT = Month(2025, 9)  # the last month the head finalised; October is the draft


def damage(db: Path, sql: str, params: tuple = ()) -> None:
    """Change a cell as a person with an SQLite tool would (dropping the triggers in the way)."""
    conn = sqlite3.connect(db)
    try:
        triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                "AND tbl_name IN ('audit_log', 'report_snapshots', 'amendments')").fetchall()
        for name, _sql in triggers:
            conn.execute(f'DROP TRIGGER "{name}"')
        conn.execute(sql, params)
        for _name, text in triggers:
            conn.execute(text)
        conn.commit()
    finally:
        conn.close()


def damage_demo(demo_copy: Path, tmp_path: Path) -> dict[str, int]:
    """The demo with one cell of each JSON column damaged; the ids of the damaged records."""
    store = open_store(demo_copy)
    try:
        referral_id = referrals.id_of_number(store, REFERRAL)
        assert referral_id is not None
        visit_id = int(store.scalar("SELECT visit_id FROM referrals WHERE id = ?", (referral_id,)))
        patient_id = int(store.scalar("SELECT patient_id FROM visits WHERE id = ?", (visit_id,)))
        with clock.pinned(TODAY):  # a claims run fills the register; a correction keeps a version
            claims_run.run(store, Month(2025, 10).start, Month(2025, 10).end, tmp_path / "claims")
            amended = visits.get(store, visit_id)
            corrections.amend_visit(store, amended.__class__(**{**amended.__dict__, "notes": "Đã gọi lại"}),
                                    "Bổ sung ghi chú")
        claimed = int(store.scalar("SELECT visit_id FROM claims WHERE status = 'held' AND visit_id <> ? LIMIT 1",
                                   (visit_id,)))
        entry = int(store.scalar("SELECT max(id) FROM audit_log WHERE patient_id = ?", (patient_id,)))
    finally:
        store.close()
    damage(demo_copy, "UPDATE visits SET extra_diagnoses = ? WHERE id = ?", (BAD, visit_id))
    damage(demo_copy, "UPDATE referrals SET data = ? WHERE id = ?", (BAD, referral_id))
    damage(demo_copy, "UPDATE claims SET problems = ? WHERE visit_id = ?", (BAD, claimed))
    damage(demo_copy, "UPDATE amendments SET old_data = ?, new_data = ?", (BAD, BAD))
    damage(demo_copy, "UPDATE report_snapshots SET data = ? WHERE report_id = "
                      "(SELECT id FROM monthly_reports WHERE period = ?)", (BAD, SENT.key))
    damage(demo_copy, "UPDATE audit_log SET details = ? WHERE id = ?", (BAD, entry))
    return {"visit": visit_id, "patient": patient_id, "referral": referral_id, "claimed": claimed, "entry": entry}


@pytest.fixture
def station(demo_copy: Path, tmp_path: Path) -> dict[str, int]:
    return damage_demo(demo_copy, tmp_path)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    with clock.pinned(TODAY):
        code = main(["--lang", "vi", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err, argv
    assert not paths.error_log().exists(), argv
    return code, out, err


# -- the store: the rest of the record reads ------------------------------------------------------
def test_a_visit_with_damaged_other_diagnoses_still_reads_with_the_cell_shown(demo_copy, station) -> None:
    store = open_store(demo_copy)
    try:
        visit = visits.get(store, station["visit"])
        assert visit is not None and visit.diagnosis_code  # the rest of the visit is there
        [extra] = visit.extra_diagnoses
        assert extra.code == "" and BAD in extra.text, "the damaged cell is shown, not hidden"
        assert station["visit"] in [v.id for v in visits.for_patient(store, station["patient"])]
        [amendment] = corrections.for_patient(store, station["patient"])
        assert amendment.reason == "Bổ sung ghi chú" and amendment.changes == []
        assert corrections.visit_versions(store, station["visit"])[0].data == {}
    finally:
        store.close()


def test_correcting_a_visit_does_not_save_the_damaged_text_as_a_diagnosis(demo_copy, station) -> None:
    """A correction that leaves the unreadable diagnoses as shown is refused (saved, the shown text
    would become a diagnosis without a code and the claim would go out without the lost codes);
    with the diagnoses entered again, it is saved."""
    from dataclasses import replace

    from station_app.domain.visit import ExtraDiagnosis

    store = open_store(demo_copy)
    try:
        visit = visits.get(store, station["visit"])
        assert visit is not None
        with clock.pinned(TODAY), pytest.raises(corrections.CorrectionRefused) as refused:
            corrections.amend_visit(store, replace(visit, treatment="Nghỉ ngơi"), "bổ sung")
        assert "nhập lại" in refused.value.text()
        assert store.scalar("SELECT extra_diagnoses FROM visits WHERE id = ?", (station["visit"],)) == BAD
        with clock.pinned(TODAY):
            fixed = corrections.amend_visit(store, replace(visit, extra_diagnoses=[ExtraDiagnosis("J02", "Viêm họng")]),
                                            "nhập lại chẩn đoán")
        assert [d.code for d in fixed.extra_diagnoses] == ["J02"]
    finally:
        store.close()


def test_a_cell_nested_too_deep_is_damaged_not_an_error(demo_copy, station, capsys) -> None:
    damage(demo_copy, "UPDATE visits SET extra_diagnoses = ? WHERE id = ?", ("[" * 100_000, station["visit"]))
    store = open_store(demo_copy)
    try:
        visit = visits.get(store, station["visit"])
        assert visit is not None and visit.extra_diagnoses[0].code == ""
    finally:
        store.close()


def test_the_claims_register_shows_a_damaged_check_as_a_problem_to_check_again(demo_copy, station) -> None:
    store = open_store(demo_copy)
    try:
        rows = {r.visit_id: r for r in store_claims.register(store, Month(2025, 10).start, Month(2025, 10).end)}
        assert rows[station["claimed"]].problems == ["Không đọc được kết quả kiểm tra lần trước: kiểm tra lại (F5)."]
    finally:
        store.close()


def test_a_damaged_slip_is_refused_by_name_and_stays_in_the_book(demo_copy, station) -> None:
    store = open_store(demo_copy)
    try:
        with pytest.raises(StoreError) as refused:
            referrals.get(store, station["referral"])
        assert REFERRAL in refused.value.text("vi") and "bị hỏng" in refused.value.text("vi")
        assert REFERRAL in [r.number for r in referrals.book(store)]
    finally:
        store.close()


def test_a_damaged_report_as_sent_is_refused_by_name_and_the_next_month_still_computes(demo_copy, station) -> None:
    store = open_store(demo_copy)
    try:
        with clock.pinned(TODAY):
            with pytest.raises(StoreError) as refused:
                monthly.current(store, SENT)
            assert "09/2025" in refused.value.text("vi")
            summary, status = monthly.current(store, Month(2025, 10))
        assert status == reports.DRAFT and summary.month == Month(2025, 10)
    finally:
        store.close()


def test_a_damaged_audit_detail_is_shown_and_still_reported_as_tampering(demo_copy, station) -> None:
    store = open_store(demo_copy)
    try:
        entry = next(e for e in audit.entries(store, audit.Filter(patient_id=station["patient"])))
        assert entry.id == station["entry"] and BAD in str(entry.details)
        report = audit.verify(store)
        assert report.problem is not None and report.problem.entry_id == station["entry"]
    finally:
        store.close()


# -- the commands ---------------------------------------------------------------------------------
def test_the_commands_show_the_records_around_a_damaged_cell(capsys, demo_copy, station, tmp_path) -> None:
    d = str(demo_copy)
    for argv in (
        ["print", "patient-summary", "--db", d, "--id", str(station["patient"]), "--out", str(tmp_path / "p.pdf")],
        ["print", "visit-book", "--db", d, "--from", "2025-10-01", "--to", "2025-10-31", "--out",
         str(tmp_path / "b.pdf")],
        ["export", "--db", d, "--what", "visits", "--format", "csv", "--out", str(tmp_path / "v.csv")],
        ["referrals", "--db", d],
        ["report", "monthly", "--db", d, "--month", "2025-10", "--format", "json", "--out", str(tmp_path / "m.json")],
        ["audit", "log", "--db", d, "--limit", "50"],
    ):
        code, _out, err = run(capsys, *argv)
        assert code == EXIT_OK, (argv, err)
    assert REFERRAL in run(capsys, "referrals", "--db", d)[1]


def test_a_command_on_the_damaged_record_itself_is_one_clear_line(capsys, demo_copy, station, tmp_path) -> None:
    d = str(demo_copy)
    code, _out, err = run(capsys, "print", "referral", "--db", d, "--id", str(station["referral"]),
                          "--out", str(tmp_path / "slip.pdf"))
    assert code == EXIT_ERROR and err.count("\n") == 1 and REFERRAL in err
    assert not (tmp_path / "slip.pdf").exists()
    code, _out, err = run(capsys, "report", "monthly", "--db", d, "--month", SENT.key, "--format", "json",
                          "--out", str(tmp_path / "sent.json"))
    assert code == EXIT_ERROR and err.count("\n") == 1 and "09/2025" in err


def test_a_claims_check_holds_back_the_visit_whose_slip_is_damaged(capsys, demo_copy, station, tmp_path) -> None:
    code, out, _err = run(capsys, "claims", "--db", str(demo_copy), "--from", "2025-10-01", "--to", "2025-10-31",
                          "--out", str(tmp_path / "xml"), "--check", "--json")
    assert code in (EXIT_OK, 1)
    held = [line for line in out.splitlines() if f'"visit_id": {station["visit"]},' in line]
    assert len(held) == 1 and '"held"' in held[0]
    assert f"Không đọc được giấy chuyển tuyến {REFERRAL} (bị hỏng trong tệp dữ liệu)" in held[0]


def test_audit_verify_still_reports_the_changed_detail(capsys, demo_copy, station) -> None:
    code, out, err = run(capsys, "audit", "verify", "--db", str(demo_copy))
    assert code == EXIT_FINDINGS
    assert str(station["entry"]) in out + err


def test_a_claim_whose_slip_is_damaged_names_only_that_for_the_slip(capsys, demo_copy, station, tmp_path) -> None:
    """What the slip would have said (its reason, the direction of treatment…) is not listed as
    missing beside the one thing to do: the slip cannot be read."""
    import json

    code, out, _err = run(capsys, "claims", "--db", str(demo_copy), "--from", "2025-10-01", "--to", "2025-10-31",
                          "--out", str(tmp_path / "xml"), "--check", "--json")
    assert code in (EXIT_OK, 1)
    (held,) = [json.loads(line.rstrip(",")) for line in out.splitlines() if f'"visit_id": {station["visit"]},' in line]
    slip = [p for p in held["problems"] if REFERRAL in p or "XML13" in p or "chuyển" in p]
    assert slip == [f"Không đọc được giấy chuyển tuyến {REFERRAL} (bị hỏng trong tệp dữ liệu): khôi phục bản sao "
                    "lưu có giấy này còn nguyên."], held["problems"]
