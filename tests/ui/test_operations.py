"""Background operations on the database, and the one change notification views subscribe to."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QWidget

from station_app.domain.accounts import Permission
from station_app.store import audit, patients
from station_app.store.errors import DiskFull
from station_app.ui import dialogs, operations
from station_app.ui.context import Change


def test_an_operation_works_on_its_own_connection_as_the_logged_in_person(session, qtbot):
    ctx = session.ctx
    seen = {}

    def work(store, progress):
        progress(1, 1)
        seen["own connection"] = store.conn is not ctx.store.conn
        store.require(Permission.MERGE_PATIENTS)  # the head is logged in: allowed
        return store.actor.username, patients.count(store)

    results = []
    op = operations.run_op(session.window, ctx, "…", work, results.append)
    qtbot.waitUntil(lambda: not op.running)
    assert seen == {"own connection": True}
    assert results == [(ctx.store.actor.username, patients.count(ctx.store))]


def test_changes_are_announced_to_subscribers_but_not_to_the_initiator(session, qtbot):
    ctx = session.ctx
    heard: list[str] = []
    initiator, other = QWidget(), QWidget()
    ctx.subscribe(initiator, {Change.VISITS}, lambda: heard.append("initiator"))
    ctx.subscribe(other, {Change.VISITS, Change.PATIENTS}, lambda: heard.append("other"))
    ctx.subscribe(other, {Change.REFERRALS}, lambda: heard.append("other, referrals"))

    op = operations.run_op(initiator, ctx, "…", lambda store, progress: None, changes={Change.VISITS})
    qtbot.waitUntil(lambda: not op.running)
    assert heard == ["other"]


def test_a_view_that_is_gone_hears_nothing(session, qtbot):
    heard: list[str] = []
    view = QWidget()
    session.ctx.subscribe(view, {Change.PATIENTS}, lambda: heard.append("view"))
    view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    session.ctx.notify({Change.PATIENTS})
    assert heard == []


def test_a_user_error_is_shown_by_default_and_nothing_is_announced(session, qtbot):
    heard: list[str] = []
    view = QWidget()
    session.ctx.subscribe(view, {Change.VISITS}, lambda: heard.append("view"))

    def work(store, progress):
        raise DiskFull(store.path)

    op = operations.run_op(session.window, session.ctx, "…", work, changes={Change.VISITS})
    qtbot.waitUntil(lambda: not op.running)
    kind, title, text = dialogs.shown[-1]
    assert (kind, title) == ("error", "Chưa thực hiện được")
    assert text.startswith("Ổ đĩa đã đầy") and str(session.store.path.parent) in text  # the error's own message
    assert heard == []


def test_the_audit_chain_check_runs_as_an_operation(session, qtbot):
    ctx = session.ctx
    reports = []
    op = operations.run_op(session.window, ctx, "…", audit.verify, reports.append)
    qtbot.waitUntil(lambda: not op.running)
    assert reports[0].ok
