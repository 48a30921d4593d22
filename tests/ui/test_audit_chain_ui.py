"""Issue 15, point 5 in the app: "Check the chain" in the audit log also compares the log with the
heads recorded in the station's backups, and names a log cut short since one of them."""

from __future__ import annotations

import sqlite3

from station_app.store import backup
from station_app.ui.views import backups
from station_app.ui.views.audit_log import AuditLogView


def test_check_the_chain_compares_the_log_with_the_backups(session, qtbot) -> None:
    view = AuditLogView(session.ctx)
    qtbot.addWidget(view)
    made = backup.make_backup(session.store.path, backups.backup_folder())
    view.verify_button.click()
    qtbot.waitUntil(lambda: view.verify_button.isEnabled() and "nguyên vẹn" in view.status.text(), timeout=20000)
    assert "1 bản sao lưu" in view.status.text()
    # Someone with the file removes the end of the log, and moves its head to match.
    conn = sqlite3.connect(session.store.path)
    conn.execute("DROP TRIGGER audit_log_no_delete")
    last = conn.execute("SELECT max(id) FROM audit_log").fetchone()[0]
    conn.execute("DELETE FROM audit_log WHERE id > ?", (last - 3,))
    head = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    conn.execute("UPDATE settings SET value = ? WHERE key = 'audit_head'", (f"{head[0]}:{head[1]}",))
    conn.commit()
    conn.close()
    view.verify_button.click()
    qtbot.waitUntil(lambda: view.verify_button.isEnabled() and made.name in view.status.text(), timeout=20000)
    assert "phần cuối đã bị xóa" in view.status.text()
