"""``main.py --demo`` opens the demo station kept in the data folder; it is made only when missing
(``demo --force`` makes it again), so what was tried in it stays."""

from __future__ import annotations

from pathlib import Path

from station_app import demo, paths
from station_app.ui import app


def test_demo_station_is_made_once_and_then_opened(qapp, tmp_data_dir: Path, monkeypatch) -> None:
    made: list[Path] = []

    def generate(path, **_options):
        made.append(Path(path))
        Path(path).write_bytes(b"a demo station")

    monkeypatch.setattr(demo, "generate", generate)
    first = app._demo_database()
    assert first == paths.demo_database() and first.parent == tmp_data_dir
    assert made == [first]
    first.write_bytes(b"a demo station where a nurse tried things")
    assert app._demo_database() == first
    assert made == [first], "the second start opens the same station"
    assert first.read_bytes() == b"a demo station where a nurse tried things"
