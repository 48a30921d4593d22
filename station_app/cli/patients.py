"""``main.py find`` (a contract)::

    main.py find --db FILE QUERY [--limit N] [--json]

Each search is in the audit log (the query, the limit, how many patients were listed).
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from station_app.cli.common import EXIT_OK, err, note_unrecorded, open_existing, out, record_listing, row_limit
from station_app.i18n import tr

if TYPE_CHECKING:
    from station_app.domain.patient import Patient


def patient_json(p: Patient) -> dict[str, object]:
    return {
        "id": p.id,
        "record_no": p.record_no,
        "full_name": p.full_name,
        "sex": p.sex,
        "birth_date": p.birth.iso() if p.birth else None,
        "birth_estimated": bool(p.birth and (p.birth.estimated or not p.birth.is_full)),
        "citizen_id": p.citizen_id,
        "insurance_no": p.insurance_no,
        "insurance_valid_to": p.insurance_valid_to.isoformat() if p.insurance_valid_to else None,
        "phone": p.phone,
        "address": p.address,
        "village": p.village,
        "ethnicity": p.ethnicity,
        "deceased": p.deceased,
    }


def cmd_find(args: argparse.Namespace) -> int:
    from station_app.domain.identifiers import SEX_CODES
    from station_app.store import patients

    store = open_existing(args.db, reading=True)
    try:
        found = patients.search(store, args.query, limit=args.limit)
        record_listing(store, "find", len(found), json_lines=args.json, query=args.query, limit=args.limit)
    finally:
        store.close()
    note_unrecorded(store)
    for p in found:
        if args.json:
            out(json.dumps(patient_json(p), ensure_ascii=False))
        else:
            out(
                "  ".join(
                    [
                        p.record_no or "",
                        p.full_name,
                        tr(SEX_CODES.get(p.sex, "")),
                        p.birth.display() if p.birth else "",
                        p.village,
                        p.phone,
                    ]
                )
            )
    if not found and not args.json:
        err(tr('No patient matches "{query}".').format(query=args.query))
    return EXIT_OK


def add_commands(sub: argparse._SubParsersAction) -> None:
    find = sub.add_parser("find", help="find patients (accents optional)")
    find.add_argument("--db", required=True)
    find.add_argument("query", metavar="QUERY")
    find.add_argument("--limit", type=row_limit, default=20)
    find.add_argument("--json", action="store_true", help="one JSON object per line")
    find.set_defaults(func=cmd_find)
