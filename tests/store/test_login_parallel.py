"""Issue 15, point 6: the lockout holds when wrong passwords arrive at once (each attempt counts),
and passwords are hashed at the current scrypt cost (old hashes upgraded at the next login)."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest

from station_app.domain import accounts
from station_app.domain.accounts import ANYONE, Role
from station_app.store import audit, open_store, users

ATTEMPTS = 12


@pytest.fixture
def station(tmp_path: Path) -> Path:
    path = tmp_path / "station.sqlite3"
    store = open_store(path)
    try:
        users.create_first_head(store, "truong", "Nguyễn Văn Hùng", "tram-truong")
        users.create(store, "yta.mai", "Trần Thị Mai", "tram-yta-1", Role.NURSE)
    finally:
        store.close()
    return path


def _failed_attempts(path: Path) -> int:
    store = open_store(path, create=False)
    try:
        user = users.by_username(store, "yta.mai")
        assert user is not None
        return user.failed_attempts
    finally:
        store.close()


def test_wrong_passwords_at_once_each_count(station: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Twelve connections check a wrong password at the same moment: every one of them has read the
    account before any of them writes, and still the account ends with twelve failures (locked)."""
    together = threading.Barrier(ATTEMPTS, timeout=30)
    real_verify = accounts.verify_password

    def verify_together(password: str, stored: str) -> bool:
        ok = real_verify(password, stored)
        together.wait()  # every attempt has read the count and checked its password
        return ok

    monkeypatch.setattr(accounts, "verify_password", verify_together)
    outcomes: list[str] = []
    problems: list[BaseException] = []

    def attempt() -> None:
        store = open_store(station, create=False, verify=False)
        try:
            users.login(store, "yta.mai", "wrong-password")
        except (users.LoginFailed, users.AccountLocked) as exc:
            outcomes.append(type(exc).__name__)
        except BaseException as exc:
            problems.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=attempt) for _ in range(ATTEMPTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert problems == []
    assert len(outcomes) == ATTEMPTS
    assert _failed_attempts(station) == ATTEMPTS
    # The account is locked: even the right password is refused now.
    store = open_store(station, create=False)
    try:
        with pytest.raises(users.AccountLocked):
            users.login(store, "yta.mai", "tram-yta-1")
    finally:
        store.close()


def _login_in_process(path: str, start: multiprocessing.synchronize.Event) -> str:  # type: ignore[name-defined]
    store = open_store(Path(path), create=False, verify=False)
    try:
        start.wait(30)
        users.login(store, "yta.mai", "wrong-password")
        return "ok"
    except users.LoginFailed:
        return "failed"
    except users.AccountLocked:
        return "locked"
    finally:
        store.close()


def test_wrong_passwords_from_many_processes_each_count(station: Path) -> None:
    """The same from separate programs (as twelve copies of the app would): every wrong password
    that was checked is counted (attempts arriving after the lock are refused before any check),
    and the account ends locked."""
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with context.Manager() as manager:
        start = manager.Event()
        with context.Pool(ATTEMPTS) as pool:
            pending = [pool.apply_async(_login_in_process, (str(station), start)) for _ in range(ATTEMPTS)]
            start.set()
            outcomes = [p.get(120) for p in pending]
    assert "ok" not in outcomes
    store = open_store(station, create=False)
    try:
        checked = [e for e in audit.entries(store, audit.Filter(action=audit.FAILED_LOGIN))
                   if e.details.get("reason") == "wrong password"]
    finally:
        store.close()
    assert _failed_attempts(station) == len(checked) >= accounts.MAX_FAILED_ATTEMPTS
    assert sorted(int(e.details["attempt"]) for e in checked) == list(range(1, len(checked) + 1))  # type: ignore[call-overload]


def test_a_right_password_is_refused_once_others_locked_the_account(station: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A guess that was being checked while five wrong ones were recorded does not get in."""
    store = open_store(station, create=False)
    other = open_store(station, create=False)
    real_verify = accounts.verify_password

    def meanwhile(password: str, stored: str) -> bool:
        monkeypatch.setattr(accounts, "verify_password", real_verify)
        for _ in range(accounts.MAX_FAILED_ATTEMPTS):
            with pytest.raises((users.LoginFailed, users.AccountLocked)):
                users.login(other, "yta.mai", "wrong-password")
        return real_verify(password, stored)

    monkeypatch.setattr(accounts, "verify_password", meanwhile)
    try:
        with pytest.raises(users.AccountLocked):
            users.login(store, "yta.mai", "tram-yta-1")
        assert store.actor.user_id is None
    finally:
        store.close()
        other.close()


# -- the cost of the hash ----------------------------------------------------------------------------
@pytest.mark.real_scrypt
def test_new_passwords_use_the_recommended_scrypt_cost() -> None:
    """n = 2^17, r = 8, p = 1 (128 MiB): the real defaults, not the tests' cheap ones."""
    stored = accounts.hash_password("mật khẩu dài")
    scheme, n, r, p, _salt, _digest = stored.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", 2**17, 8, 1)
    assert accounts.verify_password("mật khẩu dài", stored)
    assert not accounts.verify_password("mật khẩu dai", stored)


def test_an_old_hash_is_upgraded_at_the_next_login(station: Path) -> None:
    store = open_store(station, create=False)
    try:
        old = accounts.hash_password("tram-yta-1", n=accounts.SCRYPT_N // 2)
        with store.write(ANYONE):
            store.conn.execute("UPDATE users SET password_hash = ? WHERE username = 'yta.mai'", (old,))
        with pytest.raises(users.LoginFailed):  # a wrong password changes nothing
            users.login(store, "yta.mai", "wrong-password")
        assert store.scalar("SELECT password_hash FROM users WHERE username = 'yta.mai'") == old
        users.login(store, "yta.mai", "tram-yta-1")
        upgraded = str(store.scalar("SELECT password_hash FROM users WHERE username = 'yta.mai'"))
        assert upgraded != old
        assert upgraded.split("$")[1:4] == [str(accounts.SCRYPT_N), str(accounts.SCRYPT_R), str(accounts.SCRYPT_P)]
        users.logout(store)
        users.login(store, "yta.mai", "tram-yta-1")  # the new hash opens too
    finally:
        store.close()
