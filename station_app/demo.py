"""A realistic, synthetic station for demonstrations, screenshots and benchmarks.

Deterministic for a seed and a "today": Vietnamese names drawn with real family-name
frequencies, villages, ages from newborn to 95, chronic patients seen monthly, children,
pregnant women, common primary-care diagnoses and a few referrals. Every person is invented.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from station_app import clock
from station_app.domain.identifiers import make_record_no
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
COMMUNE = "xã Tân Phú"
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
STAFF = [
    ("Nguyễn Văn Hùng", "Bác sĩ, Trạm trưởng"),
    ("Trần Thị Mai", "Y sĩ đa khoa"),
    ("Lê Thị Hồng", "Nữ hộ sinh"),
    ("Phạm Đức Long", "Điều dưỡng"),
]

# Common primary-care diagnoses (code, Vietnamese text, relative weight).
ACUTE = [
    ("J00", "Viêm mũi họng cấp", 18),
    ("J06.9", "Nhiễm trùng đường hô hấp trên cấp", 14),
    ("J20.9", "Viêm phế quản cấp", 7),
    ("J02.9", "Viêm họng cấp", 9),
    ("K29.7", "Viêm dạ dày", 6),
    ("A09", "Tiêu chảy, viêm dạ dày ruột do nhiễm trùng", 5),
    ("M54.5", "Đau lưng vùng thắt lưng", 6),
    ("R50.9", "Sốt, không xác định", 5),
    ("L30.9", "Viêm da", 3),
    ("H10.9", "Viêm kết mạc", 3),
    ("K02.9", "Sâu răng", 2),
    ("N39.0", "Nhiễm trùng đường tiết niệu", 3),
    ("M17.9", "Thoái hóa khớp gối", 3),
    ("R51", "Đau đầu", 4),
    ("T14.1", "Vết thương hở", 3),
    ("B86", "Ghẻ", 1),
    ("J45.9", "Hen phế quản", 2),
    ("E78.5", "Rối loạn lipid máu", 2),
    ("K59.0", "Táo bón", 2),
    ("R42", "Chóng mặt", 2),
]
ACUTE_WEIGHTS = [w for _, _, w in ACUTE]
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
    "guardian_name",
    "guardian_phone",
    "created_at",
    "updated_at",
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
    "created_at",
    "updated_at",
)


@dataclass
class DemoSummary:
    patients: int
    visits: int
    seconds: float


class DemoExists(FileExistsError):
    pass


def _weighted(rng: random.Random, table: dict[str, float]) -> Callable[[], str]:
    names = list(table)
    cumulative = []
    total = 0.0
    for name in names:
        total += table[name]
        cumulative.append(total)

    def pick() -> str:
        return rng.choices(names, cum_weights=cumulative)[0]

    return pick


def _age_years(rng: random.Random) -> float:
    """Ages of a rural commune: many children and older adults come to the station."""
    band = rng.random()
    if band < 0.04:
        return rng.uniform(0, 1)
    if band < 0.10:
        return rng.uniform(1, 6)
    if band < 0.22:
        return rng.uniform(6, 16)
    if band < 0.62:
        return rng.uniform(16, 50)
    if band < 0.90:
        return rng.uniform(50, 75)
    return rng.uniform(75, 95)


def generate(
    path: Path,
    patients: int = 2000,
    seed: int = 1,
    visits_per_patient: float = 10.0,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Write a demo database at ``path`` (refusing to overwrite unless ``force``)."""
    started = dt.datetime.now()
    path = Path(path)
    if path.exists():
        if not force:
            raise DemoExists(str(path))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    store = open_store(path)
    # A demo file that a crash cuts short is made again, not recovered: no wait for the disk at
    # each of the generator's commits (the referrals alone are a few hundred).
    store.conn.execute("PRAGMA synchronous = OFF")
    try:
        # Bulk loading is faster into bare tables: drop the indexes of patients and visits, then
        # make them again, from their own definitions, once the rows are in.
        indexes = store.conn.execute(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('patients', 'visits')"
        ).fetchall()
        for name, _sql in indexes:
            store.conn.execute(f'DROP INDEX "{name}"')
        total_visits = _fill(store, patients, seed, visits_per_patient, progress)
        with store.write():
            for _name, sql in indexes:
                store.conn.execute(sql)
        from station_app.demo_followups import add_followups

        add_followups(store, seed, clock.today(), clock.now().isoformat(sep=" ", timespec="seconds"))
        store.conn.execute("PRAGMA optimize")
        store.conn.execute("ANALYZE")
    finally:
        store.close()
    return DemoSummary(patients, total_visits, (dt.datetime.now() - started).total_seconds())


