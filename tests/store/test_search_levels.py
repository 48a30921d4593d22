"""The fast path of patient search (many matches: best found level by level, walking name order)
gives exactly the order of the plain query that scores every match."""

from __future__ import annotations

import pytest

from station_app.store import open_store
from station_app.store import patients as patient_store

QUERIES = [
    # one common word, folded or with its marks, whole or a prefix
    "nguyen", "Nguyễn", "thi", "Thị", "van", "ng", "n", "h", "t", "th", "a", "an", "Anh",
    # marks that match no name although the folded word is common (typing "Nguyễn" in Telex)
    "Nguyên", "Nguyê", "Thi̇", "Ngùyen",
    # several words
    "nguyen thi", "Nguyễn Thị", "nguyen van", "ng t", "h t", "thi huong", "Hương", "huong nguyen",
    "le van an", "an van", "Văn An", "nguyen 09",
    # numbers: prefixes of phones and identifiers, record numbers
    "0", "09", "03", "2", "25", "1", "12", "0912", "00", "GD4", "gd",
]


@pytest.fixture
def low_thresholds(monkeypatch):
    """A 300-patient station behaves like a large one: every common query takes the fast path."""
    monkeypatch.setattr(patient_store, "_DENSE", 12)
    monkeypatch.setattr(patient_store, "_DENSE_SHARE", 0.0)
    monkeypatch.setattr(patient_store, "_SCAN", 15)


def plain(store, text: str, limit: int) -> list[int]:
    query = patient_store.prepare_query(text)
    if not query.tokens:
        return []
    sql, params = patient_store._search_sql(query)
    return [r[0] for r in store.conn.execute(sql, [*params, limit])]


@pytest.mark.parametrize("limit", [1, 3, 8, 50])
def test_fast_path_gives_the_plain_order(demo_copy, low_thresholds, limit):
    store = open_store(demo_copy)
    try:
        for text in QUERIES:
            assert patient_store.search_ids(store, text, limit) == plain(store, text, limit), text
    finally:
        store.close()


def test_fast_path_is_taken(demo_copy, low_thresholds):
    """"nguyen" needs a handful of statements, none scoring every match."""
    store = open_store(demo_copy)
    try:
        done: list[str] = []

        def run(sql, params):
            done.append(sql)
            return store.conn.execute(sql, params).fetchall()

        query = patient_store.prepare_query("nguyen")
        found = patient_store._search(run, query, 5)
        assert found == plain(store, "nguyen", 5)
        assert any("INDEXED BY patients_sort_key" in sql for sql in done)
        assert patient_store._search_sql(query)[0] not in done
    finally:
        store.close()


def test_search_with_a_zero_or_negative_limit_finds_nothing(demo_copy):
    store = open_store(demo_copy)
    try:
        assert patient_store.search_ids(store, "nguyen", 0) == []
        assert patient_store.search(store, "nguyen", -1) == []
    finally:
        store.close()
