"""Operations on the station's database off the GUI thread.

``run_op(parent, ctx, label, fn, on_done)`` runs ``fn(store, progress)`` on a worker thread with a
connection of its own (a sqlite3 connection never crosses threads) to the running session's file,
opened as the person logged in when it started (not whoever is logged in when it ends) and without a
second page-by-page check of the file. The result comes back to ``on_done`` on the GUI thread; a
failure goes to ``on_error``, or by default is shown (a ``UserError`` as its message, anything else
through the app's error hook). Both are told only to the person who started it: after the screen
lock opens again, never to the next person after a switch of user (``background``). When it
succeeded, ``changes`` are announced once (``ctx.notify``) with ``parent`` as the initiator. A
progress dialog shows only when the work is slow (``background``)::

    def work(store: Store, progress: Progress) -> ChainReport:
        return audit.verify(store, progress)

    operations.run_op(self, self.ctx, tr("Checking the chain…"), work, self.show_report)

File work that needs no database (a backup copy, reading a spreadsheet) uses ``background.run``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from PySide6.QtWidgets import QWidget

from station_app.domain.accounts import Actor
from station_app.errors import UserError
from station_app.i18n import tr
from station_app.store import Store, open_store
from station_app.ui import background, dialogs
from station_app.ui.context import AppContext, Change

T = TypeVar("T")
Progress = Callable[[int, int], None]
Operation = background.Operation  # what ``run_op`` returns: keep it until it ends


def worker_store(ctx: AppContext, actor: Actor | None = None) -> Store:
    """A connection to the session's file for a worker thread, acting as ``actor`` (by default the
    logged-in person)."""
    return store_as(ctx.db_path, ctx.store.actor if actor is None else actor)


def store_as(db: Path, actor: Actor) -> Store:
    """A connection of its own to the session's file ``db`` (for a worker thread), acting as ``actor``.

    The file was checked and migrated when the session opened it: neither is done again here.
    """
    store = open_store(db, create=False, migrate=False, verify=False)
    store.actor = actor
    return store


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    """The default display of a failed operation."""
    if isinstance(exc, UserError):
        dialogs.error(parent, tr("Not done"), exc.text())
    else:  # a bug: the app's error hook logs it and says so
        sys.excepthook(type(exc), exc, exc.__traceback__)


def run_op(
    parent: QWidget | None,
    ctx: AppContext,
    label: str,
    fn: Callable[[Store, Progress], T],
    on_done: Callable[[T], object] | None = None,
    *,
    changes: Iterable[Change] = (),
    on_error: Callable[[BaseException], object] | None = None,
) -> Operation:
    """Run ``fn(store, progress)`` on a worker thread; keep the returned operation until it ends."""
    kinds = frozenset(changes)
    # Taken now, on the GUI thread: whatever the work writes, however long it runs, is written and
    # audited as the person who started it, even if another person has logged in meanwhile.
    actor = ctx.store.actor

    def work(progress: Progress) -> T:
        store = worker_store(ctx, actor)
        try:
            return fn(store, progress)
        finally:
            store.close()

    def done(result: T) -> None:
        if on_done is not None:
            on_done(result)

    def failed(exc: BaseException) -> None:
        (on_error or (lambda e: show_error(parent, e)))(exc)

    def settled() -> None:  # (even when the person who started it has logged out: the views reload)
        ctx.notify(kinds, parent)

    return background.run(parent, label, work, done, failed, on_settled=settled if kinds else None)
