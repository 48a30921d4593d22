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


@migration(name="0011_medicines")
def m0011_medicines(db: Database) -> None:
    """Medicines: the formulary (every edit a new version, the old one closed, never
    overwritten), lots with their expiry, the stock ledger (movements only: a balance is their
    sum, kept on the lot by a trigger and never below 0; rows are never changed or deleted) and
    the prescription lines of a visit. The starter formulary (resources/data/formulary_starter.csv)
    is loaded by ``store.formulary`` when a file without one is opened."""
    _run(
        db,
        """
        CREATE TABLE drugs (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL,
            version INTEGER NOT NULL,
            ingredient TEXT NOT NULL,
            strength TEXT NOT NULL,
            form TEXT NOT NULL,
            unit TEXT NOT NULL,
            route TEXT NOT NULL DEFAULT '',
            brand TEXT NOT NULL DEFAULT '',
            dmdc_code TEXT NOT NULL DEFAULT '',
            registration_no TEXT NOT NULL DEFAULT '',
            tender TEXT NOT NULL DEFAULT '',
            route_code TEXT NOT NULL DEFAULT '',
            insured INTEGER NOT NULL DEFAULT 1,
            unit_price REAL NOT NULL DEFAULT 0,
            funding INTEGER NOT NULL DEFAULT 1,
            programme TEXT NOT NULL DEFAULT '',
            low_stock REAL NOT NULL DEFAULT 0,
            folded TEXT NOT NULL,
            valid_from TEXT NOT NULL,
            valid_to TEXT,
            superseded INTEGER NOT NULL DEFAULT 0,
            retired_on TEXT,
            reason TEXT NOT NULL DEFAULT '',
            changed_by TEXT NOT NULL DEFAULT '',
            changed_at TEXT NOT NULL,
            UNIQUE (code, version)
        );
        CREATE UNIQUE INDEX drugs_current ON drugs (code) WHERE superseded = 0;
        CREATE TRIGGER drugs_versioned BEFORE UPDATE OF code, version, ingredient, strength, form, unit, route,
            brand, dmdc_code, registration_no, tender, route_code, insured, unit_price, funding, programme,
            low_stock, valid_from ON drugs
        BEGIN SELECT RAISE(ABORT, 'a formulary entry is changed by a new version'); END;
        CREATE TRIGGER drugs_kept BEFORE DELETE ON drugs
        BEGIN SELECT RAISE(ABORT, 'a formulary entry is retired, never deleted'); END;

        CREATE TABLE stock_lots (
            id INTEGER PRIMARY KEY,
            drug_code TEXT NOT NULL,
            lot_no TEXT NOT NULL,
            expiry TEXT NOT NULL,
            unit_price REAL NOT NULL DEFAULT 0,
            balance REAL NOT NULL DEFAULT 0 CHECK (balance > -0.0005),
            created_at TEXT NOT NULL,
            UNIQUE (drug_code, lot_no, expiry)
        );

        CREATE TABLE prescription_lines (
            id INTEGER PRIMARY KEY,
            visit_id INTEGER NOT NULL REFERENCES visits (id),
            line_no INTEGER NOT NULL,
            drug_id INTEGER NOT NULL REFERENCES drugs (id),
            drug_code TEXT NOT NULL,
            per_dose TEXT NOT NULL DEFAULT '',
            times_per_day INTEGER,
            days INTEGER,
            quantity REAL NOT NULL,
            instructions TEXT NOT NULL DEFAULT '',
            UNIQUE (visit_id, line_no)
        );
        CREATE INDEX prescription_lines_drug ON prescription_lines (drug_code, visit_id);

        CREATE TABLE stock_movements (
            id INTEGER PRIMARY KEY,
            lot_id INTEGER NOT NULL REFERENCES stock_lots (id),
            kind TEXT NOT NULL CHECK (kind IN ('received', 'dispensed', 'returned', 'adjusted')),
            delta REAL NOT NULL CHECK (delta <> 0),
            on_date TEXT NOT NULL,
            unit_price REAL NOT NULL DEFAULT 0,
            prescription_line_id INTEGER REFERENCES prescription_lines (id),
            reason TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            supplier TEXT NOT NULL DEFAULT '',
            batch TEXT NOT NULL DEFAULT '',
            username TEXT NOT NULL,
            at TEXT NOT NULL,
            CHECK ((kind IN ('received', 'returned') AND delta > 0) OR (kind = 'dispensed' AND delta < 0)
                   OR kind = 'adjusted'),
            CHECK (kind <> 'adjusted' OR reason <> '')
        );
        CREATE INDEX stock_movements_lot ON stock_movements (lot_id, on_date);
        CREATE INDEX stock_movements_date ON stock_movements (on_date, lot_id);
        CREATE INDEX stock_movements_line ON stock_movements (prescription_line_id)
            WHERE prescription_line_id IS NOT NULL;
        CREATE TRIGGER stock_movements_balance AFTER INSERT ON stock_movements
        BEGIN UPDATE stock_lots SET balance = round(balance + NEW.delta, 3) WHERE id = NEW.lot_id; END;
        CREATE TRIGGER stock_movements_no_update BEFORE UPDATE ON stock_movements
        BEGIN SELECT RAISE(ABORT, 'the stock ledger is append-only: correct with a new movement'); END;
        CREATE TRIGGER stock_movements_no_delete BEFORE DELETE ON stock_movements
        BEGIN SELECT RAISE(ABORT, 'the stock ledger is append-only: correct with a new movement'); END
        """,
    )
    _version(db, 11)



