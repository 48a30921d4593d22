"""The station profile (printed on every form) and the staff list."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from station_app.store.database import Store


@dataclass
class StationProfile:
    name: str = ""
    governing_body: str = ""
    commune: str = ""
    province: str = ""
    facility_code: str = ""
    address: str = ""
    phone: str = ""
    head_name: str = ""
    head_title: str = ""


@dataclass
class StaffMember:
    full_name: str
    title: str = ""
    active: bool = True
    id: int | None = None


def load_profile(store: Store) -> StationProfile:
    rows = store.query(
        "SELECT name, governing_body, commune, province, facility_code, address, phone, head_name, "
        "head_title FROM station WHERE id = 1"
    )
    return StationProfile(**rows[0]) if rows else StationProfile()


def save_profile(store: Store, profile: StationProfile) -> None:
    values = {k: v.strip() for k, v in asdict(profile).items()}
    assignments = ", ".join(f"{k} = :{k}" for k in values)
    with store.write():
        store.conn.execute(f"UPDATE station SET {assignments} WHERE id = 1", values)


def staff(store: Store, active_only: bool = True) -> list[StaffMember]:
    where = "WHERE active = 1" if active_only else ""
    rows = store.query(f"SELECT id, full_name, title, active FROM staff {where} ORDER BY id")
    return [StaffMember(id=r["id"], full_name=r["full_name"], title=r["title"], active=bool(r["active"])) for r in rows]


def save_staff(store: Store, member: StaffMember) -> StaffMember:
    with store.write():
        if member.id is None:
            cursor = store.conn.execute(
                "INSERT INTO staff (full_name, title, active) VALUES (?, ?, ?)",
                (member.full_name.strip(), member.title.strip(), int(member.active)),
            )
            return StaffMember(member.full_name.strip(), member.title.strip(), member.active, cursor.lastrowid)
        store.conn.execute(
            "UPDATE staff SET full_name = ?, title = ?, active = ? WHERE id = ?",
            (member.full_name.strip(), member.title.strip(), int(member.active), member.id),
        )
    return member


def villages(store: Store) -> list[str]:
    """The station's villages: its own list, then any other village written on a patient."""
    own = [r[0] for r in store.conn.execute("SELECT name FROM villages ORDER BY id")]
    seen = set(own)
    extra = [
        r[0]
        for r in store.conn.execute("SELECT DISTINCT village FROM patients WHERE village <> '' ORDER BY 1")
        if r[0] not in seen
    ]
    return own + extra


def save_villages(store: Store, names: list[str]) -> None:
    with store.write():
        store.conn.execute("DELETE FROM villages")
        store.conn.executemany(
            "INSERT OR IGNORE INTO villages (name) VALUES (?)", [(n.strip(),) for n in names if n.strip()]
        )
