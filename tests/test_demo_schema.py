"""The demo generator loads its rows into bare tables and makes the indexes afterwards: the file
it leaves has exactly the schema of a fresh database, every index included and in use."""

from __future__ import annotations

from pathlib import Path

from station_app.store import open_store


def schema(path: Path) -> list[tuple[str, str, str, str]]:
    store = open_store(path, create=True)
    try:
        return [tuple(r) for r in store.conn.execute(
            "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema "
            "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
        )]
    finally:
        store.close()


def test_a_demo_file_has_the_schema_of_a_fresh_one(demo_db: Path, tmp_path: Path) -> None:
    demo = schema(demo_db)
    fresh = schema(tmp_path / "fresh.sqlite3")
    assert demo == fresh
    indexes = [name for kind, name, table, _ in demo if kind == "index" and table in ("patients", "visits")]
    assert "visits_patient" in indexes and "patients_sort_key" in indexes
    store = open_store(demo_db, create=False)
    try:
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # Loaded without the per-row reference checks: every reference must hold all the same.
        assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
        plan = " ".join(r[3] for r in store.conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM visits WHERE patient_id = 5 ORDER BY visit_at"))
        assert "visits_patient" in plan or "visits_readings" in plan
        assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL again for the app
    finally:
        store.close()
