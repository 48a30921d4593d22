"""One cold start, run in a fresh process by ``bench.gui``: ``python -m bench._coldstart MODE [DB]``.

``app``: start Trạm the way ``main.py --db DB`` does (``station_app.ui.app.run``: translations, UI
font, ``Session`` — store, login, main window — then show and the automatic backup when one is due;
the login is done in code, not typed), with the registry as the remembered area, and
stop at the first paint of the registry table with its rows; then jump around the list and scroll
to the bottom, as a nurse would, before reading the peak memory.
``bare``: a bare PySide6 window (``QMainWindow`` with a label), stopped at its first paint: the floor.

Prints one JSON line: ``time.monotonic()`` at each mark (the parent compares them with its own
clock taken just before starting the process: the same clock on Linux) and memory in MB.
"""

from __future__ import annotations

import json
import sys
import time

marks: dict[str, float] = {"main": time.monotonic()}


def _memory() -> dict[str, float]:
    """Resident memory now and at its peak (MB), from /proc; ru_maxrss where /proc is missing."""
    out: dict[str, float] = {}
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    out[key] = int(value.split()[0]) / 1024
    except OSError:
        import resource

        out["VmHWM"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _cpu_ms() -> float:
    """Processor time of this process so far (user + system), in ms."""
    import os

    t = os.times()
    return (t.user + t.system) * 1000


def main() -> int:
    mode = sys.argv[1]
    from PySide6.QtCore import QEvent, QObject, QTimer

    result: dict[str, object] = {"mode": mode}

    class FirstPaint(QObject):
        """Calls ``then`` once, right after the first paint of the watched widget that ``ready`` accepts."""

        def __init__(self, ready, then) -> None:  # type: ignore[no-untyped-def]
            super().__init__()
            self.ready, self.then, self.done = ready, then, False

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if not self.done and event.type() == QEvent.Type.Paint and self.ready():
                self.done = True
                marks["paint_event"] = time.monotonic()
                QTimer.singleShot(0, self.then)  # after this paint has finished
            return False

    if mode == "bare":
        from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

        marks["imports"] = time.monotonic()
        app = QApplication(sys.argv[:1])
        window = QMainWindow()
        window.setCentralWidget(QLabel("Trạm"))
        window.resize(1366, 768)

        def finish_bare() -> None:
            marks["painted"] = time.monotonic()
            result["cpu_ms"] = _cpu_ms()
            result["memory_at_paint"] = _memory()
            result["memory"] = result["memory_at_paint"]
            app.quit()

        watcher = FirstPaint(lambda: True, finish_bare)
        window.installEventFilter(watcher)
        window.show()
        marks["shown"] = time.monotonic()
    else:
        from pathlib import Path

        from station_app.ui import qt_i18n
        from station_app.ui.app import Session, apply_font, ensure_app
        from station_app.ui.context import settings

        marks["imports"] = time.monotonic()
        db = Path(sys.argv[2])
        # What station_app.ui.app.run(db) does before app.exec().
        app = ensure_app()
        qt_i18n.install(app, str(settings().value("ui/language", "vi")))
        apply_font(app, float(settings().value("ui/font_scale", 1.0)))
        from station_app.ui.login import as_role

        session = Session(app, db, None, login=as_role("head"))  # the login dialog is not timed
        marks["session"] = time.monotonic()
        window = session.window
        registry = window.views["patients"]
        table = registry.list.table  # type: ignore[attr-defined]
        model = table.model()

        def finish_app() -> None:
            marks["painted"] = time.monotonic()
            result["cpu_ms"] = _cpu_ms()
            result["rows"] = model.rowCount()
            result["area"] = window.current_area()
            result["first_row"] = model.index(0, 1).data()
            result["memory_at_paint"] = _memory()
            # A nurse's use of the list: jump to 30 places, then to the end.
            bar = table.verticalScrollBar()
            step = max(1, bar.maximum() // 30)
            for value in range(0, bar.maximum() + 1, step):
                bar.setValue(value)
                table.viewport().repaint()
            table.scrollToBottom()
            table.viewport().repaint()
            marks["scrolled"] = time.monotonic()
            result["last_row"] = model.index(model.rowCount() - 1, 1).data()
            result["memory"] = _memory()
            backups.finish(session.backup_op, session.store)  # waits for the start-up backup, if one ran
            session.store.close()
            app.quit()

        watcher = FirstPaint(lambda: model.rowCount() > 0, finish_app)
        table.viewport().installEventFilter(watcher)
        window.show()
        marks["shown"] = time.monotonic()
        from station_app.ui.views import backups

        # As run() does: a backup on a worker thread when the last one is a day old.
        session.backup_op = backups.start(session.store, session.window)
        result["backup_at_start"] = session.backup_op is not None
    QTimer.singleShot(120_000, lambda: app.exit(3))  # never hang the suite
    code = app.exec()
    result["marks"] = marks
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return int(code)


if __name__ == "__main__":
    raise SystemExit(main())
