"""``main.py users set-password`` — a forgotten password set again by the local operator::

    main.py users set-password --db FILE --user NAME     the new password asked twice in a terminal,
                                                          or taken from TRAM_NEW_PASSWORD (scripts)

In the app an administrator may not set a head's password (whoever sets it could log in as the
head), so a station whose only head forgot theirs needs this: it runs as the local operator, who
already holds the database file. The account is unlocked too, and the change is in the audit log.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from station_app.cli.common import EXIT_OK, CliError, open_existing, out
from station_app.i18n import N_, tr

PASSWORD_ENV = "TRAM_NEW_PASSWORD"


def _new_password() -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise CliError(N_("Give the new password in a terminal, or in the variable {name}."), name=PASSWORD_ENV)
    first = getpass.getpass(tr("New password: "))
    if getpass.getpass(tr("The new password again: ")) != first:
        raise CliError(N_("The two passwords differ: nothing was changed."))
    return first


def cmd_set_password(args: argparse.Namespace) -> int:
    from station_app.store import users

    store = open_existing(args.db)
    try:
        user = users.by_username(store, args.user.strip().lower())
        if user is None:
            raise CliError(N_("There is no account {name}."), name=args.user)
        users.change_password(store, user.id, None, _new_password())
    finally:
        store.close()
    out(tr("The password of {name} ({full_name}) is set; the account is unlocked.").format(
        name=user.username, full_name=user.full_name))
    return EXIT_OK


def add_commands(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("users", help="accounts (the local operator)")
    commands = group.add_subparsers(dest="users_command", required=True)
    reset = commands.add_parser("set-password", help=f"set an account's password (asked, or ${PASSWORD_ENV})")
    reset.add_argument("--db", required=True)
    reset.add_argument("--user", required=True, help="the user name")
    reset.set_defaults(func=cmd_set_password)