# The demo station's accounts (documented in the README): user name, full name, role, password.
DEMO_ACCOUNTS = (
    ("truong", STAFF[0][0], "head", "demo-truong"),
    ("yta.mai", STAFF[1][0], "nurse", "demo-yta"),
    ("quantri", "Quản trị hệ thống", "admin", "demo-quantri"),
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
) -> int:
    rng = random.Random(seed)
    today = clock.today()
    history_start = today - dt.timedelta(days=3 * 365)
    family = _weighted(rng, FAMILY_NAMES)

    save_profile(
        store,
        StationProfile(
            name="Trạm Y tế xã Tân Phú",
            governing_body="UBND XÃ TÂN PHÚ",
            commune="Xã Tân Phú",
            province="Phú Thọ",
            facility_code="25123",
            address=f"Thôn Trung, {COMMUNE}, {PROVINCE}",
            phone="02103871234",
            head_name=STAFF[0][0],
            head_title="Trạm trưởng",
        ),
    )
    staff_ids = [save_staff(store, StaffMember(name, title)).id for name, title in STAFF]
    save_villages(store, VILLAGES)
    add_demo_accounts(store)

    # Acute visits per non-chronic patient, tuned so the total lands near the target.
    chronic_share, chronic_months = 0.09, 30
    acute_mean = max(0.0, (visits_per_patient - chronic_share * chronic_months * 0.9) / (1 - chronic_share))
    stamp = clock.now().isoformat(sep=" ", timespec="seconds")
    used_ids: set[str] = set()
    used_phones: set[str] = set()
    total_visits = 0
    batch = 5000
    with store.write():
        for start in range(0, n_patients, batch):
            patient_rows = []
            search_rows = []
            visit_rows: list[tuple[object, ...]] = []
            for pid in range(start + 1, min(start + batch, n_patients) + 1):
                row, search, visits = _patient(
                    rng,
                    pid,
                    today,
                    history_start,
                    family,
                    used_ids,
                    used_phones,
                    stamp,
                    staff_ids,
                    acute_mean,
                    chronic_share,
                    chronic_months,
                )
                patient_rows.append(row)
                search_rows.append(search)
                visit_rows.extend(visits)
            insert_rows(store, "patients", PATIENT_COLUMNS, patient_rows)
            insert_rows(store, "patient_search", ("rowid", "words"), search_rows)
            insert_rows(store, "visits", VISIT_COLUMNS, visit_rows)
            total_visits += len(visit_rows)
            if progress:
                progress(min(start + batch, n_patients), n_patients)
    return total_visits


