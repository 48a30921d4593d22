"""The medicine block of the monthly summary on a hand-built October 2025: every expected number
below was worked out by hand from the story in ``october``."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from station_app import clock
from station_app.domain.dates import PartialDate
from station_app.domain.medicines import AdjustReason, PrescriptionLine, ReceiptLine
from station_app.domain.monthly import Month
from station_app.domain.patient import Patient
from station_app.domain.visit import Visit
from station_app.reports import dhis2
from station_app.reports.monthly import compute
from station_app.store import Store, formulary, open_store, patients, prescriptions, reports, stock, visits

OCTOBER = Month(2025, 10)


def _line(code: str, quantity: float) -> PrescriptionLine:
    return PrescriptionLine(code, quantity, "1 viên", 1, int(quantity), "")


def _visit(store: Store, who: Patient, at: dt.datetime, lines: list[PrescriptionLine]) -> int:
    saved = visits.insert(store, Visit(patient_id=int(who.id or 0), visit_at=at, diagnosis_code="I10"),
                          prescription=lines)
    return int(saved.id or 0)


def _line_id(store: Store, visit_id: int, code: str) -> int:
    return next(int(line.id or 0) for line, _drug in prescriptions.for_visit(store, visit_id) if line.drug_code == code)


@pytest.fixture
def october(tmp_path: Path) -> Iterator[tuple[Store, dict[str, int]]]:
    """The station opened on 1 September 2025 (the starter formulary seeded that day).

    Received 1/9: AMLO5 lot A1 (200 at 300 đ, usable to 30/06/2026); PARA500 lot P-OCT (50 at
    200 đ, expires 15/10/2025) and lot P2 (100 at 250 đ, 2026); METF500 lot M-SEP (10, expired
    30/09) and lot M-GONE (5, expires 20/10, thrown away as damaged on 5/10 — empty when it expires).
      Sep 20  Bình    AMLO5 10                      (September: 3,000 đ)
      Oct  3  An      AMLO5 30                      9,000 đ
      Oct 10  Bình    PARA500 10 (from P-OCT, FEFO) 2,000 đ, and AMLO5 30: 9,000 đ
      Oct 11  Bình brings back 4 PARA500             −800 đ (the line still counts: 6 kept)
      Oct 12  Chi     a visit without medicines
      Oct 15  Dũng    PARA500 5 (P-OCT)             1,000 đ, all brought back on 16/10: −1,000 đ
      Oct 28  An      AMLO5 30                      9,000 đ
      Nov  3  An      AMLO5 30                      (November)
    Prescriptions 4 (An ×2, Bình, Dũng), patients 3, lines dispensed 4 (Dũng's returned in full),
    value 9,000 + 2,000 + 9,000 − 800 + 1,000 − 1,000 + 9,000 = 28,200 đ.
    At 31/10: AMLO5 and PARA500 (P2) have usable stock; METF500 has none (M-SEP expired, M-GONE
    empty); ORS is received only on 5/11, so it had none; ENAL5 retired on 10/10 is not counted,
    LOSA50 retired on 5/11 is. Lots expired in October: P-OCT (39 left on 15/10, 44 now with
    Dũng's return); M-GONE expired empty; M-SEP expired in September.
    """
    with clock.pinned(dt.date(2025, 9, 1)):
        store = open_store(tmp_path / "october.sqlite3")
    ids: dict[str, int] = {}
    try:
        with clock.pinned(dt.date(2025, 11, 20)):
            stock.receive(store, [
                ReceiptLine("AMLO5", "A1", dt.date(2026, 6, 30), 200, 300),
                ReceiptLine("PARA500", "P-OCT", dt.date(2025, 10, 15), 50, 200),
                ReceiptLine("PARA500", "P2", dt.date(2026, 12, 31), 100, 250),
                ReceiptLine("METF500", "M-SEP", dt.date(2025, 9, 30), 10, 350),
                ReceiptLine("METF500", "M-GONE", dt.date(2025, 10, 20), 5, 350),
            ], dt.date(2025, 9, 1))
            people = {}
            for name, sex, year in (("Nguyễn Văn An", "1", 1950), ("Trần Thị Bình", "2", 1962),
                                    ("Lò Văn Chi", "1", 1990), ("Phạm Văn Dũng", "1", 1958)):
                people[name.split()[-1]] = patients.insert(
                    store, Patient(full_name=name, sex=sex, birth=PartialDate(year), village="Bản Mòng"))
            an, binh, chi, dung = (people[k] for k in ("An", "Bình", "Chi", "Dũng"))
            _visit(store, binh, dt.datetime(2025, 9, 20, 9), [_line("AMLO5", 10)])
            ids["an1"] = _visit(store, an, dt.datetime(2025, 10, 3, 8), [_line("AMLO5", 30)])
            ids["binh"] = _visit(store, binh, dt.datetime(2025, 10, 10, 9),
                                 [_line("PARA500", 10), _line("AMLO5", 30)])
            stock.return_line(store, _line_id(store, ids["binh"], "PARA500"), 4, dt.date(2025, 10, 11))
            visits.insert(store, Visit(patient_id=int(chi.id or 0), visit_at=dt.datetime(2025, 10, 12, 10),
                                       complaint="ho"))
            ids["dung"] = _visit(store, dung, dt.datetime(2025, 10, 15, 14), [_line("PARA500", 5)])
            stock.return_line(store, _line_id(store, ids["dung"], "PARA500"), 5, dt.date(2025, 10, 16))
            ids["an2"] = _visit(store, an, dt.datetime(2025, 10, 28, 8), [_line("AMLO5", 30)])
            _visit(store, an, dt.datetime(2025, 11, 3, 8), [_line("AMLO5", 30)])
            lot = {lb.lot_no: lb.lot_id for lb in stock.lots(store, with_empty=True)}
            stock.adjust(store, lot["M-GONE"], -5, AdjustReason.DAMAGED, dt.date(2025, 10, 5), "vỡ")
            stock.receive(store, [ReceiptLine("ORS", "O1", dt.date(2027, 1, 31), 100, 1500)], dt.date(2025, 11, 5))
            ids.update({f"lot:{k}": v for k, v in lot.items()})
            ids.update({f"patient:{k}": int(p.id or 0) for k, p in people.items()})
        with clock.pinned(dt.date(2025, 10, 10)):
            formulary.retire(store, "ENAL5", "không còn dùng")
        with clock.pinned(dt.date(2025, 11, 5)):
            formulary.retire(store, "LOSA50", "không còn dùng")
        with clock.pinned(dt.date(2025, 11, 20)):
            yield store, ids
    finally:
        store.close()


def _value(summary, code: str) -> tuple[int, int | None]:
    cell = summary.cell(f"{code}//total")
    return cell.value, cell.previous


def test_the_medicine_block_of_a_hand_built_month(october) -> None:
    store, ids = october
    drugs = {d.code: d for d in formulary.drugs(store, include_retired=True)}
    assert {"AMLO5", "PARA500", "METF500", "ORS", "ENAL5", "LOSA50"} <= set(drugs)  # the starter list
    summary = compute(store, OCTOBER)
    assert [code for code, _ in summary.blocks][-1] == "medicines"
    assert _value(summary, "med.prescriptions") == (4, 1)
    assert sorted(summary.cell("med.prescriptions//total").record_ids()) == sorted(
        [ids["an1"], ids["binh"], ids["dung"], ids["an2"]])
    assert _value(summary, "med.patients") == (3, 1)
    assert sorted(summary.cell("med.patients//total").record_ids()) == sorted(
        ids[f"patient:{k}"] for k in ("An", "Bình", "Dũng"))
    assert _value(summary, "med.lines") == (4, 1)
    assert _value(summary, "med.value") == (28_200, 3_000)
    # Out of stock at 31/10: every drug of the formulary but the two with usable stock, ENAL5
    # (retired in October) and ORS counted (received in November), LOSA50 counted (retired later).
    expected = sorted(d.id for code, d in drugs.items() if code not in {"AMLO5", "PARA500", "ENAL5"})
    out = summary.cell("med.out_of_stock//total")
    assert out.value == len(drugs) - 3
    assert sorted(out.record_ids()) == expected
    assert drugs["METF500"].id in out.record_ids() and drugs["ORS"].id in out.record_ids()
    expired = summary.cell("med.expired_lots//total")
    assert (expired.value, expired.record_ids()) == (1, [ids["lot:P-OCT"]])
    assert expired.previous == 1  # M-SEP, expired in September with its 10 tablets


def test_the_medicine_figures_drill_down_to_their_records(october) -> None:
    store, _ids = october
    summary = compute(store, OCTOBER)
    lines = reports.records(store, "prescription_line", summary.cell("med.lines//total").record_ids())
    assert [(r.full_name, r.date) for r in lines] == [
        ("Nguyễn Văn An", "2025-10-03 08:00"), ("Trần Thị Bình", "2025-10-10 09:00"),
        ("Trần Thị Bình", "2025-10-10 09:00"), ("Nguyễn Văn An", "2025-10-28 08:00")]
    assert "Amlodipin 5 mg" in lines[0].detail
    lots = reports.records(store, "lot", summary.cell("med.expired_lots//total").record_ids())
    assert [(r.full_name, r.date, r.patient_id) for r in lots] == [("Paracetamol 500 mg", "2025-10-15", 0)]
    assert "P-OCT" in lots[0].detail
    assert reports.records(store, "dong", []) == []  # a sum of money has no records behind it


def test_the_medicine_figures_are_skipped_in_the_dhis2_file(october) -> None:
    store, _ids = october
    summary = compute(store, OCTOBER)
    assert dhis2.check(dhis2.load_mapping(), summary.definitions) == []
    summary.station["facility_code"] = "01234"
    mapping = dhis2.load_mapping()
    assert {code for code in mapping["skip"] if code.startswith("med.")} == {
        ind.code for ind in summary.definitions.indicators() if ind.block == "medicines"}
    sent = json.dumps(dhis2.payload(summary, mapping=mapping))
    assert summary.cell("med.value//total").value == 28_200 and '"28200"' not in sent
