"""Accounts in the database: first account, login with lockout, password change, deactivation.

Accounts are never deleted (their entries keep their author): a person who leaves is
deactivated. Managing accounts needs ``Permission.MANAGE_USERS`` of ``store.actor``, checked
here, below any screen; a head's account, and giving or taking the head role, also needs
``Permission.MANAGE_HEADS`` (an administrator cannot make itself, or anyone, head). The first
head account can be created only while there is none.
Every login, failed login, logout and account change goes to the audit log.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from station_app import clock
from station_app.domain import accounts
from station_app.domain.accounts import ANYONE, Actor, Permission, Role
from station_app.i18n import N_
from station_app.store import audit, errors
from station_app.store.database import Row, Store, now_text


class AccountRefused(errors.StoreError):
    """A refused account operation; the message names what is wrong."""

    message = N_("The account operation was refused.")

    def __init__(self, message: str, **params: object) -> None:
        self.message = message
        super().__init__("", "", **params)


class LoginFailed(errors.StoreError):
    message = N_("Wrong user name or password.")


class AccountLocked(errors.StoreError):
    message = N_("Too many wrong passwords: this account is locked until {until}. Try again later.")


@dataclass(frozen=True)
class User:
    id: int
    username: str
    full_name: str
    role: Role
    active: bool
    failed_attempts: int
    last_failed_at: dt.datetime | None
    last_login_at: dt.datetime | None
    created_at: dt.datetime

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.username, self.full_name, self.role)

    def locked_until(self, now: dt.datetime | None = None) -> dt.datetime | None:
        now = now or clock.now()
        until = accounts.locked_until(self.failed_attempts, self.last_failed_at)
        return until if until is not None and now < until else None


_COLUMNS = "id, username, full_name, role, active, failed_attempts, last_failed_at, last_login_at, created_at"


def _time(text: object) -> dt.datetime | None:
    return dt.datetime.fromisoformat(str(text)) if text else None


def _user(row: Row) -> User:
    return User(
        id=int(row["id"]),
        username=str(row["username"]),
        full_name=str(row["full_name"]),
        role=Role(str(row["role"])),
        active=bool(row["active"]),
        failed_attempts=int(row["failed_attempts"]),
        last_failed_at=_time(row["last_failed_at"]),
        last_login_at=_time(row["last_login_at"]),
        created_at=_time(row["created_at"]) or clock.now(),
    )


def all_users(store: Store, active_only: bool = False) -> list[User]:
    where = "WHERE active = 1" if active_only else ""
    return [_user(r) for r in store.query(f"SELECT {_COLUMNS} FROM users {where} ORDER BY active DESC, username")]


def get(store: Store, user_id: int) -> User | None:
    rows = store.query(f"SELECT {_COLUMNS} FROM users WHERE id = ?", (user_id,))
    return _user(rows[0]) if rows else None


def by_username(store: Store, username: str) -> User | None:
    rows = store.query(f"SELECT {_COLUMNS} FROM users WHERE username = ?", (accounts.normalise_username(username),))
    return _user(rows[0]) if rows else None


def has_accounts(store: Store) -> bool:
    return store.scalar("SELECT 1 FROM users WHERE active = 1 LIMIT 1") is not None


def _check_new_account(store: Store, username: str, full_name: str, password: str, role: Role) -> None:
    if problem := accounts.username_problem(username):
        raise AccountRefused(problem)
    if not full_name.strip():
        raise AccountRefused(N_("Write the person's full name."))
    if role not in accounts.ACCOUNT_ROLES:
        raise AccountRefused(N_("Choose a role: nurse, head or administrator."))
    if problem := accounts.password_problem(password, username):
        raise AccountRefused(problem)
    if store.scalar("SELECT 1 FROM users WHERE username = ?", (username,)) is not None:
        raise AccountRefused(N_("The user name {username} is taken: choose another."), username=username)


def _person(store: Store, full_name: str) -> int:
    """The staff member an account is: the one of that name on the staff list, else a new one.

    (The staff list and the accounts are one list of people: a person may have no login, an
    account always is a person.)"""
    found = store.scalar("SELECT id FROM staff WHERE full_name = ? ORDER BY active DESC, id LIMIT 1", (full_name,))
    if found is not None:
        store.conn.execute("UPDATE staff SET active = 1 WHERE id = ?", (found,))
        return int(found)
    cursor = store.conn.execute("INSERT INTO staff (full_name, title, active) VALUES (?, '', 1)", (full_name,))
    return int(cursor.lastrowid)  # type: ignore[arg-type]


def staff_id(store: Store, user_id: int | None) -> int | None:
    """The staff member (person) an account belongs to; None for the command line."""
    if user_id is None:
        return None
    found = store.scalar("SELECT staff_id FROM users WHERE id = ?", (user_id,))
    return int(found) if found is not None else None


def _insert(store: Store, username: str, full_name: str, password: str, role: Role) -> User:
    stamp = now_text()
    person = _person(store, full_name.strip())
    cursor = store.conn.execute(
        "INSERT INTO users (username, full_name, role, password_hash, password_changed_at, created_at, staff_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (username, full_name.strip(), str(role), accounts.hash_password(password), stamp, stamp, person),
    )
    user = get(store, int(cursor.lastrowid))  # type: ignore[arg-type]
    assert user is not None
    audit.record(store, audit.MANAGE_USERS, ("user", user.id),
                 {"change": "created", "username": username, "role": str(role)})
    return user


def create_first_head(store: Store, username: str, full_name: str, password: str) -> User:
    """The first account of a new station (a head). Refused once any account exists."""
    username = accounts.normalise_username(username)
    with store.write(ANYONE):  # nobody is logged in yet: refused once any account exists
        if store.scalar("SELECT 1 FROM users LIMIT 1") is not None:
            raise AccountRefused(N_("The station already has accounts: ask the head of station for one."))
        _check_new_account(store, username, full_name, password, Role.HEAD)
        return _insert(store, username, full_name, password, Role.HEAD)


def create(store: Store, username: str, full_name: str, password: str, role: Role | str) -> User:
    """A new account (needs MANAGE_USERS; a head's needs MANAGE_HEADS too)."""
    username = accounts.normalise_username(username)
    try:
        role = Role(role)
    except ValueError as exc:
        raise AccountRefused(N_("Choose a role: nurse, head or administrator.")) from exc
    with store.write(Permission.MANAGE_USERS):
        if role == Role.HEAD:
            store.require(Permission.MANAGE_HEADS)
        _check_new_account(store, username, full_name, password, role)
        return _insert(store, username, full_name, password, role)


def login(store: Store, username: str, password: str) -> User:
    """Check a password; on success the store acts for that person (``store.actor``).

    Five wrong passwords in a row lock the account for a few minutes (``accounts.LOCKOUT``);
    while locked even the right password is refused. Every attempt is audited.
    """
    username = accounts.normalise_username(username)
    now = clock.now()
    rows = store.query("SELECT password_hash FROM users WHERE username = ? AND active = 1", (username,))
    user = by_username(store, username)
    if not rows or user is None or not user.active:
        # Same cost as a real check, so a wrong name is not told apart by timing.
        accounts.verify_password(password, _dummy_hash())
        if user is not None:  # a deactivated account
            _audit_as(store, user.actor, audit.FAILED_LOGIN, ("user", user.id),
                      {"reason": "unknown or inactive account"})
        else:
            # Not the typed name: it is often a password typed in the wrong field.
            _audit_as(store, Actor(None, "?", "", Role.SYSTEM), audit.FAILED_LOGIN, None,
                      {"reason": "unknown or inactive account"})
        raise LoginFailed()
    if (until := user.locked_until(now)) is not None:
        _audit_as(store, user.actor, audit.FAILED_LOGIN, ("user", user.id), {"reason": "locked"})
        raise AccountLocked(until=until.strftime("%H:%M"))
    stored = str(rows[0]["password_hash"])
    ok = accounts.verify_password(password, stored)  # slow on purpose: outside the write
    # A hash made at an older, cheaper cost is replaced at this login (also computed outside the write).
    upgraded = accounts.hash_password(password) if ok and accounts.needs_rehash(stored) else None
    stamp = now.isoformat(sep=" ", timespec="seconds")
    with store.write(ANYONE):  # the counters of a login: whoever types at the login window
        # The count is read and changed inside this one write transaction (other programs may be
        # checking passwords of the same account at the same moment): no attempt is lost.
        state = store.conn.execute(
            "SELECT failed_attempts, last_failed_at FROM users WHERE id = ?", (user.id,)).fetchone()
        failed, last_failed = int(state[0]), _time(state[1])
        until = accounts.locked_until(failed, last_failed)
        locked_now = until is not None and now < until
        if not ok:
            attempts = 1 if until is not None and not locked_now else failed + 1
            store.conn.execute(
                "UPDATE users SET failed_attempts = ?, last_failed_at = ? WHERE id = ?", (attempts, stamp, user.id))
            _audit_as(store, user.actor, audit.FAILED_LOGIN, ("user", user.id),
                      {"reason": "wrong password", "attempt": attempts})
        elif locked_now:  # locked by other attempts while this password was being checked
            _audit_as(store, user.actor, audit.FAILED_LOGIN, ("user", user.id), {"reason": "locked"})
        else:
            store.conn.execute(
                "UPDATE users SET failed_attempts = 0, last_failed_at = NULL, last_login_at = ? WHERE id = ?",
                (stamp, user.id),
            )
            if upgraded is not None:  # (unless the password was changed meanwhile)
                store.conn.execute("UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?",
                                   (upgraded, user.id, stored))
            store.actor = user.actor
            audit.record(store, audit.LOGIN, ("user", user.id))
    if not ok:
        if attempts >= accounts.MAX_FAILED_ATTEMPTS:
            until = now + accounts.LOCKOUT
            raise AccountLocked(until=until.strftime("%H:%M"))
        raise LoginFailed()
    if locked_now:
        assert until is not None
        raise AccountLocked(until=until.strftime("%H:%M"))
    return get(store, user.id) or user


def check_password(store: Store, user_id: int, password: str) -> bool:
    """Whether ``password`` is this person's (the idle lock); counts failures like a login."""
    user = get(store, user_id)
    if user is None:
        return False
    try:
        previous = store.actor
        login(store, user.username, password)
    except (LoginFailed, AccountLocked):
        return False
    finally:
        if store.actor.user_id != user_id:
            store.actor = previous
    return True


def logout(store: Store) -> None:
    """End the person's session. They are logged out even when the log-out entry cannot be written
    (the file busy with a long import, a full disk): the error is raised after, never before."""
    try:
        if store.actor.user_id is not None:
            audit.record(store, audit.LOGOUT, ("user", store.actor.user_id))
    finally:
        store.actor = accounts.SYSTEM


def _audit_as(store: Store, actor: Actor, action: str, target: audit.Target, details: dict[str, object]) -> None:
    previous = store.actor
    store.actor = actor
    try:
        audit.record(store, action, target, details)
    finally:
        store.actor = previous


def change_password(store: Store, user_id: int, old_password: str | None, new_password: str) -> None:
    """Change a password: one's own (the old one is asked), or another's with MANAGE_USERS."""
    user = get(store, user_id)
    if user is None:
        raise AccountRefused(N_("There is no such account."))
    own = store.actor.user_id == user_id
    if own:
        stored = str(store.scalar("SELECT password_hash FROM users WHERE id = ?", (user_id,)))
        if old_password is None or not accounts.verify_password(old_password, stored):
            raise AccountRefused(N_("The current password is wrong."))
    else:
        store.require(Permission.MANAGE_USERS)
        if user.role == Role.HEAD:  # whoever sets a head's password can log in as the head
            store.require(Permission.MANAGE_HEADS)
    if problem := accounts.password_problem(new_password, user.username):
        raise AccountRefused(problem)
    with store.write(ANYONE if own else Permission.MANAGE_USERS):
        store.conn.execute(
            "UPDATE users SET password_hash = ?, password_changed_at = ?, failed_attempts = 0, last_failed_at = NULL "
            "WHERE id = ?",
            (accounts.hash_password(new_password), now_text(), user_id),
        )
        audit.record(store, audit.MANAGE_USERS, ("user", user_id),
                     {"change": "password" if own else "password reset", "username": user.username})


def set_role(store: Store, user_id: int, role: Role | str) -> None:
    """Change an account's role (MANAGE_USERS; to or from head, MANAGE_HEADS too)."""
    role = Role(role)
    if role not in accounts.ACCOUNT_ROLES:
        raise AccountRefused(N_("Choose a role: nurse, head or administrator."))
    user = get(store, user_id)
    if user is None:
        raise AccountRefused(N_("There is no such account."))
    with store.write(Permission.MANAGE_USERS):
        if Role.HEAD in (user.role, role):
            store.require(Permission.MANAGE_HEADS)
        if user.role == Role.HEAD and role != Role.HEAD:
            _keep_a_head(store, user_id)
        store.conn.execute("UPDATE users SET role = ? WHERE id = ?", (str(role), user_id))
        audit.record(store, audit.MANAGE_USERS, ("user", user_id),
                     {"change": "role", "username": user.username, "from": str(user.role), "to": str(role)})


def _keep_a_head(store: Store, leaving_id: int) -> None:
    others = store.scalar(
        "SELECT count(*) FROM users WHERE role = 'head' AND active = 1 AND id <> ?", (leaving_id,)
    )
    if not others:
        raise AccountRefused(N_("The station must keep at least one active head account."))


def set_active(store: Store, user_id: int, active: bool) -> None:
    """Deactivate (or reactivate) an account; it is never deleted. A head's needs MANAGE_HEADS."""
    user = get(store, user_id)
    if user is None:
        raise AccountRefused(N_("There is no such account."))
    with store.write(Permission.MANAGE_USERS):
        if user.role == Role.HEAD:
            store.require(Permission.MANAGE_HEADS)
        if not active and user_id == store.actor.user_id:
            raise AccountRefused(N_("You cannot deactivate your own account."))
        if not active and user.role == Role.HEAD:
            _keep_a_head(store, user_id)
        store.conn.execute(
            "UPDATE users SET active = ?, deactivated_at = ?, failed_attempts = 0, last_failed_at = NULL WHERE id = ?",
            (int(active), None if active else now_text(), user_id),
        )
        audit.record(store, audit.MANAGE_USERS, ("user", user_id),
                     {"change": "reactivated" if active else "deactivated", "username": user.username})


def unlock(store: Store, user_id: int) -> None:
    with store.write(Permission.MANAGE_USERS):
        store.conn.execute("UPDATE users SET failed_attempts = 0, last_failed_at = NULL WHERE id = ?", (user_id,))
        audit.record(store, audit.MANAGE_USERS, ("user", user_id), {"change": "unlocked"})


# -- the idle lock ------------------------------------------------------------------------------
IDLE_KEY = "idle_lock_minutes"


def idle_lock_minutes(store: Store) -> int:
    try:
        return max(0, int(store.setting(IDLE_KEY, str(accounts.DEFAULT_IDLE_LOCK_MINUTES)) or 0))
    except ValueError:
        return accounts.DEFAULT_IDLE_LOCK_MINUTES


def set_idle_lock_minutes(store: Store, minutes: int) -> None:
    """The screen lock's quiet time (0: never) is the station's security setting: MANAGE_USERS."""
    with store.write(Permission.MANAGE_USERS):
        store.set_setting(IDLE_KEY, str(max(0, int(minutes))))
        audit.record(store, audit.MANAGE_USERS, "settings", {"idle_lock_minutes": int(minutes)})


@functools.cache
def _dummy_hash() -> str:
    return accounts.hash_password("not a password of anyone")
