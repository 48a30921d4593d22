"""The station profile (printed on every form: the head's name goes on every signature line),
the staff list and the villages. Changing them is the head's (``Permission.EDIT_STATION``) and
each change is in the audit log with what it replaced."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from station_app.domain.accounts import Permission
from station_app.store import audit
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
    """A person of the station; ``username`` is their login, empty for a person without one."""

    full_name: str
    title: str = ""
    active: bool = True
    id: int | None = None
    username: str = ""
    role: str = ""


def load_profile(store: Store) -> StationProfile:
    rows = store.query(
        "SELECT name, governing_body, commune, province, facility_code, address, phone, head_name, "
        "head_title FROM station WHERE id = 1"
    )
    return StationProfile(**rows[0]) if rows else StationProfile()


def save_profile(store: Store, profile: StationProfile) -> None:
    values = {k: v.strip() for k, v in asdict(profile).items()}
    assignments = ", ".join(f"{k} = :{k}" for k in values)
    with store.write(Permission.EDIT_STATION):
        before = asdict(load_profile(store))
        changed = {k: before[k] for k, v in values.items() if before[k] != v}
        if changed:
            audit.record(store, audit.UPDATE, "station", {"fields": sorted(changed), "before": changed})
            store.conn.execute(f"UPDATE station SET {assignments} WHERE id = 1", values)


def staff(store: Store, active_only: bool = True, clinicians: bool = False) -> list[StaffMember]:
    """The station's people with their login if they have one. ``clinicians`` leaves out the
    people whose only account is the administrator's (no clinical entries)."""
    clauses = []
    if active_only:
        clauses.append("s.active = 1")
    if clinicians:
        clauses.append("coalesce(u.role, '') <> 'admin'")
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = store.query(
        "SELECT s.id, s.full_name, s.title, s.active, coalesce(u.username, '') AS username, "
        "coalesce(u.role, '') AS role FROM staff s "
        "LEFT JOIN users u ON u.id = (SELECT min(id) FROM users WHERE staff_id = s.id) "
        f"{where} ORDER BY s.id"
    )
    return [
        StaffMember(
            id=r["id"],
            full_name=str(r["full_name"]),
            title=str(r["title"]),
            active=bool(r["active"]),
            username=str(r["username"]),
            role=str(r["role"]),
        )
        for r in rows
    ]


def save_staff(store: Store, member: StaffMember) -> StaffMember:
    with store.write(Permission.EDIT_STATION):
        if member.id is None:
            cursor = store.conn.execute(
                "INSERT INTO staff (full_name, title, active) VALUES (?, ?, ?)",
                (member.full_name.strip(), member.title.strip(), int(member.active)),
            )
            audit.record(store, audit.CREATE, ("staff", cursor.lastrowid),
                         {"full_name": member.full_name.strip(), "title": member.title.strip()})
            return StaffMember(member.full_name.strip(), member.title.strip(), member.active, cursor.lastrowid)
        rows = store.query("SELECT full_name, title, active FROM staff WHERE id = ?", (member.id,))
        after = {"full_name": member.full_name.strip(), "title": member.title.strip(), "active": int(member.active)}
        changed = {k: v for k, v in (rows[0] if rows else {}).items() if after[k] != v}
        if changed:
            audit.record(store, audit.UPDATE, ("staff", member.id), {"fields": sorted(changed), "before": changed})
            store.conn.execute(
                "UPDATE staff SET full_name = ?, title = ?, active = ? WHERE id = ?",
                (member.full_name.strip(), member.title.strip(), int(member.active), member.id),
            )
            # One person: the account shows the name the staff list gives them.
            store.conn.execute(
                "UPDATE users SET full_name = ? WHERE staff_id = ?", (member.full_name.strip(), member.id)
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
    with store.write(Permission.EDIT_STATION):
        before = [r[0] for r in store.conn.execute("SELECT name FROM villages ORDER BY id")]
        after = list(dict.fromkeys(n.strip() for n in names if n.strip()))
        if after == before:
            return
        audit.record(store, audit.UPDATE, "villages", {"before": before, "after": after})
        store.conn.execute("DELETE FROM villages")
        store.conn.executemany("INSERT INTO villages (name) VALUES (?)", [(n,) for n in after])
