"""Fast bulk writes for generated or migrated data: many rows per statement, one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from station_app.store.database import Store


def insert_rows(store: Store, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) inside the caller's transaction."""
    store.inside_write(table)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    cursor = store.conn.executemany(sql, rows)
    return cursor.rowcount
