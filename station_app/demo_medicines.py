"""The demo station's medicines: prescriptions on its visits, monthly deliveries, and the ledger's
dispensing, written in bulk but by the rules the app applies one visit at a time.

- Chronic refills (I10, E11.9) get their programme's drugs for 30 days; acute visits the usual
  short courses (paracetamol, amoxicillin, ORS and zinc…); antenatal visits iron and folic acid.
- Each month the district delivers, on its first days, what the month will use and a margin, as
  new lots (expiry 18–30 months later, the tender's price).
- Each line is dispensed first-expiry-first-out from the lots on hand on its day; a line the stock
  cannot cover is not prescribed (never happens with the margins, but the rule holds).
- The refill reminders are those of the visits (their follow-up date, 30 days on, which the app
  also puts first).
- Emergency drugs are received once, a few lots expire within 60 days of "today", one has
  expired (still on the shelf, to be adjusted out), and a few drugs run low.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass

from station_app.domain.medicines import quantity_for
from station_app.store import formulary
from station_app.store.bulk import insert_rows
from station_app.store.database import Store

# Diagnosis → the courses prescribed, each (drug, dose per time, times a day, days, instructions),
# with the share of visits of that diagnosis given each course.
COURSES: dict[str, list[tuple[float, tuple[str, str, int, int, str]]]] = {
    "I10": [(1.0, ("AMLO5", "1 viên", 1, 30, "uống buổi sáng")),
            (0.35, ("LOSA50", "1 viên", 1, 30, "uống buổi tối"))],
    "E11.9": [(1.0, ("METF500", "1 viên", 2, 30, "uống sau ăn sáng và tối")),
              (0.3, ("GLIC30", "1 viên", 1, 30, "uống trước ăn sáng"))],
    "J00": [(0.8, ("PARA500", "1 viên", 3, 3, "uống khi sốt, đau; cách nhau ít nhất 6 giờ")),
            (0.4, ("CLOR4", "1 viên", 2, 5, "uống sáng, tối"))],
    "J06.9": [(0.9, ("PARA500", "1 viên", 3, 3, "uống khi sốt, đau")),
              (0.5, ("AMOX500", "1 viên", 3, 5, "uống sau ăn"))],
    "J02.9": [(0.9, ("AMOX500", "1 viên", 3, 5, "uống sau ăn")), (0.6, ("PARA500", "1 viên", 3, 3, "uống khi đau"))],
    "J20.9": [(0.7, ("AMOX500", "1 viên", 3, 7, "uống sau ăn")), (0.5, ("PARA500", "1 viên", 3, 3, "uống khi sốt"))],
    "R50.9": [(1.0, ("PARA500", "1 viên", 3, 3, "uống khi sốt trên 38,5 độ"))],
    "R51": [(1.0, ("PARA500", "1 viên", 2, 3, "uống khi đau"))],
    "K29.7": [(1.0, ("OMEP20", "1 viên", 1, 14, "uống trước ăn sáng 30 phút")),
              (0.5, ("ALMG", "1 gói", 3, 5, "uống sau ăn 1 giờ"))],
    "A09": [(1.0, ("ORS", "1 gói", 2, 2, "pha 1 gói với 1 lít nước chín, uống dần trong ngày")),
            (0.6, ("ZINC10", "1 viên", 2, 10, "uống sau ăn"))],
    "M54.5": [(0.8, ("DICL50", "1 viên", 2, 5, "uống sau ăn no"))],
    "M17.9": [(0.7, ("DICL50", "1 viên", 2, 7, "uống sau ăn no"))],
    "N39.0": [(0.8, ("CIPR500", "1 viên", 2, 5, "uống nhiều nước"))],
    "L30.9": [(0.7, ("LORA10", "1 viên", 1, 5, "uống buổi tối"))],
    "J45.9": [(0.8, ("SALB4", "1 viên", 3, 5, "uống khi khó thở")),
              (0.4, ("PRED5", "4 viên", 1, 5, "uống sau ăn sáng"))],
    "E78.5": [(0.8, ("ATOR10", "1 viên", 1, 30, "uống buổi tối"))],
    "Z34.9": [(1.0, ("FEFOL", "1 viên", 1, 30, "uống trước khi ngủ"))],
}
# Kept once, for emergencies: (drug, lots of (quantity, months before today received, expiry days from today)).
EMERGENCY = {
    "ADRE1": (10, 20, 45),  # expires within 60 days: shown on Today
    "OXYT10": (10, 14, 200),
    "NACL500": (12, 20, 35),  # expires within 60 days
    "SALBNEB": (20, 16, 25),  # expires within 60 days
    "POVI10": (6, 26, -10),  # expired on the shelf
}
LOW = {"CEFA500": 40, "AZIT250": 12}  # received in small amounts: running low
LINE_COLUMNS = ("id", "visit_id", "line_no", "drug_id", "drug_code", "per_dose", "times_per_day", "days", "quantity",
                "instructions")
MOVE_COLUMNS = ("lot_id", "kind", "delta", "on_date", "unit_price", "prescription_line_id", "reason", "supplier",
                "batch", "username", "at")
SUPPLIER = "Trung tâm Y tế huyện"


@dataclass
class _Lot:
    expiry: str
    id: int
    balance: float
    price: float
    received: str


def add_medicines(store: Store, seed: int, today: dt.date, stamp: str) -> int:
    """Prescribe, receive and dispense for every visit of the demo station; returns the number of
    prescription lines."""
    r = random.Random(seed * 7919 + 18).random
    drugs = formulary.by_code(store)
    codes = tuple(COURSES)
    marks = ",".join("?" * len(codes))
    visits = store.conn.execute(
        f"SELECT id, substr(visit_at, 1, 10), diagnosis_code FROM visits WHERE diagnosis_code IN ({marks}) "
        "ORDER BY visit_at, id",
        codes,
    ).fetchall()
    # 1. The prescriptions: (visit, day, drug, per dose, times, days, quantity, instructions).
    planned: list[tuple[int, str, str, str, int, int, float, str]] = []
    quantities = {course: quantity_for(course[1], course[2], course[3]) or 1.0
                  for courses in COURSES.values() for _share, course in courses}
    for visit_id, day, code in visits:
        for share, (drug, per_dose, times, days, how) in COURSES[code]:
            if drug in drugs and (share >= 1.0 or r() < share):
                quantity = quantities[(drug, per_dose, times, days, how)]
                planned.append((visit_id, day, drug, per_dose, times, days, quantity, how))
    # 2. Month by month: the delivery on its first days tops each drug up to what the month will
    #    use and a margin; then each line is dispensed first-expiry-first-out from the lots on hand
    #    on its day; a lot left to expire is adjusted out (reason "expired") the day after.
    used: dict[tuple[str, str], float] = defaultdict(float)
    by_month: dict[str, list[tuple[int, str, str, str, int, int, float, str]]] = defaultdict(list)
    for entry in planned:
        used[(entry[1][:7], entry[2])] += entry[6]
        by_month[entry[1][:7]].append(entry)
    lots: list[tuple[int, str, str, str, float]] = []  # (id, drug, lot, expiry, price)
    moves: list[tuple[int, str, float, str, float, int | None, str, str, str, str, str]] = []
    shelf: dict[str, list[_Lot]] = defaultdict(list)  # the lots with some left, by drug
    lot_id = 0

    def receive(drug: str, quantity: float, on: dt.date, expiry: dt.date, batch: str) -> None:
        nonlocal lot_id
        lot_id += 1
        price = drugs[drug].unit_price
        lots.append((lot_id, drug, f"{drug[:3]}{on:%y%m}{lot_id % 100:02d}", expiry.isoformat(), price))
        moves.append((lot_id, "received", quantity, on.isoformat(), price, None, "", SUPPLIER, batch, "demo", stamp))
        bisect.insort(shelf[drug], _Lot(expiry.isoformat(), lot_id, quantity, price, on.isoformat()),
                      key=lambda lot: (lot.expiry, lot.id))  # (kept in first-expiry order)

    def expire_until(day: str) -> None:
        for drug_lots in shelf.values():
            for lot in drug_lots:
                if lot.balance > 0 and lot.expiry < day and lot.id not in kept:
                    after = (dt.date.fromisoformat(lot.expiry) + dt.timedelta(days=1)).isoformat()
                    moves.append((lot.id, "adjusted", -lot.balance, after, lot.price, None, "expired", "", "",
                                  "demo", stamp))
                    lot.balance = 0.0
            drug_lots[:] = [lot for lot in drug_lots if lot.balance > 0]

    kept: set[int] = set()
    for drug, (quantity, months_ago, expires_in) in EMERGENCY.items():
        if drug in drugs:
            receive(drug, float(quantity), today - dt.timedelta(days=30 * months_ago),
                    today + dt.timedelta(days=expires_in), "R-emergency")
            kept.add(lot_id)
    for drug, quantity in LOW.items():
        if drug in drugs:
            receive(drug, float(quantity), today - dt.timedelta(days=40), today + dt.timedelta(days=500), "R-low")
    lines: list[tuple[object, ...]] = []
    numbers: dict[int, int] = defaultdict(int)
    line_id = int(str(store.scalar("SELECT coalesce(max(id), 0) FROM prescription_lines") or 0))
    for month in sorted(by_month):
        first = dt.date.fromisoformat(month + "-01")
        on = first + dt.timedelta(days=int(r() * 3))
        expire_until(on.isoformat())
        month_end = (first + dt.timedelta(days=32)).replace(day=1).isoformat()
        for drug in sorted({entry[2] for entry in by_month[month]}):
            usable = sum(lot.balance for lot in shelf[drug] if lot.expiry >= month_end)
            short = used[(month, drug)] * 1.6 + 10 - usable
            if short > 0:
                expiry = first + dt.timedelta(days=540 + int(r() * 360))
                receive(drug, float(math.ceil(short / 10) * 10), on, expiry, f"R-{month}")
        for visit_id, day, drug, per_dose, times, days, quantity, how in by_month[month]:
            available = [lot for lot in shelf[drug] if lot.received <= day <= lot.expiry]
            if sum(lot.balance for lot in available) < quantity:
                continue
            line_id += 1
            numbers[visit_id] += 1
            lines.append((line_id, visit_id, numbers[visit_id], drugs[drug].id, drug, per_dose, times, days, quantity,
                          how))
            left = quantity
            for lot in available:
                part = min(lot.balance, left)
                if part <= 0:
                    break
                lot.balance -= part
                left -= part
                moves.append((lot.id, "dispensed", -part, day, lot.price, line_id, "", "", "", "demo", stamp))
                if not lot.balance:  # (an empty lot leaves the shelf: the next lines look at fewer)
                    shelf[drug].remove(lot)
    expire_until(today.isoformat())
    balances: dict[int, float] = defaultdict(float)
    for move in moves:
        balances[move[0]] += move[2]
    # Bulk loading is faster without the ledger's indexes and the trigger that keeps each lot's
    # balance: they are dropped, the balances written from the movements, and all made again from
    # their own definitions.
    kept_sql = store.conn.execute(
        "SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND tbl_name IN "
        "('stock_movements', 'prescription_lines') AND (type = 'index' OR name = 'stock_movements_balance')"
    ).fetchall()
    for kind, name, _sql in kept_sql:
        store.conn.execute(f'DROP {"INDEX" if kind == "index" else "TRIGGER"} "{name}"')
    insert_rows(store, "stock_lots", ("id", "drug_code", "lot_no", "expiry", "unit_price", "balance", "created_at"),
                [(i, d, n, e, p, round(balances[i], 3), stamp) for i, d, n, e, p in lots])
    insert_rows(store, "prescription_lines", LINE_COLUMNS, lines)
    moves.sort(key=lambda m: (m[3], m[0]))
    insert_rows(store, "stock_movements", MOVE_COLUMNS, moves)
    for _kind, _name, sql in kept_sql:
        store.conn.execute(sql)
    return len(lines)

