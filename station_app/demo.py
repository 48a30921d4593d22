"""A realistic, synthetic station for demonstrations, screenshots and benchmarks.

Deterministic for a seed and a "today": Vietnamese names drawn with real family-name
frequencies, villages, ages from newborn to 95, chronic patients seen monthly, children,
pregnant women, common primary-care diagnoses and a few referrals. Every person is invented.
"""

from __future__ import annotations

import bisect
import datetime as dt
import errno
import itertools
import math
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from statistics import NormalDist

from station_app import clock, files
from station_app.demo_claims import NEIGHBOUR_COMMUNES, PROVINCE_CODE, STATION_COMMUNE
from station_app.domain import code_lists
from station_app.domain.accounts import ANYONE
from station_app.domain.identifiers import insurance_groups, make_record_no
from station_app.domain.text import fold, name_sort_key, words
from station_app.store import open_store
from station_app.store.bulk import insert_rows
from station_app.store.database import Store
from station_app.store.patients import index_words
from station_app.store.station import StaffMember, StationProfile, save_profile, save_staff, save_villages

# Family names with their approximate share of the population (per cent).
FAMILY_NAMES = {
    "Nguyễn": 38.4,
    "Trần": 11.0,
    "Lê": 9.5,
    "Phạm": 7.0,
    "Hoàng": 3.0,
    "Huỳnh": 2.1,
    "Phan": 4.5,
    "Vũ": 2.3,
    "Võ": 1.6,
    "Đặng": 2.1,
    "Bùi": 2.0,
    "Đỗ": 1.4,
    "Hồ": 1.3,
    "Ngô": 1.3,
    "Dương": 1.0,
    "Lý": 0.5,
    "Đào": 0.4,
    "Đinh": 0.4,
    "Trương": 0.4,
    "Lương": 0.3,
    "Mai": 0.3,
    "Cao": 0.3,
    "Tạ": 0.2,
    "Hà": 0.4,
    "Lâm": 0.2,
    "Kiều": 0.1,
    "Triệu": 0.2,
    "Chu": 0.1,
    "Vương": 0.1,
}
MIDDLE = {
    "1": ["Văn", "Văn", "Văn", "Đức", "Minh", "Quốc", "Hữu", "Công", "Thanh", "Xuân", "Ngọc", "Quang"],
    "2": ["Thị", "Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Hồng", "Kim", "Mai", "Phương"],
}
GIVEN = {
    "1": [
        "An",
        "Anh",
        "Bảo",
        "Bình",
        "Cường",
        "Dũng",
        "Đạt",
        "Đức",
        "Giang",
        "Hải",
        "Hiếu",
        "Hoà",
        "Hùng",
        "Huy",
        "Khánh",
        "Khoa",
        "Lâm",
        "Long",
        "Minh",
        "Nam",
        "Nghĩa",
        "Phong",
        "Phúc",
        "Quân",
        "Quang",
        "Sơn",
        "Tài",
        "Thắng",
        "Thành",
        "Thịnh",
        "Toàn",
        "Trung",
        "Tuấn",
        "Tùng",
        "Việt",
        "Vinh",
        "Hưng",
        "Lộc",
        "Tiến",
        "Kiên",
    ],
    "2": [
        "Anh",
        "Ánh",
        "Chi",
        "Dung",
        "Duyên",
        "Giang",
        "Hà",
        "Hạnh",
        "Hằng",
        "Hiền",
        "Hoa",
        "Huệ",
        "Hương",
        "Hường",
        "Lan",
        "Linh",
        "Loan",
        "Mai",
        "My",
        "Nga",
        "Ngân",
        "Nhung",
        "Oanh",
        "Phương",
        "Quyên",
        "Quỳnh",
        "Tâm",
        "Thảo",
        "Thu",
        "Thủy",
        "Trang",
        "Tuyết",
        "Uyên",
        "Vân",
        "Yến",
        "Lụa",
        "Liên",
        "Xuân",
        "Đào",
        "Hồng",
    ],
}
VILLAGES = [
    "Thôn Đông",
    "Thôn Tây",
    "Thôn Trung",
    "Thôn Nam An",
    "Thôn Phú Mỹ",
    "Thôn Bến Đò",
    "Xóm Chùa",
    "Xóm Mới",
    "Thôn Đồng Lạc",
    "Bản Nà Làng",
]
COMMUNE = "xã Tân Sơn"
PROVINCE = "tỉnh Phú Thọ"
OCCUPATIONS = [
    "Làm ruộng",
    "Làm ruộng",
    "Làm ruộng",
    "Công nhân",
    "Buôn bán",
    "Giáo viên",
    "Nội trợ",
    "Lái xe",
    "Thợ xây",
    "Cán bộ hưu trí",
    "Tự do",
]
ETHNICITIES = ["03", "06", "09", "02", "07"]  # other than Kinh ("01")
INSURANCE_GROUPS = ["GD", "CN", "HN", "BT"]
# What a commune station refers (an asthma attack, a wound needing surgery, a complicated urinary
# infection, a knee for imaging; a chronic patient's uncontrolled pressure): never a cold.
REFERRED_CODES = {"J45.9": 0.10, "T14.1": 0.05, "N39.0": 0.03, "M17.9": 0.03}
# Deaths a year per 1,000 people of an age (from that age up to the next line), near the rates of
# rural Vietnam; men die more often than women (about 1.2 to 0.83). With the commune's ages this
# makes about 6.5 deaths per 1,000 people a year. People of working age move away (about 1 % a year).
DEATHS_PER_1000 = ((80, 66.0), (70, 23.0), (60, 10.0), (50, 5.2), (40, 2.7), (15, 1.1), (0, 0.3))
DEATH_SEX_FACTOR = {"1": 1.2, "2": 0.83}
RECORD_YEARS = 3
MOVE_3Y = 0.03
PHONE_PREFIXES = [
    "32", "33", "34", "35", "36", "37", "38", "39", "86", "96", "97", "98", "91", "94", "88",
    "81", "82", "83", "84", "85", "70", "76", "77", "78", "79", "90", "93", "89", "56", "58",
]  # fmt: skip
STAFF = [
    ("Nguyễn Văn Hùng", "Bác sĩ, Trạm trưởng"),
    ("Trần Thị Mai", "Y sĩ đa khoa"),
    ("Lê Thị Hồng", "Nữ hộ sinh"),
    ("Phạm Đức Long", "Điều dưỡng"),
]

