"""Shared fixtures: a private data folder for every test, fresh and demo databases, a pinned clock.

No test touches the real user data folder: ``tmp_data_dir`` is autouse. Tests that write to the
demo database copy it first (``demo_copy``); the original is built once per session.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from station_app import clock, i18n, paths
from station_app.domain.accounts import SYSTEM
from station_app.domain.dates import parse_partial_date
from station_app.domain.patient import Patient
from station_app.store import Store, audit, open_store
from station_app.store import patients as patient_store

# "Today" for every test that depends on the date (demo data, ages, future-date checks).
TODAY = dt.date(2025, 11, 20)
DEMO_PATIENTS = 300
DEMO_SEED = 7


@pytest.fixture(autouse=True)
def tmp_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point the app's data folder at a temporary folder for the whole test."""
    folder = tmp_path_factory.mktemp("data-dir")
    paths.set_data_dir(folder)
    try:
        yield folder
    finally:
        paths.set_data_dir(None)


@pytest.fixture(autouse=True)
def cheap_password_hashes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Passwords hashed at a low scrypt cost, so that logins in tests take milliseconds, not half a
    second and 128 MiB each; tests marked ``real_scrypt`` keep the product's own cost."""
    from station_app.domain import accounts

    if request.node.get_closest_marker("real_scrypt") is None:
        monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)


@pytest.fixture(autouse=True)
def _restore_language_and_clock() -> Iterator[None]:
    """``main.py --lang en`` and ``clock.pin`` change module state: undo it after each test."""
    yield
    i18n.set_language(i18n.DEFAULT_LANGUAGE)
    clock.pin(None)


@pytest.fixture
def today() -> Iterator[dt.date]:
    """The clock pinned to ``TODAY`` (noon) for the duration of the test."""
    with clock.pinned(TODAY):
        yield TODAY


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh, empty database in a temporary file."""
    opened = open_store(tmp_path / "station.sqlite3")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def read_log() -> Callable[..., list[audit.Entry]]:
    """The audit log (``audit.entries``) as the local operator reads it: a test's own eyes, whoever
    the store acts for (a nurse may not read it)."""

    def read(store: Store, f: audit.Filter | None = None) -> list[audit.Entry]:
        actor, store.actor = store.actor, SYSTEM
        try:
            return audit.entries(store, f)
        finally:
            store.actor = actor

    return read


@pytest.fixture
def add_patient(store: Store) -> Callable[..., Patient]:
    """Save a patient in ``store``: ``add_patient("Nguyễn Thị Hương", birth="1950", phone=…)``."""

    def add(
        full_name: str, *, sex: str = "2", birth: str | None = "1960", **fields: object
    ) -> Patient:
        patient = Patient(
            full_name=full_name,
            sex=sex,
            birth=parse_partial_date(birth) if birth else None,
            **fields,  # type: ignore[arg-type]
        )
        return patient_store.insert(store, patient)

    return add


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo database built once per session with the clock pinned. Never write to it."""
    from station_app.demo import generate
    from station_app.domain import accounts

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    with clock.pinned(TODAY), pytest.MonkeyPatch.context() as cheap:
        cheap.setattr(accounts, "SCRYPT_N", 2**10)  # (as cheap_password_hashes: fast logins in tests)
        generate(path, patients=DEMO_PATIENTS, seed=DEMO_SEED)
    leftovers = [p.name for p in path.parent.iterdir() if p != path]
    assert not leftovers, f"the demo database left side files: {leftovers}"
    return path


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database that the test may change."""
    target = tmp_path / "demo-copy.sqlite3"
    shutil.copy(demo_db, target)
    return target
