"""One person, one record: when two patients (or a new one and a registered one, or two rows of
one imported file) may be the same person.

The rule, the same at registration, at import and in the head's "find duplicates":

* the same citizen ID (this one blocks: one person, one record);
* the same insurance card number, the same phone, or — for children — the same guardian's phone;
* names that are the same as the search reads them (accents and đ folded, one slip per word
  of 4 letters and two from 8, words run together, Telex or VNI keys left in, another middle
  name) with the same birth year, or a year apart when either birth date is estimated.

The village never excludes anyone; it only ranks the candidates (same village first).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from station_app.domain import slips
from station_app.domain.text import fold, words

CHILD_AGE_YEARS = 16  # "trẻ em": the guardian's phone is the family's


def name_words(name: str) -> tuple[str, ...]:
    """The folded words of a name, each Telex or VNI key sequence read back first."""
    out = []
    for word in words(name):
        reading = slips.input_method_reading(word) if word.isascii() else None
        out.append(fold(reading or word))
    return tuple(w for w in out if w)


def name_edits(a: tuple[str, ...], b: tuple[str, ...]) -> int | None:
    """The edits between two folded names when they are one name as the search reads it, else None.

    Word by word (one slip per word as search allows), the letters with the spaces left out
    (words run together), or the same family and given names around another middle name.
    """
    if not a or not b:
        return None
    if a == b:
        return 0
    joined_a, joined_b = "".join(a), "".join(b)
    if joined_a == joined_b:
        return 0
    best: int | None = None
    if len(a) == len(b):
        total = 0
        for x, y in zip(a, b, strict=True):
            edits = slips.within_slip(x, y)
            if edits is None:
                total = -1
                break
            total += edits
        if total >= 0:
            best = total
    if len(a) >= 2 and len(b) >= 2 and a[0] == b[0] and a[-1] == b[-1] and len(a) + len(b) > 4:
        best = 1 if best is None else min(best, 1)  # another middle name: "Nguyễn Ngọc Hương"
    if best is None and len(a) != len(b):
        # run together and slipped: the letters within the slips allowed to the longer name's words
        limit = min(2, sum(slips.allowed_edits(w) for w in (a if len(a) > len(b) else b)))
        edits = int(OSA.distance(joined_a, joined_b, score_cutoff=limit))
        if edits <= limit:
            best = edits
    return best


def years_match(year_a: int | None, estimated_a: bool, year_b: int | None, estimated_b: bool) -> bool:
    """The same birth year, or one apart when either is estimated."""
    if year_a is None or year_b is None:
        return False
    gap = abs(year_a - year_b)
    return gap == 0 or (gap == 1 and (estimated_a or estimated_b))


@dataclass(frozen=True)
class Person:
    """What the rule reads of a patient or of a row of a file."""

    key: int  # a patient id, or a row number
    name: tuple[str, ...]
    birth_year: int | None
    estimated: bool
    village: str = ""  # folded
    birth_month: int | None = None
    birth_day: int | None = None
    citizen_id: str = ""
    insurance_no: str = ""
    phone: str = ""
    guardian_phone: str = ""
    child: bool = False


def dates_differ(a: Person, b: Person) -> bool:
    """Both birth dates are known to the day (not estimated) and are different days."""
    full = [p.birth_month is not None and p.birth_day is not None and not p.estimated for p in (a, b)]
    return all(full) and (a.birth_year, a.birth_month, a.birth_day) != (b.birth_year, b.birth_month, b.birth_day)


def one_person(candidate: Candidate) -> bool:
    """Whether a candidate is the same person by the rule, not only a shared phone: what an
    import lists as a repeat (a family's members often share one phone)."""
    return candidate.reason in ("citizen_id", "insurance_no", "name") or candidate.edits < 9


REASONS = ("citizen_id", "insurance_no", "name", "phone", "guardian_phone")


@dataclass(frozen=True)
class Candidate:
    key: int
    reason: str  # one of REASONS, the strongest that applies
    edits: int  # of the names (0 when they are the same), 9 when the names differ
    same_village: bool

    def rank(self) -> tuple[int, int, int, int]:
        return (REASONS.index(self.reason), not self.same_village, self.edits, self.key)


class Registry:
    """People indexed for the rule: by identifier and by birth year, then names compared.

    Names of one birth year are compared with rapidfuzz's ``process.extract`` over the year's
    distinct joined names (letters without spaces), which keeps a file of 100,000 rows against
    a registry of 100,000 to a C loop per row; exact names are a dictionary look-up.
    """

    def __init__(self) -> None:
        self.people: dict[int, Person] = {}
        self._ids: dict[tuple[str, str], list[int]] = {}
        self._names: dict[int, dict[str, list[int]]] = {}  # year → joined name → keys
        self._lists: dict[int, list[str]] = {}  # year → its joined names, for rapidfuzz
        self._ends: dict[tuple[int, str, str], list[int]] = {}  # (year, family, given) → keys

    def add(self, person: Person) -> None:
        self.people[person.key] = person
        for kind in ("citizen_id", "insurance_no", "phone"):
            value = getattr(person, kind)
            if value:
                self._ids.setdefault((kind, value), []).append(person.key)
        if person.guardian_phone:
            self._ids.setdefault(("guardian_phone", person.guardian_phone), []).append(person.key)
        if person.birth_year is not None and person.name:
            joined = "".join(person.name)
            names = self._names.setdefault(person.birth_year, {})
            if joined not in names:
                names[joined] = []
                self._lists.pop(person.birth_year, None)
            names[joined].append(person.key)
            if len(person.name) >= 2:
                self._ends.setdefault((person.birth_year, person.name[0], person.name[-1]), []).append(person.key)

    def candidates(self, person: Person, limit: int = 20) -> list[Candidate]:
        """Who in the registry may be ``person``, most likely first."""
        found: dict[int, Candidate] = {}

        def note(key: int, reason: str) -> None:
            if key == person.key or key in found:
                return
            other = self.people[key]
            edits = name_edits(person.name, other.name)
            found[key] = Candidate(key, reason, 9 if edits is None else edits,
                                   bool(person.village) and person.village == other.village)

        for kind in ("citizen_id", "insurance_no"):
            value = getattr(person, kind)
            for key in self._ids.get((kind, value), ()) if value else ():
                note(key, kind)
        for key in self._name_matches(person):
            note(key, "name")
        if person.phone:
            for key in self._ids.get(("phone", person.phone), ()):
                note(key, "phone")
        if person.child and person.guardian_phone:
            for key in self._ids.get(("guardian_phone", person.guardian_phone), ()):
                if self.people[key].child:
                    note(key, "guardian_phone")
        return sorted(found.values(), key=Candidate.rank)[:limit]

    def _name_matches(self, person: Person) -> Iterable[int]:
        if person.birth_year is None or not person.name:
            return
        joined = "".join(person.name)
        limit = min(2, sum(slips.allowed_edits(w) for w in person.name))
        for year in (person.birth_year - 1, person.birth_year, person.birth_year + 1):
            names = self._names.get(year)
            if not names:
                continue
            exact = names.get(joined, ())
            close: list[str] = []
            if limit:
                listed = self._lists.get(year)
                if listed is None:
                    listed = self._lists[year] = list(names)
                close = [n for n, _, _ in process.extract(joined, listed, scorer=OSA.distance,
                                                          score_cutoff=limit, limit=None) if n != joined]
            for name in (joined, *close):
                for key in names.get(name, ()) if name != joined else exact:
                    other = self.people[key]
                    if not years_match(person.birth_year, person.estimated, other.birth_year, other.estimated):
                        continue
                    if name == joined or name_edits(person.name, other.name) is not None:
                        yield key
        # another middle name: the same family and given name
        if len(person.name) >= 2:
            for year in (person.birth_year - 1, person.birth_year, person.birth_year + 1):
                for key in self._ends.get((year, person.name[0], person.name[-1]), ()):
                    other = self.people[key]
                    if years_match(person.birth_year, person.estimated, other.birth_year, other.estimated) and (
                        not dates_differ(person, other) and name_edits(person.name, other.name) is not None
                    ):
                        yield key
