"""``main.py referrals`` and ``main.py print referral`` (a contract)::

    main.py referrals --db FILE [--from DATE] [--to DATE] [--json]
    main.py print referral --db FILE --id ID --out FILE.pdf

The book's lines begin with the slip's id, which ``print referral --id`` takes; ``--id`` takes the
slip's number (``12/2025/PCCSKBCB``) as well. Each listing of the book is in the audit log (the
period, how many slips were listed), as each print is.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from station_app.cli.common import (
    EXIT_OK,
    CliError,
    add_date_option,
    cannot_write,
    check_range,
    note_unrecorded,
    open_existing,
    out,
    print_documents,
    record_id,
    record_listing,
)
from station_app.i18n import N_, tr
from station_app.presentation import REFERRAL_STATES


def cmd_referrals(args: argparse.Namespace) -> int:
    from station_app.store import referrals

    check_range(args.start, args.end)
    store = open_existing(args.db, reading=True)
    try:
        rows = referrals.book(store, args.start, args.end)
        record_listing(store, "referrals", len(rows), json_lines=args.json, **{"from": args.start, "to": args.end})
    finally:
        store.close()
    note_unrecorded(store)
    for r in rows:
        if args.json:
            out(json.dumps({
                "id": r.id, "number": r.number, "patient_id": r.patient_id, "full_name": r.full_name,
                "issued_at": r.issued_at.isoformat(timespec="minutes"), "to_facility": r.to_facility,
                "reason": r.reason, "diagnosis": r.diagnosis, "status": r.status, "outcome": r.outcome,
                "valid_until": r.valid_until.isoformat() if r.valid_until else None,
            }, ensure_ascii=False))
        else:
            state = REFERRAL_STATES.get("cancelled" if r.status == "cancelled" else r.outcome, r.outcome)
            out("  ".join([f"{r.id:>5}", r.number, r.issued_at.strftime("%d/%m/%Y %H:%M"), r.full_name,
                            r.to_facility, r.reason, tr(state)]))
    return EXIT_OK


def id_or_number(text: str) -> int | str:
    """``--id``: the id the book prints (a whole number), or a slip's number ("12/2025/PCCSKBCB")."""
    return record_id(text) if text.strip().isdigit() else text.strip()


def cmd_print_referral(args: argparse.Namespace) -> int:
    from station_app.printing.referral_slip import render_referral
    from station_app.store import referrals
    from station_app.store.station import load_profile

    store = open_existing(args.db)
    try:
        wanted = args.id
        if isinstance(wanted, int):
            referral = referrals.get(store, wanted)
        else:
            found = referrals.id_of_number(store, wanted)
            referral = referrals.get(store, found) if found is not None else None
        if referral is None or referral.id is None:
            raise CliError(N_("There is no referral with id {id}."), id=wanted)
        profile = load_profile(store)
        try:
            render_referral(referral, referrals.station_for_print(profile), Path(args.out))
        except OSError as exc:
            raise cannot_write(args.out, exc) from exc
        if store.read_only:  # (a file on a read-only medium: the print cannot be counted)
            store.unrecorded.append("print")
            copies = 0
        else:
            copies = referrals.mark_printed(store, referral.id)
    finally:
        store.close()
    note_unrecorded(store)
    out(tr("Referral slip {number} written to {path}.").format(number=referral.number, path=args.out)
         + (" " + tr("(copy)") if copies else ""))
    return EXIT_OK


def add_commands(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("referrals", help="the referral book")
    parser.add_argument("--db", required=True)
    add_date_option(parser, "--from", "start", "first day")
    add_date_option(parser, "--to", "end", "last day")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.set_defaults(func=cmd_referrals)

    what = print_documents(sub)
    slip = what.add_parser("referral", help="a referral slip")
    slip.add_argument("--db", required=True)
    slip.add_argument("--id", type=id_or_number, required=True,
                      help="the id the referral book prints first, or the slip's number")
    slip.add_argument("--out", required=True, help="the PDF file to write")
    slip.set_defaults(func=cmd_print_referral)
