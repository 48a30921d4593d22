"""Medicines on the large station: picking a drug with its stock, saving a visit with three
prescription lines, the monthly medicine report."""

from __future__ import annotations

import datetime as dt
import random

from bench.core import Context, Figure, bench
from bench.features import last_full_month, scratch_copy


@bench("medicines", order=75)
def medicines(ctx: Context) -> list[Figure]:
    from station_app.domain.medicines import PrescriptionLine, ReceiptLine, search
    from station_app.domain.monthly import Month
    from station_app.domain.visit import Visit
    from station_app.printing.medicine_report import report_pdf
    from station_app.reports import medicines as medicine_report
    from station_app.store import formulary, open_store, stock, visits

    lines = int(ctx.store.scalar("SELECT count(*) FROM prescription_lines") or 0)
    moves = int(ctx.store.scalar("SELECT count(*) FROM stock_movements") or 0)
    scale = f"{lines:,} prescription lines, {moves:,} stock movements"
    drugs = list(formulary.drugs(ctx.store))
    queries = ["amlo", "paracet 500", "metf", "kem", "amox", "losa", "omep", "sat folic"]
    turn = [0]

    def pick() -> None:  # what the drug picker does at each lookup: the stock on hand, then the search
        on_hand = stock.on_hand(ctx.store, ctx.today)
        found = search(drugs, queries[turn[0] % len(queries)])
        turn[0] += 1
        assert found and on_hand

    picked = ctx.time(pick, ctx.reps(60, minimum=3))
    figures = [Figure("drug_pick", "Picking a drug with its stock (stock on hand + accent-free search)", picked,
                      target=50, how="`stock.on_hand(store, today)` and `domain.medicines.search(formulary, q)` "
                      "for eight queries in turn, as the visit form's drug picker does at each lookup.", note=scale)]

    store = open_store(scratch_copy(ctx), create=False, verify=False)
    try:
        rng = random.Random(ctx.seed)
        stock.receive(store, [ReceiptLine(code, f"BENCH-{code}", ctx.today + dt.timedelta(days=400), 100_000, 300)
                              for code in ("AMLO5", "LOSA50", "ATOR10")], ctx.today)
        ids = [r[0] for r in store.conn.execute("SELECT id FROM patients WHERE merged_into IS NULL LIMIT 5000")]
        minute = [0]

        def save() -> None:
            minute[0] += 1
            at = dt.datetime.combine(ctx.today, dt.time(7)) + dt.timedelta(seconds=minute[0])
            visits.insert(store, Visit(patient_id=rng.choice(ids), visit_at=at, diagnosis_code="I10",
                                       diagnosis_text="Tăng huyết áp", bp_systolic=150, bp_diastolic=90),
                          prescription=[PrescriptionLine("AMLO5", 30, "1 viên", 1, 30),
                                        PrescriptionLine("LOSA50", 30, "1 viên", 1, 30),
                                        PrescriptionLine("ATOR10", 30, "1 viên", 1, 30)])

        saved = ctx.time(save, ctx.reps(40, minimum=3))
    finally:
        store.close()
    figures.append(Figure("visit_three_lines", "Saving a visit with three prescription lines (dispensed, refill set)",
                          saved, target=100, how="`visits.insert(store, visit, prescription=[3 lines])` on a copy: "
                          "the checks, the visit, its follow-ups, the lines, first-expiry-first-out dispensing and "
                          "the audit entry, in one transaction.", note=scale))

    start, _end = last_full_month(ctx.today)
    month = Month(start.year, start.month)
    made: list[object] = []

    def compute() -> None:
        made[:] = [medicine_report.compute(ctx.store, month)]

    computed = ctx.time(compute, ctx.reps(10, minimum=2))
    figures.append(Figure("medicine_report", f"Monthly medicine report ({month.month:02d}/{month.year}), computed",
                          computed, target=1000, how="`reports.medicines.compute(store, month)`: every lot's "
                          "opening, received, dispensed, adjusted and closing, counted back from its balance.",
                          note=f"{len(made[0].rows)} drugs" if made else ""))  # type: ignore[attr-defined]
    report = made[0]
    printed = ctx.time(lambda: report_pdf(report), ctx.reps(10, minimum=2))  # type: ignore[arg-type]
    figures.append(Figure("medicine_report_pdf", "… and its PDF", printed, target=1000,
                          how="`printing.medicine_report.report_pdf(report)`."))
    figures.append(Figure("refill_keystrokes", "Keystrokes: a returning hypertension patient, same medicines, from "
                          "the patient's page to saved", [9.0], unit="keys", target=15,
                          how="Counted by `tests/ui/test_prescription_form.py`: Ctrl+N, the blood pressure (6), "
                          "F4 (same as last time, with its diagnosis), Ctrl+S."))
    return figures
