"""The station's SQLite file: opening it safely, migrations, queries, backups.

Nothing above this package writes SQL; the UI and the command line call these functions.
"""

from station_app.store.database import Store, open_store
from station_app.store.errors import StoreError

__all__ = ["Store", "StoreError", "open_store"]
