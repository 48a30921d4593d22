"""``main.py referrals`` and ``main.py print referral`` (a contract)::

    main.py referrals --db FILE [--from DATE] [--to DATE] [--json]
    main.py print referral --db FILE --id ID --out FILE.pdf
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from station_app.cli import CliError, _open_existing, _out, note_unrecorded, print_documents, record_id, register
from station_app.cli_followups import _date
from station_app.i18n import tr


def cmd_referrals(args: argparse.Namespace) -> int:
    from station_app.store import referrals

    store = _open_existing(args.db, reading=True, only_reads=True)
    try:
        rows = referrals.book(store, args.start, args.end)
    finally:
        store.close()
    for r in rows:
        if args.json:
            _out(json.dumps({
                "id": r.id, "number": r.number, "patient_id": r.patient_id, "full_name": r.full_name,
                "issued_at": r.issued_at.isoformat(timespec="minutes"), "to_facility": r.to_facility,
                "reason": r.reason, "diagnosis": r.diagnosis, "status": r.status, "outcome": r.outcome,
                "valid_until": r.valid_until.isoformat() if r.valid_until else None,
            }, ensure_ascii=False))
        else:
            _out("  ".join([r.number, r.issued_at.strftime("%d/%m/%Y %H:%M"), r.full_name, r.to_facility,
                            r.reason, tr("cancelled") if r.status == "cancelled" else r.outcome]))
    return 0


def cmd_print_referral(args: argparse.Namespace) -> int:
    from station_app.printing.referral_slip import render_referral
    from station_app.store import referrals
    from station_app.store.station import load_profile

    store = _open_existing(args.db)
    try:
        referral = referrals.get(store, args.id)
        if referral is None:
            raise CliError(tr("There is no referral with id {id}.").format(id=args.id))
        profile = load_profile(store)
        try:
            render_referral(referral, referrals.station_for_print(profile), Path(args.out))
        except OSError as exc:
            reason = exc.strerror or exc
            raise CliError(tr("Cannot write {path}: {reason}").format(path=args.out, reason=reason)) from exc
        if store.read_only:  # (a file on a read-only medium: the print cannot be counted)
            store.unrecorded.append("print")
            copies = 0
        else:
            copies = referrals.mark_printed(store, args.id)
    finally:
        store.close()
    note_unrecorded(store)
    _out(tr("Referral slip {number} written to {path}.").format(number=referral.number, path=args.out)
         + (" " + tr("(copy)") if copies else ""))
    return 0


@register
def add_commands(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("referrals", help="the referral book")
    parser.add_argument("--db", required=True)
    parser.add_argument("--from", dest="start", type=_date, help="first day (YYYY-MM-DD)")
    parser.add_argument("--to", dest="end", type=_date, help="last day (YYYY-MM-DD)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.set_defaults(func=cmd_referrals)

    what = print_documents(sub)
    slip = what.add_parser("referral", help="a referral slip")
    slip.add_argument("--db", required=True)
    slip.add_argument("--id", type=record_id, required=True)
    slip.add_argument("--out", required=True, help="the PDF file to write")
    slip.set_defaults(func=cmd_print_referral)
