"""The medicine stock as a ledger: lots (drug, lot number, expiry) and their movements.

Nothing is edited in place: a movement row is never changed or deleted (triggers refuse it), a
lot's balance is the sum of its movements, a correction is a new movement. Receiving needs
``RECEIVE_STOCK``; dispensing (always against a prescription line) ``DISPENSE``; adjustments
and stock counts ``ADJUST_STOCK`` (head of station) and are audited.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from station_app.domain.accounts import Permission
from station_app.domain.medicines import (
    EXPIRING_DAYS,
    QUANTITY_DECIMALS,
    AdjustReason,
    Drug,
    LotBalance,
    Movement,
    NotEnoughStock,
    ReceiptLine,
    fefo,
    validate_receipt_line,
)
from station_app.domain.problems import Problem
from station_app.i18n import N_, translate
from station_app.store import errors, formulary
from station_app.store.database import Store, now_text


class StockRefused(errors.StoreError):
    """A stock operation refused; nothing was saved. ``rows``: (row, problem) of a delivery note."""

    def __init__(self, message: str, rows: list[tuple[int, Problem]] | None = None, **params: object) -> None:
        self.message = message
        self.rows = rows or []
        super().__init__("", "", **params)

    def text(self, lang: str | None = None) -> str:
        head = translate(self.message, lang).format(**self.params)
        if not self.rows:
            return head
        return (
            head
            + " "
            + "; ".join(
                translate(N_("row {row}: {problem}"), lang).format(row=row, problem=problem.text(lang))
                for row, problem in self.rows
            )
        )


def _round(value: float) -> float:
    return round(value, QUANTITY_DECIMALS)


# -- reading ------------------------------------------------------------------------------------------
def lots(store: Store, drug_code: str | None = None, *, with_empty: bool = False) -> list[LotBalance]:
    """Every lot with its balance, earliest expiry first. The balance is the sum of the lot's
    movements, added up by a trigger as each is written (``ledger_problems`` checks it)."""
    where = "WHERE drug_code = ?" if drug_code else ""
    params: tuple[object, ...] = (drug_code,) if drug_code else ()
    rows = store.conn.execute(
        f"SELECT id, drug_code, lot_no, expiry, balance, unit_price FROM stock_lots {where} "
        "ORDER BY drug_code, expiry, id",
        params,
    ).fetchall()
    found = [LotBalance(r[0], r[1], r[2], dt.date.fromisoformat(r[3]), _round(r[4]), float(r[5])) for r in rows]
    return found if with_empty else [lot for lot in found if abs(lot.balance) > 1e-9]


def on_hand(store: Store, on: dt.date, drug_code: str | None = None) -> dict[str, float]:
    """Usable balance (lots not expired on ``on``) by drug code."""
    totals: dict[str, float] = defaultdict(float)
    for lot in lots(store, drug_code):
        if lot.usable_on(on):
            totals[lot.drug_code] = _round(totals[lot.drug_code] + lot.balance)
    return dict(totals)


def ledger_problems(store: Store) -> list[str]:
    """Lots whose kept balance differs from the sum of their movements (none, unless the file was
    edited outside Trạm)."""
    rows = store.conn.execute(
        "SELECT l.drug_code, l.lot_no, l.balance, coalesce(sum(m.delta), 0) FROM stock_lots l "
        "LEFT JOIN stock_movements m ON m.lot_id = l.id GROUP BY l.id"
    ).fetchall()
    return [
        f"lot {r[0]} {r[1]}: balance {r[2]} but movements sum to {_round(r[3])}"
        for r in rows
        if abs(r[2] - r[3]) > 0.0005
    ]


@dataclass(frozen=True)
class LotPeriod:
    """One lot's movements over a period (quantities in the drug's unit)."""

    lot_id: int
    drug_code: str
    lot_no: str
    expiry: dt.date
    unit_price: float
    opening: float
    received: float
    dispensed: float  # given out, less what patients brought back
    adjusted: float
    closing: float


def period(store: Store, start: dt.date, end: dt.date) -> list[LotPeriod]:
    """Every lot's opening, received, dispensed, adjusted and closing balance from ``start`` to
    ``end`` (inclusive). Opening and closing are counted back from the lot's balance through the
    movements after them, so a month reads only the movements since its first day."""
    after_end = (end + dt.timedelta(days=1)).isoformat()
    sums: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for lot_id, kind, in_period, total in store.conn.execute(
        "SELECT lot_id, kind, on_date < ?, sum(delta) FROM stock_movements WHERE on_date >= ? "
        "GROUP BY lot_id, kind, on_date < ?",
        (after_end, start.isoformat(), after_end),
    ):
        sums[lot_id][kind if in_period else "later"] += total
    found = []
    for lot_id, code, lot_no, expiry, balance, price in store.conn.execute(
        "SELECT id, drug_code, lot_no, expiry, balance, unit_price FROM stock_lots ORDER BY drug_code, expiry, id"
    ):
        moved = sums.get(lot_id, {})
        closing = _round(balance - moved.get("later", 0.0))
        received = _round(moved.get("received", 0.0))
        dispensed = _round(-moved.get("dispensed", 0.0) - moved.get("returned", 0.0))
        adjusted = _round(moved.get("adjusted", 0.0))
        opening = _round(closing - received + dispensed - adjusted)
        if not (opening or received or dispensed or adjusted or closing):
            continue
        found.append(
            LotPeriod(
                lot_id,
                code,
                lot_no,
                dt.date.fromisoformat(expiry),
                price,
                opening,
                received,
                dispensed,
                adjusted,
                closing,
            )
        )
    return found


@dataclass(frozen=True)
class MovementRow:
    id: int
    lot_id: int
    drug_code: str
    lot_no: str
    expiry: dt.date
    kind: Movement
    delta: float
    on_date: dt.date
    reason: str
    note: str
    username: str
    prescription_line_id: int | None


def movements(store: Store, drug_code: str | None = None, lot_id: int | None = None) -> list[MovementRow]:
    clauses: list[str] = []
    params: list[object] = []
    if drug_code:
        clauses.append("l.drug_code = ?")
        params.append(drug_code)
    if lot_id:
        clauses.append("m.lot_id = ?")
        params.append(lot_id)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = store.conn.execute(
        "SELECT m.id, m.lot_id, l.drug_code, l.lot_no, l.expiry, m.kind, m.delta, m.on_date, m.reason, m.note, "
        f"m.username, m.prescription_line_id FROM stock_movements m JOIN stock_lots l ON l.id = m.lot_id {where} "
        "ORDER BY m.on_date, m.id",
        params,
    ).fetchall()
    return [
        MovementRow(
            r[0],
            r[1],
            r[2],
            r[3],
            dt.date.fromisoformat(r[4]),
            Movement(r[5]),
            r[6],
            dt.date.fromisoformat(r[7]),
            r[8],
            r[9],
            r[10],
            r[11],
        )
        for r in rows
    ]


def expiring(store: Store, today: dt.date, days: int = EXPIRING_DAYS) -> list[LotBalance]:
    """Lots with stock that expire within ``days`` (or already have), earliest first."""
    limit = today + dt.timedelta(days=days)
    return sorted(
        (lot for lot in lots(store) if lot.balance > 0 and lot.expiry <= limit),
        key=lambda lot: (lot.expiry, lot.drug_code),
    )


def low_stock(store: Store, today: dt.date) -> list[tuple[Drug, float]]:
    """Active drugs the station keeps (ever received) whose usable balance is at or below their
    low-stock level (which is above 0)."""
    balance = on_hand(store, today)
    kept = {r[0] for r in store.conn.execute("SELECT DISTINCT drug_code FROM stock_lots")}
    return [
        (drug, balance.get(drug.code, 0.0))
        for drug in formulary.drugs(store)
        if drug.code in kept and drug.low_stock > 0 and balance.get(drug.code, 0.0) <= drug.low_stock
    ]


# -- writing ------------------------------------------------------------------------------------------
def _lot_id(store: Store, line: ReceiptLine) -> int:
    row = store.conn.execute(
        "SELECT id FROM stock_lots WHERE drug_code = ? AND lot_no = ? AND expiry = ?",
        (line.drug_code, line.lot_no, line.expiry.isoformat()),
    ).fetchone()
    if row:
        return int(row[0])
    cursor = store.conn.execute(
        "INSERT INTO stock_lots (drug_code, lot_no, expiry, unit_price, created_at) VALUES (?, ?, ?, ?, ?)",
        (line.drug_code, line.lot_no, line.expiry.isoformat(), line.unit_price, now_text()),
    )
    return int(cursor.lastrowid or 0)


def _move(
    store: Store,
    lot_id: int,
    kind: Movement,
    delta: float,
    on: dt.date,
    *,
    unit_price: float = 0.0,
    line_id: int | None = None,
    reason: str = "",
    note: str = "",
    supplier: str = "",
    batch: str = "",
) -> int:
    cursor = store.conn.execute(
        "INSERT INTO stock_movements (lot_id, kind, delta, on_date, unit_price, prescription_line_id, reason, note, "
        "supplier, batch, username, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            lot_id,
            str(kind),
            _round(delta),
            on.isoformat(),
            unit_price,
            line_id,
            reason,
            note,
            supplier,
            batch,
            store.actor.username,
            now_text(),
        ),
    )
    return int(cursor.lastrowid or 0)


def check_receipt(store: Store, lines: Iterable[ReceiptLine], received_on: dt.date) -> list[tuple[int, Problem]]:
    """Every problem of a delivery note with its row."""
    known = formulary.by_code(store)
    found = []
    for number, line in enumerate(lines, start=1):
        for problem in validate_receipt_line(line, known, received_on):
            found.append((line.row or number, problem))
    return found


def _entered_before(store: Store, lines: list[ReceiptLine], received_on: dt.date) -> bool:
    """Whether a delivery of the same day holds exactly these lines (drug, lot, expiry, quantity,
    price): the same note entered a second time."""
    def key(drug: str, lot: str, expiry: str, quantity: float, price: float) -> tuple[str, str, str, float, float]:
        return (drug, lot, expiry, round(quantity, 3), round(price, 3))

    wanted = sorted(key(x.drug_code, x.lot_no, x.expiry.isoformat(), x.quantity, x.unit_price) for x in lines)
    earlier: dict[str, list[tuple[str, str, str, float, float]]] = {}
    for row in store.conn.execute(
        "SELECT m.batch, l.drug_code, l.lot_no, l.expiry, m.delta, m.unit_price FROM stock_movements m "
        "JOIN stock_lots l ON l.id = m.lot_id WHERE m.kind = 'received' AND m.on_date = ? AND m.batch <> ''",
        (received_on.isoformat(),),
    ):
        earlier.setdefault(str(row[0]), []).append(key(row[1], row[2], row[3], float(row[4]), float(row[5])))
    return any(sorted(found) == wanted for found in earlier.values())


def receive(store: Store, lines: list[ReceiptLine], received_on: dt.date, supplier: str = "", note: str = "") -> str:
    """Enter a delivery: all its lines or none. Returns the receipt's batch id."""
    from station_app.store import audit

    store.require(Permission.RECEIVE_STOCK)
    if not lines:
        raise StockRefused(N_("The delivery has no lines."))
    problems = check_receipt(store, lines, received_on)
    if problems:
        raise StockRefused(N_("The delivery was not entered:"), problems)
    if _entered_before(store, lines, received_on):
        raise StockRefused(
            N_("This delivery was already entered on {date}: the same lots and quantities. It was not entered again."),
            date=received_on.strftime("%d/%m/%Y"))
    batch = "R-" + uuid.uuid4().hex[:10]
    with store.write(Permission.RECEIVE_STOCK):
        for line in lines:
            lot = _lot_id(store, line)
            _move(
                store,
                lot,
                Movement.RECEIVED,
                line.quantity,
                received_on,
                unit_price=line.unit_price,
                supplier=supplier,
                note=note,
                batch=batch,
            )
        audit.record(
            store,
            audit.CREATE,
            ("stock_receipt", batch),
            {"lines": len(lines), "on": received_on.isoformat(), "supplier": supplier},
        )
    return batch


