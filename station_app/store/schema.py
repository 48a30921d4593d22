"""The database schema as ordered migrations (sqlite-utils ``Migrations``).

Each step runs in one transaction with its "applied" record and sets ``PRAGMA user_version`` to
its own number, so the schema version can be read without knowing the migration table. A step
is never edited once released: a change is a new step. Copies of every released schema live
under ``tests/data/`` and are upgraded in tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (sqlite-utils is imported when a file is migrated, not at every start)
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

APPLICATION_ID = 0x5452414D  # "TRAM"

Step = Callable[["Database"], None]
_STEPS: list[tuple[str, Step]] = []


def migration(name: str) -> Callable[[Step], Step]:
    """Register the decorated function as the next step of the schema, under ``name``."""

    def register(step: Step) -> Step:
        _STEPS.append((name, step))
        return step

    return register


def migrations() -> Migrations:
    """The steps as a sqlite-utils ``Migrations`` set (which records those applied in the file)."""
    from sqlite_utils.migrations import Migrations

    steps = Migrations("tram")
    for name, step in _STEPS:
        steps(name=name)(step)
    return steps


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


@migration(name="0001_initial")
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



@migration(name="0002_followups")
def m0002_followups(db: Database) -> None:
    """Follow-up reminders, programme enrolments and vaccine doses."""
    _run(
        db,
        """
        CREATE TABLE enrolments (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patients (id),
            programme TEXT NOT NULL,
            enrolled_on TEXT NOT NULL,
            detected_on TEXT,
            closed_on TEXT,
            closure TEXT NOT NULL DEFAULT '',
            lmp TEXT,
            edd TEXT,
            history_cvd INTEGER NOT NULL DEFAULT 0,
            last_bp_systolic INTEGER,
            last_bp_diastolic INTEGER,
            last_glucose REAL,
            last_visit_on TEXT,
            notes TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );
        CREATE INDEX enrolments_patient ON enrolments (patient_id, programme);
        CREATE INDEX enrolments_programme ON enrolments (programme, closed_on);

        CREATE TABLE vaccine_doses (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patients (id),
            series TEXT NOT NULL,
            dose INTEGER NOT NULL,
            given_on TEXT NOT NULL,
            place TEXT NOT NULL DEFAULT '',
            from_booklet INTEGER NOT NULL DEFAULT 0,
            visit_id INTEGER REFERENCES visits (id),
            created_at TEXT NOT NULL
        );
        CREATE INDEX vaccine_doses_patient ON vaccine_doses (patient_id, series, dose);
        CREATE INDEX vaccine_doses_given ON vaccine_doses (given_on);

        CREATE TABLE followups (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patients (id),
            kind TEXT NOT NULL,
            label TEXT NOT NULL,
            due_date TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'removed')),
            source TEXT NOT NULL DEFAULT 'manual',
            rule TEXT NOT NULL DEFAULT '',
            source_visit_id INTEGER REFERENCES visits (id),
            created_on TEXT NOT NULL,
            closed_on TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX followups_status ON followups (status, due_date);
        CREATE INDEX followups_patient ON followups (patient_id, status);
        CREATE INDEX followups_closed ON followups (closed_on) WHERE closed_on IS NOT NULL;

        CREATE TABLE followup_outcomes (
            id INTEGER PRIMARY KEY,
            followup_id INTEGER NOT NULL REFERENCES followups (id),
            kind TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            until TEXT,
            reason TEXT,
            visit_id INTEGER,
            created_at TEXT NOT NULL
        );
        CREATE INDEX followup_outcomes_item ON followup_outcomes (followup_id);

        ALTER TABLE visits ADD COLUMN refill_days INTEGER;
        ALTER TABLE visits ADD COLUMN antenatal INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE visits ADD COLUMN tetanus INTEGER NOT NULL DEFAULT 0
        """,
    )
    _version(db, 2)


@migration(name="0003_referrals")
def m0003_referrals(db: Database) -> None:
    """The referral book: one row per slip, its number never reused (cancelled slips stay)."""
    _run(
        db,
        """
        CREATE TABLE referrals (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patients (id),
            visit_id INTEGER REFERENCES visits (id),
            year INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            number TEXT NOT NULL UNIQUE,
            book_no TEXT NOT NULL DEFAULT '',
            issued_at TEXT NOT NULL,
            to_facility TEXT NOT NULL,
            to_facility_code TEXT NOT NULL DEFAULT '',
            diagnosis TEXT NOT NULL DEFAULT '',
            icd_main TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL,
            one_year INTEGER NOT NULL DEFAULT 0,
            valid_until TEXT,
            status TEXT NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'cancelled')),
            cancel_reason TEXT NOT NULL DEFAULT '',
            cancelled_at TEXT,
            outcome TEXT NOT NULL DEFAULT 'sent',
            arrived_on TEXT,
            feedback_on TEXT,
            feedback TEXT NOT NULL DEFAULT '',
            data TEXT NOT NULL,
            printed_count INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (year, seq)
        );
        CREATE INDEX referrals_issued ON referrals (issued_at);
        CREATE INDEX referrals_patient ON referrals (patient_id)
        """,
    )
    _version(db, 3)


@migration(name="0004_accounts_audit")
def m0004_accounts_audit(db: Database) -> None:
    """Accounts, the append-only audit log (hash-chained), amendments of clinical entries, and
    merges of duplicate patients (with what moved, so a merge can be undone)."""
    _run(
        db,
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            full_name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('nurse', 'head', 'admin')),
            password_hash TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1,
            failed_attempts INTEGER NOT NULL DEFAULT 0,
            last_failed_at TEXT,
            last_login_at TEXT,
            password_changed_at TEXT,
            created_at TEXT NOT NULL,
            deactivated_at TEXT
        );

        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            user_id INTEGER,
            username TEXT NOT NULL,
            role TEXT NOT NULL,
            action TEXT NOT NULL,
            target_type TEXT NOT NULL DEFAULT '',
            target_id TEXT NOT NULL DEFAULT '',
            patient_id INTEGER,
            details TEXT NOT NULL DEFAULT '{}',
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE INDEX audit_log_patient ON audit_log (patient_id, id) WHERE patient_id IS NOT NULL;
        CREATE INDEX audit_log_at ON audit_log (at);
        CREATE INDEX audit_log_user ON audit_log (username, id);
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

        CREATE TABLE amendments (
            id INTEGER PRIMARY KEY,
            entity TEXT NOT NULL CHECK (entity IN ('visit', 'referral')),
            entity_id INTEGER NOT NULL,
            version INTEGER NOT NULL,
            old_data TEXT NOT NULL,
            new_data TEXT NOT NULL,
            reason TEXT NOT NULL,
            user_id INTEGER,
            username TEXT NOT NULL,
            author TEXT NOT NULL DEFAULT '',
            role TEXT NOT NULL,
            amended_at TEXT NOT NULL,
            UNIQUE (entity, entity_id, version)
        );
        CREATE TRIGGER amendments_no_update BEFORE UPDATE ON amendments
        BEGIN SELECT RAISE(ABORT, 'amendments are kept as written'); END;
        CREATE TRIGGER amendments_no_delete BEFORE DELETE ON amendments
        BEGIN SELECT RAISE(ABORT, 'amendments are kept as written'); END;

        CREATE TABLE patient_merges (
            id INTEGER PRIMARY KEY,
            kept_id INTEGER NOT NULL REFERENCES patients (id),
            merged_id INTEGER NOT NULL REFERENCES patients (id),
            moved TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            username TEXT NOT NULL,
            merged_at TEXT NOT NULL,
            undone_at TEXT,
            undone_by TEXT
        );
        CREATE INDEX patient_merges_ids ON patient_merges (kept_id, merged_id);

        ALTER TABLE patients ADD COLUMN merged_into INTEGER REFERENCES patients (id)
        """,
    )
    _version(db, 4)


