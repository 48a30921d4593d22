import time, datetime as dt
from pathlib import Path
from station_app import clock
from station_app.store import open_store
from station_app.domain.accounts import SYSTEM
from station_app.domain.monthly import Month
from station_app.reports import monthly
with clock.pinned(dt.datetime(2026, 11, 20, 17, 0)):
    s = open_store(Path("/tmp/b2/demo100000.sqlite3")); s.actor = SYSTEM
    for m in (Month(2026, 10), Month(2026, 10), Month(2026, 10), Month(2026, 1), Month.year_of(2026)):
        t = time.perf_counter(); r = monthly.compute(s, m); print(m.key, round(time.perf_counter() - t, 3))
    print([(l.key, l.cells["total"].value, l.cells["total"].previous) for l in r.result("epi.coverage_given").lines])
    c = monthly._Counter(s, Month(2026, 10), monthly.load())
    t = time.perf_counter(); c.coverage(); print("coverage part", round(time.perf_counter() - t, 3))