def dispense(store: Store, line_id: int, drug_code: str, quantity: float, on: dt.date) -> list[tuple[int, float]]:
    """Take ``quantity`` for a prescription line, earliest-expiring usable lot first (never an
    expired one). Inside the caller's transaction; ``NotEnoughStock`` leaves nothing written."""
    store.inside_write("a dispensing")
    store.require(Permission.DISPENSE)
    taken = fefo(lots(store, drug_code), quantity, on)
    if not taken:
        raise NotEnoughStock(drug_code, quantity, 0.0)
    with store.write(Permission.DISPENSE):
        for lot, part in taken:
            _move(store, lot.lot_id, Movement.DISPENSED, -part, on, unit_price=lot.unit_price, line_id=line_id)
    return [(lot.lot_id, part) for lot, part in taken]


def dispensed_lots(store: Store, line_id: int) -> list[tuple[int, float]]:
    """(lot, quantity still out) of a prescription line: dispensed less returned."""
    rows = store.conn.execute(
        "SELECT lot_id, -sum(delta) FROM stock_movements WHERE prescription_line_id = ? GROUP BY lot_id "
        "ORDER BY lot_id",
        (line_id,),
    ).fetchall()
    return [(int(r[0]), _round(r[1])) for r in rows if r[1] > 1e-9]


