"""Draft → final in the database: corrections keep the computed value, who and why; a final
report stays as sent when records change later; only the head finalises or reopens."""

from __future__ import annotations

import datetime as dt

import pytest

from station_app import clock
from station_app.domain.accounts import Actor, Role
from station_app.domain.monthly import Month
from station_app.domain.visit import Visit
from station_app.reports import monthly
from station_app.store import audit, reports, visits
from station_app.store.errors import NotPermitted

MARCH, FEBRUARY = Month(2026, 3), Month(2026, 2)
HEAD = Actor(1, "thu", "Nguyễn Thị Thu", Role.HEAD)
NURSE = Actor(2, "lan", "Trần Thị Lan", Role.NURSE)


@pytest.fixture
def head(march):
    march.actor = HEAD
    return march


def test_a_correction_keeps_the_computed_value_who_and_why(head) -> None:
    draft = monthly.draft(head, MARCH)
    fix = reports.correct(head, draft, "consult.visits//total", 9, "Một lượt khám ghi trên sổ giấy")
    assert (fix.computed, fix.corrected, fix.by) == (8, 9, "Nguyễn Thị Thu")
    again = monthly.draft(head, MARCH)
    cell = again.cell("consult.visits//total")
    assert (cell.value, cell.reported, cell.correction.reason) == (8, 9, "Một lượt khám ghi trên sổ giấy")
    reports.correct(head, again, "consult.visits//total", None, "Đã nhập lượt khám vào máy")
    assert monthly.draft(head, MARCH).cell("consult.visits//total").correction is None
    assert [h["corrected"] for h in reports.correction_history(head, MARCH)] == [9, None]


def test_bad_corrections_are_refused_with_a_message(head) -> None:
    draft = monthly.draft(head, MARCH)
    with pytest.raises(reports.ReasonMissing) as caught:
        reports.correct(head, draft, "consult.visits//total", 9, "  ")
    assert caught.value.text("vi") == "Ghi lý do."
    with pytest.raises(reports.BadValue):
        reports.correct(head, draft, "consult.visits//total", -1, "sai")
    with pytest.raises(reports.UnknownCell):
        reports.correct(head, draft, "consult.nothing//total", 1, "sai")


def test_the_final_report_stays_as_sent_when_visits_change_later(head, march_ids) -> None:
    draft = monthly.draft(head, MARCH)
    reports.correct(head, draft, "consult.emergencies//total", 2, "Cấp cứu chuyển thẳng, không ghi sổ")
    snapshot = reports.finalise(head, draft)
    assert snapshot.version == 1 and reports.state(head, MARCH).is_final
    # A late visit entered for March, and a diagnosis changed, after the report was sent.
    with clock.pinned(dt.datetime(2026, 4, 10, 9, 0)):
        late = Visit(march_ids["an"], dt.datetime(2026, 3, 15, 9, 0), complaint="Ho", diagnosis_code="J20.9")
        visits.insert(head, late)
    head.conn.execute("UPDATE visits SET diagnosis_code = 'J20.9' WHERE id = ?", (march_ids["v_em"],))
    sent = reports.final_summary(head, MARCH)
    assert sent.cell("consult.visits//total").reported == 8
    assert sent.cell("consult.emergencies//total").value == 1
    assert sent.cell("consult.emergencies//total").reported == 2
    assert sent.cell("consult.visits//age:lt5").record_ids() == [march_ids["v_binh_4"]]
    assert monthly.current(head, MARCH)[1] == reports.FINAL
    fresh = monthly.compute(head, MARCH)
    assert fresh.cell("consult.visits//total").value == 9 and fresh.cell("consult.emergencies//total").value == 0
    with pytest.raises(reports.ReportIsFinal):
        reports.correct(head, fresh, "consult.visits//total", 3, "x")
    with pytest.raises(reports.ReportIsFinal):
        reports.finalise(head, fresh)


