"""The station's SQLite file: opening it safely, migrations, queries, backups.

Nothing above this package writes SQL; the UI and the command line call these functions.
"""

from __future__ import annotations

from pathlib import Path

from station_app.store.database import Store, open_file
from station_app.store.errors import StoreError

__all__ = ["Store", "StoreError", "open_store"]


def open_store(path: Path | str, *, create: bool = True, migrate: bool = True, verify: bool = True,
               read_only: bool = False) -> Store:
    """Open (or create) the station's database at ``path`` (see ``database.open_file``), with the
    shipped ICD-10 catalogue loaded into it when it is migrated. ``read_only``: opened for reading
    only, nothing written (the catalogue as the file has it)."""
    store = open_file(path, create=create, migrate=migrate, verify=verify, read_only=read_only)
    if migrate and not read_only:
        from station_app.store import formulary, icd10  # (on demand: the catalogue is read only when it changed)

        icd10.ensure_loaded(store)
        formulary.ensure_starter(store)  # a new station's starter formulary, once
    return store
