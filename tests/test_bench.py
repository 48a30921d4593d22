"""The benchmark suite (``python -m bench``) works end to end on a small station: every
measurement gives numbers (or says it is pending) and the report renders. Nothing about time."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.core import Figure, percentile
from bench.report import BEGIN, END, splice, table

ROOT = Path(__file__).resolve().parent.parent


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile([7.0], 95) == 7.0
    assert percentile([3, 1, 2], 100) == 3


def test_a_figure_is_judged_on_its_p95_and_its_floor():
    fast = Figure("f", "fast", [1.0] * 19 + [50.0], target=30)
    assert fast.median == 1.0 and fast.p95 == 1.0 and fast.met is True
    slow = Figure("s", "slow", [1.0] * 18 + [50.0, 50.0], target=30)
    assert slow.met is False
    far = Figure("r", "far from the floor", [9.0] * 20, target=30, floor=[3.0] * 20, max_ratio=2)
    assert far.ratio == pytest.approx(3.0) and far.met is False
    assert "**NO**" in table([far]) and "3.00×" in table([far])


def test_the_report_replaces_only_its_block():
    doc = f"# Title\n\nprose\n\n{BEGIN}\nold figures\n{END}\n\nmore prose\n"
    new = splice(doc, "new figures")
    assert "new figures" in new and "old figures" not in new
    assert new.startswith("# Title\n\nprose") and new.endswith("more prose\n")
    assert BEGIN in splice("# Empty\n", "figures")


@pytest.mark.gui
def test_the_suite_runs_on_a_small_station(tmp_path: Path):
    out, doc = tmp_path / "run.json", tmp_path / "BENCH.md"
    doc.write_text(f"# Benchmarks\n\n{BEGIN}\n{END}\n\nWhat changed.\n", encoding="utf-8")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TRAM_DATA_DIR=str(tmp_path / "data"))
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--patients", "1000", "--seed", "3", "--scale", "0.03",
         "--cache-dir", str(tmp_path / "cache"), "--out", str(out), "--update", str(doc)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    run = json.loads(out.read_text(encoding="utf-8"))
    assert run["database"]["patients"] == 1000
    assert run["machine"]["sqlite"] and run["machine"]["pyside6"]
    figures = {f["key"]: f for f in run["figures"]}
    for key in ("generation", "cold_start", "peak_rss", "search", "search_registry", "registry_open",
                "registry_jump", "worklist", "referral_slip", "visit_book", "import_csv", "claims_month",
                "claims_month_memory", "claims_month_check"):
        assert key in figures, key
    for f in run["figures"]:
        assert not f["error"], f["pending"]
        if f["pending"]:
            assert not f.get("samples")
            continue
        assert f["n"] >= 1 and len(f["samples"]) == f["n"], f["key"]
        assert all(math.isfinite(x) and x > 0 for x in f["samples"]), f["key"]
        assert f["median"] <= f["p95"], f["key"]
    assert figures["search"]["floor"] and figures["cold_start"]["floor"]
    # The claims of the busiest month were written by main.py claims in a process of its own,
    # and its peak memory is that process's.
    assert "files" in figures["claims_month"]["note"] and figures["claims_month"]["cpu"]
    assert figures["claims_month_memory"]["unit"] == "MB" and figures["claims_month_memory"]["target"] == 300
    # Every figure has a row in the report, which went into the document between the markers.
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks") and text.endswith("What changed.\n")
    for f in run["figures"]:
        assert f["title"] in text
    assert "| Figure | Target (on p95) |" in text
    assert done.stdout.strip() in text
    # A saved run renders the same report again (python -m bench.report RUN.json).
    from bench.report import figures_of, render

    again = render(figures_of(run), run["machine"], run["command"].strip(), run["database"],
                   run["started"].replace("T", " ")[:16], float(run["seconds"]))
    assert again == done.stdout.strip()
