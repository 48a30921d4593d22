"""The desktop app on the large database: cold start to a usable registry (beside a bare PySide6
window), peak memory with the registry open, and the registry table's first paint and scrolling."""

from __future__ import annotations

import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.core import Context, Figure, bench
from bench.data import ROOT


def _settings(folder: Path) -> None:
    """A data folder whose settings reopen the registry (the app remembers the last area)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "settings.ini").write_text("[window]\narea=patients\n\n[ui]\nlanguage=vi\n", encoding="utf-8")


def cold_start(mode: str, db: Path, data_dir: Path) -> dict[str, Any]:
    """Start ``bench._coldstart`` in a new interpreter; times in ms from just before the start."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TRAM_DATA_DIR=str(data_dir))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the warm-up run leaves compiled modules, as an installed app has
    args = [sys.executable, "-m", "bench._coldstart", mode, str(db)]
    started = time.monotonic()
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"cold start ({mode}) failed with {done.returncode}: {done.stderr[-2000:]}")
    result = json.loads(lines[-1])
    result["ms"] = {k: (v - started) * 1000 for k, v in result.pop("marks").items()}
    return result


@bench("cold_start", order=10)
def cold_start_figures(ctx: Context) -> list[Figure]:
    data_dir = ctx.work_dir / "gui-data"
    _settings(data_dir)
    runs = ctx.reps(12, minimum=1)
    warmup = 1  # leaves compiled modules and the day's backup, as on a station that opened yesterday
    apps: list[dict[str, Any]] = []
    bares: list[dict[str, Any]] = []
    for i in range(warmup + runs):  # interleaved, so both see the same machine state
        bare = cold_start("bare", ctx.db, data_dir)
        app = cold_start("app", ctx.db, data_dir)
        if app.get("area") != "patients" or not app.get("rows"):
            raise RuntimeError(f"the app did not open on a filled registry: {app}")
        if i >= warmup:
            bares.append(bare)
            apps.append(app)
    if any(a.get("backup_at_start") for a in apps):
        raise RuntimeError("a measured start also made the day's backup: the warm-up run should have")
    painted = [a["ms"]["painted"] for a in apps]
    floor = [b["ms"]["painted"] for b in bares]

    def med(key: str, runs: list[dict[str, Any]] = apps) -> float:
        return statistics.median(r["ms"][key] for r in runs)

    breakdown = (f"median ms from process start — app: Python + imports {med('imports'):.0f}, store + window built "
                 f"{med('session'):.0f}, shown {med('shown'):.0f}, registry painted {med('painted'):.0f}; bare "
                 f"window: imports {med('imports', bares):.0f}, painted {med('painted', bares):.0f}")
    return [
        Figure("cold_start", "Cold start of the app to a usable registry (first paint with the rows)", painted,
               cpu=[a["cpu_ms"] for a in apps] if all("cpu_ms" in a for a in apps) else None,
               target=1500, floor=floor, floor_title="a bare PySide6 window's first paint", max_ratio=3,
               floor_cpu=[b["cpu_ms"] for b in bares] if all("cpu_ms" in b for b in bares) else None,
               how=(f"{runs} runs after {warmup} warm-up, each a new `python -m bench._coldstart app` process "
                    "(QT_QPA_PLATFORM=offscreen, warm OS file cache) doing what `main.py --db` does, with the "
                    "registry as the remembered area; from just before the process is started to the end of the "
                    "registry table's first paint with rows. Interleaved with as many bare-window starts. The login "
                    "is done in code (`login.as_role`), and the day's automatic backup was made by the warm-up run "
                    "(the first start of a day also starts a backup on a worker thread)."),
               note=f"{apps[0]['rows']:,} rows; {breakdown}"),
        Figure("peak_rss", "Peak memory (RSS) with the registry open, after scrolling it", [
            a["memory"]["VmHWM"] for a in apps], unit="MB", target=300,
               floor=[b["memory"]["VmHWM"] for b in bares], floor_title="a bare PySide6 window",
               how=("VmHWM of the cold-start process (`/proc/self/status`) after the first paint, 31 jumps "
                    "through the list and a scroll to the last row."),
               note=f"at first paint: median {statistics.median(a['memory_at_paint']['VmHWM'] for a in apps):.0f} MB"),
    ]


