"""Accounts: hashing, first head, login and lockout, password change, deactivation, and the roles
enforced in the store (a nurse actor calling the store functions directly is refused)."""

from __future__ import annotations

import datetime as dt

import pytest

from station_app import clock
from station_app.domain import accounts
from station_app.domain.accounts import Permission, Role
from station_app.store import Store, audit, users
from station_app.store.errors import NotPermitted


@pytest.fixture
def head(store: Store) -> users.User:
    return users.create_first_head(store, "truong", "Nguyễn Văn Hùng", "tram-truong")


@pytest.fixture
def nurse(store: Store, head: users.User) -> users.User:
    return users.create(store, "yta.mai", "Trần Thị Mai", "tram-yta-1", Role.NURSE)


def test_password_hash_is_salted_and_carries_its_parameters() -> None:
    one, two = accounts.hash_password("mật khẩu dài"), accounts.hash_password("mật khẩu dài")
    assert one != two  # a fresh salt each time
    scheme, n, r, p, _salt, _digest = one.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", accounts.SCRYPT_N, accounts.SCRYPT_R, accounts.SCRYPT_P)
    assert accounts.verify_password("mật khẩu dài", one)
    assert not accounts.verify_password("mật khẩu dai", one)
    assert not accounts.verify_password("x", "garbage")
    # Parameters are read from the stored hash, not from the constants.
    cheap = accounts.hash_password("pw-123456", n=2**10)
    assert accounts.verify_password("pw-123456", cheap)


def test_password_is_never_stored_in_clear(store: Store, head: users.User) -> None:
    dump = "\n".join(store.conn.iterdump())
    assert "tram-truong" not in dump


def test_first_head_only_once(store: Store, head: users.User) -> None:
    assert head.role is Role.HEAD
    with pytest.raises(users.AccountRefused):
        users.create_first_head(store, "other", "Người khác", "password-2")


def test_login_sets_the_actor_and_is_audited(store: Store, nurse: users.User, read_log) -> None:
    users.login(store, "YTA.MAI ", "tram-yta-1")  # user names are not case-sensitive
    assert store.actor.username == "yta.mai"
    assert store.actor.role is Role.NURSE
    last = read_log(store)[0]
    assert (last.action, last.username, last.role) == (audit.LOGIN, "yta.mai", "nurse")


def test_wrong_password_and_unknown_user_say_the_same(store: Store, nurse: users.User, read_log) -> None:
    with pytest.raises(users.LoginFailed) as wrong:
        users.login(store, "yta.mai", "nope")
    with pytest.raises(users.LoginFailed) as unknown:
        users.login(store, "nobody", "nope")
    assert wrong.value.text("vi") == unknown.value.text("vi") == "Sai tên đăng nhập hoặc mật khẩu."
    assert [e.action for e in read_log(store)[:2]] == [audit.FAILED_LOGIN, audit.FAILED_LOGIN]


def test_a_password_typed_as_the_user_name_is_not_logged(store: Store, nurse: users.User, read_log) -> None:
    with pytest.raises(users.LoginFailed):
        users.login(store, "tram-yta-1", "")
    entry = read_log(store)[0]
    assert entry.action == audit.FAILED_LOGIN and entry.username == "?"
    assert "tram-yta-1" not in "\n".join(store.conn.iterdump())


def test_five_failures_lock_the_account_for_a_few_minutes(store: Store, nurse: users.User) -> None:
    start = dt.datetime(2025, 11, 20, 9, 0)
    with clock.pinned(start):
        for _ in range(accounts.MAX_FAILED_ATTEMPTS - 1):
            with pytest.raises(users.LoginFailed):
                users.login(store, "yta.mai", "wrong")
        with pytest.raises(users.AccountLocked) as locked:
            users.login(store, "yta.mai", "wrong")
        assert "09:05" in locked.value.text("vi")
    # Even the right password is refused while locked.
    with clock.pinned(start + dt.timedelta(minutes=4)), pytest.raises(users.AccountLocked):
        users.login(store, "yta.mai", "tram-yta-1")
    # After the lockout the right password opens, and the counter starts again.
    with clock.pinned(start + accounts.LOCKOUT + dt.timedelta(seconds=1)):
        users.login(store, "yta.mai", "tram-yta-1")
    user = users.by_username(store, "yta.mai")
    assert user is not None and user.failed_attempts == 0