def _patient(
    rng: random.Random,
    pid: int,
    today: dt.date,
    history_start: dt.date,
    family: Callable[[], str],
    used_ids: set[str],
    used_phones: set[str],
    stamp: str,
    staff_ids: list[int | None],
    acute_mean: float,
    chronic_share: float,
    chronic_months: int,
) -> tuple[tuple[object, ...], tuple[object, ...], list[tuple[object, ...]]]:
    sex = "1" if rng.random() < 0.48 else "2"
    full_name = f"{family()} {rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}"
    age = _age_years(rng)
    birth = today - dt.timedelta(days=int(age * 365.25))
    year_only = age > 60 and rng.random() < 0.35
    village = rng.choice(VILLAGES)
    citizen_id = ""
    if age >= 14 and rng.random() < 0.85:
        while True:
            century_digit = (0 if birth.year < 2000 else 2) + (0 if sex == "1" else 1)
            citizen_id = f"025{century_digit}{birth.year % 100:02d}{rng.randrange(1_000_000):06d}"
            if citizen_id not in used_ids:
                used_ids.add(citizen_id)
                break
    insurance_no = ""
    valid_from = valid_to = None
    if rng.random() < 0.9:
        group = (
            "TE" if age < 6 else ("HT" if age >= 60 and rng.random() < 0.4 else rng.choice(["GD", "CN", "HN", "BT"]))
        )
        social = f"25{rng.randrange(10**8):08d}"
        insurance_no = social if rng.random() < 0.5 else f"{group}{rng.randint(1, 5)}25{social}"
        valid_to = today + dt.timedelta(days=rng.randint(-120, 330))
        valid_from = valid_to - dt.timedelta(days=364)
    phone = ""
    if age >= 16 and rng.random() < 0.75:
        while not phone or phone in used_phones:
            phone = (
                "0"
                + rng.choice(
                    [
                        "32",
                        "33",
                        "34",
                        "35",
                        "36",
                        "37",
                        "38",
                        "39",
                        "86",
                        "96",
                        "97",
                        "98",
                        "91",
                        "94",
                        "88",
                        "81",
                        "82",
                        "83",
                        "84",
                        "85",
                        "70",
                        "76",
                        "77",
                        "78",
                        "79",
                        "90",
                        "93",
                        "89",
                        "56",
                        "58",
                    ]
                )
                + f"{rng.randrange(10**7):07d}"
            )
        used_phones.add(phone)
    guardian = ""
    guardian_phone = ""
    if age < 16:
        guardian = f"{full_name.split()[0]} {rng.choice(MIDDLE['2'])} {rng.choice(GIVEN['2'])}"
        guardian_phone = "09" + f"{rng.randrange(10**8):08d}"
    record_no = make_record_no(pid)
    name_words = words(full_name)
    row = (
        pid,
        record_no,
        full_name,
        " ".join(name_words),
        " ".join(fold(w) for w in name_words),
        name_sort_key(full_name),
        sex,
        birth.year,
        None if year_only else birth.month,
        None if year_only else birth.day,
        int(year_only),
        citizen_id,
        insurance_no,
        valid_from.isoformat() if valid_from else None,
        valid_to.isoformat() if valid_to else None,
        "25123" if insurance_no else "",
        phone,
        f"{village}, {COMMUNE}, {PROVINCE}",
        village,
        "01" if rng.random() < 0.85 else rng.choice(["03", "06", "09", "02", "07"]),
        "Trẻ em" if age < 6 else ("Học sinh" if age < 18 else ("Hưu trí" if age > 65 else rng.choice(OCCUPATIONS))),
        guardian,
        guardian_phone,
        stamp,
        stamp,
    )
    search = (pid, index_words(full_name, record_no, citizen_id, insurance_no, (phone, guardian_phone)))

    visits: list[tuple[object, ...]] = []
    first_day = max(history_start, birth)
    span = (today - first_day).days
    insured = bool(insurance_no)

    def visit(day: dt.date, code: str, text: str, chronic: bool = False, refer: bool = False) -> None:
        minutes = rng.randint(7 * 60, 16 * 60 + 30)
        # Never later than "now": today's visits are the ones already seen.
        at = min(dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60)), dt.datetime.fromisoformat(stamp))
        clinician = rng.randrange(len(STAFF))
        sys_bp = dia_bp = glucose = None
        if age >= 16 and (chronic or rng.random() < 0.6):
            base = 150 if code == "I10" else 122
            sys_bp = int(rng.gauss(base, 14))
            dia_bp = int(min(sys_bp - 25, rng.gauss(sys_bp * 0.62, 7)))
        if code == "E11.9":
            glucose = round(rng.gauss(8.2, 2.0), 1)
        follow = None
        if chronic:
            follow = (day + dt.timedelta(days=30)).isoformat()
        elif rng.random() < 0.08:
            follow = (day + dt.timedelta(days=7)).isoformat()
        visits.append(
            (
                pid,
                at.isoformat(sep=" ", timespec="minutes"),
                COMPLAINTS.get(code, ""),
                sys_bp,
                dia_bp,
                rng.randint(62, 96),
                round(rng.uniform(36.2, 38.6 if code in ("R50.9", "J06.9") else 37.2), 1),
                round(max(3.0, rng.gauss(55 if age >= 16 else 8 + age * 2.5, 7)), 1),
                glucose,
                code,
                text,
                TREATMENTS.get(code, "Điều trị triệu chứng, hẹn khám lại nếu không đỡ"),
                staff_ids[clinician],
                STAFF[clinician][0],
                int(insured),
                follow,
                int(refer),
                stamp,
                stamp,
            )
        )

    if span <= 0:
        return row, search, visits
    chronic_code = None
    if age >= 40 and rng.random() < chronic_share / 0.45:
        chronic_code = "E11.9" if rng.random() < 0.25 else "I10"
    if chronic_code:
        months = min(chronic_months + rng.randint(-6, 6), span // 30)
        lapse = rng.random() < 0.2  # stopped coming: overdue refill
        end = today - dt.timedelta(days=rng.randint(35, 200) if lapse else rng.randint(0, 28))
        text = (
            "Tăng huyết áp vô căn (nguyên phát)" if chronic_code == "I10" else "Đái tháo đường typ 2 không biến chứng"
        )
        for m in range(months):
            day = end - dt.timedelta(days=30 * m + rng.randint(-2, 2))
            if day >= first_day and day <= today:
                visit(day, chronic_code, text, chronic=True)
    elif sex == "2" and 18 <= age <= 40 and rng.random() < 0.05:
        # A current pregnancy, seen for antenatal care.
        start_preg = today - dt.timedelta(days=rng.randint(60, 250))
        day = start_preg + dt.timedelta(days=rng.randint(50, 70))
        while day <= today:
            visit(day, "Z34.9", "Theo dõi thai bình thường")
            day += dt.timedelta(days=rng.randint(28, 45))
    if age < 2 and rng.random() < 0.7:
        day = birth + dt.timedelta(days=rng.randint(25, 45))
        while day <= today:
            visit(day, "Z00.1", "Khám sức khỏe trẻ em định kỳ")
            day += dt.timedelta(days=rng.randint(55, 100))
    k = int(rng.expovariate(1 / acute_mean)) if acute_mean > 0 else 0
    for _ in range(k):
        code, text, _weight = rng.choices(ACUTE, weights=ACUTE_WEIGHTS)[0]
        day = first_day + dt.timedelta(days=rng.randrange(span + 1))
        visit(day, code, text, refer=rng.random() < 0.003)
    # Registered at the first visit (or, with none, when the records start or at birth), so the
    # monthly summary's new registrations and the registry's history look like a real station's.
    registered = min((v[1] for v in visits), default=None) or f"{first_day.isoformat()} 08:00"
    row = (*row[:-2], f"{registered}:00", stamp)
    return row, search, visits