@migration(name="0005_monthly_reports")
def m0005_monthly_reports(db: Database) -> None:
    """Monthly reports: draft → final. A finalised month keeps a snapshot as sent (never changed
    or deleted; reopening adds who, when and why to it), and every corrected cell keeps its
    computed value, the corrected one, who and why. Covering indexes let a month be counted
    without reading the visits' full rows."""
    _run(
        db,
        """
        CREATE TABLE monthly_reports (
            id INTEGER PRIMARY KEY,
            period TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'final')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        CREATE TABLE report_snapshots (
            id INTEGER PRIMARY KEY,
            report_id INTEGER NOT NULL REFERENCES monthly_reports (id),
            version INTEGER NOT NULL,
            data TEXT NOT NULL,
            finalised_at TEXT NOT NULL,
            finalised_by TEXT NOT NULL,
            user_id INTEGER,
            reopened_at TEXT,
            reopened_by TEXT,
            reopen_reason TEXT,
            UNIQUE (report_id, version)
        );
        CREATE TRIGGER report_snapshots_frozen BEFORE UPDATE OF report_id, version, data, finalised_at,
            finalised_by, user_id ON report_snapshots
        BEGIN SELECT RAISE(ABORT, 'a finalised report is kept as sent'); END;
        CREATE TRIGGER report_snapshots_kept BEFORE DELETE ON report_snapshots
        BEGIN SELECT RAISE(ABORT, 'a finalised report is kept as sent'); END;

        CREATE TABLE report_corrections (
            id INTEGER PRIMARY KEY,
            report_id INTEGER NOT NULL REFERENCES monthly_reports (id),
            cell TEXT NOT NULL,
            computed INTEGER NOT NULL,
            corrected INTEGER,
            reason TEXT NOT NULL,
            by_name TEXT NOT NULL,
            user_id INTEGER,
            at TEXT NOT NULL
        );
        CREATE INDEX report_corrections_cell ON report_corrections (report_id, cell, id);

        CREATE INDEX visits_report ON visits (visit_at, patient_id, diagnosis_code, insurance_paid, antenatal, tetanus);
        CREATE INDEX visits_readings ON visits (patient_id, visit_at, bp_systolic, bp_diastolic, glucose);
        CREATE INDEX patients_report ON patients (id, sex, birth_year, birth_month, birth_day);
        CREATE INDEX patients_deceased ON patients (deceased_date) WHERE deceased_date IS NOT NULL;
        CREATE INDEX followups_due ON followups (due_date);
        CREATE INDEX followup_outcomes_recorded ON followup_outcomes (recorded_at)
        """,
    )
    _version(db, 5)


