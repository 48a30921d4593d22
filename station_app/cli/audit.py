"""``main.py audit verify`` and ``main.py audit log`` (a contract)::

    main.py audit verify --db FILE            exit 0 when the chain holds; 1 and the first broken
                                              entry when it does not; 2 when the file cannot be read
    main.py audit log --db FILE [--user NAME] [--action ACTION] [--patient ID] [--limit N] [--json]

Commands run as the local system operator (``accounts.SYSTEM``): whoever can run them on the
station's computer already holds the database file. Their entries in the audit log name the
operating-system account in ``details.os_user``. Each ``audit log`` is itself in the log (its
filters, how many entries it listed), after the entries it lists.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from station_app import paths
from station_app.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    CliError,
    err,
    note_unrecorded,
    open_existing,
    out,
    record_id,
    record_listing,
    row_limit,
)
from station_app.i18n import N_, tr
from station_app.presentation import backup_chain_texts


def backup_folders() -> list[Path]:
    """Where the station's backups are: its backup folder, and the second folder (a USB stick) when
    one is chosen in the app (Cài đặt → Sao lưu) and plugged in."""
    folders = [paths.backups_dir()]
    second = paths.second_backup_folder()
    if second is not None and second.is_dir():
        folders.append(second)
    return folders


def chain_lines(store) -> tuple[bool, list[str]]:
    """(ok, lines to print) for the audit chain of an open store, and the chain against the heads
    recorded in the station's backups; shared with ``check``."""
    from station_app.store import audit, backup

    report = audit.verify(store)
    lines: list[str] = []
    ok = report.ok
    if report.ok:
        lines.append(tr("Audit log: {count} entries, chain intact").format(count=report.entries))
    else:
        problem = report.problem
        assert problem is not None
        lines.append(tr("Audit log BROKEN at entry {id}: {reason}").format(
            id=problem.entry_id, reason=tr(problem.reason).format(**problem.params)))
    extended, texts = backup_chain_texts(backup.compare_chain(store.conn, store.path, backup_folders()))
    ok = ok and not any(finding for finding, _text in texts)
    lines += [text for _finding, text in texts]
    if ok:
        lines.insert(1, tr("Audit log compared with {count} backup(s) of the station: it extends each of them.").format(
            count=extended))
    return ok, lines


def cmd_audit_verify(args: argparse.Namespace) -> int:
    store = open_existing(args.db, only_reads=True)
    try:
        ok, lines = chain_lines(store)
    finally:
        store.close()
    for line in lines:
        (out if ok else err)(line)
    return EXIT_OK if ok else EXIT_FINDINGS


def cmd_audit_log(args: argparse.Namespace) -> int:
    from station_app.store import audit

    if args.action and args.action not in audit.ACTION_NAMES:
        raise CliError(N_("--action {value} is not an action of the log: {actions}."), value=args.action,
                       actions=", ".join(sorted(audit.ACTION_NAMES)))
    store = open_existing(args.db)
    try:
        found = audit.entries(
            store, audit.Filter(username=args.user or "", action=args.action or "", patient_id=args.patient,
                                limit=args.limit)
        )
        record_listing(store, "audit log", len(found), json_lines=args.json, user=args.user, action=args.action,
                       patient=args.patient, limit=args.limit)
    finally:
        store.close()
    note_unrecorded(store)
    for e in reversed(found):
        if args.json:
            out(json.dumps({
                "id": e.id, "at": e.at.isoformat(sep=" "), "username": e.username, "role": e.role,
                "action": e.action, "target": e.target, "patient_id": e.patient_id, "details": e.details,
            }, ensure_ascii=False))
        else:
            action = tr(audit.ACTION_NAMES.get(e.action, e.action))
            out("  ".join([str(e.id), e.at.strftime("%d/%m/%Y %H:%M:%S"), e.username, action, e.target]))
    return EXIT_OK


def add_commands(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("audit", help="the audit log: verify its chain, list entries")
    actions = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = actions.add_parser("verify", help="check the hash chain; report the first broken entry")
    verify.add_argument("--db", required=True)
    verify.set_defaults(func=cmd_audit_verify)
    log = actions.add_parser("log", help="list entries, oldest first")
    log.add_argument("--db", required=True)
    log.add_argument("--user", help="only this user name")
    log.add_argument("--action", help="only this action (login, create, view_patient…)")
    log.add_argument("--patient", type=record_id, help="only entries about this patient id")
    log.add_argument("--limit", type=row_limit, default=200)
    log.add_argument("--json", action="store_true", help="one JSON object per line")
    log.set_defaults(func=cmd_audit_log)