# Common primary-care diagnoses: (code, Vietnamese text, relative weight for children under 6,
# for children of 6 to 15, for people of 16 and over). A weight of 1 is about 1 % of the
# consultations for acute illness of that age. The notifiable communicable diseases (dengue,
# hand-foot-mouth disease, chickenpox, influenza, mumps, viral conjunctivitis, diarrhoea) are a
# handful a year for a commune of a few thousand people, in their season (SEASONS).
ACUTE = [
    ("J00", "Viêm mũi họng cấp", 22, 20, 17),
    ("J06.9", "Nhiễm trùng đường hô hấp trên cấp", 18, 15, 13),
    ("J20.9", "Viêm phế quản cấp", 8, 7, 7),
    ("J02.9", "Viêm họng cấp", 9, 11, 9),
    ("K29.7", "Viêm dạ dày", 0, 2, 7),
    ("A09", "Tiêu chảy, viêm dạ dày ruột do nhiễm trùng", 1.5, 0.3, 0.15),
    ("K30", "Khó tiêu chức năng", 2, 3, 3),
    ("M54.5", "Đau lưng vùng thắt lưng", 0, 0, 7),
    ("R50.9", "Sốt, không xác định", 10, 6, 4),
    ("L30.9", "Viêm da", 6, 4, 3),
    ("H10.9", "Viêm kết mạc", 3, 3, 3),
    ("K02.9", "Sâu răng", 2, 5, 2),
    ("N39.0", "Nhiễm trùng đường tiết niệu", 0, 1, 3),
    ("M17.9", "Thoái hóa khớp gối", 0, 0, 4),
    ("R51", "Đau đầu", 0, 4, 5),
    ("T14.1", "Vết thương hở", 1, 3, 3),
    ("B86", "Ghẻ", 1, 1, 1),
    ("J45.9", "Hen phế quản", 1, 2, 2),
    ("E78.5", "Rối loạn lipid máu", 0, 0, 2),
    ("K59.0", "Táo bón", 3, 2, 2),
    ("R42", "Chóng mặt", 0, 0, 3),
    ("A97.0", "Sốt xuất huyết Dengue", 0.05, 0.08, 0.05),
    ("B08.4", "Tay chân miệng", 0.25, 0.03, 0),
    ("B01.9", "Thủy đậu", 0.1, 0.15, 0.01),
    ("J11.1", "Cúm", 0.06, 0.06, 0.06),
    ("B26.9", "Quai bị", 0.03, 0.05, 0),
    ("B30.9", "Viêm kết mạc do vi rút", 0.2, 0.3, 0.2),
]
# The months of the year when a seasonal disease is seen (others: all year).
SEASONS = {
    "A97.0": frozenset({7, 8, 9, 10, 11}),
    "B08.4": frozenset({3, 4, 5, 9, 10, 11}),
    "B01.9": frozenset({1, 2, 3, 4, 5}),
    "J11.1": frozenset({12, 1, 2, 3, 4}),
    "B26.9": frozenset({1, 2, 3, 4, 5, 6}),
    "B30.9": frozenset({7, 8, 9, 10}),
}
COMPLAINTS = {
    "J00": "Sổ mũi, hắt hơi, đau họng",
    "J06.9": "Ho, sốt nhẹ, đau họng",
    "J20.9": "Ho có đờm 5 ngày",
    "J02.9": "Đau họng, nuốt vướng",
    "K29.7": "Đau thượng vị, ợ chua",
    "A09": "Đi ngoài phân lỏng 4 lần/ngày",
    "M54.5": "Đau lưng khi làm ruộng",
    "R50.9": "Sốt 38,5 độ từ tối qua",
    "L30.9": "Ngứa, nổi mẩn",
    "H10.9": "Đỏ mắt, ra nhiều dử",
    "K02.9": "Đau răng hàm",
    "N39.0": "Tiểu buốt, tiểu rắt",
    "M17.9": "Đau khớp gối hai bên",
    "R51": "Đau đầu âm ỉ",
    "T14.1": "Đứt tay do liềm",
    "K30": "Đầy bụng, ăn không tiêu",
    "A97.0": "Sốt cao 3 ngày, đau mỏi người, chấm xuất huyết dưới da",
    "B08.4": "Sốt, loét miệng, bọng nước ở lòng bàn tay, bàn chân",
    "B01.9": "Sốt nhẹ, nổi mụn nước khắp người",
    "J11.1": "Sốt cao, đau đầu, đau mỏi cơ, ho",
    "B26.9": "Sưng đau vùng mang tai",
    "B30.9": "Đỏ mắt, cộm, chảy nước mắt",
    "Z39.2": "Khám sau sinh",
    "B86": "Ngứa nhiều về đêm",
    "J45.9": "Khó thở, khò khè",
    "E78.5": "Khám định kỳ",
    "K59.0": "Táo bón 1 tuần",
    "R42": "Chóng mặt khi đứng dậy",
    "I10": "Tái khám tăng huyết áp, lấy thuốc",
    "E11.9": "Tái khám đái tháo đường, lấy thuốc",
    "Z34.9": "Khám thai định kỳ",
    "Z00.1": "Khám sức khỏe trẻ em",
}
TREATMENTS = {
    "I10": "Amlodipin 5mg x 30 viên, uống 1 viên/ngày buổi sáng",
    "E11.9": "Metformin 500mg x 60 viên, uống 2 viên/ngày sau ăn",
    "Z34.9": "Viên sắt - acid folic x 30 viên",
    "Z00.1": "Tư vấn dinh dưỡng",
    "A97.0": "Hạ sốt paracetamol, bù nước; theo dõi dấu hiệu cảnh báo; báo cáo ca bệnh",
    "B08.4": "Hạ sốt, vệ sinh răng miệng; cách ly, theo dõi tại nhà; báo cáo ca bệnh",
    "B01.9": "Cách ly tại nhà, giữ vệ sinh da, hạ sốt",
    "J11.1": "Hạ sốt, nghỉ ngơi, uống nhiều nước; theo dõi khó thở; báo cáo ca bệnh",
    "B26.9": "Hạ sốt, giảm đau, cách ly tại nhà; báo cáo ca bệnh",
    "B30.9": "Nhỏ mắt natri clorid 0,9%, không dùng chung khăn",
    "Z39.2": "Tư vấn nuôi con bằng sữa mẹ, vệ sinh sau sinh",
}
REFERRAL_DESTINATIONS = ["Trung tâm Y tế khu vực Tân Sơn", "Bệnh viện Đa khoa tỉnh Phú Thọ"]