@migration(name="0006_registry_order_index")
def m0006_registry_order_index(db: Database) -> None:
    """The registry lists every patient not merged into another, in name order: an index of
    exactly those rows reads the 100,000 ids in name order without touching the table."""
    _run(
        db,
        """
        CREATE INDEX patients_live_sort_key ON patients (sort_key) WHERE merged_into IS NULL
        """,
    )
    _version(db, 6)


# The words of ``name_folded`` as a JSON array, for json_each (a trigger cannot use a recursive
# WITH to split them). The words are letters and digits only; quotes and backslashes are dropped
# all the same, so no name can make the array unreadable.
_NAME_WORDS = """json_each('["' || replace(replace(replace({col}, '\\', ''), '"', ''), ' ', '","') || '"]')"""


@migration(name="0007_name_words")
def m0007_name_words(db: Database) -> None:
    """The registry's distinct folded name words, with how many patients carry each, kept in step
    with ``patients`` by triggers: search reads a name typed with a slip back against them (a
    station has a few thousand). Indexes for the duplicate check's card number and guardian phone."""
    new_words, old_words = _NAME_WORDS.format(col="new.name_folded"), _NAME_WORDS.format(col="old.name_folded")
    statements = [
        """
        CREATE TABLE name_words (word TEXT PRIMARY KEY, patients INTEGER NOT NULL) WITHOUT ROWID""",
        f"""
        INSERT INTO name_words (word, patients)
            SELECT w.value, count(DISTINCT p.id) FROM patients p, {_NAME_WORDS.format(col="p.name_folded")} w
            WHERE p.name_folded <> '' AND w.value <> '' GROUP BY w.value""",
        f"""
        CREATE TRIGGER patients_name_words_insert AFTER INSERT ON patients BEGIN
            INSERT INTO name_words (word, patients) SELECT DISTINCT value, 1 FROM {new_words}
                WHERE value <> '' ON CONFLICT (word) DO UPDATE SET patients = patients + 1;
        END""",
        f"""
        CREATE TRIGGER patients_name_words_delete AFTER DELETE ON patients BEGIN
            UPDATE name_words SET patients = patients - 1 WHERE word IN (SELECT value FROM {old_words});
            DELETE FROM name_words WHERE patients <= 0;
        END""",
        f"""
        CREATE TRIGGER patients_name_words_update AFTER UPDATE OF name_folded ON patients
        WHEN old.name_folded IS NOT new.name_folded BEGIN
            UPDATE name_words SET patients = patients - 1 WHERE word IN (SELECT value FROM {old_words});
            DELETE FROM name_words WHERE patients <= 0;
            INSERT INTO name_words (word, patients) SELECT DISTINCT value, 1 FROM {new_words}
                WHERE value <> '' ON CONFLICT (word) DO UPDATE SET patients = patients + 1;
        END""",
        "CREATE INDEX patients_insurance_no ON patients (insurance_no) WHERE insurance_no <> ''",
        "CREATE INDEX patients_guardian_phone ON patients (guardian_phone) WHERE guardian_phone <> ''",
    ]
    for statement in statements:  # (a trigger's body has ";\n" inside: not for _run)
        db.execute(statement)
    _version(db, 7)


