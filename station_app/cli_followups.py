"""``main.py followups``: the follow-up work list on the command line (a contract)::

    main.py followups --db FILE [--as-of YYYY-MM-DD] [--section due|overdue|agreed|later|removed|lost] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json

from station_app import clock
from station_app.cli import FIRST_DAY, LAST_DAY, CliError, _open_existing, _out, register
from station_app.domain.followup import Section
from station_app.i18n import tr

SECTIONS = ("due", "overdue", "agreed", "later", "removed", "lost")


def _date(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(tr("not a date (YYYY-MM-DD): {value}").format(value=text)) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise argparse.ArgumentTypeError(tr("{value} is outside the dates Trạm works with ({first} to {last})").format(
            value=text, first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat()))
    return day


def cmd_followups(args: argparse.Namespace) -> int:
    from station_app.store import followups

    as_of = args.as_of or clock.today()
    store = _open_existing(args.db, reading=True, only_reads=True)
    try:
        with clock.pinned(as_of):
            section = Section(args.section) if args.section else None
            rows = followups.work_rows(store, as_of, section)
    finally:
        store.close()
    for row in rows:
        if row.section.value not in SECTIONS:
            continue
        if args.json:
            _out(json.dumps({
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
            _out("  ".join([
                row.section.title, row.full_name, row.village, row.phone, row.item.label,
                row.item.due_date.strftime("%d/%m/%Y"),
                tr("{days} days overdue").format(days=row.days_overdue) if row.days_overdue else "",
                "⚠" if row.high_risk else "",
            ]).rstrip())
    return 0


@register
def add_commands(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("followups", help="the follow-up work list (who is due or overdue)")
    parser.add_argument("--db", required=True)
    parser.add_argument("--as-of", type=_date, help="evaluate the list as if today were this date (YYYY-MM-DD)")
    parser.add_argument("--section", choices=SECTIONS)
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.set_defaults(func=cmd_followups)


__all__ = ["CliError", "add_commands"]
