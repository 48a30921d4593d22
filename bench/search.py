"""Patient search: realistic queries, timed through the store and as bare SQL.

Queries are drawn deterministically (for the seed and the data) from random patients, typed the
way nurses type them: full names without marks, given + family in another order, prefixes of
every word, a given name alone, names with their marks, a family name alone, phones in several
forms (``+84…``, dots, spaces, no leading 0), the last digits of a phone, citizen IDs, record
numbers (``127-5``, ``1275``, ``00127-5``) and card numbers (whole or the last 10 characters).

Each query is timed several ways, each ``rounds`` times after a warm-up that also checks that
they agree:

* ``patients.search(store, q, limit=50)`` — ids and patient rows, what ``main.py find`` does;
* ``patients.search_ids(store, q, limit=500)`` — what the registry runs as you type;
* bare SQL — the statements ``search_ids`` executes for that query (``patients._search`` is
  handed a function that records them: usually two or three), replayed with ``fetchall`` on a
  plain ``sqlite3`` connection: the same match with no Python beyond the driver (the floor);
* one statement that scores every match (``patients._search_sql``): the plain way to write it.

A query's time is the median of its rounds; the figures are the median and p95 over queries.
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field

from bench.core import Context, Figure, bench, percentile
from station_app.domain.text import fold, words
from station_app.store import patients as patient_store

FIND_LIMIT = 50  # main.py find
REGISTRY_LIMIT = 500  # station_app/ui/views/registry.py SEARCH_LIMIT

KINDS = (
    "full name, folded",
    "given + family, other order",
    "prefixes",
    "given name alone",
    "with marks",
    "family name alone",
    "phone",
    "phone, last digits",
    "citizen ID",
    "record no.",
    "insurance no.",
)


@dataclass
class Query:
    kind: str
    text: str


def _phone_forms(phone: str, i: int) -> str:
    body = phone[1:]
    forms = [
        phone,                                                   # 0912345678
        "+84" + body,                                            # +84912345678
        f"{phone[:4]}.{phone[4:7]}.{phone[7:]}",                 # 0912.345.678
        f"{phone[:4]} {phone[4:7]} {phone[7:]}",                 # 0912 345 678
        body,                                                    # 912345678
    ]
    return forms[i % len(forms)]


def _record_forms(record_no: str, i: int) -> str:
    body, check = record_no.split("-")
    short = body.lstrip("0")
    return [f"{short}-{check}", short + check, record_no][i % 3]  # 127-5, 1275, 00127-5


def draw_queries(conn: sqlite3.Connection, n: int, seed: int) -> list[Query]:
    """``n`` queries drawn from random patients, deterministic for the seed and the data."""
    rng = random.Random(seed * 7919 + 13)
    max_id = conn.execute("SELECT max(id) FROM patients").fetchone()[0]
    names = ("full_name", "phone", "guardian_phone", "citizen_id", "record_no", "insurance_no")

    def patient(need: str | None = None) -> dict[str, str]:
        while True:
            row = conn.execute(f"SELECT {', '.join(names)} FROM patients WHERE id = ?",
                               (rng.randint(1, max_id),)).fetchone()
            if row is None:
                continue
            p = dict(zip(names, row, strict=True))
            if need is None or p[need]:
                return p

    queries: list[Query] = []
    per_kind: dict[str, int] = defaultdict(int)
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        j = per_kind[kind]
        per_kind[kind] += 1
        if kind == "full name, folded":
            text = " ".join(fold(w) for w in words(patient()["full_name"]))
        elif kind == "given + family, other order":
            parts = [fold(w) for w in words(patient()["full_name"])]
            text = f"{parts[-1]} {parts[0]}" if j % 2 == 0 else " ".join([parts[-1], *parts[:-1]])
        elif kind == "prefixes":
            parts = [fold(w) for w in words(patient()["full_name"])]
            family_cut, middle_cut, given_cut = (2, 1, 3) if j % 2 == 0 else (3, 2, 2)
            text = " ".join([parts[0][:family_cut], *(w[:middle_cut] for w in parts[1:-1]),
                             parts[-1][:given_cut]])  # "ng t huo", "ngu th hu"
        elif kind == "given name alone":
            text = fold(words(patient()["full_name"])[-1])
        elif kind == "with marks":
            name = patient()["full_name"]
            text = name.split()[-1] if j % 2 == 0 else name  # "Hương", "Nguyễn Thị Hương"
        elif kind == "family name alone":
            text = fold(words(patient()["full_name"])[0])
        elif kind == "phone":
            text = _phone_forms(patient("phone")["phone"], j)
        elif kind == "phone, last digits":
            text = patient("phone")["phone"][-6:]
        elif kind == "citizen ID":
            text = patient("citizen_id")["citizen_id"]
        elif kind == "record no.":
            text = _record_forms(patient()["record_no"], j)
        elif kind == "insurance no.":
            number = patient("insurance_no")["insurance_no"]
            text = number if j % 2 == 0 else number[-10:]
        else:  # pragma: no cover
            raise AssertionError(kind)
        queries.append(Query(kind, text))
    return queries


Statement = tuple[str, list[object]]


def statements_of(conn: sqlite3.Connection, text: str, limit: int) -> tuple[list[int], list[Statement]]:
    """The ids ``search_ids`` finds for ``text`` and the statements (with parameters) it runs."""
    query = patient_store.prepare_query(text)
    if not query.tokens:
        return [], []
    done: list[Statement] = []

    def run(sql: str, params: list[object]) -> list[tuple[object, ...]]:
        done.append((sql, list(params)))
        return conn.execute(sql, params).fetchall()

    return patient_store._search(run, query, limit), done


def full_statement(text: str, limit: int) -> Statement | None:
    query = patient_store.prepare_query(text)
    if not query.tokens:
        return None
    sql, params = patient_store._search_sql(query)
    return sql, [*params, limit]


@dataclass
class Timing:
    query: Query
    hits: int
    statements: int
    medians: dict[str, float] = field(default_factory=dict)


def time_queries(ctx: Context, queries: list[Query], rounds: int) -> list[Timing]:
    store = ctx.store
    bare = sqlite3.connect(str(ctx.db), isolation_level=None)
    try:
        prepared = []
        for q in queries:
            ids, find_sql = statements_of(bare, q.text, FIND_LIMIT)
            reg_ids, reg_sql = statements_of(bare, q.text, REGISTRY_LIMIT)
            full = full_statement(q.text, FIND_LIMIT)
            expected = [r[0] for r in bare.execute(*full).fetchall()] if full else []
            if patient_store.search_ids(store, q.text, limit=FIND_LIMIT) != expected or ids != expected:
                raise RuntimeError(f"search_ids and the full scoring SQL disagree for {q.text!r}")
            if patient_store.search_ids(store, q.text, limit=REGISTRY_LIMIT) != reg_ids:
                raise RuntimeError(f"search_ids and its replayed statements disagree for {q.text!r}")
            prepared.append((q, find_sql, reg_sql, full, len(ids)))

        def replay(statements: list[Statement]) -> None:
            for sql, params in statements:
                bare.execute(sql, params).fetchall()

        results = []
        for q, find_sql, reg_sql, full, hits in prepared:
            calls = {
                "search": lambda q=q: patient_store.search(store, q.text, limit=FIND_LIMIT),
                "bare": lambda s=find_sql: replay(s),
                "search_ids": lambda q=q: patient_store.search_ids(store, q.text, limit=REGISTRY_LIMIT),
                "bare_registry": lambda s=reg_sql: replay(s),
                "full": lambda f=full: replay([f] if f else []),
            }
            samples: dict[str, list[float]] = {k: [] for k in calls}
            for _ in range(rounds):
                for name, call in calls.items():
                    started = time.perf_counter()
                    call()
                    samples[name].append((time.perf_counter() - started) * 1000)
            results.append(Timing(q, hits, len(find_sql), {k: statistics.median(v) for k, v in samples.items()}))
        return results
    finally:
        bare.close()


def _f(ms: float) -> str:
    return f"{ms:.1f}" if ms < 100 else f"{ms:.0f}"


def _details(timings: list[Timing]) -> str:
    groups: dict[str, list[Timing]] = defaultdict(list)
    for t in timings:
        groups[t.query.kind].append(t)
    lines = [
        "| Kind | n | hits (median) | `search` median / p95 | bare SQL median / p95 | `search_ids` (500) "
        "median / p95 | one scoring statement median / p95 | slowest `search` |",
        "|---|---:|---:|---|---|---|---|---|",
    ]
    for kind in KINDS:
        ts = groups.get(kind)
        if not ts:
            continue

        def two(key: str, ts: list[Timing] = ts) -> str:
            values = [t.medians[key] for t in ts]
            return f"{_f(statistics.median(values))} / {_f(percentile(values, 95))}"

        slowest = max(ts, key=lambda t: t.medians["search"])
        lines.append(f"| {kind} | {len(ts)} | {statistics.median(t.hits for t in ts):g} | {two('search')} | "
                     f"{two('bare')} | {two('search_ids')} | {two('full')} | "
                     f"`{slowest.query.text}` {_f(slowest.medians['search'])} |")
    return "\n".join(lines)


# -- typing slips (issue 21) ------------------------------------------------------------------------
SLIP_KINDS = ("one edit", "swap", "run together", "Telex")
_TELEX_LETTERS = {"â": "aa", "ă": "aw", "ê": "ee", "ô": "oo", "ơ": "ow", "ư": "uw", "đ": "dd"}
_TELEX_TONES = {"\u0301": "s", "\u0300": "f", "\u0309": "r", "\u0303": "x", "\u0323": "j"}


def telex(word: str) -> str:
    """The keys that type ``word`` with Telex, tone key last ("nguyễn" → "nguyeenx")."""
    import unicodedata

    keys, tone = [], ""
    for ch in unicodedata.normalize("NFC", word.lower()):
        parts = unicodedata.normalize("NFD", ch)
        for mark in parts[1:]:
            tone = _TELEX_TONES.get(mark, tone)
        base = unicodedata.normalize("NFC", "".join(m for m in parts if m not in _TELEX_TONES))
        keys.append(_TELEX_LETTERS.get(base, base))
    return "".join(keys) + tone


def slip_queries(conn: sqlite3.Connection, n: int, seed: int) -> list[tuple[Query, int]]:
    """``n`` queries with a typing slip, drawn from random patients: (query, the patient meant)."""
    rng = random.Random(seed * 104729 + 7)
    max_id = conn.execute("SELECT max(id) FROM patients").fetchone()[0]
    out: list[tuple[Query, int]] = []
    while len(out) < n:
        kind = SLIP_KINDS[len(out) % len(SLIP_KINDS)]
        row = conn.execute("SELECT id, full_name FROM patients WHERE id = ?", (rng.randint(1, max_id),)).fetchone()
        if row is None:
            continue
        pid, name = row
        parts = [fold(w) for w in words(name)]
        long_words = [i for i, w in enumerate(parts) if len(w) >= 4]
        # a letter left out must leave 4 letters: a 3-letter word is searched as typed (the rule)
        longer_words = [i for i, w in enumerate(parts) if len(w) >= 5]
        if kind in ("one edit", "swap") and not long_words:
            continue
        if kind == "one edit":
            how = len(out) // len(SLIP_KINDS) % 3  # delete, insert, change
            if how == 0 and not longer_words:
                continue
            i = rng.choice(longer_words if how == 0 else long_words)
            w = parts[i]
            at = rng.randrange(1, len(w))
            parts[i] = [w[:at] + w[at + 1:], w[:at] + rng.choice("aeiounghtm") + w[at:],
                        w[:at] + ("x" if w[at] != "x" else "q") + w[at + 1:]][how]
            text = " ".join(parts)
        elif kind == "swap":
            i = rng.choice(long_words)
            w = parts[i]
            at = next((j for j in range(1, len(w) - 1) if w[j] != w[j + 1]), 0)
            parts[i] = w[:at] + w[at + 1] + w[at] + w[at + 2:]
            text = " ".join(parts)
        elif kind == "run together":
            text = "".join(parts)
        else:
            text = " ".join(telex(w) for w in words(name))
        if text != " ".join(fold(w) for w in words(name)):
            out.append((Query(kind, text), pid))
    return out


def time_slips(ctx: Context, drawn: list[tuple[Query, int]], rounds: int) -> tuple[list[Timing], float]:
    """Each slip query timed through ``search`` (50) and ``search_ids`` (500); the share of queries
    whose patient meant is among the registry's 500."""
    store = ctx.store
    results, meant_found = [], 0
    for q, pid in drawn:
        found = patient_store.find(store, q.text, REGISTRY_LIMIT)
        meant_found += pid in found.ids
        calls = {
            "search": lambda q=q: patient_store.search(store, q.text, limit=FIND_LIMIT),
            "search_ids": lambda q=q: patient_store.search_ids(store, q.text, limit=REGISTRY_LIMIT),
        }
        samples: dict[str, list[float]] = {k: [] for k in calls}
        for _ in range(rounds):
            for name, call in calls.items():
                started = time.perf_counter()
                call()
                samples[name].append((time.perf_counter() - started) * 1000)
        results.append(Timing(q, len(found.ids), 0, {k: statistics.median(v) for k, v in samples.items()}))
    return results, meant_found / max(1, len(drawn))