PATIENT_COLUMNS = (
    "id",
    "record_no",
    "full_name",
    "name_lower",
    "name_folded",
    "sort_key",
    "sex",
    "birth_year",
    "birth_month",
    "birth_day",
    "birth_estimated",
    "citizen_id",
    "insurance_no",
    "insurance_valid_from",
    "insurance_valid_to",
    "insurance_facility",
    "phone",
    "address",
    "village",
    "ethnicity",
    "occupation",
    "nationality_code",
    "occupation_code",
    "province_code",
    "commune_code",
    "guardian_name",
    "guardian_phone",
    "created_at",
    "updated_at",
    "deceased",
    "deceased_date",
)
VISIT_COLUMNS = (
    "patient_id",
    "visit_at",
    "complaint",
    "bp_systolic",
    "bp_diastolic",
    "pulse",
    "temperature",
    "weight",
    "glucose",
    "diagnosis_code",
    "diagnosis_text",
    "treatment",
    "clinician_id",
    "clinician_name",
    "insurance_paid",
    "follow_up_date",
    "referred",
    "refill_days",
    "antenatal",
    "created_at",
    "updated_at",
)
_VISIT_AT = itemgetter(VISIT_COLUMNS.index("visit_at"))


@dataclass
class DemoSummary:
    patients: int
    visits: int
    seconds: float


class DemoExists(FileExistsError):
    pass