# -- in-process views --------------------------------------------------------------------------------
@contextlib.contextmanager
def _shown(ctx: Context, make_view: Callable[[Any], Any]) -> Iterator[tuple[Any, Any]]:
    """``(app, view)``: the view ``make_view(AppContext)`` makes, in the window's area size
    (1206×708), shown with its first events handled; closed afterwards."""
    from station_app.ui.app import apply_font, ensure_app
    from station_app.ui.context import AppContext

    app = ensure_app()
    apply_font(app, 1.0)
    view = make_view(AppContext(ctx.store))
    view.resize(1366 - 160, 768 - 60)
    view.show()
    app.processEvents()
    try:
        yield app, view
    finally:
        view.close()
        view.deleteLater()
        app.processEvents()


@bench("registry", order=30)
def registry_figures(ctx: Context) -> list[Figure]:
    from station_app.ui.views.registry import RegistryView

    with _shown(ctx, RegistryView) as (_app, view):
        lst = view.list
        table, model = lst.table, lst.model

        def open_list() -> None:
            lst.search.clear()
            lst._all_ids = None  # as after a patient was saved: read every id again
            lst.run_search()
            table.viewport().repaint()

        opened = ctx.time(open_list, ctx.reps(30))
        if not model._cache:
            raise RuntimeError("the registry painted without fetching rows")
        rows = model.rowCount()
        bar = table.verticalScrollBar()
        rng = random.Random(ctx.seed)
        jumps = [rng.randint(0, bar.maximum()) for _ in range(ctx.reps(60, minimum=3))]
        positions = iter(jumps)

        def jump() -> None:
            bar.setValue(next(positions))
            table.viewport().repaint()

        open_list()
        scrolled = ctx.time(jump, len(jumps) - 1, warmup=1)

        def page_down() -> None:
            bar.setValue(min(bar.value() + bar.pageStep(), bar.maximum()))
            table.viewport().repaint()

        bar.setValue(0)
        paged = ctx.time(page_down, ctx.reps(100, minimum=3), warmup=0)
    return [
        Figure("registry_open", "Registry: every patient listed and the first rows painted", opened, target=300,
               how=("In-process `RegistryView` (1206×708): `run_search()` with an empty box (all ids in Vietnamese "
                    "name order, `set_ids`, first row selected) and a synchronous repaint of the table, which "
                    "fetches the visible page of rows."),
               note=f"{rows:,} rows"),
        Figure("registry_jump", "Registry: jump to a random place in the list (scroll bar drag) and repaint",
               scrolled, target=100,
               how=("Scroll bar set to a random position, then a synchronous repaint: fetches the page of 200 rows "
                    "there (a cache miss nearly every time). Target: 100 ms, the limit of \"instant\".")),
        Figure("registry_page", "Registry: Page Down and repaint", paged, target=100,
               how="Scroll bar moved by one page from the top, repainted; a new page of rows every 200 rows."),
    ]


# -- in-process: the Nhắc hẹn view ------------------------------------------------------------------
@bench("worklist_view", order=41)
def worklist_view_figures(ctx: Context) -> list[Figure]:
    from station_app.domain.followup import Section
    from station_app.store import followups
    from station_app.ui.views.followups import FollowUpsView

    with _shown(ctx, FollowUpsView) as (_app, view):
        def reload() -> None:  # after a call outcome was saved: everything is read again
            followups.clear_cache(ctx.store)
            view.reload()
            view.table.viewport().repaint()

        reloaded = ctx.time(reload, ctx.reps(20, minimum=2))
        shown = view.model.rowCount()
        cycle = iter([Section.DUE, Section.OVERDUE, Section.AGREED, Section.LOST] * 100)

        def switch() -> None:
            view.show_section(next(cycle))
            view.table.viewport().repaint()

        switched = ctx.time(switch, ctx.reps(20, minimum=2))
    return [
        Figure("worklist_view_reload", "Nhắc hẹn view: reload after a change, and paint", reloaded, target=300,
               how=("In-process `FollowUpsView` (1206×708) on the overdue section: the items read again from the "
                    "file (as after a call outcome is saved), the section counts, the section's rows in the "
                    "table, the columns fitted, a synchronous repaint. Target: the registry's 300 ms."),
               note=f"{shown:,} rows shown"),
        Figure("worklist_view_switch", "Nhắc hẹn view: another section, and paint", switched, target=100,
               how=("`show_section` of the next of due / overdue / agreed / lost and a synchronous repaint (the "
                    "file unchanged). Target: 100 ms, the limit of \"instant\".")),
    ]
