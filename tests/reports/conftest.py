"""The hand-built March 2026 station (``station_march.py``), built once and copied per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from station_app import clock
from station_app.store import Store, open_store
from tests.reports.station_march import REPORT_DAY, build


@pytest.fixture(scope="session")
def _march_master(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("march") / "station.sqlite3"
    ids = build(path)
    return path, ids


@pytest.fixture
def march_db(_march_master, tmp_path: Path) -> Path:
    """A private copy of the March station's file (the clock pinned to early April 2026)."""
    source, _ = _march_master
    target = tmp_path / "march.sqlite3"
    shutil.copy(source, target)
    return target


@pytest.fixture
def march_ids(_march_master) -> dict[str, int]:
    return _march_master[1]


@pytest.fixture
def march(march_db: Path) -> Iterator[Store]:
    with clock.pinned(REPORT_DAY):
        store = open_store(march_db)
        try:
            yield store
        finally:
            store.close()
