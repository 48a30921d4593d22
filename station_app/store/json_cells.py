"""The JSON some columns keep (a visit's other diagnoses, a referral slip, a claim's problems, a
report as sent, an audit entry's details, the rows a merge moved…), read so that one damaged cell
— a file edited by hand, a copy gone wrong — never stops a screen or a command.

``read(text, kind)`` is the value when the cell holds JSON of that kind (a list, a dict), the
empty value of the kind for an empty cell, and None when the cell is damaged: the caller shows
the rest of its record and says what is missing (``Damaged``, naming the record), or uses an
empty value where that is honest. The audit log's chain is checked on the text as written, never
through here: a changed detail stays tampering.
"""

from __future__ import annotations

import json
from typing import TypeVar

from station_app.i18n import N_, translate
from station_app.store.errors import StoreError

T = TypeVar("T", list, dict)


class Damaged(StoreError):
    """A record whose kept data cannot be read (``what`` names it, in the person's language)."""

    message = N_("{what} is damaged in the database file and cannot be read. The other records are not "
                 "affected: restore a backup that has it whole, or record it again.")

    def __init__(self, what: str, **params: object) -> None:
        self.what = what  # an N_() source naming the record, filled by ``params``
        super().__init__("", "", what=what, **params)

    def text(self, lang: str | None = None) -> str:
        named = translate(self.what, lang).format(**self.params)
        return translate(self.message, lang).format(what=named)


def read(text: object, kind: type[T]) -> T | None:
    """The JSON value of a TEXT cell when it is a ``kind``; ``kind()`` for an empty cell (NULL or
    ''); None when the cell is not JSON or holds another kind of value."""
    if text is None or text == "":
        return kind()
    try:
        value = json.loads(str(text))
    except (ValueError, RecursionError):  # (json.JSONDecodeError, a lone surrogate; nesting too deep)
        return None
    return value if isinstance(value, kind) else None
