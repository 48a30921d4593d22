"""The lists the command line prints (``find``, ``followups``, ``referrals``, ``notifications``,
``audit log``, ``claims --check``) leave the program as an export does: each run is one entry in
the audit log, under the local operator, saying what was listed (the command, its filters, how
many rows, text or JSON) and never the rows; ``audit log`` shows it. From a read-only file the list
is printed all the same, and the command says it could not be recorded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from station_app import clock
from station_app.cli import EXIT_OK, main
from station_app.cli.claims import EXIT_HELD
from station_app.domain.accounts import SYSTEM
from station_app.store import audit, open_store
from tests.conftest import TODAY
from tests.safety.conftest import fingerprint
from tests.safety.test_faults import read_only

# (the command as the entry names it, its arguments, the filters the entry keeps)
LISTINGS = [
    ("find", ["find", "nguyen", "--limit", "5"], {"query": "nguyen", "limit": 5}),
    ("find", ["find", "nguyen", "--json"], {"query": "nguyen", "limit": 20}),
    ("followups", ["followups", "--as-of", "2025-11-20", "--section", "overdue"],
     {"as_of": "2025-11-20", "section": "overdue"}),
    ("followups", ["followups", "--json"], {"as_of": TODAY.isoformat()}),
    ("referrals", ["referrals", "--from", "01/01/2025", "--to", "2025-11-20", "--json"],
     {"from": "2025-01-01", "to": "2025-11-20"}),
    ("referrals", ["referrals"], {}),
    ("notifications", ["notifications"], {}),
    ("audit log", ["audit", "log", "--action", "update", "--limit", "7"], {"action": "update", "limit": 7}),
    ("claims --check", ["claims", "--from", "2025-10-01", "--to", "2025-10-31", "--out", "{out}", "--check", "--json"],
     {"from": "2025-10-01", "to": "2025-10-31"}),
]
IDS = [" ".join(argv[:3]) + (" json" if "--json" in argv else "") for _name, argv, _filters in LISTINGS]


def run(capsys, db: Path, argv: list[str], out: Path) -> tuple[str, str]:
    """The command on ``db`` (``--db`` after its name), with the clock on the test's day."""
    words = 2 if argv[0] == "audit" else 1
    args = [a.format(out=out) for a in argv]
    with clock.pinned(TODAY):
        code = main([*args[:words], "--db", str(db), *args[words:]])
    stdout, stderr = capsys.readouterr()
    assert code == (EXIT_HELD if argv[0] == "claims" else EXIT_OK), stderr  # (the demo holds some back)
    return stdout, stderr


def log_of(db: Path) -> list[audit.Entry]:
    store = open_store(db)
    try:
        store.actor = SYSTEM
        return audit.entries(store, audit.Filter(limit=1_000_000))
    finally:
        store.close()


@pytest.mark.parametrize(("name", "argv", "filters"), LISTINGS, ids=IDS)
def test_each_listing_is_one_audit_entry_with_what_was_listed(capsys, demo_copy, tmp_path, name, argv, filters):
    before = {e.id for e in log_of(demo_copy)}
    stdout, stderr = run(capsys, demo_copy, argv, tmp_path / "claims")
    lines = stdout.splitlines()
    assert lines, "the demo station has something to list"
    new = [e for e in log_of(demo_copy) if e.id not in before]
    assert len(new) == 1, [(e.action, e.target) for e in new]
    entry = new[0]
    assert (entry.action, entry.target_type, entry.target_id) == (audit.EXPORT, "command_line", name)
    assert (entry.username, entry.role) == ("system", "system") and entry.details.get("os_user")
    shown = {k: v for k, v in entry.details.items() if k != "os_user"}
    assert shown == {"format": "json" if "--json" in argv else "text", "rows": len(lines), **filters}
    # what was listed, never the rows themselves
    written = json.dumps(entry.details, ensure_ascii=False)
    for line in lines:
        assert line not in written
        if line.startswith("{"):
            row = json.loads(line)
            for key in ("full_name", "username", "phone"):
                if row.get(key):
                    assert str(row[key]) not in written, key
    assert "nhật ký" not in stderr  # (recorded: nothing to say)


def test_audit_log_lists_the_entry_of_a_listing(capsys, demo_copy, tmp_path):
    stdout, _ = run(capsys, demo_copy, ["find", "nguyen", "--limit", "3"], tmp_path)
    assert len(stdout.splitlines()) == 3
    stdout, _ = run(capsys, demo_copy, ["audit", "log", "--action", "export", "--limit", "1", "--json"], tmp_path)
    (line,) = stdout.splitlines()
    listed = json.loads(line)
    assert listed["target"] == "command_line find" and listed["username"] == "system"
    assert listed["details"]["rows"] == 3 and listed["details"]["query"] == "nguyen"
    stdout, _ = run(capsys, demo_copy, ["audit", "log", "--action", "export", "--limit", "1"], tmp_path)
    assert "command_line audit log" in stdout  # the listing before it is in the log too


@pytest.mark.parametrize(("name", "argv", "filters"), LISTINGS, ids=IDS)
def test_a_read_only_file_still_lists_and_says_it_was_not_recorded(capsys, demo_copy, tmp_path, name, argv,
                                                                   filters):
    folder = tmp_path / "medium"
    folder.mkdir()
    db = folder / "tram.sqlite3"
    shutil.copyfile(demo_copy, db)
    if argv[0] == "audit":  # (its own entry would be listed next time: compare with a listing of a copy)
        expected, _ = run(capsys, demo_copy, argv, tmp_path / "claims")
    before = fingerprint(db)
    with read_only(db):
        stdout, stderr = run(capsys, db, argv, tmp_path / "claims")
    assert fingerprint(db) == before
    assert stderr == "Cơ sở dữ liệu chỉ cho phép đọc: việc này không được ghi vào nhật ký truy cập.\n"
    if argv[0] != "audit":
        expected, _ = run(capsys, db, argv, tmp_path / "claims")  # (writable again: recorded this time)
    assert stdout == expected and stdout
