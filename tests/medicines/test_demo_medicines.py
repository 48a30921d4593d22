"""The demo station's medicines follow the app's rules: chronic refills carry their programme's
drugs, every line is dispensed whole, never from an expired lot nor before its delivery, balances
are the sum of movements and never negative, a few lots are about to expire."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from station_app.store import open_store, stock


def test_the_demo_prescribes_and_dispenses_by_the_rules(demo_db: Path, today: dt.date) -> None:
    store = open_store(demo_db, migrate=False)
    try:
        q = store.scalar
        assert q("SELECT count(*) FROM prescription_lines") > 1000
        # Every hypertension refill has amlodipine; every line is dispensed whole.
        assert q("SELECT count(*) FROM visits v WHERE diagnosis_code = 'I10' AND NOT EXISTS (SELECT 1 FROM "
                 "prescription_lines l WHERE l.visit_id = v.id AND l.drug_code = 'AMLO5')") == 0
        assert q("SELECT count(*) FROM prescription_lines l WHERE abs(l.quantity + (SELECT sum(delta) FROM "
                 "stock_movements m WHERE m.prescription_line_id = l.id)) > 0.0005") == 0
        # Never from an expired lot, never before the lot was delivered, never after "today".
        assert q("SELECT count(*) FROM stock_movements m JOIN stock_lots l ON l.id = m.lot_id "
                 "WHERE m.kind = 'dispensed' AND m.on_date > l.expiry") == 0
        assert q("SELECT count(*) FROM stock_movements m WHERE m.kind = 'dispensed' AND m.on_date < "
                 "(SELECT min(on_date) FROM stock_movements r WHERE r.lot_id = m.lot_id AND r.kind = 'received')") == 0
        assert q("SELECT max(on_date) FROM stock_movements") <= today.isoformat()
        assert stock.ledger_problems(store) == []
        assert all(lot.balance >= 0 for lot in stock.lots(store, with_empty=True))
        # Expired leftovers were adjusted out with their reason; a few lots expire soon.
        expired = [lot for lot in stock.lots(store) if lot.expiry < today]
        assert len(expired) == 1, "one expired lot left on the shelf to show; the others were adjusted out"
        soon = stock.expiring(store, today)
        assert 2 <= len(soon) <= 8 and any(lot.expiry < today for lot in soon)
        assert stock.low_stock(store, today), "a few drugs run low"
        # The lots a refill can use cover the month ahead for the programmes' drugs.
        assert stock.on_hand(store, today)["AMLO5"] > 0
    finally:
        store.close()
