"""The README's role table is the program's: ``domain.accounts.PERMISSIONS``, word for word."""

from __future__ import annotations

from pathlib import Path

from station_app.domain.accounts import PERMISSION_NAMES, PERMISSIONS, Permission, Role

README = Path(__file__).resolve().parent.parent / "README.md"
COLUMNS = (Role.NURSE, Role.HEAD, Role.ADMIN)


def _table() -> dict[str, list[str]]:
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index("| Permission | Nurse | Head of station | Administrator |")
    rows: dict[str, list[str]] = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def test_the_readme_role_table_is_the_permission_table() -> None:
    expected = {
        PERMISSION_NAMES[p][0].upper() + PERMISSION_NAMES[p][1:]: ["✓" if p in PERMISSIONS[r] else "—" for r in COLUMNS]
        for p in Permission
    }
    assert _table() == expected