@migration(name="0012_claims")
def m0012_claims(db: Database) -> None:
    """Health-insurance claims: what a claim needs that was not recorded (the station's claims
    codes, priced services versioned like the formulary, staff certificate and social-insurance
    numbers, the card's group, benefit digit and area, a patient's nationality, occupation and
    residence codes, the visit's category) and the claims register (one row per insured visit:
    its key, held back or written, the portal's answer)."""
    _run(
        db,
        """
        CREATE TABLE claim_settings (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            department_code TEXT NOT NULL DEFAULT '',
            signer_bhxh_no TEXT NOT NULL DEFAULT '',
            province_code TEXT NOT NULL DEFAULT '',
            district_code TEXT NOT NULL DEFAULT '',
            commune_code TEXT NOT NULL DEFAULT '',
            payment_method TEXT NOT NULL DEFAULT '1'
        );
        INSERT INTO claim_settings (id) VALUES (1);

        CREATE TABLE priced_services (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL,
            version INTEGER NOT NULL,
            name TEXT NOT NULL,
            unit TEXT NOT NULL DEFAULT 'Lần',
            group_code TEXT NOT NULL DEFAULT '13',
            price INTEGER NOT NULL CHECK (price >= 0),
            valid_from TEXT NOT NULL,
            valid_to TEXT,
            superseded INTEGER NOT NULL DEFAULT 0,
            changed_by TEXT NOT NULL DEFAULT '',
            changed_at TEXT NOT NULL,
            UNIQUE (code, version)
        );
        CREATE UNIQUE INDEX priced_services_current ON priced_services (code) WHERE superseded = 0;
        CREATE TRIGGER priced_services_versioned BEFORE UPDATE OF code, version, name, unit, group_code, price,
            valid_from ON priced_services
        BEGIN SELECT RAISE(ABORT, 'a priced service is changed by a new version'); END;
        CREATE TRIGGER priced_services_kept BEFORE DELETE ON priced_services
        BEGIN SELECT RAISE(ABORT, 'a priced service is closed, never deleted'); END;

        ALTER TABLE staff ADD COLUMN cchn TEXT NOT NULL DEFAULT '';
        ALTER TABLE staff ADD COLUMN bhxh_no TEXT NOT NULL DEFAULT '';
        ALTER TABLE patients ADD COLUMN insurance_group TEXT NOT NULL DEFAULT '';
        ALTER TABLE patients ADD COLUMN insurance_benefit TEXT NOT NULL DEFAULT '';
        ALTER TABLE patients ADD COLUMN insurance_area TEXT NOT NULL DEFAULT '';
        ALTER TABLE patients ADD COLUMN nationality_code TEXT NOT NULL DEFAULT '';
        ALTER TABLE patients ADD COLUMN occupation_code TEXT NOT NULL DEFAULT '';
        ALTER TABLE patients ADD COLUMN province_code TEXT NOT NULL DEFAULT '';
        ALTER TABLE patients ADD COLUMN district_code TEXT NOT NULL DEFAULT '';
        ALTER TABLE patients ADD COLUMN commune_code TEXT NOT NULL DEFAULT '';
        ALTER TABLE visits ADD COLUMN claim_category TEXT NOT NULL DEFAULT '';

        CREATE TABLE claims (
            id INTEGER PRIMARY KEY,
            visit_id INTEGER NOT NULL UNIQUE REFERENCES visits (id),
            ma_lk TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL CHECK (status IN ('held', 'written')),
            problems TEXT NOT NULL DEFAULT '[]',
            checked_at TEXT NOT NULL,
            written_at TEXT,
            file TEXT NOT NULL DEFAULT '',
            visit_version TEXT NOT NULL DEFAULT '',
            times_written INTEGER NOT NULL DEFAULT 0,
            resubmission INTEGER NOT NULL DEFAULT 0,
            total_cents INTEGER NOT NULL DEFAULT 0,
            fund_cents INTEGER NOT NULL DEFAULT 0,
            patient_cents INTEGER NOT NULL DEFAULT 0,
            answer TEXT NOT NULL DEFAULT '' CHECK (answer IN ('', 'accepted', 'refused')),
            answer_reason TEXT NOT NULL DEFAULT '',
            answered_at TEXT,
            answered_by TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX claims_checked ON claims (checked_at)
        """,
    )
    _version(db, 12)


