"""Write ``tests/data/schema-N.sqlite3``: a small database made by the current code (schema N).

Run once when a schema version is released (``uv run python tests/data/make_schema_copy.py``)
and keep the file forever: ``tests/store/test_database.py`` opens every saved copy with the
current code, which must upgrade it. Never regenerate an existing copy with newer code.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from station_app import clock  # noqa: E402
from station_app.domain.accounts import ANYONE  # noqa: E402
from station_app.domain.dates import PartialDate  # noqa: E402
from station_app.domain.patient import Patient  # noqa: E402
from station_app.domain.visit import Visit  # noqa: E402
from station_app.store import (  # noqa: E402
    open_store,
    patients,
    visits,
)
from station_app.store.icd10 import VERSION_KEY  # noqa: E402
from station_app.store.schema import SCHEMA_VERSION  # noqa: E402


def main() -> None:
    target = HERE / f"schema-{SCHEMA_VERSION}.sqlite3"
    if target.exists():
        sys.exit(f"{target} exists: a released schema copy is never regenerated")
    with clock.pinned(dt.datetime(2025, 11, 20, 15, 0)):
        store = open_store(target)
        huong = patients.insert(
            store,
            Patient(
                "Nguyễn Thị Hương",
                "2",
                PartialDate(1950),
                citizen_id="025150012345",
                insurance_no="HT3250123456789",
                phone="0912345678",
                village="Thôn Đông",
                address="Thôn Đông, xã Tân Phú, tỉnh Phú Thọ",
            ),
        )
        duc = patients.insert(
            store,
            Patient(
                "Trần Văn Đức",
                "1",
                PartialDate(1960, 3, 15),
                insurance_no="2501234567",
                village="Xóm Chùa",
            ),
        )
        patients.insert(
            store,
            Patient(
                "Lê Minh Khang",
                "1",
                PartialDate(2020, 5, 1),
                guardian_name="Lê Thị Lan",
                guardian_phone="0987654321",
                village="Thôn Tây",
            ),
        )
        for at, systolic in (
            (dt.datetime(2025, 10, 20, 8, 30), 160),
            (dt.datetime(2025, 11, 20, 8, 45), 150),
        ):
            visits.insert(
                store,
                Visit(
                    patient_id=huong.id,
                    visit_at=at,
                    complaint="Tái khám tăng huyết áp",
                    bp_systolic=systolic,
                    bp_diastolic=90,
                    diagnosis_code="I10",
                    diagnosis_text="Tăng huyết áp vô căn (nguyên phát)",
                    treatment="Amlodipin 5mg x 30 viên",
                    follow_up_date=(at + dt.timedelta(days=30)).date(),
                ),
            )
        cough = visits.insert(
            store,
            Visit(
                patient_id=duc.id,
                visit_at=dt.datetime(2025, 11, 3, 9, 0),
                complaint="Ho có đờm 5 ngày",
                diagnosis_code="J20.9",
                diagnosis_text="Viêm phế quản cấp",
                referred=True,
            ),
        )
        if SCHEMA_VERSION >= 3:  # referrals exist from schema 3: keep one slip and its number
            from station_app.store import referrals, station

            slip = referrals.prefill(duc, cough, station.load_profile(store), dt.date(2025, 11, 3))
            slip.to_facility = "Trung tâm Y tế khu vực Tân Phú"
            referrals.issue(store, slip, cough.id)
        # ICD-10 is reference data, reloaded when missing: left out to keep the file small.
        with store.write(ANYONE):
            store.conn.execute("DELETE FROM icd10")
            store.conn.execute("DELETE FROM settings WHERE key = ?", (VERSION_KEY,))
        store.conn.execute("VACUUM")
        store.close()
    print(f"wrote {target} ({target.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
