"""Accounts and roles: who may do what, password hashing, lockout after failed attempts.

Plain Python (no Qt, no SQL). The roles follow the rules on electronic medical records:

- **nurse** registers patients, records visits and follow-ups, prints slips;
- **head** (trạm trưởng) does all of that, and finalises monthly reports, corrects (amends)
  clinical entries, merges duplicate patients, manages accounts and reads the audit log;
- **admin** (IT) manages accounts, backups, restore, import and export (so also patients'
  identity data), and reads the audit log, but records no clinical data.

The command line runs as :data:`SYSTEM`, the local operator: whoever can run a command on the
station's computer already holds the database file, so a password there would protect nothing.
The desktop app always has a logged-in person (see ``station_app/ui/login.py``).

Passwords are hashed with scrypt (standard library), a fresh random salt each, and the cost
parameters stored with the hash so they can be raised later without breaking old hashes::

    scrypt$131072$8$1$<salt, base64>$<hash, base64>

A hash made at a lower cost than today's is replaced at the person's next successful login
(``needs_rehash``).
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import getpass
import hashlib
import hmac
import os
import re
from dataclasses import dataclass

from station_app.i18n import N_, tr

MAX_FAILED_ATTEMPTS = 5
LOCKOUT = dt.timedelta(minutes=5)
MIN_PASSWORD_LENGTH = 8
DEFAULT_IDLE_LOCK_MINUTES = 10

# scrypt cost, the current recommendation (n = 2^17, r = 8, p = 1): 128 × r × n bytes = 128 MiB of
# memory and a few tenths of a second per login on a station's PC.
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")


class Role(enum.StrEnum):
    NURSE = "nurse"
    HEAD = "head"
    ADMIN = "admin"
    SYSTEM = "system"  # the command line (local operator); never stored on an account


ROLE_NAMES = {
    Role.NURSE: N_("Nurse"),
    Role.HEAD: N_("Head of station"),
    Role.ADMIN: N_("Administrator (IT)"),
    Role.SYSTEM: N_("Local operator (command line)"),
}
ACCOUNT_ROLES = (Role.NURSE, Role.HEAD, Role.ADMIN)


def role_name(role: str) -> str:
    """The role's name in the current language (an unknown role as it is written)."""
    try:
        return tr(ROLE_NAMES[Role(role)])
    except ValueError:
        return role


class Permission(enum.StrEnum):
    VIEW_RECORDS = "view_records"
    EDIT_PATIENTS = "edit_patients"  # register and edit patients
    RECORD_VISITS = "record_visits"  # visits, follow-up outcomes, referrals
    PRINT = "print"
    AMEND_RECORDS = "amend_records"  # corrections of visits, diagnoses, referrals
    MERGE_PATIENTS = "merge_patients"
    FINALISE_REPORT = "finalise_report"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    BACKUP = "backup"
    RESTORE = "restore"
    IMPORT = "import"
    EXPORT = "export"
    DISPENSE = "dispense"  # prescribe and give medicines from the station's stock
    RECEIVE_STOCK = "receive_stock"  # enter a delivery of medicines
    ADJUST_STOCK = "adjust_stock"  # stock adjustments and counts (head)
    MANAGE_FORMULARY = "manage_formulary"  # add, change and retire drugs (head)
    EDIT_STATION = "edit_station"  # the station profile printed on forms, the staff list, the villages
    MANAGE_HEADS = "manage_heads"  # give or take the head role; a head's account (create, password, deactivate)
    EXPORT_CLAIMS = "export_claims"  # write the insurance claims files, record the portal's answer


class Anyone(enum.Enum):
    """What a write needs when it is bookkeeping any actor may cause (a login's counters, an entry
    of the audit log itself, the reference tables shipped with the program): ``store.write(ANYONE)``."""

    ANYONE = "anyone"


ANYONE = Anyone.ANYONE


_CLINICAL = frozenset(
    {Permission.VIEW_RECORDS, Permission.EDIT_PATIENTS, Permission.RECORD_VISITS, Permission.PRINT, Permission.BACKUP,
     Permission.DISPENSE, Permission.RECEIVE_STOCK}
)
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.NURSE: _CLINICAL,
    Role.HEAD: _CLINICAL
    | {
        Permission.AMEND_RECORDS,
        Permission.MERGE_PATIENTS,
        Permission.FINALISE_REPORT,
        Permission.MANAGE_USERS,
        Permission.VIEW_AUDIT,
        Permission.RESTORE,
        Permission.IMPORT,
        Permission.EXPORT,
        Permission.ADJUST_STOCK,
        Permission.MANAGE_FORMULARY,
        Permission.EDIT_STATION,
        Permission.MANAGE_HEADS,
        Permission.EXPORT_CLAIMS,
    },
    Role.ADMIN: frozenset(
        {
            Permission.VIEW_RECORDS,
            Permission.EDIT_PATIENTS,  # an import adds and updates patients
            Permission.MANAGE_USERS,
            Permission.VIEW_AUDIT,
            Permission.BACKUP,
            Permission.RESTORE,
            Permission.IMPORT,
            Permission.EXPORT,
            Permission.EXPORT_CLAIMS,
        }
    ),
    Role.SYSTEM: frozenset(Permission),
}