def test_a_failure_after_an_expired_lock_counts_from_one(store: Store, nurse: users.User) -> None:
    start = dt.datetime(2025, 11, 20, 9, 0)
    with clock.pinned(start):
        for _ in range(accounts.MAX_FAILED_ATTEMPTS):
            with pytest.raises((users.LoginFailed, users.AccountLocked)):
                users.login(store, "yta.mai", "wrong")
    with clock.pinned(start + dt.timedelta(minutes=10)), pytest.raises(users.LoginFailed):
        users.login(store, "yta.mai", "wrong")  # not locked again at once
    assert users.by_username(store, "yta.mai").failed_attempts == 1  # type: ignore[union-attr]


def test_change_own_password_needs_the_old_one(store: Store, nurse: users.User) -> None:
    users.login(store, "yta.mai", "tram-yta-1")
    with pytest.raises(users.AccountRefused) as refused:
        users.change_password(store, nurse.id, "wrong", "new-password-1")
    assert refused.value.text("vi") == "Mật khẩu hiện tại không đúng."
    with pytest.raises(users.AccountRefused):
        users.change_password(store, nurse.id, "tram-yta-1", "short")
    users.change_password(store, nurse.id, "tram-yta-1", "new-password-1")
    users.logout(store)
    with pytest.raises(users.LoginFailed):
        users.login(store, "yta.mai", "tram-yta-1")
    users.login(store, "yta.mai", "new-password-1")


def test_deactivated_user_cannot_log_in_but_keeps_their_entries(store: Store, head: users.User,
                                                                nurse: users.User, read_log) -> None:
    users.login(store, "yta.mai", "tram-yta-1")
    users.logout(store)
    users.login(store, "truong", "tram-truong")
    users.set_active(store, nurse.id, False)
    with pytest.raises(users.LoginFailed):
        users.login(store, "yta.mai", "tram-yta-1")
    assert users.get(store, nurse.id) is not None  # never deleted
    assert any(e.username == "yta.mai" and e.action == audit.LOGIN for e in read_log(store))
    with pytest.raises(users.AccountRefused):
        users.set_active(store, head.id, False)  # not oneself (and not the last head)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda s, u: users.create(s, "moi", "Người mới", "password-9", Role.NURSE), id="create user"),
        pytest.param(lambda s, u: users.set_active(s, u.id, False), id="deactivate"),
        pytest.param(lambda s, u: users.set_role(s, u.id, Role.NURSE), id="change role"),
        pytest.param(lambda s, u: users.change_password(s, u.id, None, "password-9"), id="reset password"),
        pytest.param(lambda s, u: users.set_idle_lock_minutes(s, 0), id="idle lock"),
    ],
)
def test_a_nurse_cannot_manage_users(store: Store, head: users.User, nurse: users.User, call, read_log) -> None:
    users.login(store, "yta.mai", "tram-yta-1")
    before = len(read_log(store))
    with pytest.raises(NotPermitted) as refused:
        call(store, head)
    assert refused.value.text("vi") == (
        "Không được phép: vai trò Điều dưỡng / y sĩ không được quản lý tài khoản người dùng."
    )
    assert len(read_log(store)) == before  # nothing written
    assert users.get(store, head.id).active  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "permission", [Permission.FINALISE_REPORT, Permission.RESTORE, Permission.MERGE_PATIENTS,
                   Permission.MANAGE_USERS, Permission.EXPORT, Permission.AMEND_RECORDS],
)
def test_nurse_actor_is_refused_what_the_head_may(store: Store, head: users.User, nurse: users.User,
                                                  permission: Permission) -> None:
    users.login(store, "yta.mai", "tram-yta-1")
    with pytest.raises(NotPermitted):
        store.require(permission)
    users.login(store, "truong", "tram-truong")
    store.require(permission)


def test_the_command_line_is_the_local_operator(store: Store) -> None:
    assert store.actor.role is Role.SYSTEM
    for permission in Permission:
        store.require(permission)


def test_the_last_head_cannot_be_demoted(store: Store, head: users.User) -> None:
    with pytest.raises(users.AccountRefused):
        users.set_role(store, head.id, Role.NURSE)


def test_new_account_checks_name_and_password(store: Store, head: users.User) -> None:
    with pytest.raises(users.AccountRefused, match="user name"):
        users.create(store, "Nguyễn Mai", "Trần Thị Mai", "password-1", Role.NURSE)
    with pytest.raises(users.AccountRefused, match="taken"):
        users.create(store, "TRUONG", "Ai đó", "password-1", Role.NURSE)
    with pytest.raises(users.AccountRefused, match="8 characters"):
        users.create(store, "mai", "Trần Thị Mai", "short", Role.NURSE)
    with pytest.raises(users.AccountRefused, match="full name"):
        users.create(store, "mai", "  ", "password-1", Role.NURSE)