def generate(
    path: Path,
    patients: int = 2000,
    seed: int = 1,
    visits_per_patient: float = 10.0,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Write a demo database at ``path`` (refusing to overwrite unless ``force``).

    The file is built beside ``path`` under a hidden name and moved into place when it is done:
    stopped half-way, the program leaves ``path`` as it was (no file, or the old one)."""
    if patients < 0:
        raise ValueError(f"patients must be 0 or more, not {patients}")
    if not visits_per_patient >= 0:  # (NaN too)
        raise ValueError(f"visits_per_patient must be 0 or more, not {visits_per_patient}")
    started = dt.datetime.now()
    path = Path(path)
    if path.exists() and not path.is_file():  # a folder, a device: never replaced
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR) if path.is_dir() else "not a regular file",
                                str(path))
    if path.exists() and not force:
        raise DemoExists(str(path))
    building = path.with_name(f".{path.name}.building")
    _remove_database(building)
    try:
        total_visits = _build(building, patients, seed, visits_per_patient, progress)
        _remove_database(path, keep_main=True)  # (the old file's log must not meet the new file)
        building.replace(path)
        files.fsync_folder(path.parent)
    finally:
        _remove_database(building)
    return DemoSummary(patients, total_visits, (dt.datetime.now() - started).total_seconds())


def _remove_database(path: Path, keep_main: bool = False) -> None:
    for suffix in ("-wal", "-shm", "-journal") if keep_main else ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def _build(
    path: Path,
    patients: int,
    seed: int,
    visits_per_patient: float,
    progress: Callable[[int, int], None] | None,
) -> int:
    store = open_store(path)
    # A demo file that a crash cuts short is made again, not recovered: no wait for the disk at
    # each of the generator's commits, and its pages written once, in place, rather than into the
    # write-ahead log and copied from there into the file (half a gigabyte for a large station).
    # The finished file uses the write-ahead log like every station's.
    store.conn.execute("PRAGMA synchronous = OFF")
    store.conn.execute("PRAGMA journal_mode = MEMORY")
    try:
        # Bulk loading is faster into bare tables: drop the indexes of patients and visits, then
        # make them again, from their own definitions, once the rows are in.
        indexes = store.conn.execute(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('patients', 'visits')"
        ).fetchall()
        for name, _sql in indexes:
            store.conn.execute(f'DROP INDEX "{name}"')
        # Every visit's patient and clinician exist by construction: checking each of a million
        # references would cost a fifth of the loading (the tests check the finished file).
        store.conn.execute("PRAGMA foreign_keys = OFF")
        from station_app.demo_births import add_births, plan

        births = plan(seed, patients, clock.now(), baby_name)  # (the babies are among the patients asked for)
        total_visits, draw = _fill(store, patients - births.babies, seed, visits_per_patient, progress)
        store.conn.execute("PRAGMA foreign_keys = ON")
        with store.write(ANYONE):  # a demo file being built: invented data, no one's records
            for _name, sql in indexes:
                store.conn.execute(sql)
        from station_app.demo_followups import add_followups

        # The deliveries first (the mothers' antenatal care, the babies and their visits), then
        # the follow-up work of everyone, the babies' vaccinations included.
        stamp = clock.now().isoformat(sep=" ", timespec="seconds")
        total_visits += add_births(store, seed, clock.today(), births, draw)
        add_followups(store, seed, clock.today(), stamp, draw.moved)
        from station_app.demo_deaths import add_notifications, add_targets

        add_notifications(store, seed, clock.now())
        add_targets(store, clock.today())
        from station_app.demo_claims import add_claims

        add_claims(store, seed, clock.today())
        from station_app.demo_medicines import add_medicines

        store.conn.execute("PRAGMA foreign_keys = OFF")  # (every reference made by construction, as above)
        with store.write(ANYONE):
            add_medicines(store, seed, clock.today(), clock.now().isoformat(sep=" ", timespec="seconds"))
        store.conn.execute("PRAGMA foreign_keys = ON")
        # The query planner's statistics, of every table and index (PRAGMA optimize would only
        # redo part of what this does).
        store.conn.execute("ANALYZE")
        send_past_reports(store, clock.today())
        store.conn.execute("PRAGMA journal_mode = WAL")
    finally:
        store.close()
    return total_visits


def send_past_reports(store: Store, today: dt.date) -> None:
    """The head sends each month's report to the district in the first days of the month after, as
    a station does: every whole month of the records is finalised up to the one before last; last
    month's report is still a draft, waiting to be checked and sent."""
    from station_app.domain.accounts import Actor, Role
    from station_app.domain.monthly import Month
    from station_app.reports import monthly
    from station_app.store import reports

    first = today - dt.timedelta(days=RECORD_YEARS * 365)
    month = Month.of(first).following()
    last = Month.of(today).previous().previous()
    head, store.actor = store.actor, Actor(None, DEMO_ACCOUNTS[0][0], STAFF[0][0], Role.HEAD)
    try:
        while month.start <= last.start:
            sent_on = month.next_start + dt.timedelta(days=2 + month.start.month % 3)
            with clock.pinned(dt.datetime.combine(sent_on, dt.time(15, 30))):
                reports.finalise(store, monthly.draft(store, month))
            month = month.following()
    finally:
        store.actor = head


# The person behind the administrator's account: on the staff list, not a clinician.
DEMO_ADMINISTRATOR = ("Vũ Minh Quân", "Kế toán, quản trị máy tính")
# The demo station's accounts (documented in the README): user name, full name, role, password.
DEMO_ACCOUNTS = (
    ("truong", STAFF[0][0], "head", "demo-truong"),
    ("yta.mai", STAFF[1][0], "nurse", "demo-yta"),
    ("quantri", DEMO_ADMINISTRATOR[0], "admin", "demo-quantri"),
)


def add_demo_accounts(store: Store) -> None:
    from station_app.store import users

    username, full_name, _role, password = DEMO_ACCOUNTS[0]
    users.create_first_head(store, username, full_name, password)
    for username, full_name, role, password in DEMO_ACCOUNTS[1:]:
        users.create(store, username, full_name, password, role)


def _fill(
    store: Store,
    n_patients: int,
    seed: int,
    visits_per_patient: float,
    progress: Callable[[int, int], None] | None,
) -> tuple[int, _Draw]:
    save_profile(
        store,
        StationProfile(
            name="Trạm Y tế xã Tân Sơn",
            governing_body="UBND XÃ TÂN PHÚ",
            commune="Xã Tân Sơn",
            province="Phú Thọ",
            facility_code="25123",
            address=f"Thôn Trung, {COMMUNE}, {PROVINCE}",
            phone="02103871234",
            head_name=STAFF[0][0],
            head_title="Trạm trưởng",
        ),
    )
    staff_ids = [save_staff(store, StaffMember(name, title)).id for name, title in STAFF]
    save_staff(store, StaffMember(*DEMO_ADMINISTRATOR))  # a person too, who examines nobody
    save_villages(store, VILLAGES)
    add_demo_accounts(store)

    # One code, one name: the catalogue's, as the visit form writes it.
    catalogue = dict(store.conn.execute("SELECT code, name_vi FROM icd10").fetchall())
    draw = _Draw(random.Random(seed), clock.today(), clock.now(), staff_ids, visits_per_patient, catalogue)
    total_visits = 0
    batch = 5000
    with store.write(ANYONE):  # invented rows of a demo file being built (its accounts are real writes)
        for start in range(0, n_patients, batch):
            patient_rows = []
            search_rows = []
            visit_rows: list[tuple[object, ...]] = []
            for pid in range(start + 1, min(start + batch, n_patients) + 1):
                row, search = draw.patient(pid, visit_rows)
                patient_rows.append(row)
                search_rows.append(search)
            insert_rows(store, "patients", PATIENT_COLUMNS, patient_rows)
            insert_rows(store, "patient_search", ("rowid", "words"), search_rows)
            insert_rows(store, "visits", VISIT_COLUMNS, visit_rows)
            total_visits += len(visit_rows)
            if progress:
                progress(min(start + batch, n_patients), n_patients)
    return total_visits, draw


def baby_name(rng: random.Random, sex: str) -> str:
    """A baby's name as the family gives it: the father's family name, a middle and a given name."""
    family = rng.choices(list(FAMILY_NAMES), weights=list(FAMILY_NAMES.values()))[0]
    return f"{family} {rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}"


# What a visit of one kind always carries: (code, diagnosis text, complaint, treatment, mean
# systolic pressure, fever possible, glucose measured, chronic programme (30 days of medicine),
# antenatal).
_VisitKind = tuple[str, str, str, str, int, bool, bool, bool, int]


def _kind(code: str, text: str) -> _VisitKind:
    return (
        code,
        text,
        COMPLAINTS.get(code, ""),
        TREATMENTS.get(code, "Điều trị triệu chứng, hẹn khám lại nếu không đỡ"),
        136 if code == "I10" else 122,  # (treated hypertension: about half controlled)
        code in ("R50.9", "J06.9", "A97.0", "B08.4", "B01.9", "J11.1"),
        code == "E11.9",
        code in ("I10", "E11.9"),
        int(code == "Z34.9"),
    )


class _Draw:
    """Draws patients and their visits from one random stream.

    A million visits are drawn for a large station, so the work per visit is kept small: every
    value comes from ``random()`` directly, scaled to an index into a table made once (times of
    day, normal deviates at evenly spaced quantiles, rounded temperatures and weights), days are
    ordinals with their text looked up, and what a visit of a given diagnosis always carries is
    prepared once.
    """

    STEPS = 4096  # entries of the tables of continuous values
    visit_columns: tuple[str, ...] = VISIT_COLUMNS

    def __init__(
        self,
        rng: random.Random,
        today: dt.date,
        now: dt.datetime,
        staff_ids: list[int | None],
        visits_per_patient: float,
        catalogue: dict[str, str] | None = None,
    ) -> None:
        self.random = rng.random
        self.today = today.toordinal()
        self.history_start = self.today - 3 * 365
        # Every visit falls between the start of the records and today; its revisit up to 30 days later.
        self.days = [dt.date.fromordinal(d).isoformat() for d in range(self.history_start, self.today + 31)]
        # Consultations from 7:00 to 16:30; never later than "now" today (today's visits are the ones already seen).
        self.times = [f"{m // 60:02d}:{m % 60:02d}" for m in range(7 * 60, 16 * 60 + 31)]
        self.now_time = f"{now.hour:02d}:{now.minute:02d}"
        self.stamp = now.isoformat(sep=" ", timespec="seconds")
        self.clinicians = [(staff_ids[i], name) for i, (name, _title) in enumerate(STAFF)]
        steps = self.STEPS
        quantiles = [(i + 0.5) / steps for i in range(steps)]
        self.normal_table = [NormalDist().inv_cdf(q) for q in quantiles]
        self.temperatures = [round(36.2 + q, 1) for q in quantiles]  # 36.2 to 37.2 °C
        self.fever_temperatures = [round(36.2 + 2.4 * q, 1) for q in quantiles]  # up to 38.6 °C
        self.adult_weights = [round(max(3.0, 55 + 7 * z), 1) for z in self.normal_table]
        self.glucoses = [round(7.6 + 1.8 * z, 1) for z in self.normal_table]  # (about 4 in 10 on target)
        # Month and day of the week of each day of the records (Sundays see fewer patients).
        self.months = [dt.date.fromordinal(d).month for d in range(self.history_start, self.today + 31)]
        self.sundays = [dt.date.fromordinal(d).weekday() == 6 for d in range(self.history_start, self.today + 31)]
        self.family_names = list(FAMILY_NAMES)
        self.family_cumulative = list(itertools.accumulate(FAMILY_NAMES.values()))
        self.names: dict[str, tuple[str, str, str]] = {}
        self.used_ids: set[str] = set()
        self.used_phones: set[str] = set()
        # Acute visits per non-chronic patient, tuned so the total lands near the target.
        self.chronic_share, self.chronic_months = 0.12, 36
        self.acute_mean = max(
            0.0, (visits_per_patient - self.chronic_share * self.chronic_months / 2 * 0.9) / (1 - self.chronic_share)
        )
        self.moved: dict[int, dt.date] = {}
        # One entry per unit of weight: a uniform index picks a diagnosis with its weight.
        names = catalogue or {}
        # Per age group (under 6, 6 to 15, 16 and over), ten entries per unit of weight.
        self.acute_by_age = [
            [_kind(code, names.get(code, text))
             for code, text, *weights in ACUTE for _ in range(round(10 * weights[g]))]
            for g in range(3)
        ]
        self.hypertension = _kind("I10", names.get("I10", "Tăng huyết áp vô căn (nguyên phát)"))
        self.diabetes = _kind("E11.9", names.get("E11.9", "Đái tháo đường typ 2 không biến chứng"))
        self.antenatal = _kind("Z34.9", names.get("Z34.9", "Theo dõi thai bình thường"))
        self.child_check = _kind("Z00.1", names.get("Z00.1", "Khám sức khỏe trẻ em định kỳ"))

    def _age_years(self) -> float:
        """Ages of a rural commune from 3 years up (the younger children are the babies of the
        deliveries recorded in these years, added by ``demo_births``): about 1.5 % of the people
        in each year of age under 16, fewer in each year from 50, a few past 75."""
        r = self.random
        band = r()
        if band < 0.045:
            return RECORD_YEARS + 3 * r()
        if band < 0.195:
            return 6 + 10 * r()
        if band < 0.70:
            return 16 + 34 * r()
        if band < 0.94:
            return 50 + 25 * r()
        x = r()
        return 75 + 20 * x * x

    @staticmethod
    def death_risk(age: float, sex: str) -> float:
        """The chance of dying during the years of records, at ``age`` (today's) and sex."""
        per_1000 = next(rate for lowest, rate in DEATHS_PER_1000 if age >= lowest)
        return 1 - (1 - per_1000 * DEATH_SEX_FACTOR[sex] / 1000) ** RECORD_YEARS

    def _name_columns(self, full_name: str) -> tuple[str, str, str]:
        """(name_lower, name_folded, sort_key): a few thousand names are shared by the whole station."""
        found = self.names.get(full_name)
        if found is None:
            name_words = words(full_name)
            found = (" ".join(name_words), " ".join(fold(w) for w in name_words), name_sort_key(full_name))
            self.names[full_name] = found
        return found

    def patient(self, pid: int, visits: list[tuple[object, ...]]) -> tuple[tuple[object, ...], tuple[object, ...]]:
        """The patient row and search row of patient ``pid``; their visits are appended to ``visits``."""
        r = self.random
        today = self.today
        stamp = self.stamp
        sex = "1" if r() < 0.48 else "2"
        family = self.family_names[bisect.bisect(self.family_cumulative, r() * self.family_cumulative[-1])]
        middles, givens = MIDDLE[sex], GIVEN[sex]
        full_name = f"{family} {middles[int(r() * len(middles))]} {givens[int(r() * len(givens))]}"
        age = self._age_years()
        birth_ord = today - int(age * 365.25)
        birth = dt.date.fromordinal(birth_ord)
        year_only = age > 60 and r() < 0.35
        village = VILLAGES[int(r() * len(VILLAGES))]
        citizen_id = ""
        if age >= 14 and r() < 0.85:
            century_digit = (0 if birth.year < 2000 else 2) + (0 if sex == "1" else 1)
            prefix = f"025{century_digit}{birth.year % 100:02d}"
            while True:
                citizen_id = f"{prefix}{int(r() * 1_000_000):06d}"
                if citizen_id not in self.used_ids:
                    self.used_ids.add(citizen_id)
                    break
        insurance_no = ""
        valid_from = valid_to = None
        insured_until = -1  # the last day of the card: visits after it are not billed to insurance
        if r() < 0.9:
            if age < 6:
                group = "TE"
            elif age >= 60 and r() < 0.4:
                group = "HT"
            else:
                group = INSURANCE_GROUPS[int(r() * len(INSURANCE_GROUPS))]
            social = f"25{int(r() * 10**8):08d}"
            digits = insurance_groups()[group]  # the benefit digit its group carries
            insurance_no = social if r() < 0.5 else f"{group}{digits[int(r() * len(digits))]}25{social}"
            to_ord = today - 120 + int(r() * 451)
            valid_to = dt.date.fromordinal(to_ord).isoformat()
            insured_until = to_ord
            valid_from = dt.date.fromordinal(to_ord - 364).isoformat()
        phone = ""
        if age >= 16 and r() < 0.75:
            while not phone or phone in self.used_phones:
                phone = f"0{PHONE_PREFIXES[int(r() * len(PHONE_PREFIXES))]}{int(r() * 10**7):07d}"
            self.used_phones.add(phone)
        guardian = ""
        guardian_phone = ""
        if age < 16:
            mothers, their_givens = MIDDLE["2"], GIVEN["2"]
            guardian = f"{family} {mothers[int(r() * len(mothers))]} {their_givens[int(r() * len(their_givens))]}"
            guardian_phone = f"09{int(r() * 10**8):08d}"
        ethnicity = "01" if r() < 0.85 else ETHNICITIES[int(r() * len(ETHNICITIES))]
        if age < 6:
            occupation = "Trẻ em"
        elif age < 18:
            occupation = "Học sinh"
        elif age > 65:
            occupation = "Hưu trí"
        else:
            occupation = OCCUPATIONS[int(r() * len(OCCUPATIONS))]
        record_no = make_record_no(pid)
        name_lower, name_folded, sort_key = self._name_columns(full_name)
        # The search words are the folded name's words followed by the identifiers' (index_words).
        identifiers = index_words("", record_no, citizen_id, insurance_no, (phone, guardian_phone))
        search = (pid, f"{name_folded} {identifiers}")

        first_day = max(self.history_start, birth_ord)
        span = today - first_day
        # Some die, some move away, during the years of records: no visit after that day.
        death = moved = None
        if span > 0 and r() < self.death_risk(age, sex):
            death = first_day + int(r() * span)
        elif span > 0 and 18 <= age < 60 and r() < MOVE_3Y:
            moved = first_day + int(r() * span)
            self.moved[pid] = dt.date.fromordinal(moved)
        first_visit = len(visits)
        if span > 0:
            last = death or moved or today
            self._visits(visits, pid, age, sex, birth_ord, first_day, last - first_day, insured_until)
        # Registered at the first visit (or, with none, when the records start or at birth), so the
        # monthly summary's new registrations and the registry's history look like a real station's.
        if len(visits) > first_visit:
            registered = min(map(_VISIT_AT, visits[first_visit:]))
        else:
            registered = f"{self.days[first_day - self.history_start]} 08:00"
        row = (
            pid,
            record_no,
            full_name,
            name_lower,
            name_folded,
            sort_key,
            sex,
            birth.year,
            None if year_only else birth.month,
            None if year_only else birth.day,
            int(year_only),
            citizen_id,
            insurance_no,
            valid_from,
            valid_to,
            "25123" if insurance_no else "",
            phone,
            f"{village}, {COMMUNE}, {PROVINCE}",
            village,
            ethnicity,
            occupation,
            code_lists.VIETNAM,
            listed.code if (listed := code_lists.occupation_for(occupation)) else "",
            PROVINCE_CODE,
            NEIGHBOUR_COMMUNES[pid % 2] if pid % 23 == 0 else STATION_COMMUNE,
            guardian,
            guardian_phone,
            f"{registered}:00",
            stamp,
            int(death is not None),
            dt.date.fromordinal(death).isoformat() if death is not None else None,
        )
        return row, search

    def _visits(
        self,
        visits: list[tuple[object, ...]],
        pid: int,
        age: float,
        sex: str,
        birth: int,
        first_day: int,
        span: int,
        insured_until: int,
    ) -> None:
        """Append the visits of one patient: chronic refills, antenatal care, child checks, acute illness."""
        r = self.random
        today = first_day + span  # the last day of their records (today, or when they died or moved)
        # (day, kind, referred) of each visit, then the visits drawn in one loop.
        plan: list[tuple[int, _VisitKind, int]] = []
        chronic = None
        if age >= 40 and r() < self.chronic_share / 0.45:
            chronic = self.diabetes if r() < 0.25 else self.hypertension
        if chronic:
            # Detected at any time of the records: new cases every month.
            months = min(1 + int(r() * self.chronic_months), span // 30 + 1)
            lapse = r() < 0.2  # stopped coming: overdue refill
            end = today - (35 + int(r() * 166) if lapse else int(r() * 29)) if today == self.today else today
            for m in range(months):
                day = end - 30 * m - 2 + int(r() * 5)
                if self.sundays[day - self.history_start] and day < today:
                    day += 1  # (the refill on the Monday)
                if first_day <= day <= today:
                    plan.append((day, chronic, 0))
        elif sex == "2" and 18 <= age <= 40 and r() < 0.05:
            # A current pregnancy, seen for antenatal care.
            day = today - 60 - int(r() * 191) + 50 + int(r() * 21)
            while day <= today:
                plan.append((day, self.antenatal, 0))
                day += 28 + int(r() * 18)
        if age < 2 and r() < 0.7:
            day = birth + 25 + int(r() * 21)
            while day <= today:
                plan.append((day, self.child_check, 0))
                day += 55 + int(r() * 46)
        young = age - span / 365.25  # (the age when the records begin: a child then has a child's illnesses)
        acute = self.acute_by_age[0 if young < 6 else 1 if young < 16 else 2]
        n_acute = len(acute)
        base = self.history_start
        month_of, sundays = self.months, self.sundays
        for _ in range(int(-math.log(1.0 - r()) * self.acute_mean)):  # exponentially distributed
            kind = acute[int(r() * n_acute)]
            day = first_day + int(r() * (span + 1))
            season = SEASONS.get(kind[0])
            if season is not None:  # drawn again (a few times) until it falls in its season
                for _try in range(8):
                    if month_of[day - base] in season:
                        break
                    day = first_day + int(r() * (span + 1))
                else:
                    continue
            elif sundays[day - base] and r() < 0.6:  # about half as many on Sundays
                day = first_day + int(r() * (span + 1))
            plan.append((day, kind, int(r() < REFERRED_CODES.get(kind[0], 0.0))))

        days, times, now_time = self.days, self.times, self.now_time
        n_times = len(times)
        clinicians = self.clinicians
        n_clinicians = len(clinicians)
        normal = self.normal_table
        steps = len(normal)
        temperatures, fever_temperatures, glucoses = self.temperatures, self.fever_temperatures, self.glucoses
        stamp = self.stamp
        adult = age >= 16
        weights = self.adult_weights if adult else None
        child_weight = 8 + age * 2.5
        add = visits.append
        for day, kind, referred in plan:
            code, text, complaint, treatment, bp_mean, fever, diabetic, chronic_care, antenatal = kind
            at = times[int(r() * n_times)]
            if day == today and at > now_time:
                at = now_time
            clinician_id, clinician_name = clinicians[int(r() * n_clinicians)]
            systolic = diastolic = glucose = None
            if adult and (chronic_care or r() < 0.6):
                systolic = int(bp_mean + 14 * normal[int(r() * steps)])
                diastolic = min(systolic - 25, int(systolic * 0.62 + 7 * normal[int(r() * steps)]))
                if chronic_care and systolic >= 185 and r() < 0.3:
                    referred = 1  # uncontrolled: to the district for a review of the treatment
            if diabetic:
                glucose = glucoses[int(r() * steps)]
            if weights:
                weight = weights[int(r() * steps)]
            else:
                weight = round(max(3.0, child_weight + 7 * normal[int(r() * steps)]), 1)
            if chronic_care:
                follow = days[day - base + 30]
            elif r() < 0.08:
                follow = days[day - base + 7]
            else:
                follow = None
            add(
                (
                    pid,
                    f"{days[day - base]} {at}",
                    complaint,
                    systolic,
                    diastolic,
                    62 + int(r() * 35),
                    (fever_temperatures if fever else temperatures)[int(r() * steps)],
                    weight,
                    glucose,
                    code,
                    text,
                    treatment,
                    clinician_id,
                    clinician_name,
                    int(day <= insured_until),
                    follow,
                    referred,
                    30 if chronic_care else None,
                    antenatal,
                    stamp,
                    stamp,
                )
            )
