"""Benchmark of a large station: demo generation, opening, and patient search (``find``).

Run from the repository root (not a test: it takes a few minutes and writes ~0.5 GB)::

    uv run python scripts/benchmark.py                     # 100,000 patients, ~1,000,000 visits
    uv run python scripts/benchmark.py --reuse             # keep the database built last time
    uv run python scripts/benchmark.py --patients 20000 --db bench-data/small.sqlite3

It builds the database with ``station_app.demo.generate`` (10 visits per patient), then runs a
few hundred queries drawn deterministically from the data, typed the way nurses type them
(folded names, other word orders, prefixes, names with their marks, one family name, phones in
several forms, citizen IDs, record and insurance numbers). Each query is timed four ways:

* ``search``: ``patients.search(store, q, limit=50)``: ids and patient rows, what ``find`` does;
* ``search_ids``: ``patients.search_ids(store, q, limit=50)``, what the registry list does;
* bare SQL: the statements ``search_ids`` executes for that query (``patients._search`` is given
  a function that records them: usually two or three), replayed with ``fetchall`` on a plain
  ``sqlite3`` connection: the floor, no Python beyond the driver;
* one statement scoring every match (``patients._search_sql``): the plain way to answer, which
  ``search_ids`` still uses when there are few matches. All four must give the same ids.

Every query runs once to warm the caches (and check the answers), then ``--rounds`` times; a
query's time is the median of its rounds, and the tables give the median, 95th percentile and
maximum over the queries. The figures go to stdout as Markdown (``BENCHMARKS.md`` records a run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from station_app.domain.text import fold, words  # noqa: E402
from station_app.store import open_store  # noqa: E402
from station_app.store import patients as patient_store  # noqa: E402

LIMIT = 50
TARGET_P95_MS = 30.0
TARGET_RATIO = 2.0

# Query kinds, in the order they are drawn (round robin) and reported.
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


# -- building -------------------------------------------------------------------------------------
def build(path: Path, n_patients: int, seed: int) -> dict[str, object]:
    from station_app.demo import generate

    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 5 or done == total:
            last[0] = now
            print(f"  generated {done:,}/{total:,} patients", file=sys.stderr, flush=True)

    print(f"Building {path} ({n_patients:,} patients, seed {seed})…", file=sys.stderr, flush=True)
    started = time.perf_counter()
    summary = generate(path, patients=n_patients, seed=seed, visits_per_patient=10.0, force=True,
                       progress=progress)
    seconds = time.perf_counter() - started
    info = {"patients": summary.patients, "visits": summary.visits, "seconds": round(seconds, 1),
            "seed": seed}
    _info_path(path).write_text(json.dumps(info), encoding="utf-8")
    return info


def _info_path(path: Path) -> Path:
    return path.with_name(path.name + ".build.json")


def file_size(path: Path) -> int:
    files = [Path(str(path) + suffix) for suffix in ("", "-wal")]
    return sum(f.stat().st_size for f in files if f.exists())


# -- queries --------------------------------------------------------------------------------------
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
        body,                                                    # 912345678 (no leading 0)
    ]
    return forms[i % len(forms)]


def _record_forms(record_no: str, i: int) -> str:
    body, check = record_no.split("-")
    short = body.lstrip("0")
    forms = [f"{short}-{check}", short + check, record_no]  # 127-5, 1275, 00127-5
    return forms[i % len(forms)]


def draw_queries(conn: sqlite3.Connection, n: int, seed: int) -> list[Query]:
    """``n`` queries drawn from random patients, deterministic for the seed and the data."""
    rng = random.Random(seed * 7919 + 13)
    max_id = conn.execute("SELECT max(id) FROM patients").fetchone()[0]
    columns = "full_name, phone, guardian_phone, citizen_id, record_no, insurance_no"

    def patient(need: str | None = None) -> dict[str, str]:
        while True:
            row = conn.execute(f"SELECT {columns} FROM patients WHERE id = ?",
                               (rng.randint(1, max_id),)).fetchone()
            if row is None:
                continue
            p = dict(zip(("full_name", "phone", "guardian_phone", "citizen_id", "record_no",
                          "insurance_no"), row, strict=True))
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


# -- timing ---------------------------------------------------------------------------------------
@dataclass
class Timing:
    query: Query
    ids_ms: float
    search_ms: float
    bare_ms: float
    full_ms: float
    hits: int
    statements: int
    samples: dict[str, list[float]] = field(default_factory=dict)


def _ms(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


Statement = tuple[str, list[object]]


def statements_of(conn: sqlite3.Connection, text: str) -> tuple[list[int], list[Statement]]:
    """The ids ``search_ids`` finds for ``text`` and the SQL statements (with parameters) it runs.

    ``patients._search`` takes the function that runs one statement: given one that records, it
    yields exactly the statements ``search_ids`` executes (how many depends on the data).
    """
    query = patient_store.prepare_query(text)
    if not query.tokens:
        return [], []
    done: list[Statement] = []

    def run(sql: str, params: list[object]) -> list[tuple[object, ...]]:
        done.append((sql, list(params)))
        return conn.execute(sql, params).fetchall()

    return patient_store._search(run, query, LIMIT), done


def full_statement(text: str) -> Statement | None:
    """The single statement scoring every match (``_search_sql``): the plain way to answer."""
    query = patient_store.prepare_query(text)
    if not query.tokens:
        return None
    sql, params = patient_store._search_sql(query)
    return sql, [*params, LIMIT]


def time_queries(db: Path, queries: list[Query], rounds: int, cache_mb: int | None) -> list[Timing]:
    store = open_store(db, create=False)
    bare = sqlite3.connect(str(db), isolation_level=None)
    if cache_mb:
        for conn in (store.conn, bare):
            conn.execute(f"PRAGMA cache_size = -{cache_mb * 1024}")
    try:
        prepared = []
        for q in queries:
            ids, statements = statements_of(bare, q.text)
            full = full_statement(q.text)
            # The answers must agree: search_ids, its statements replayed, the full scoring SQL.
            expected = [r[0] for r in bare.execute(*full).fetchall()] if full else []
            if patient_store.search_ids(store, q.text, limit=LIMIT) != expected or ids != expected:
                raise SystemExit(f"search_ids and the full scoring SQL disagree for {q.text!r}")
            prepared.append((q, statements, full))

        def replay(statements: list[Statement]) -> None:
            for sql, params in statements:
                bare.execute(sql, params).fetchall()

        results = []
        for q, statements, full in prepared:
            samples: dict[str, list[float]] = {"ids": [], "search": [], "bare": [], "full": []}
            hits = 0
            for _ in range(rounds):
                ms, ids = _ms(lambda q=q: patient_store.search_ids(store, q.text, limit=LIMIT))
                samples["ids"].append(ms)
                hits = len(ids)  # type: ignore[arg-type]
                ms, _found = _ms(lambda q=q: patient_store.search(store, q.text, limit=LIMIT))
                samples["search"].append(ms)
                ms, _ = _ms(lambda statements=statements: replay(statements))
                samples["bare"].append(ms)
                ms, _ = _ms(lambda full=full: replay([full] if full else []))
                samples["full"].append(ms)
            med = {k: statistics.median(v) for k, v in samples.items()}
            results.append(Timing(q, med["ids"], med["search"], med["bare"], med["full"], hits,
                                  len(statements), samples))
        return results
    finally:
        bare.close()
        store.close()


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil
    return ordered[int(rank) - 1]


def time_open(db: Path, repeats: int = 5) -> dict[str, float]:
    """Opening the file (checks, WAL, migrations if any, ICD-10 version check) and counting."""
    first, store = _ms(lambda: open_store(db, create=False))
    migrated = store.migration_backup is not None  # type: ignore[attr-defined]
    count_ms, n = _ms(lambda: patient_store.count(store))  # type: ignore[attr-defined]
    store.close()  # type: ignore[attr-defined]
    opens, counts = [], []
    for _ in range(repeats):
        ms, store = _ms(lambda: open_store(db, create=False))
        opens.append(ms)
        ms, n = _ms(lambda store=store: patient_store.count(store))
        counts.append(ms)
        store.close()  # type: ignore[attr-defined]
    return {"first_open_ms": first, "open_ms": statistics.median(opens), "first_count_ms": count_ms,
            "count_ms": statistics.median(counts), "patients": float(n),  # type: ignore[arg-type]
            "migrated": float(migrated)}


def time_cli(db: Path, query: str, repeats: int = 5) -> tuple[float, int]:
    cmd = ["uv", "run", "main.py", "find", "--db", str(db), query, "--json"]
    times = []
    lines = 0
    for _ in range(repeats):
        started = time.perf_counter()
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout
        times.append((time.perf_counter() - started) * 1000)
        lines = len(out.splitlines())
    return statistics.median(times), lines


# -- report ---------------------------------------------------------------------------------------
def machine() -> dict[str, str]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cores": str(os.cpu_count()), "cpu": cpu, "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "system": f"{platform.system()} {platform.release()}"}


def _f(ms: float) -> str:
    return f"{ms:.1f}" if ms < 100 else f"{ms:.0f}"


def _three(values: list[float]) -> str:
    return f"{_f(statistics.median(values))} / {_f(percentile(values, 95))} / {_f(max(values))}"


def report(db: Path, info: dict[str, object], reused: bool, opened: dict[str, float],
           timings: list[Timing], cli: tuple[float, int] | None, rounds: int,
           cache_mb: int | None) -> str:
    m = machine()
    out: list[str] = []
    add = out.append
    add(f"Machine: {m['cores']} cores, {m['cpu']}; {m['system']}; "
        f"Python {m['python']}, SQLite {m['sqlite']}")
    add("")
    add("| Database | |")
    add("|---|---|")
    gen = f"{info['seconds']} s" if info.get("seconds") is not None else "?"
    first_open = _f(opened["first_open_ms"])
    if opened["migrated"]:
        first_open += " (migrating the file to the current schema)"
    add(f"| Patients / visits | {int(opened['patients']):,} / {int(info['visits']):,} |")  # type: ignore[call-overload]
    add(f"| Generation (`demo.generate`) | {gen}{' (earlier run, reused)' if reused else ''} |")
    add(f"| Size on disk | {file_size(db) / 1e6:.0f} MB |")
    add(f"| `open_store`, first in the process / median of 5 | {first_open} / "
        f"{_f(opened['open_ms'])} ms |")
    add(f"| `patients.count`, first / median of 5 | {_f(opened['first_count_ms'])} / "
        f"{_f(opened['count_ms'])} ms |")
    add("")
    cache = f"SQLite page cache {cache_mb} MB" if cache_mb else "default SQLite page cache (2 MB)"
    add(f"Search, limit {LIMIT}: {len(timings)} queries; each time is the median of {rounds} runs "
        f"after a warm-up; median / p95 / max over the queries, in ms; {cache}.")
    add("")
    groups: dict[str, list[Timing]] = defaultdict(list)
    for t in timings:
        groups[t.query.kind].append(t)
    rows = [(kind, groups[kind]) for kind in KINDS if groups[kind]] + [("**all**", timings)]

    add("| Kind | n | hits (median) | slowest | `search` (what `find` does) | `search_ids` |")
    add("|---|---:|---:|---|---|---|")
    for label, ts in rows:
        slowest = max(ts, key=lambda t: t.search_ms)
        add(f"| {label} | {len(ts)} | {statistics.median(t.hits for t in ts):g} | "
            f"`{slowest.query.text}` | {_three([t.search_ms for t in ts])} | "
            f"{_three([t.ids_ms for t in ts])} |")
    add("")
    add("| Kind | bare SQL (statements of `search_ids`) | statements | `search` / bare, p95 "
        "| one statement scoring every match |")
    add("|---|---|---:|---:|---|")
    for label, ts in rows:
        bare95 = max(percentile([t.bare_ms for t in ts], 95), 1e-6)
        ratio = percentile([t.search_ms for t in ts], 95) / bare95
        add(f"| {label} | {_three([t.bare_ms for t in ts])} | "
            f"{statistics.median(t.statements for t in ts):g} | {ratio:.2f} | "
            f"{_three([t.full_ms for t in ts])} |")
    add("")
    slowest = sorted(timings, key=lambda t: t.search_ms, reverse=True)[:8]
    add("Slowest queries (`search`, ms): "
        + ", ".join(f"`{t.query.text}` {_f(t.search_ms)}" for t in slowest))
    if cli:
        add("")
        add(f'`uv run main.py find --db … "nguyen thi huong" --json`, end to end: {_f(cli[0])} ms '
            f"(median of 5; {cli[1]} lines)")
    p95 = percentile([t.search_ms for t in timings], 95)
    bare95 = percentile([t.bare_ms for t in timings], 95)
    add("")
    add(f"Target: `search` p95 {_f(p95)} ms (≤ {TARGET_P95_MS:.0f}: "
        f"{'yes' if p95 <= TARGET_P95_MS else 'NO'}), {p95 / bare95:.2f}× the bare p95 "
        f"(≤ {TARGET_RATIO:.0f}×: {'yes' if p95 <= TARGET_RATIO * bare95 else 'NO'}).")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=ROOT / "bench-data" / "bench.sqlite3")
    parser.add_argument("--reuse", action="store_true", help="use the database at --db as it is")
    parser.add_argument("--queries", type=int, default=300, help="number of search queries")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs of each query")
    parser.add_argument("--seed", type=int, default=1, help="seed of the data and of the queries")
    parser.add_argument("--no-cli", action="store_true", help="skip the end-to-end `find` timing")
    parser.add_argument("--json", type=Path, help="also write every query's timings to this file")
    parser.add_argument("--cache-mb", type=int, help="SQLite page cache of the timed connections "
                        "(default: SQLite's 2 MB, as the app opens it)")
    args = parser.parse_args(argv)

    db: Path = args.db
    reused = bool(args.reuse and db.exists())
    if reused:
        try:
            info = json.loads(_info_path(db).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            info = {"seconds": None}
        conn = sqlite3.connect(str(db))
        info["visits"] = conn.execute("SELECT count(*) FROM visits").fetchone()[0]
        conn.close()
    else:
        db.parent.mkdir(parents=True, exist_ok=True)
        info = build(db, args.patients, args.seed)
        print(f"  {info['patients']:,} patients, {info['visits']:,} visits in {info['seconds']} s",
              file=sys.stderr, flush=True)

    opened = time_open(db)
    conn = sqlite3.connect(str(db))
    queries = draw_queries(conn, args.queries, args.seed)
    conn.close()
    print(f"Timing {len(queries)} queries × {args.rounds} rounds…", file=sys.stderr, flush=True)
    timings = time_queries(db, queries, args.rounds, args.cache_mb)
    cli = None if args.no_cli else time_cli(db, "nguyen thi huong")
    if args.json:
        args.json.write_text(json.dumps([
            {"kind": t.query.kind, "query": t.query.text, "hits": t.hits, **t.samples}
            for t in timings
        ], ensure_ascii=False, indent=1), encoding="utf-8")
    print(report(db, info, reused, opened, timings, cli, args.rounds, args.cache_mb))
    return 0


if __name__ == "__main__":
    sys.exit(main())
