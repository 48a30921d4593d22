"""``main.py demo`` (a contract)::

    main.py demo --db FILE [--patients N] [--seed S] [--force]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from station_app.cli.common import EXIT_OK, MAX_ID, CliError, cannot_write, out, whole_number
from station_app.i18n import N_, tr

MAX_DEMO_PATIENTS = 1_000_000


def cmd_demo(args: argparse.Namespace) -> int:
    from station_app.demo import DemoExists, generate

    if not 0 <= args.visits_per_patient <= 100:  # (NaN too)
        raise CliError(N_("--visits-per-patient must be from 0 to 100."))
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
    except OSError as exc:  # (a folder at that path, a folder that cannot be written…)
        raise cannot_write(args.db, exc) from exc
    out(
        tr("Demo database written: {path} ({patients} patients, {visits} visits, {seconds} s).").format(
            path=args.db, patients=summary.patients, visits=summary.visits, seconds=f"{summary.seconds:.1f}"
        )
    )
    return EXIT_OK


def add_commands(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="write a demo database")
    demo.add_argument("--db", required=True, help="file to write")
    demo.add_argument("--patients", type=whole_number(0, MAX_DEMO_PATIENTS), default=2000, metavar="N",
                      help="people in the commune (default 2000)")
    demo.add_argument("--seed", type=whole_number(0, MAX_ID), default=1, metavar="S",
                      help="another seed makes another commune (default 1)")
    demo.add_argument("--visits-per-patient", type=float, default=10.0, help=argparse.SUPPRESS)
    demo.add_argument("--force", action="store_true", help="replace an existing file")
    demo.set_defaults(func=cmd_demo)