def return_line(store: Store, line_id: int, quantity: float, on: dt.date, note: str = "") -> None:
    """Medicine a patient brings back, put back into the lots the line took it from."""
    from station_app.store import audit

    store.require(Permission.DISPENSE)
    out = dispensed_lots(store, line_id)
    if quantity <= 0 or quantity > sum(q for _l, q in out) + 1e-9:
        raise StockRefused(N_("At most {quantity} can be returned for this line."), quantity=sum(q for _l, q in out))
    left = quantity
    with store.write(Permission.DISPENSE):
        for lot_id, part in reversed(out):
            back = min(part, left)
            if back > 0:
                _move(store, lot_id, Movement.RETURNED, back, on, line_id=line_id, note=note)
                left = _round(left - back)
        audit.record(store, audit.UPDATE, ("prescription_line", line_id), {"returned": quantity})


def adjust(
    store: Store, lot_id: int, delta: float, reason: AdjustReason, on: dt.date, note: str = "", batch: str = ""
) -> int:
    """A correction of a lot's balance (head of station), with its reason; audited."""
    from station_app.store import audit

    store.require(Permission.ADJUST_STOCK)
    delta = _round(delta)
    if not delta:
        raise StockRefused(N_("An adjustment changes the quantity."))
    with store.write(Permission.ADJUST_STOCK):
        row = store.conn.execute("SELECT drug_code, lot_no, balance FROM stock_lots WHERE id = ?", (lot_id,)).fetchone()
        if row is None:
            raise StockRefused(N_("There is no such lot."))
        if row[2] + delta < -1e-9:
            raise StockRefused(
                N_("The lot {lot} holds {balance}: it cannot go below 0."), lot=row[1], balance=_round(row[2])
            )
        movement = _move(store, lot_id, Movement.ADJUSTED, delta, on, reason=str(reason), note=note, batch=batch)
        audit.record(
            store,
            audit.UPDATE,
            ("stock_lot", lot_id),
            {"drug": row[0], "lot": row[1], "delta": delta, "reason": str(reason), "note": note},
        )
    return movement


def record_count(store: Store, counted: Mapping[int, float], on: dt.date, note: str = "") -> dict[int, float]:
    """A stock count (kiểm kê): for each lot counted, the difference from its balance becomes an
    adjustment "count difference". Returns the differences written, by lot."""
    from station_app.store import audit

    store.require(Permission.ADJUST_STOCK)
    if any(q < 0 for q in counted.values()):
        raise StockRefused(N_("A counted quantity cannot be negative."))
    batch = "C-" + uuid.uuid4().hex[:10]
    balances = {lot.lot_id: lot.balance for lot in lots(store, with_empty=True)}
    differences: dict[int, float] = {}
    with store.write(Permission.ADJUST_STOCK):
        for lot_id, quantity in counted.items():
            if lot_id not in balances:
                raise StockRefused(N_("There is no such lot."))
            delta = _round(quantity - balances[lot_id])
            if delta:
                _move(
                    store, lot_id, Movement.ADJUSTED, delta, on, reason=str(AdjustReason.COUNT), note=note, batch=batch
                )
                differences[lot_id] = delta
        audit.record(
            store,
            audit.UPDATE,
            ("stock_count", batch),
            {"lots": len(counted), "differences": len(differences), "on": on.isoformat()},
        )
    return differences