@migration(name="0013_summary_indexes")
def m0013_summary_indexes(db: Database) -> None:
    """Indexes from which the monthly summary counts without reading the rows: the follow-up
    items due in a month and those closed in it by kind, the call outcomes of a month by kind
    and reason, and the visits giving tetanus vaccine (the year's pregnant women vaccinated)."""
    _run(
        db,
        """
        DROP INDEX followups_due;
        CREATE INDEX followups_due ON followups (due_date, kind);
        DROP INDEX followups_closed;
        CREATE INDEX followups_closed ON followups (closed_on, status, kind) WHERE closed_on IS NOT NULL;
        DROP INDEX followup_outcomes_recorded;
        CREATE INDEX followup_outcomes_recorded ON followup_outcomes (recorded_at, kind, reason, note);
        CREATE INDEX visits_tetanus ON visits (visit_at, patient_id) WHERE tetanus = 1
        """,
    )
    _version(db, 13)



@migration(name="0014_insurance_cards")
def m0014_insurance_cards(db: Database) -> None:
    """The cards a patient had before the current one. A card is renewed every year (or changes
    with the person's group), while a visit is claimed on the card valid on its day, perhaps after
    the renewal. A card is kept here, with its facility, group, benefit digit and area, when a new
    card replaces it — one that starts and ends later, or starts later under a new number, group,
    benefit digit or registered facility — by any path (the patient form, the claims fields, an
    import), and a duplicate's card when it is merged. Correcting the current card (a date, a digit
    of its number) or removing it keeps nothing: the wrong card was never one. Rows are never
    changed or deleted, only moved with their patient by a merge."""
    _run(
        db,
        """
        CREATE TABLE insurance_cards (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patients (id),
            card_no TEXT NOT NULL,
            valid_from TEXT,
            valid_to TEXT,
            facility TEXT NOT NULL DEFAULT '',
            card_group TEXT NOT NULL DEFAULT '',
            benefit TEXT NOT NULL DEFAULT '',
            area TEXT NOT NULL DEFAULT '',
            replaced_at TEXT NOT NULL
        );
        CREATE INDEX insurance_cards_patient ON insurance_cards (patient_id, valid_from);
        CREATE TRIGGER insurance_card_replaced AFTER UPDATE OF insurance_no, insurance_valid_from, insurance_valid_to,
            insurance_group, insurance_benefit, insurance_facility ON patients
            WHEN OLD.insurance_no <> '' AND NEW.insurance_valid_from > OLD.insurance_valid_from
                AND (NEW.insurance_valid_to > OLD.insurance_valid_to
                     OR OLD.insurance_valid_to < NEW.insurance_valid_from
                     OR NEW.insurance_no <> OLD.insurance_no OR NEW.insurance_group <> OLD.insurance_group
                     OR NEW.insurance_benefit <> OLD.insurance_benefit
                     OR NEW.insurance_facility <> OLD.insurance_facility)
        BEGIN
            INSERT INTO insurance_cards (patient_id, card_no, valid_from, valid_to, facility, card_group, benefit,
                                         area, replaced_at)
            VALUES (OLD.id, OLD.insurance_no, OLD.insurance_valid_from, OLD.insurance_valid_to,
                    OLD.insurance_facility, OLD.insurance_group, OLD.insurance_benefit, OLD.insurance_area,
                    datetime('now', 'localtime')); END;
        CREATE TRIGGER insurance_cards_kept BEFORE UPDATE OF card_no, valid_from, valid_to, facility, card_group,
            benefit, area, replaced_at ON insurance_cards
        BEGIN SELECT RAISE(ABORT, 'a card that was replaced is kept as it was'); END;
        CREATE TRIGGER insurance_cards_not_deleted BEFORE DELETE ON insurance_cards
        BEGIN SELECT RAISE(ABORT, 'a card that was replaced is kept as it was'); END
        """,
    )
    _version(db, 14)



@migration(name="0015_insurance_card_void")
def m0015_insurance_card_void(db: Database) -> None:
    """A kept card that was never a card (a renewal typed a year off, a card entered on the wrong
    person) is set aside by the head with a reason: no visit is claimed on it any more. The row
    stays, with who set it aside, when and why; a card set aside is never taken back."""
    _run(
        db,
        """
        ALTER TABLE insurance_cards ADD COLUMN voided_at TEXT;
        ALTER TABLE insurance_cards ADD COLUMN voided_by TEXT NOT NULL DEFAULT '';
        ALTER TABLE insurance_cards ADD COLUMN void_reason TEXT NOT NULL DEFAULT '';
        CREATE TRIGGER insurance_cards_void_once BEFORE UPDATE OF voided_at, voided_by, void_reason ON insurance_cards
            WHEN OLD.voided_at IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'a card set aside stays set aside'); END
        """,
    )
    _version(db, 15)


SCHEMA_VERSION = len(_STEPS)
