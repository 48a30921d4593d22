"""Fixtures of the import and export tests: station spreadsheets made in the test's folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from station_sheets import station_workbook


@pytest.fixture
def make_workbook(tmp_path: Path) -> Callable[..., Path]:
    def make(name: str = "benh-nhan.xlsx", **kwargs: object) -> Path:
        return station_workbook(tmp_path / name, **kwargs)  # type: ignore[arg-type]

    return make


@pytest.fixture
def registry_xlsx(make_workbook: Callable[..., Path]) -> Path:
    return make_workbook()