@migration(name="0008_births_deaths")
def m0008_births_deaths(db: Database) -> None:
    """Deliveries recorded on the mother (one row per baby in ``births``; a live-born baby has its
    own patient record), deaths with place and cause, and the time a vaccine dose was given (the
    hepatitis B birth dose counts within 24 hours of the birth)."""
    _run(
        db,
        """
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            mother_id INTEGER NOT NULL REFERENCES patients (id),
            delivered_at TEXT NOT NULL,
            place TEXT NOT NULL CHECK (place IN ('station', 'facility', 'home')),
            place_name TEXT NOT NULL DEFAULT '',
            attendant TEXT NOT NULL DEFAULT '',
            attendant_kind TEXT NOT NULL DEFAULT 'health_staff',
            enrolment_id INTEGER REFERENCES enrolments (id),
            notes TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX deliveries_at ON deliveries (delivered_at);
        CREATE INDEX deliveries_mother ON deliveries (mother_id);

        CREATE TABLE births (
            id INTEGER PRIMARY KEY,
            delivery_id INTEGER NOT NULL REFERENCES deliveries (id),
            child_id INTEGER REFERENCES patients (id),
            outcome TEXT NOT NULL CHECK (outcome IN ('live', 'stillbirth')),
            sex TEXT NOT NULL CHECK (sex IN ('1', '2', '3')),
            weight_grams INTEGER,
            created_at TEXT NOT NULL
        );
        CREATE INDEX births_delivery ON births (delivery_id);
        CREATE INDEX births_child ON births (child_id) WHERE child_id IS NOT NULL;

        CREATE TABLE deaths (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL UNIQUE REFERENCES patients (id),
            died_on TEXT NOT NULL,
            place TEXT NOT NULL CHECK (place IN ('station', 'facility', 'home', 'other')),
            place_name TEXT NOT NULL DEFAULT '',
            cause_code TEXT NOT NULL DEFAULT '',
            cause_text TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX deaths_on ON deaths (died_on);

        ALTER TABLE vaccine_doses ADD COLUMN given_at TEXT
        """,
    )
    _version(db, 8)


@migration(name="0009_notifications")
def m0009_notifications(db: Database) -> None:
    """Notifications of communicable diseases: one per visit (or death) and disease on the dated
    list, due within the list's hours, open until marked sent."""
    _run(
        db,
        """
        CREATE TABLE notifications (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patients (id),
            source TEXT NOT NULL CHECK (source IN ('visit', 'death')),
            source_id INTEGER NOT NULL,
            disease TEXT NOT NULL,
            disease_name TEXT NOT NULL,
            disease_group TEXT NOT NULL,
            code TEXT NOT NULL,
            list_version TEXT NOT NULL,
            detected_at TEXT NOT NULL,
            due_by TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'sent')),
            sent_at TEXT,
            sent_by TEXT NOT NULL DEFAULT '',
            sent_note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            UNIQUE (source, source_id, disease)
        );
        CREATE INDEX notifications_open ON notifications (status, due_by);
        CREATE INDEX notifications_patient ON notifications (patient_id)
        """,
    )
    _version(db, 9)


@migration(name="0010_accounts_are_staff")
def m0010_accounts_are_staff(db: Database) -> None:
    """The staff list and the accounts become one list of people: every account names its person
    in ``staff`` (a person may have no login). An account whose full name is on the staff list is
    that person; any other account's person is added to the list."""
    _run(
        db,
        """
        ALTER TABLE users ADD COLUMN staff_id INTEGER REFERENCES staff (id);
        INSERT INTO staff (full_name, title, active)
            SELECT u.full_name, '', max(u.active) FROM users u
            WHERE NOT EXISTS (SELECT 1 FROM staff s WHERE s.full_name = u.full_name)
            GROUP BY u.full_name;
        UPDATE users SET staff_id = (SELECT min(s.id) FROM staff s WHERE s.full_name = users.full_name)
        """,
    )
    _version(db, 10)


SCHEMA_VERSION = len(_STEPS)