def test_reopen_needs_the_head_and_a_reason_and_keeps_the_old_snapshot(head) -> None:
    reports.finalise(head, monthly.draft(head, MARCH))
    with pytest.raises(reports.ReasonMissing):
        reports.reopen(head, MARCH, "")
    head.actor = NURSE
    with pytest.raises(NotPermitted):
        reports.reopen(head, MARCH, "Sai số liệu")
    head.actor = HEAD
    reports.reopen(head, MARCH, "Huyện yêu cầu sửa số lượt khám")
    assert reports.state(head, MARCH).status == reports.DRAFT
    reports.finalise(head, monthly.draft(head, MARCH))
    versions = reports.state(head, MARCH).snapshots
    assert [s.version for s in versions] == [2, 1]
    assert versions[1].reopen_reason == "Huyện yêu cầu sửa số lượt khám" and versions[1].reopened_by == "Nguyễn Thị Thu"
    assert versions[0].reopened_at is None
    assert reports.final_summary(head, MARCH, version=1).month == MARCH
    with pytest.raises(Exception, match="kept as sent"):
        head.conn.execute("DELETE FROM report_snapshots")


def test_only_the_head_finalises_and_it_is_audited(march) -> None:
    march.actor = NURSE
    draft = monthly.draft(march, MARCH)
    with pytest.raises(NotPermitted):
        reports.finalise(march, draft)
    with pytest.raises(NotPermitted):
        reports.correct(march, draft, "consult.visits//total", 9, "x")
    march.actor = HEAD
    reports.finalise(march, draft)
    entries = [e for e in audit.entries(march) if e.action == audit.FINALISE_REPORT]
    assert len(entries) == 1 and entries[0].username == "thu" and entries[0].target_id == "2026-03"


def test_the_previous_month_beside_is_the_value_sent(head) -> None:
    february = monthly.draft(head, FEBRUARY)
    assert february.cell("consult.visits//total").value == 2
    reports.correct(head, february, "consult.visits//total", 3, "Lượt khám ghi muộn")
    reports.finalise(head, february)
    assert monthly.draft(head, MARCH).cell("consult.visits//total").previous == 3
    assert [s.period for s in reports.finalised(head)] == ["2026-02"]


def test_the_records_behind_a_cell(march, march_ids) -> None:
    summary = monthly.draft(march, MARCH)
    cell = summary.cell("consult.visits//age:lt6")
    found = reports.records(march, summary.unit_of("consult.visits//age:lt6"), cell.record_ids())
    assert [(r.full_name, r.date) for r in found] == [
        ("Lê Thị Bình", "2026-03-10 09:00"), ("Lê Thị Bình", "2026-03-20 09:00"),
    ]
    assert found[0].detail.startswith("A09")
    deaths = summary.cell("consult.deaths//total")
    [dead] = reports.records(march, "patient", deaths.record_ids())
    assert (dead.full_name, dead.date) == ("Đỗ Thị Em", "2026-03-25")
    lost = summary.cell("ncd.lost/hypertension/total")
    assert [r.full_name for r in reports.records(march, "enrolment", lost.record_ids())] == ["Ngô Thị Hà"]
    for unit in ("referral", "dose", "followup", "outcome"):
        assert reports.records(march, unit, []) == []
    doses = summary.cell("epi.doses/measles/total")
    names = sorted(r.full_name for r in reports.records(march, "dose", doses.record_ids()))
    assert names == ["Lý Minh Khang", "Lý Văn Nam"]


def test_a_frozen_copy_keeps_its_own_words_when_definitions_change(head) -> None:
    import dataclasses
    import json

    from station_app.domain.indicators import load
    from station_app.domain.monthly import MonthlySummary

    reports.finalise(head, monthly.draft(head, MARCH))
    data = json.loads(head.scalar("SELECT data FROM report_snapshots"))
    defs = load()
    renamed = [dataclasses.replace(b, indicators=tuple(
        dataclasses.replace(i, name={"vi": "Tên mới", "en": "New name"}) for i in b.indicators)) for b in defs.blocks]
    later = MonthlySummary.from_dict(data, dataclasses.replace(defs, blocks=tuple(renamed)))
    assert later.result("consult.visits").indicator.name["vi"] == "Tổng số lượt khám bệnh"
    assert later.result("consult.visits").columns[1] == "sex:1"
