"""Texts shown the same way on the screen, in exported lists and on printed papers: dates, ages,
phone numbers, how a follow-up stands, the last call outcome, a referral's state.

Above the store (it reads its rows), below reports, printing and the UI, which all use it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from station_app import i18n
from station_app.domain.followup import Outcome, OutcomeKind
from station_app.domain.identifiers import SEX_CODES
from station_app.i18n import N_, tr

if TYPE_CHECKING:
    from station_app.store.backup import ChainAgainstBackup
    from station_app.store.followups import WorkRow

CHILD_MONTHS = 24  # below this age in months, ages are shown in months
# A referral's state (its status when cancelled, else its outcome), as the books and lists name it.
REFERRAL_STATES = {
    "issued": N_("Referral issued"),
    "cancelled": N_("Referral cancelled"),
    "sent": N_("Patient sent"),
    "arrived": N_("Arrived at the facility"),
    "feedback": N_("Feedback from the facility"),
    "not_gone": N_("Did not go to the facility"),
}


def display_date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def months_between(birth: dt.date, today: dt.date) -> int:
    """Whole calendar months from ``birth`` to ``today``."""
    return (today.year - birth.year) * 12 + today.month - birth.month - (today.day < birth.day)


def age_text(row: WorkRow, today: dt.date, with_unit: bool = False) -> str:
    """Years ("65", or "65 years old" ``with_unit``), or months for a young child whose birth
    date is known ("10 months")."""
    birth = row.birth_date
    if birth is not None:
        months = months_between(birth, today)
        if 0 <= months < CHILD_MONTHS:
            return tr("{months} months").format(months=months)
    if row.age is None:
        return ""
    return tr("{age} years old").format(age=row.age) if with_unit else str(row.age)


def sex_text(row: WorkRow) -> str:
    return tr(SEX_CODES[row.sex]) if row.sex in SEX_CODES else ""


def phone_text(number: str) -> str:
    """A phone number grouped for reading aloud: "0912 345 678", "0251 386 1234"."""
    if number.isdigit() and len(number) in (10, 11):
        return f"{number[:4]} {number[4:7]} {number[7:]}"
    return number


def since_text(row: WorkRow, today: dt.date) -> str:
    """How the due date stands: "36 days late", "due today", "in 3 days"."""
    late = (today - row.item.due_date).days
    if late > 0:
        return tr("{days} days late").format(days=late)
    if late == 0:
        return tr("due today")
    return tr("in {days} days").format(days=-late)


def due_text(row: WorkRow, today: dt.date) -> str:
    """The due date and how it stands: "15/10/2025 · 36 days late"."""
    return f"{display_date(row.item.due_date)} · {since_text(row, today)}"


def outcome_summary(outcome: Outcome | None) -> str:
    """The last outcome without its date: "Removed from the list — Moved away — note"."""
    if outcome is None:
        return ""
    parts = [outcome.kind.title]
    if outcome.reason is not None:
        parts.append(outcome.reason.title)
    if outcome.kind is OutcomeKind.REMIND_LATER and outcome.hidden_until is not None:
        parts.append(tr("until {date}").format(date=display_date(outcome.hidden_until)))
    if outcome.note.strip():
        parts.append(outcome.note.strip())
    return " — ".join(parts)


def backup_chain_texts(compared: list[ChainAgainstBackup]) -> tuple[int, list[tuple[bool, str]]]:
    """The audit chain against the station's backups (``backup.compare_chain``), as the command line
    and the audit log's "Check the chain" say it: (how many backups the log extends, [(a finding?,
    text)] for the others)."""
    from station_app.store import backup

    extended = 0
    texts: list[tuple[bool, str]] = []
    for c in compared:
        when = c.record.made.strftime("%d/%m/%Y %H:%M") if c.record and c.record.made else "?"
        if c.outcome == backup.EXTENDS:
            extended += 1
        elif c.outcome == backup.TRUNCATED:
            texts.append((True, tr(
                "Audit log does not extend the backup {path} made {when}: the log ends at entry {found}, but the "
                "backup holds entries up to {expected}: the end was removed.").format(
                path=c.backup, when=when, found=c.entry_id, expected=c.record.head_id if c.record else "?")))
        elif c.outcome == backup.REWRITTEN:
            texts.append((True, tr(
                "Audit log does not extend the backup {path} made {when}: from entry {id} on it differs from the "
                "backup: the log was rewritten.").format(path=c.backup, when=when, id=c.entry_id)))
        elif c.outcome == backup.RESTORED:
            restored = c.restored_at.strftime("%d/%m/%Y %H:%M") if c.restored_at else "?"
            texts.append((False, tr(
                "The backup {path} made {when} holds entries the restore of {restored} left behind: not "
                "compared.").format(path=c.backup, when=when, restored=restored)))
        elif c.outcome == backup.UNREADABLE:
            texts.append((False, tr("The backup {path} could not be read: not compared.").format(path=c.backup)))
    return extended, texts


def grouped(value: int) -> str:
    """A whole number with its thousands grouped: "." in Vietnamese, "," in English."""
    text = f"{value:,}"
    return text.replace(",", ".") if i18n.language() == "vi" else text