def _slip_details(timings: list[Timing]) -> str:
    groups: dict[str, list[Timing]] = defaultdict(list)
    for t in timings:
        groups[t.query.kind].append(t)
    lines = ["| Kind | n | hits (median, of 500) | `search` median / p95 | `search_ids` (500) median / p95 | "
             "slowest `search` |", "|---|---:|---:|---|---|---|"]
    for kind in SLIP_KINDS:
        ts = groups.get(kind)
        if not ts:
            continue

        def two(key: str, ts: list[Timing] = ts) -> str:
            values = [t.medians[key] for t in ts]
            return f"{_f(statistics.median(values))} / {_f(percentile(values, 95))}"

        slowest = max(ts, key=lambda t: t.medians["search"])
        lines.append(f"| {kind} | {len(ts)} | {statistics.median(t.hits for t in ts):g} | {two('search')} | "
                     f"{two('search_ids')} | `{slowest.query.text}` {_f(slowest.medians['search'])} |")
    return "\n".join(lines)


@bench("search", order=20)
def search(ctx: Context) -> list[Figure]:
    conn = sqlite3.connect(str(ctx.db))
    try:
        queries = draw_queries(conn, ctx.reps(330, minimum=len(KINDS)), ctx.seed)
    finally:
        conn.close()
    rounds = ctx.reps(3, minimum=1)
    timings = time_queries(ctx, queries, rounds)

    def col(key: str) -> list[float]:
        return [t.medians[key] for t in timings]

    how = (f"{len(timings)} queries of {len(KINDS)} kinds drawn from the data (folded names, other word "
           f"orders, prefixes, names with marks, phones in 5 forms, last phone digits, citizen IDs, record and "
           f"card numbers); each query's time is the median of {rounds} runs after a checked warm-up; "
           "median and p95 over the queries.")
    return [
        Figure("search", f"Search, `patients.search` (what `find` does), limit {FIND_LIMIT}", col("search"),
               target=30, floor=col("bare"), floor_title="the statements it runs, replayed on bare sqlite3",
               max_ratio=2, how=how, details=_details(timings),
               note=f"median {statistics.median(t.hits for t in timings):g} hits"),
        Figure("search_registry", f"Search as you type in the registry, `search_ids`, limit {REGISTRY_LIMIT}",
               col("search_ids"), target=30, floor=col("bare_registry"),
               floor_title="the statements it runs, replayed on bare sqlite3", max_ratio=2,
               how="The same queries with the registry's limit; ids only (the table fetches rows as it paints)."),
        Figure("search_one_statement", "Search as one SQL statement scoring every match (for comparison)",
               col("full"), how="`patients._search_sql`, the plain way to rank: reads every matching patient."),
        *slip_figures(ctx, rounds),
    ]


def slip_figures(ctx: Context, rounds: int) -> list[Figure]:
    conn = sqlite3.connect(str(ctx.db))
    try:
        drawn = slip_queries(conn, ctx.reps(120, minimum=len(SLIP_KINDS)), ctx.seed)
    finally:
        conn.close()
    timings, share = time_slips(ctx, drawn, rounds)
    how = (f"{len(timings)} queries of {len(SLIP_KINDS)} kinds typed from random patients' names: one edit "
           "(a letter left out, added or changed in a word of 4+ letters), two neighbouring letters swapped, "
           "the words run together, the name typed in Telex with the input method off; nobody is found as "
           f"typed, so each runs the exact search, then reads the query back; median of {rounds} runs.")
    return [
        Figure("search_slips", f"Search with a typing slip, `patients.search`, limit {FIND_LIMIT}",
               [t.medians["search"] for t in timings], target=30, how=how, details=_slip_details(timings),
               note=f"the patient meant among the first {REGISTRY_LIMIT}: {share:.0%}"),
        Figure("search_slips_registry", f"Search with a typing slip as you type, `search_ids`, limit "
               f"{REGISTRY_LIMIT}", [t.medians["search_ids"] for t in timings], target=30,
               how="The same queries with the registry's limit."),
    ]
