"""The new indicators of the monthly summary on the hand-built November 2025 (``conftest.py``), each
worked out by hand; the existing codes keep their meaning; the yearly report from the same
definitions (``report monthly --period YYYY``); the drill-down to deliveries and births."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from station_app import clock
from station_app.cli import EXIT_OK, main
from station_app.domain.monthly import Month
from station_app.reports.monthly import compute
from station_app.store import reports

NOVEMBER = Month(2025, 11)
# columns of an indicator broken down by sex and age: total, male, female, <5, <6, <15, 15–59, ≥60
BY_SEX_AGE = ("total", "sex:1", "sex:2", "age:lt5", "age:lt6", "age:lt15", "age:15-59", "age:ge60")


def row(summary, code: str, line: str = "") -> tuple[int, ...]:
    result = summary.result(code)
    found = next(ln for ln in result.lines if ln.key == line)
    return tuple(found.cells[c].value for c in result.columns)


@pytest.fixture
def november(station):
    with clock.pinned(dt.datetime(2025, 12, 3, 9, 0)):
        return compute(station.store, NOVEMBER)


def test_deaths_by_place_chapter_and_communicable_group(november) -> None:
    # Tâm (75, home, I64), Pành (65, district hospital, A15), Ót (85, marked deceased on a call)
    assert row(november, "consult.deaths") == (3, 3, 0, 0, 0, 0, 0, 3)  # unchanged meaning
    assert row(november, "consult.deaths_place", "home") == (1, 1, 0, 0, 0, 0, 0, 1)
    assert row(november, "consult.deaths_place", "facility") == (1, 1, 0, 0, 0, 0, 0, 1)
    assert row(november, "consult.deaths_place", "station")[0] == 0
    assert row(november, "consult.deaths_place", "unknown")[0] == 1
    assert row(november, "morb.death_chapters", "IX")[0] == 1  # I64, circulatory
    assert row(november, "morb.death_chapters", "I")[0] == 1  # A15, infectious
    assert row(november, "morb.death_chapters", "-")[0] == 1  # Ót: no cause recorded
    assert row(november, "morb.communicable_deaths", "B")[0] == 1  # tuberculosis is group B
    assert row(november, "morb.communicable_deaths", "A")[0] == row(november, "morb.communicable_deaths", "C")[0] == 0


def test_notifiable_diseases_by_group(november) -> None:
    # visits: dengue A91 (Dình, 10 years), measles B05 (Páo, 10 months): group B; diarrhoea A09 (Lan, 40): C
    assert row(november, "morb.notifiable_groups", "A") == (0,) * 8
    assert row(november, "morb.notifiable_groups", "B") == (2, 2, 0, 1, 1, 2, 0, 0)
    assert row(november, "morb.notifiable_groups", "C") == (1, 0, 1, 0, 0, 0, 1, 0)
    assert november.result("morb.notifiable_groups").columns == list(BY_SEX_AGE)


def test_deliveries_births_and_the_hepatitis_b_birth_dose(november) -> None:
    # Hoa: at the district centre, health staff, a boy 3,100 g, hep B 10 h after birth;
    # Dợ: at home, a relative, a girl 2,300 g (hep B 43 h after birth) and a stillborn boy 1,900 g
    assert row(november, "mch.deliveries_place", "facility") == (1,)
    assert row(november, "mch.deliveries_place", "home") == (1,)
    assert row(november, "mch.deliveries_place", "station") == (0,)
    assert row(november, "mch.deliveries_attended") == (1,)
    assert row(november, "mch.live_births") == (2, 1, 1)
    assert row(november, "mch.stillbirths") == (1,)
    assert row(november, "mch.low_birth_weight") == (1,), "the stillborn baby is not a live birth"
    assert row(november, "epi.hepb_24h_births") == (1,)
    # the existing codes keep their meaning: deliveries = pregnancies closed by a delivery (Dợ had no
    # antenatal record here); hep B within 24 h = birth doses given on the day of birth or the next
    assert row(november, "mch.deliveries") == (1,)
    assert row(november, "epi.hepb_24h") == (1,)


def test_the_drill_down_lists_the_deliveries_and_births(station, november) -> None:
    ids = november.cell("mch.live_births//total").record_ids()
    found = reports.records(station.store, "birth", ids)
    assert sorted(r.full_name for r in found) == ["Lò Thị Hoa", "Mùa Thị Dợ"]
    attended = november.cell("mch.deliveries_attended//total").record_ids()
    deliveries = reports.records(station.store, "delivery", attended)
    assert [(r.full_name, r.date) for r in deliveries] == [("Lò Thị Hoa", "2025-11-18 22:40")]
    deaths = reports.records(station.store, "patient", november.cell("morb.communicable_deaths/B/total").record_ids())
    assert [r.full_name for r in deaths] == ["Lò Văn Pành"]


def test_the_yearly_report_from_the_same_definitions(station, tmp_path: Path) -> None:
    out = tmp_path / "2025.json"
    with clock.pinned(dt.datetime(2026, 1, 5, 9, 0)):
        code = main(["report", "monthly", "--db", str(station.store.path), "--period", "2025", "--format", "json",
                     "--out", str(out)])
    assert code == EXIT_OK
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["period"] == "2025" and data["previous_period"] == "2024"
    values = {(i["code"], line["key"]): line["cells"]["total"]["value"]
              for block in data["blocks"] for i in block["indicators"] for line in i["rows"]}
    assert values[("consult.deaths", "")] == 3
    assert values[("mch.live_births", "")] == 2
    # the year's doses: Páo's BCG, 3 DPT, 3 OPV, IPV, measles; the babies' hep B (2) and BCG (1)
    assert values[("epi.doses", "dpt_vgb_hib")] == 3 and values[("epi.doses", "hepb0")] == 2
    assert values[("epi.doses", "bcg")] == 2
    assert values[("mch.anc_visits", "")] == 4
    with clock.pinned(dt.datetime(2026, 1, 5, 9, 0)):
        assert main(["report", "monthly", "--db", str(station.store.path), "--period", "2025", "--format", "dhis2",
                     "--out", str(tmp_path / "y.json")]) == EXIT_OK
    assert json.loads((tmp_path / "y.json").read_text(encoding="utf-8"))["period"] == "2025"


def test_the_yearly_report_says_year_not_month_when_written(station, tmp_path: Path, capsys) -> None:
    with clock.pinned(dt.datetime(2026, 1, 5, 9, 0)):
        assert main(["report", "monthly", "--db", str(station.store.path), "--period", "2025", "--format", "json",
                     "--out", str(tmp_path / "y.json")]) == EXIT_OK
    said = capsys.readouterr().out
    assert "báo cáo năm 2025" in said and "tháng" not in said


def test_month_and_period_options(station, tmp_path: Path, capsys) -> None:
    out = str(tmp_path / "x.json")
    db = str(station.store.path)
    assert main(["report", "monthly", "--db", db, "--month", "2025", "--format", "json", "--out", out]) != EXIT_OK
    assert main(["report", "monthly", "--db", db, "--period", "25", "--format", "json", "--out", out]) != EXIT_OK
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "--period" in err
    assert main(["report", "monthly", "--db", db, "--period", "2025-11", "--format", "json", "--out", out]) == EXIT_OK


def test_the_yearly_report_prints_as_a_year(station, tmp_path: Path) -> None:
    from pypdf import PdfReader

    out = tmp_path / "2025.pdf"
    with clock.pinned(dt.datetime(2026, 1, 5, 9, 0)):
        assert main(["report", "monthly", "--db", str(station.store.path), "--period", "2025", "--format", "pdf",
                     "--out", str(out)]) == EXIT_OK
    text = " ".join(PdfReader(out).pages[0].extract_text().split())
    assert "BÁO CÁO TỔNG HỢP NĂM" in text and "Năm 2025" in text and "Năm trước" in text


def test_the_command_says_a_year_was_written_not_a_month(station, tmp_path: Path, capsys) -> None:
    db, out = str(station.store.path), str(tmp_path / "y.json")
    with clock.pinned(dt.datetime(2026, 1, 5, 9, 0)):
        assert main(["--lang", "vi", "report", "monthly", "--db", db, "--period", "2025", "--format", "json",
                     "--out", out]) == EXIT_OK
    said = capsys.readouterr().out
    assert "năm 2025" in said and "tháng" not in said, said
    with clock.pinned(dt.datetime(2026, 1, 5, 9, 0)):
        assert main(["--lang", "vi", "report", "monthly", "--db", db, "--period", "2025-11", "--format", "json",
                     "--out", out]) == EXIT_OK
    assert "tháng 11/2025" in capsys.readouterr().out
