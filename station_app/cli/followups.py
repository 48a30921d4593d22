"""``main.py followups``: the follow-up work list on the command line (a contract)::

    main.py followups --db FILE [--as-of YYYY-MM-DD] [--section due|overdue|agreed|later|removed|lost] [--json]

Each listing is in the audit log (the date, the section, how many items were listed).
"""

from __future__ import annotations

import argparse
import json

from station_app import clock
from station_app.cli.common import EXIT_OK, add_date_option, note_unrecorded, open_existing, out, record_listing
from station_app.domain.followup import Section
from station_app.i18n import tr

SECTIONS = ("due", "overdue", "agreed", "later", "removed", "lost")


def cmd_followups(args: argparse.Namespace) -> int:
    from station_app.store import followups

    as_of = args.as_of or clock.today()
    store = open_existing(args.db, reading=True)
    try:
        with clock.pinned(as_of):
            section = Section(args.section) if args.section else None
            rows = [row for row in followups.work_rows(store, as_of, section) if row.section.value in SECTIONS]
        record_listing(store, "followups", len(rows), json_lines=args.json, as_of=as_of, section=args.section)
    finally:
        store.close()
    note_unrecorded(store)
    for row in rows:
        if args.json:
            out(json.dumps({
                "id": row.item.id,
                "patient_id": row.patient_id,
                "full_name": row.full_name,
                "kind": str(row.item.kind),
                "label": row.item.label,
                "due_date": row.item.due_date.isoformat(),
                "days_overdue": row.days_overdue,
                "section": row.section.value,
                "high_risk": row.high_risk,
                "village": row.village,
                "phone": row.phone,
                "programme": row.programme,
                "outcome": row.outcome_text,
            }, ensure_ascii=False))
        else:
            out("  ".join([
                row.section.title, row.full_name, row.village, row.phone, row.item.label,
                row.item.due_date.strftime("%d/%m/%Y"),
                tr("{days} days overdue").format(days=row.days_overdue) if row.days_overdue else "",
                "⚠" if row.high_risk else "",
            ]).rstrip())
    return EXIT_OK


def add_commands(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("followups", help="the follow-up work list (who is due or overdue)")
    parser.add_argument("--db", required=True)
    add_date_option(parser, "--as-of", "as_of", "evaluate the list as if today were this date")
    parser.add_argument("--section", choices=SECTIONS)
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.set_defaults(func=cmd_followups)

