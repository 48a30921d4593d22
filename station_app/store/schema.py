"""The database schema as ordered migrations (sqlite-utils ``Migrations``).

Each step runs in one transaction with its "applied" record and sets ``PRAGMA user_version`` to
its own number, so the schema version can be read without knowing the migration table. A step
is never edited once released: a change is a new step. Copies of every released schema live
under ``tests/data/`` and are upgraded in tests.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

APPLICATION_ID = 0x5452414D  # "TRAM"

migrations = Migrations("tram")


def _run(db: Database, script: str) -> None:
    """Run ``;``-separated statements inside the current transaction.

    (``executescript`` would commit the open transaction first, breaking the step's atomicity.)
    """
    for statement in script.split(";\n"):
        if statement.strip() and not all(
            line.strip().startswith("--") or not line.strip() for line in statement.splitlines()
        ):
            db.execute(statement)


def _version(db: Database, number: int) -> None:
    db.execute(f"PRAGMA user_version = {int(number)}")
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")


@migrations(name="0001_initial")
def m0001_initial(db: Database) -> None:
    _run(
        db,
        """
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );

        CREATE TABLE station (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            name TEXT NOT NULL DEFAULT '',
            governing_body TEXT NOT NULL DEFAULT '',
            commune TEXT NOT NULL DEFAULT '',
            province TEXT NOT NULL DEFAULT '',
            facility_code TEXT NOT NULL DEFAULT '',
            address TEXT NOT NULL DEFAULT '',
            phone TEXT NOT NULL DEFAULT '',
            head_name TEXT NOT NULL DEFAULT '',
            head_title TEXT NOT NULL DEFAULT ''
        );
        INSERT INTO station (id) VALUES (1);

        CREATE TABLE villages (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE
        );

        CREATE TABLE staff (
            id INTEGER PRIMARY KEY,
            full_name TEXT NOT NULL,
            title TEXT NOT NULL DEFAULT '',
            active INTEGER NOT NULL DEFAULT 1
        );

        CREATE TABLE patients (
            id INTEGER PRIMARY KEY,
            record_no TEXT NOT NULL UNIQUE,
            full_name TEXT NOT NULL,
            name_lower TEXT NOT NULL,
            name_folded TEXT NOT NULL,
            sort_key TEXT NOT NULL,
            sex TEXT NOT NULL CHECK (sex IN ('1', '2', '3')),
            birth_year INTEGER,
            birth_month INTEGER,
            birth_day INTEGER,
            birth_estimated INTEGER NOT NULL DEFAULT 0,
            citizen_id TEXT NOT NULL DEFAULT '',
            insurance_no TEXT NOT NULL DEFAULT '',
            insurance_valid_from TEXT,
            insurance_valid_to TEXT,
            insurance_facility TEXT NOT NULL DEFAULT '',
            phone TEXT NOT NULL DEFAULT '',
            address TEXT NOT NULL DEFAULT '',
            village TEXT NOT NULL DEFAULT '',
            ethnicity TEXT NOT NULL DEFAULT '01',
            nationality TEXT NOT NULL DEFAULT 'Việt Nam',
            occupation TEXT NOT NULL DEFAULT '',
            workplace TEXT NOT NULL DEFAULT '',
            guardian_name TEXT NOT NULL DEFAULT '',
            guardian_phone TEXT NOT NULL DEFAULT '',
            guardian_relation TEXT NOT NULL DEFAULT '',
            deceased INTEGER NOT NULL DEFAULT 0,
            deceased_date TEXT,
            notes TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX patients_citizen_id ON patients (citizen_id) WHERE citizen_id <> '';
        CREATE INDEX patients_sort_key ON patients (sort_key);
        CREATE INDEX patients_phone ON patients (phone) WHERE phone <> '';
        CREATE INDEX patients_birth_village ON patients (birth_year, village);
        CREATE INDEX patients_created ON patients (created_at);

        -- Search words of each patient (folded name, identifiers), rowid = patients.id.
        CREATE VIRTUAL TABLE patient_search USING fts5 (
            words, tokenize = "unicode61 remove_diacritics 0", prefix = '2 3 4'
        );

        CREATE TABLE icd10 (
            code TEXT PRIMARY KEY,
            name_vi TEXT NOT NULL,
            name_en TEXT NOT NULL,
            chapter TEXT NOT NULL DEFAULT '',
            folded TEXT NOT NULL
        );

        CREATE TABLE visits (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patients (id),
            visit_at TEXT NOT NULL,
            complaint TEXT NOT NULL DEFAULT '',
            examination TEXT NOT NULL DEFAULT '',
            bp_systolic INTEGER,
            bp_diastolic INTEGER,
            pulse INTEGER,
            temperature REAL,
            weight REAL,
            height REAL,
            spo2 INTEGER,
            glucose REAL,
            diagnosis_code TEXT NOT NULL DEFAULT '',
            diagnosis_text TEXT NOT NULL DEFAULT '',
            extra_diagnoses TEXT NOT NULL DEFAULT '[]',
            icd10_version TEXT NOT NULL DEFAULT '',
            treatment TEXT NOT NULL DEFAULT '',
            clinician_id INTEGER REFERENCES staff (id),
            clinician_name TEXT NOT NULL DEFAULT '',
            insurance_paid INTEGER NOT NULL DEFAULT 0,
            follow_up_date TEXT,
            referred INTEGER NOT NULL DEFAULT 0,
            notes TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX visits_patient ON visits (patient_id, visit_at);
        CREATE INDEX visits_at ON visits (visit_at);
        CREATE INDEX visits_diagnosis ON visits (diagnosis_code, visit_at);
        """
    )
    _version(db, 1)


SCHEMA_VERSION = len(migrations._migrations)
