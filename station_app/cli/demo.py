"""``main.py demo`` (a contract)::

    main.py demo --db FILE [--patients N] [--seed S] [--force]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from station_app.cli.common import EXIT_OK, CliError, out
from station_app.i18n import N_, tr


def cmd_demo(args: argparse.Namespace) -> int:
    from station_app.demo import DemoExists, generate

    try:
        summary = generate(
            Path(args.db),
            patients=args.patients,
            seed=args.seed,
            force=args.force,
            visits_per_patient=args.visits_per_patient,
        )
    except DemoExists as exc:
        raise CliError(N_("{path} already exists: add --force to replace it."), path=args.db) from exc
    out(
        tr("Demo database written: {path} ({patients} patients, {visits} visits, {seconds} s).").format(
            path=args.db, patients=summary.patients, visits=summary.visits, seconds=f"{summary.seconds:.1f}"
        )
    )
    return EXIT_OK


def add_commands(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="write a demo database")
    demo.add_argument("--db", required=True, help="file to write")
    demo.add_argument("--patients", type=int, default=2000)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--visits-per-patient", type=float, default=10.0, help=argparse.SUPPRESS)
    demo.add_argument("--force", action="store_true", help="replace an existing file")
    demo.set_defaults(func=cmd_demo)
