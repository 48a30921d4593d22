"""The demo station's insured visits export, but for a few with problems a nurse can fix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from station_app import clock
from station_app.reports import claims as claims_report
from station_app.store import open_store
from tests.conftest import TODAY


def test_the_demo_stations_last_month_mostly_exports_and_its_problems_are_a_nurses(
    demo_copy: Path, tmp_path: Path
) -> None:
    store = open_store(demo_copy)
    try:
        with clock.pinned(TODAY):
            last = TODAY.replace(day=1) - dt.timedelta(days=1)
            outcomes = claims_report.run(store, last.replace(day=1), last, tmp_path / "out")
    finally:
        store.close()
    written = [o for o in outcomes if o.status == "written"]
    held = [o for o in outcomes if o.status == "held"]
    assert len(written) > 10 * len(held) > 0
    assert len(list((tmp_path / "out").glob("*.xml"))) == len(written)
    # Every reason is one a nurse acts on (the card, the clinician's number…), never a field of the
    # standard that the program itself filled wrongly.
    assert all("XML" not in problem for o in held for problem in o.problems)


def test_the_demo_stations_older_months_export_on_the_cards_their_visits_were_made_on(demo_copy: Path) -> None:
    """Cards are renewed every year: a month from before many renewals is claimed on the cards
    valid then, not held back for the current cards' dates."""
    store = open_store(demo_copy)
    try:
        with clock.pinned(TODAY):
            first = (TODAY - dt.timedelta(days=300)).replace(day=1)
            last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
            outcomes = claims_report.run(store, first, last, None)
    finally:
        store.close()
    held = [o for o in outcomes if o.status == "held"]
    assert len(outcomes) > 50
    assert len(held) * 20 < len(outcomes), [o.problems for o in held][:5]
