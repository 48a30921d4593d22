"""Benchmark of a large station: demo generation, opening, and patient search (``find``).

Run from the repository root (not a test: it takes a few minutes and writes ~0.5 GB)::

    uv run python scripts/benchmark.py                     # 100,000 patients, ~1,000,000 visits
    uv run python scripts/benchmark.py --reuse             # keep the database built last time
    uv run python scripts/benchmark.py --patients 20000 --db bench-data/small.sqlite3

It builds the database with ``station_app.demo.generate`` (10 visits per patient), then runs a
few hundred queries drawn deterministically from the data, typed the way nurses type them
(folded names, other word orders, prefixes, names with their marks, one family name, phones in
several forms, citizen IDs, record and insurance numbers). Each query is timed three ways:

* ``search_ids``: ``patients.search_ids(store, q, limit=50)``, what the registry list does;
* ``search``: ``patients.search(store, q, limit=50)``, ids and the patient rows, what ``find`` does;
* ``bare``: the SQL statement and parameters ``patients._search_sql`` builds, executed on a plain
  ``sqlite3`` connection with ``fetchall`` (the floor: no Python beyond the driver).

Every query runs once to warm the caches, then ``--rounds`` times; a query's time is the median
of its rounds, and the tables give the median, 95th percentile and maximum over the queries.
The figures go to stdout as Markdown (``BENCHMARKS.md`` records a run).
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
    from station_app.demo import generate  # noqa: PLC0415

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
    return sum(Path(str(path) + s).stat().st_size for s in ("", "-wal") if Path(str(path) + s).exists())


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
    forms = [f"{body.lstrip('0')}-{check}", body.lstrip("0") + check, record_no]  # 127-5, 1275, 00127-5
    return forms[i % len(forms)]


def draw_queries(conn: sqlite3.Connection, n: int, seed: int) -> list[Query]:
    """``n`` queries drawn from random patients, deterministic for the seed and the data."""
    rng = random.Random(seed * 7919 + 13)
    max_id = conn.execute("SELECT max(id) FROM patients").fetchone()[0]
    columns = "full_name, phone, guardian_phone, citizen_id, record_no, insurance_no"

    def patient(need: str | None = None) -> dict[str, str]:
        while True:
            row = conn.execute(f"SELECT {columns} FROM patients WHERE id = ?",  # noqa: S608
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
    hits: int
    samples: dict[str, list[float]] = field(default_factory=dict)


def _ms(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


def time_queries(db: Path, queries: list[Query], rounds: int) -> list[Timing]:
    store = open_store(db, create=False)
    bare = sqlite3.connect(str(db), isolation_level=None)
    try:
        prepared = []
        for q in queries:
            pq = patient_store.prepare_query(q.text)
            sql, params = patient_store._search_sql(pq) if pq.tokens else ("SELECT 1 WHERE 0", [])
            prepared.append((q, sql, [*params, LIMIT] if pq.tokens else []))
        # Warm-up: every query once (page cache, statement cache), and the answers must agree.
        for q, sql, params in prepared:
            ids = patient_store.search_ids(store, q.text, limit=LIMIT)
            raw = [r[0] for r in bare.execute(sql, params).fetchall()]
            if ids != raw:
                raise SystemExit(f"search_ids and the bare SQL disagree for {q.text!r}")
        results = []
        for q, sql, params in prepared:
            samples: dict[str, list[float]] = {"ids": [], "search": [], "bare": []}
            hits = 0
            for _ in range(rounds):
                ms, ids = _ms(lambda q=q: patient_store.search_ids(store, q.text, limit=LIMIT))
                samples["ids"].append(ms)
                hits = len(ids)  # type: ignore[arg-type]
                ms, _found = _ms(lambda q=q: patient_store.search(store, q.text, limit=LIMIT))
                samples["search"].append(ms)
                ms, _rows = _ms(lambda sql=sql, params=params: bare.execute(sql, params).fetchall())
                samples["bare"].append(ms)
            results.append(Timing(q, statistics.median(samples["ids"]), statistics.median(samples["search"]),
                                  statistics.median(samples["bare"]), hits, samples))
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
    first, store = _ms(lambda: open_store(db, create=False))
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
            "count_ms": statistics.median(counts), "patients": float(n)}  # type: ignore[arg-type]


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


def report(db: Path, info: dict[str, object], reused: bool, opened: dict[str, float],
           timings: list[Timing], cli: tuple[float, int] | None, rounds: int) -> str:
    m = machine()
    out: list[str] = []
    add = out.append
    add(f"Machine: {m['cores']} cores, {m['cpu']}; {m['system']}; Python {m['python']}, SQLite {m['sqlite']}")
    add("")
    add("| Database | |")
    add("|---|---|")
    gen = f"{info['seconds']} s" if info.get("seconds") is not None else "?"
    add(f"| Patients / visits | {int(opened['patients']):,} / {int(info['visits']):,} |")
    add(f"| Generation (`demo.generate`) | {gen}{' (earlier run, reused)' if reused else ''} |")
    add(f"| Size on disk | {file_size(db) / 1e6:.0f} MB |")
    add(f"| `open_store` (first in process / median of 5) | {_f(opened['first_open_ms'])} / {_f(opened['open_ms'])} ms |")
    add(f"| `count` of patients (first / median of 5) | {_f(opened['first_count_ms'])} / {_f(opened['count_ms'])} ms |")
    add("")
    add(f"Search, limit {LIMIT}: {len(timings)} queries, each the median of {rounds} runs after a warm-up; "
        "times in ms.")
    add("")
    add("| Kind | n | hits (median) | example | `search_ids` median / p95 / max | `search` median / p95 / max "
        "| bare SQL median / p95 / max | search / bare (p95) |")
    add("|---|---:|---:|---|---|---|---|---:|")
    groups: dict[str, list[Timing]] = defaultdict(list)
    for t in timings:
        groups[t.query.kind].append(t)

    def row(label: str, ts: list[Timing], example: str) -> str:
        ids = [t.ids_ms for t in ts]
        found = [t.search_ms for t in ts]
        bare = [t.bare_ms for t in ts]

        def three(v: list[float]) -> str:
            return f"{_f(statistics.median(v))} / {_f(percentile(v, 95))} / {_f(max(v))}"

        ratio = percentile(found, 95) / max(percentile(bare, 95), 1e-6)
        hits = statistics.median(t.hits for t in ts)
        return (f"| {label} | {len(ts)} | {hits:g} | {example} | {three(ids)} | {three(found)} | "
                f"{three(bare)} | {ratio:.2f} |")

    for kind in KINDS:
        if groups[kind]:
            example = "`" + max(groups[kind], key=lambda t: t.search_ms).query.text + "`"
            add(row(kind, groups[kind], example))
    add(row("**all**", timings, ""))
    add("")
    slowest = sorted(timings, key=lambda t: t.search_ms, reverse=True)[:8]
    add("Slowest queries (`search`, ms): " + ", ".join(f"`{t.query.text}` {_f(t.search_ms)}" for t in slowest))
    if cli:
        add("")
        add(f"`uv run main.py find --db … \"nguyen thi huong\" --json`, end to end: {_f(cli[0])} ms "
            f"(median of 5; {cli[1]} lines)")
    p95 = percentile([t.search_ms for t in timings], 95)
    bare95 = percentile([t.bare_ms for t in timings], 95)
    add("")
    add(f"Target: `search` p95 {_f(p95)} ms (≤ {TARGET_P95_MS:.0f}: {'yes' if p95 <= TARGET_P95_MS else 'NO'}), "
        f"{p95 / bare95:.2f}× the bare p95 (≤ {TARGET_RATIO:.0f}×: {'yes' if p95 <= TARGET_RATIO * bare95 else 'NO'}).")
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
    timings = time_queries(db, queries, args.rounds)
    cli = None if args.no_cli else time_cli(db, "nguyen thi huong")
    if args.json:
        args.json.write_text(json.dumps([
            {"kind": t.query.kind, "query": t.query.text, "hits": t.hits, **t.samples} for t in timings
        ], ensure_ascii=False, indent=1), encoding="utf-8")
    print(report(db, info, reused, opened, timings, cli, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
