"""Trạm never cuts off work still running when it closes: after "Log out" with nobody logging in
again, the operation started before ends (what it writes is written) and Trạm exits normally,
instead of aborting with "QThread: Destroyed while thread is still running". A window closed while
an export runs stays until the export has ended and been told, then closes by itself."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from station_app.ui import background, operations
from station_app.ui.app import Session

# The real ``app.run``: the head logs in, starts a slow operation, clicks "Log out"; nobody logs in.
SCRIPT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QPushButton
    from station_app.ui import app, login, operations
    from station_app.ui.main_window import MainWindow

    db, marker = Path(sys.argv[1]), Path(sys.argv[2])
    logins = iter([login.as_role("head"), lambda store: None])
    login.ask = lambda store, hint="": next(logins)(store)
    qapp = app.ensure_app()
    kept = []

    def slow(store, progress):
        time.sleep(1.5)
        marker.write_text(str(store.scalar("SELECT count(*) FROM patients")))

    def work_then_log_out():
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if not windows:
            return
        poll.stop()
        window = windows[0]
        kept.append(operations.run_op(window, window.ctx, "slow work", slow))
        window.findChild(QPushButton, "log_out").click()

    poll = QTimer()
    poll.timeout.connect(work_then_log_out)
    poll.start(20)
    sys.exit(app.run(db, lang="vi"))
""")


def test_log_out_with_nobody_logging_in_lets_the_running_work_end(demo_copy: Path, tmp_path: Path) -> None:
    marker = tmp_path / "written.txt"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TRAM_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(demo_copy), str(marker)], env=env, cwd=Path.cwd(),
                          capture_output=True, text=True, timeout=120)
    assert "QThread: Destroyed" not in done.stderr
    assert done.returncode == 0, done.stderr
    assert marker.read_text() == "300", "the work ran to its end before Trạm exited"


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


def test_wait_all_returns_once_every_operation_has_ended(qapp: QApplication, gate: threading.Event) -> None:
    ended: list[str] = []
    op = background.run(None, "slow", lambda progress: gate.wait(30), lambda _r: ended.append("told"),
                        lambda exc: ended.append(repr(exc)))
    assert background.busy()
    threading.Timer(0.3, gate.set).start()
    background.wait_all()
    assert not background.busy() and not op.running
    assert ended == ["told"]  # the person still at the screen is told, as usual


def test_a_window_closed_while_work_runs_closes_once_it_has_ended(session: Session, gate: threading.Event,
                                                                  qtbot) -> None:
    told: list[object] = []
    window = session.window
    op = operations.run_op(window, session.ctx, "export", lambda store, progress: gate.wait(30), told.append)
    window.close()
    assert window.isVisible(), "the window stays while the work runs"
    assert "Trạm sẽ đóng" in window.statusBar().currentMessage()
    gate.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert told == [True] and not op.running
