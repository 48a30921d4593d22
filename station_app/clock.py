"""The one place that tells "today" and "now".

Reminders, ages and monthly summaries depend on the date; everything reads it here so that
tests (and ``--as-of`` on the command line) can pin it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

_pinned: dt.datetime | None = None


def now() -> dt.datetime:
    """Local wall-clock time, without time zone (the station has one)."""
    return _pinned if _pinned is not None else dt.datetime.now().replace(microsecond=0)


def today() -> dt.date:
    return now().date()


def pin(moment: dt.datetime | dt.date | None) -> None:
    """Pin the clock to ``moment`` (a date pins to its noon); ``None`` releases it."""
    global _pinned
    if isinstance(moment, dt.date) and not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time(12, 0))
    _pinned = moment


@contextmanager
def pinned(moment: dt.datetime | dt.date) -> Iterator[None]:
    previous = _pinned
    pin(moment)
    try:
        yield
    finally:
        pin(previous)