PERMISSION_NAMES = {
    Permission.VIEW_RECORDS: N_("see patient records"),
    Permission.EDIT_PATIENTS: N_("register or edit patients"),
    Permission.RECORD_VISITS: N_("record visits, follow-ups and referrals"),
    Permission.PRINT: N_("print documents"),
    Permission.AMEND_RECORDS: N_("correct a recorded entry"),
    Permission.MERGE_PATIENTS: N_("merge duplicate patients"),
    Permission.FINALISE_REPORT: N_("finalise the monthly report"),
    Permission.MANAGE_USERS: N_("manage user accounts"),
    Permission.VIEW_AUDIT: N_("read the audit log"),
    Permission.BACKUP: N_("make a backup"),
    Permission.RESTORE: N_("restore a backup"),
    Permission.IMPORT: N_("import data"),
    Permission.EXPORT: N_("export data"),
    Permission.DISPENSE: N_("prescribe and dispense medicines"),
    Permission.RECEIVE_STOCK: N_("receive medicines into stock"),
    Permission.ADJUST_STOCK: N_("adjust the medicine stock"),
    Permission.MANAGE_FORMULARY: N_("change the formulary"),
    Permission.EDIT_STATION: N_("change the station profile, staff or villages"),
    Permission.MANAGE_HEADS: N_("give the head of station role or change a head's account"),
    Permission.EXPORT_CLAIMS: N_("write the insurance claims and record the portal's answers"),
}


@dataclass(frozen=True)
class Actor:
    """The person (or the command line) on whose behalf the store writes."""

    user_id: int | None
    username: str
    full_name: str
    role: Role

    def can(self, permission: Permission) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())


def system_actor() -> Actor:
    """The command line: the operating-system account that runs it, with every permission."""
    try:
        who = getpass.getuser()
    except Exception:  # no user name in the environment (a service account)
        who = ""
    return Actor(None, "system", who, Role.SYSTEM)


SYSTEM = system_actor()


# -- passwords ----------------------------------------------------------------------------------
def _maxmem(n: int, r: int, p: int) -> int:
    """The memory scrypt needs for these parameters, with room to spare (OpenSSL refuses more than
    32 MiB unless told)."""
    return min(128 * r * (n + p + 2) + 16 * 1024 * 1024, 1 << 30)


def hash_password(password: str, *, n: int | None = None, r: int | None = None, p: int | None = None) -> str:
    """A new salted hash at the current cost (``SCRYPT_N``, ``SCRYPT_R``, ``SCRYPT_P``) unless given."""
    n, r, p = n or SCRYPT_N, r or SCRYPT_R, p or SCRYPT_P
    salt = os.urandom(SALT_BYTES)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_maxmem(n, r, p),
                            dklen=HASH_BYTES)
    b64 = base64.b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made at a lower cost than today's (an older version's)."""
    try:
        scheme, n, r, p, _salt, _digest = stored.split("$")
        return scheme != "scrypt" or int(n) * int(r) * int(p) < SCRYPT_N * SCRYPT_R * SCRYPT_P
    except ValueError:
        return True


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (constant-time comparison); False if malformed."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        want = base64.b64decode(expected)
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_maxmem(int(n), int(r), int(p)),
            dklen=len(want),
        )
    except (ValueError, TypeError, MemoryError):
        return False
    return hmac.compare_digest(got, want)


def password_problem(password: str, username: str = "") -> str | None:
    """Why a new password is refused (an N_() source), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return N_("The password must have at least 8 characters.")
    if password.strip() != password:
        return N_("The password must not begin or end with a space.")
    if username and password.lower() == username.lower():
        return N_("The password must not be the user name.")
    return None


def normalise_username(text: str) -> str:
    return text.strip().lower()


def username_problem(username: str) -> str | None:
    if not _USERNAME.match(username):
        return N_(
            "The user name must have 2 to 32 characters: small letters without accents, digits, dot, dash or "
            "underscore (for example yta.mai)."
        )
    if username == "system":
        return N_("This user name is reserved.")
    return None


# -- lockout ------------------------------------------------------------------------------------
def locked_until(failed_attempts: int, last_failure: dt.datetime | None) -> dt.datetime | None:
    """When a locked account opens again, or None when it is not locked."""
    if failed_attempts < MAX_FAILED_ATTEMPTS or last_failure is None:
        return None
    return last_failure + LOCKOUT


def is_locked(failed_attempts: int, last_failure: dt.datetime | None, now: dt.datetime) -> bool:
    until = locked_until(failed_attempts, last_failure)
    return until is not None and now < until
