"""``main.py users set-password``: the way back in when the only head forgot their password."""

from __future__ import annotations

import io

import pytest

from station_app.cli import EXIT_ERROR, EXIT_OK, main
from station_app.domain import accounts
from station_app.store import audit, open_store, users
from station_app.store.errors import StoreError

NEW = "mat-khau-moi-2026"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def lock_out(db, username: str) -> None:
    store = open_store(db)
    try:
        for _ in range(accounts.MAX_FAILED_ATTEMPTS):
            with pytest.raises(StoreError):
                users.login(store, username, "not the password")
    finally:
        store.close()


def test_a_locked_out_head_gets_a_new_password_and_is_unlocked(capsys, monkeypatch, demo_copy) -> None:
    lock_out(demo_copy, "truong")
    monkeypatch.setenv("TRAM_NEW_PASSWORD", NEW)
    code, out, err = run(capsys, "users", "set-password", "--db", str(demo_copy), "--user", "truong")
    assert (code, err) == (EXIT_OK, "")
    assert "truong" in out and "mở khóa" in out
    store = open_store(demo_copy)
    try:
        assert users.login(store, "truong", NEW).username == "truong"  # unlocked, new password
        with pytest.raises(StoreError):
            users.login(store, "truong", "demo-truong")  # the old one no longer opens it
        last = next(e for e in audit.entries(store) if e.action == audit.MANAGE_USERS)
        assert last.role == "system"
    finally:
        store.close()


def test_unknown_account_weak_password_and_no_terminal_are_refused(capsys, monkeypatch, demo_copy) -> None:
    monkeypatch.setenv("TRAM_NEW_PASSWORD", NEW)
    code, _, err = run(capsys, "users", "set-password", "--db", str(demo_copy), "--user", "khong-co")
    assert code == EXIT_ERROR and "khong-co" in err and len(err.strip().splitlines()) == 1
    monkeypatch.setenv("TRAM_NEW_PASSWORD", "ngan")
    code, _, err = run(capsys, "users", "set-password", "--db", str(demo_copy), "--user", "truong")
    assert code == EXIT_ERROR and len(err.strip().splitlines()) == 1
    monkeypatch.delenv("TRAM_NEW_PASSWORD")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = run(capsys, "users", "set-password", "--db", str(demo_copy), "--user", "truong")
    assert code == EXIT_ERROR and "TRAM_NEW_PASSWORD" in err
    store = open_store(demo_copy)
    try:  # nothing was changed by the refusals
        assert users.login(store, "truong", "demo-truong").username == "truong"
    finally:
        store.close()
