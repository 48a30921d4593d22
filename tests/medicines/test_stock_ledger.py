"""The stock ledger: balances are the sum of movements, FEFO, expired lots never given, refusals
leave nothing saved, adjustments for the head only."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from station_app.domain.accounts import Actor, Permission, Role
from station_app.domain.medicines import AdjustReason, LotBalance, NotEnoughStock, ReceiptLine, fefo
from station_app.store import Store, audit, open_store, stock
from station_app.store.errors import NotPermitted
from station_app.store.stock import StockRefused

DAY = dt.date(2025, 11, 20)
NURSE = Actor(2, "yta.mai", "Trần Thị Mai", Role.NURSE)


def receipt(code: str, lot: str, expiry: dt.date, quantity: float, price: float = 300.0) -> ReceiptLine:
    return ReceiptLine(code, lot, expiry, quantity, price)


def test_fefo_takes_the_earliest_expiring_usable_lot_and_never_an_expired_one() -> None:
    lots = [
        LotBalance(1, "AMLO5", "A", dt.date(2026, 6, 30), 100),
        LotBalance(2, "AMLO5", "B", dt.date(2025, 12, 31), 20),
        LotBalance(3, "AMLO5", "OLD", dt.date(2025, 11, 19), 500),  # expired yesterday
    ]
    taken = fefo(lots, 30, DAY)
    assert [(lot.lot_no, q) for lot, q in taken] == [("B", 20), ("A", 10)]
    assert [(lot.lot_no, q) for lot, q in fefo(lots, 5, DAY)] == [("B", 5)]
    with pytest.raises(NotEnoughStock) as caught:
        fefo(lots, 121, DAY)
    assert caught.value.usable == 120  # the 500 expired tablets do not count
    # A lot is usable on its expiry day.
    assert [(lot.lot_no, q) for lot, q in fefo(lots, 1, dt.date(2025, 11, 19))] == [("OLD", 1)]


def test_receiving_is_all_or_nothing_with_row_numbers(store: Store) -> None:
    good = receipt("AMLO5", "L1", dt.date(2027, 1, 31), 1000)
    bad = [
        good,
        ReceiptLine("NOPE", "L2", dt.date(2027, 1, 1), 10, row=3),
        ReceiptLine("PARA500", "L3", dt.date(2025, 1, 1), 0, row=4),
    ]
    with pytest.raises(StockRefused) as caught:
        stock.receive(store, bad, DAY)
    text = caught.value.text("en")
    assert "row 3: NOPE is not in the formulary" in text and "row 4" in text
    assert stock.lots(store) == [] and store.scalar("SELECT count(*) FROM stock_movements") == 0
    stock.receive(store, [good], DAY, supplier="TTYT huyện")
    assert stock.on_hand(store, DAY) == {"AMLO5": 1000}
    assert max(audit.entries(store), key=lambda e: e.id).target_type == "stock_receipt"


def test_the_ledger_is_append_only(store: Store) -> None:
    stock.receive(store, [receipt("AMLO5", "L1", dt.date(2027, 1, 31), 10)], DAY)
    with pytest.raises(sqlite3.IntegrityError):
        store.conn.execute("UPDATE stock_movements SET delta = 99")
    with pytest.raises(sqlite3.IntegrityError):
        store.conn.execute("DELETE FROM stock_movements")


def test_adjustments_are_for_the_head_with_a_reason_and_audited(store: Store) -> None:
    stock.receive(store, [receipt("ORS", "O1", dt.date(2027, 1, 31), 50)], DAY)
    lot = stock.lots(store, "ORS")[0]
    with pytest.raises(StockRefused, match="below 0"):
        stock.adjust(store, lot.lot_id, -51, AdjustReason.DAMAGED, DAY)
    stock.adjust(store, lot.lot_id, -5, AdjustReason.DAMAGED, DAY, note="wet box")
    assert stock.on_hand(store, DAY) == {"ORS": 45}
    entry = max(audit.entries(store), key=lambda e: e.id)
    assert entry.details["reason"] == "damaged" and entry.details["delta"] == -5
    store.actor = NURSE
    with pytest.raises(NotPermitted):
        stock.adjust(store, lot.lot_id, -1, AdjustReason.DAMAGED, DAY)
    with pytest.raises(NotPermitted):
        stock.record_count(store, {lot.lot_id: 40}, DAY)
    assert stock.on_hand(store, DAY) == {"ORS": 45}


def test_a_stock_count_writes_the_differences_as_adjustments(store: Store) -> None:
    stock.receive(
        store, [receipt("ORS", "O1", dt.date(2027, 1, 31), 50), receipt("ORS", "O2", dt.date(2027, 6, 30), 30)], DAY
    )
    first, second = stock.lots(store, "ORS")
    differences = stock.record_count(store, {first.lot_id: 48, second.lot_id: 30}, DAY)
    assert differences == {first.lot_id: -2}
    assert {lot.lot_no: lot.balance for lot in stock.lots(store, "ORS")} == {"O1": 48, "O2": 30}
    assert [m.reason for m in stock.movements(store, "ORS") if m.kind == "adjusted"] == ["count"]


def test_expiring_lots_and_low_stock(store: Store) -> None:
    stock.receive(
        store,
        [
            receipt("AMLO5", "SOON", dt.date(2026, 1, 10), 40),
            receipt("AMLO5", "LATER", dt.date(2027, 1, 10), 100),
            receipt("PARA500", "P1", dt.date(2027, 1, 10), 5000),
        ],
        DAY,
    )
    assert [lot.lot_no for lot in stock.expiring(store, DAY)] == ["SOON"]
    low = {drug.code: balance for drug, balance in stock.low_stock(store, DAY)}
    assert low["AMLO5"] == 140  # its level is 300
    assert "PARA500" not in low
    assert "ENAL5" not in low  # a drug the station does not keep is not "running low"


# -- the ledger's arithmetic under random sequences -------------------------------------------------
DRUGS = ("AMLO5", "PARA500")
LOTS = (("A", dt.date(2026, 3, 31)), ("B", dt.date(2026, 9, 30)), ("C", dt.date(2025, 12, 1)))

receive_op = st.tuples(st.just("receive"), st.sampled_from(DRUGS), st.sampled_from(LOTS), st.integers(1, 200))
dispense_op = st.tuples(st.just("dispense"), st.sampled_from(DRUGS), st.integers(0, 5), st.integers(1, 150))
adjust_op = st.tuples(st.just("adjust"), st.sampled_from(DRUGS), st.sampled_from(LOTS), st.integers(-60, 60))
return_op = st.tuples(st.just("return"), st.sampled_from(DRUGS), st.integers(0, 5), st.integers(1, 40))
operations = st.lists(st.one_of(receive_op, dispense_op, adjust_op, return_op), min_size=1, max_size=25)


@pytest.fixture(scope="module")
def ledger_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A station with one patient and one visit, copied for each example (opening a new file
    loads the ICD-10 catalogue: too slow to repeat)."""
    from station_app.domain.dates import parse_partial_date
    from station_app.domain.patient import Patient
    from station_app.domain.visit import Visit
    from station_app.store import patients, visits

    path = tmp_path_factory.mktemp("ledger") / "template.sqlite3"
    store = open_store(path)
    patient = patients.insert(store, Patient(full_name="Lê Văn Tám", sex="1", birth=parse_partial_date("1960")))
    visit = visits.insert(
        store, Visit(patient_id=int(patient.id or 0), complaint="ho", visit_at=dt.datetime(2025, 10, 1, 8, 0))
    )
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path, int(visit.id or 0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, days=st.lists(st.integers(0, 20), min_size=25, max_size=25))
def test_balance_is_received_minus_dispensed_plus_returned_and_adjusted(
    tmp_path: Path, ledger_template: tuple[Path, int], ops, days
) -> None:
    """For every drug and lot, after any sequence of movements (some refused), the balance is
    received − dispensed + returned ± adjusted, never below 0, and a refused movement changed nothing."""
    template, visit_id = ledger_template
    path = tmp_path / f"ledger-{uuid.uuid4().hex}.sqlite3"
    shutil.copyfile(template, path)
    store = open_store(path, verify=False)
    try:
        expected: dict[tuple[str, str], float] = {}
        lines: list[tuple[int, str]] = []
        for number, (op, day_offset) in enumerate(zip(ops, days, strict=False)):
            on = dt.date(2025, 11, 1) + dt.timedelta(days=day_offset)
            before = {(lot.drug_code, lot.lot_no): lot.balance for lot in stock.lots(store)}
            kind, code = op[0], op[1]
            try:
                if kind == "receive":
                    (lot_no, expiry), qty = op[2], op[3]
                    stock.receive(store, [receipt(code, lot_no, expiry, qty)], on)
                    expected[(code, lot_no)] = expected.get((code, lot_no), 0) + qty
                elif kind == "dispense":
                    qty = op[3]
                    line_id = int(
                        store.conn.execute(
                            "INSERT INTO prescription_lines (visit_id, line_no, drug_id, drug_code, quantity) "
                            "VALUES (?, ?, (SELECT id FROM drugs WHERE code = ? AND superseded = 0), ?, ?)",
                            (visit_id, number + 1, code, code, qty),
                        ).lastrowid
                        or 0
                    )
                    with store.write(Permission.DISPENSE):
                        taken = stock.dispense(store, line_id, code, qty, on)
                        audit.record(store, audit.CREATE, ("prescription_line", line_id))
                    lines.append((line_id, code))
                    names = {lot.lot_id: lot.lot_no for lot in stock.lots(store, code, with_empty=True)}
                    for lot_id, part in taken:
                        expected[(code, names[lot_id])] -= part
                elif kind == "adjust":
                    (lot_no, _expiry), delta = op[2], op[3]
                    found = [lot for lot in stock.lots(store, code, with_empty=True) if lot.lot_no == lot_no]
                    if not found or delta == 0:
                        continue
                    stock.adjust(store, found[0].lot_id, delta, AdjustReason.COUNT, on)
                    expected[(code, lot_no)] += delta
                else:
                    mine = [line for line in lines if line[1] == code]
                    if not mine:
                        continue
                    line_id = mine[op[2] % len(mine)][0]
                    out = dict(stock.dispensed_lots(store, line_id))
                    stock.return_line(store, line_id, op[3], on)
                    names = {lot.lot_id: lot.lot_no for lot in stock.lots(store, code, with_empty=True)}
                    left = op[3]
                    for lot_id in sorted(out, reverse=True):
                        back = min(out[lot_id], left)
                        expected[(code, names[lot_id])] += back
                        left -= back
            except (StockRefused, NotEnoughStock):
                after = {(lot.drug_code, lot.lot_no): lot.balance for lot in stock.lots(store)}
                assert after == before, "a refused movement changed the stock"
        balances = {(lot.drug_code, lot.lot_no): lot.balance for lot in stock.lots(store, with_empty=True)}
        assert balances == {k: pytest.approx(v) for k, v in expected.items()}
        assert all(v >= -1e-9 for v in balances.values())
        # The same from the movements by kind: received − dispensed + returned ± adjusted.
        sums: dict[tuple[str, str], float] = {}
        for m in stock.movements(store):
            sums[(m.drug_code, m.lot_no)] = sums.get((m.drug_code, m.lot_no), 0) + m.delta
        assert sums == {k: pytest.approx(v) for k, v in balances.items() if k in sums}
        assert stock.ledger_problems(store) == []
    finally:
        store.close()
