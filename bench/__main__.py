"""``uv run python -m bench [--patients N] [--seed S] [--reuse] [--out FILE.json] [--update BENCHMARKS.md]``

Builds (or reuses, by size and seed, from ``bench-data/``) the large demo database, runs every
registered measurement and prints a Markdown report; ``--out`` keeps every sample as JSON and
``--update`` rewrites the generated block of a document (``BENCHMARKS.md``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def log(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def parse(argv: list[str] | None) -> argparse.Namespace:
    from bench.data import CACHE

    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[1].strip())
    parser.add_argument("--patients", type=int, default=100_000, help="patients in the demo database (100000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the data and of the queries (1)")
    parser.add_argument("--reuse", action="store_true",
                        help="use the database built earlier for this size and seed, if it is at the current schema")
    parser.add_argument("--out", type=Path, help="write every figure with its samples to this JSON file")
    parser.add_argument("--update", type=Path, metavar="DOC.md",
                        help="replace the generated block of this Markdown file with the report")
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this measurement (repeatable)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply every repetition count (0.1 for a quick look; results get noisier)")
    parser.add_argument("--cache-dir", type=Path, default=CACHE, help="where built databases are kept (bench-data/)")
    parser.add_argument("--list", action="store_true", help="list the measurements and stop")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    # Importing the modules registers their measurements.
    import bench.claims
    import bench.features
    import bench.gui
    import bench.medicines
    import bench.search  # noqa: F401
    from bench import core, data, report
    from station_app import clock, paths
    from station_app.store import open_store

    if args.list:
        for b in core.registered():
            print(f"{b.name:18} {(b.fn.__doc__ or '').strip().splitlines()[0] if b.fn.__doc__ else ''}")
        return 0
    unknown = set(args.only or ()) - set(core.REGISTRY)
    if unknown:
        log(f"Unknown measurement: {', '.join(sorted(unknown))} (see --list)")
        return 2

    started_at = dt.datetime.now()
    started = time.perf_counter()
    machine = data.machine()
    log("Machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()))
    previous_data_dir = paths._override
    with tempfile.TemporaryDirectory(prefix="tram-bench-") as tmp:
        work = Path(tmp)
        paths.set_data_dir(work / "data")  # never the real user folder
        try:
            db, info, reused = data.prepare(args.patients, args.seed, args.reuse, args.cache_dir, log)
            info = dict(info, reused=reused)
            today = dt.date.fromisoformat(info["today"])
            with clock.pinned(dt.datetime.combine(today, dt.time(10, 0))):
                store = open_store(db, create=False)
                try:
                    ctx = core.Context(db=db, store=store, today=today, patients=args.patients, seed=args.seed,
                                       work_dir=work, scale=args.scale, build_info=info, log=log)
                    figures = core.run_all(ctx, set(args.only) if args.only else None)
                finally:
                    store.close()
        finally:
            paths.set_data_dir(previous_data_dir)
    seconds = round(time.perf_counter() - started, 1)  # as saved, so a saved run renders the same report
    end = data.machine()
    machine["load_end"], machine["probe_end"] = end["load"], end["probe"]
    command = "uv run python -m bench " + shlex.join(argv if argv is not None else sys.argv[1:])
    text = report.render(figures, machine, command.strip(), info, started_at.strftime("%Y-%m-%d %H:%M"), seconds)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({
            "started": started_at.isoformat(timespec="seconds"), "seconds": seconds, "command": command,
            "machine": machine, "database": info, "figures": [f.to_json() for f in figures],
        }, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.update:
        doc = args.update.read_text(encoding="utf-8") if args.update.exists() else ""
        args.update.write_text(report.splice(doc, text), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
