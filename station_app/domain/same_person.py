"""One person, one record: when two patients (or a new one and a registered one, or two rows of
one imported file) may be the same person.

The rule, the same at registration, at import and in the head's "find duplicates":

* the same citizen ID (this one blocks: one person, one record);
* the same insurance card number, the same phone, or — for children — the same guardian's phone;
* names that are the same as the search reads them (accents and đ folded, one slip — a letter
  left out, added, changed, or two neighbours swapped — in a word of 4 letters or more, words
  run together, Telex or VNI keys left in, another middle name) with the same birth year, or a
  year apart when either birth date is estimated; unless both birth dates are known to the day
  and differ, or the two carry different citizen IDs: then they are two people.

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


@dataclass(slots=True)
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


@dataclass(slots=True)
class Candidate:
    key: int
    reason: str  # one of REASONS, the strongest that applies
    edits: int  # of the names (0 when they are the same), 9 when the names differ
    same_village: bool

    def rank(self) -> tuple[int, int, int, int]:
        return (REASONS.index(self.reason), not self.same_village, self.edits, self.key)


def _halves(length: int) -> int:
    return length // 2


def _years(person: Person) -> tuple[int, ...]:
    year = person.birth_year
    assert year is not None
    return (year - 1, year, year + 1) if person.estimated else (year,)


class Registry:
    """People indexed for the rule: by identifier, and by birth year and name.

    A name within one slip of another (one letter left out, added, changed, or two neighbours
    swapped) keeps one of its halves whole: each distinct name (its words joined, no spaces) is
    indexed by its year, length and each half, and a name looked up is compared, with rapidfuzz,
    only with the names sharing a half (a swap across the middle is looked up swapped). A file of
    100,000 rows is checked against a registry of 100,000 in seconds, where comparing each row
    with every name of its years took minutes. Names run together or typed in Telex are one name
    once joined and read back; another middle name is found by family and given name.
    """

    def __init__(self) -> None:
        self.people: dict[int, Person] = {}
        self._ids: dict[tuple[str, str], list[int]] = {}
        self._names: dict[tuple[int, str], list[int]] = {}  # (year, joined name) → keys
        self._halves: dict[tuple[int, int, bool, str], list[str]] = {}  # (year, length, first?, half) → names
        self._ends: dict[tuple[int, str, str], list[int]] = {}  # (year, family, given) → keys

    def add(self, person: Person) -> None:
        self.people[person.key] = person
        for kind in ("citizen_id", "insurance_no", "phone", "guardian_phone"):
            value = getattr(person, kind)
            if value:
                self._ids.setdefault((kind, value), []).append(person.key)
        if person.birth_year is None or not person.name:
            return
        joined = "".join(person.name)
        # An estimated year is indexed under the years either side too, so a person born on a
        # known day is compared with their own year's names only.
        for year in _years(person):
            keys = self._names.get((year, joined))
            if keys is None:
                self._names[(year, joined)] = [person.key]
                h, n = _halves(len(joined)), len(joined)
                self._halves.setdefault((year, n, True, joined[:h]), []).append(joined)
                self._halves.setdefault((year, n, False, joined[h:]), []).append(joined)
            else:
                keys.append(person.key)
            if len(person.name) >= 2:
                self._ends.setdefault((year, person.name[0], person.name[-1]), []).append(person.key)

    def candidates(self, person: Person, limit: int = 20, *, first_name_match: bool = False) -> list[Candidate]:
        """Who in the registry may be ``person``, most likely first. ``first_name_match``: names
        spelt the same are enough, slips are looked for only without one (an import's check)."""
        found: dict[int, Candidate] = {}

        def note(key: int, reason: str, edits: int | None = None) -> None:
            if key == person.key or key in found:
                return
            other = self.people[key]
            if edits is None:
                edits = name_edits(person.name, other.name)
            found[key] = Candidate(key, reason, 9 if edits is None else edits,
                                   bool(person.village) and person.village == other.village)

        for kind in ("citizen_id", "insurance_no"):
            value = getattr(person, kind)
            for key in self._ids.get((kind, value), ()) if value else ():
                note(key, kind)
        for key, edits in self._name_matches(person, first_name_match):
            note(key, "name", edits)
        if person.phone:
            for key in self._ids.get(("phone", person.phone), ()):
                note(key, "phone")
        if person.child and person.guardian_phone:
            for key in self._ids.get(("guardian_phone", person.guardian_phone), ()):
                if self.people[key].child:
                    note(key, "guardian_phone")
        return sorted(found.values(), key=Candidate.rank)[:limit]

    def _close_names(self, year: int, joined: str) -> list[str]:
        """Names of ``year`` within one edit of ``joined`` (itself excluded)."""
        if len(joined) < slips.MIN_ONE_EDIT:
            return []
        looked = [joined]
        h = _halves(len(joined))
        if 0 < h < len(joined):  # a swap across the middle changes both halves
            looked.append(joined[: h - 1] + joined[h] + joined[h - 1] + joined[h + 1 :])
        close: dict[str, None] = {}
        for text in looked:
            for n in (len(text) - 1, len(text), len(text) + 1):
                half = _halves(n)
                halves = [(True, text[:half])]
                if n - half <= len(text):
                    halves.append((False, text[len(text) - (n - half):]))
                for first, part in halves:
                    bucket = self._halves.get((year, n, first, part))
                    if bucket:
                        for name, _, _ in process.extract(joined, bucket, scorer=OSA.distance, score_cutoff=1,
                                                          limit=None):
                            close[name] = None
        close.pop(joined, None)
        return list(close)

    def _name_matches(self, person: Person, first_only: bool = False) -> Iterable[tuple[int, int | None]]:
        if person.birth_year is None or not person.name:
            return
        joined = "".join(person.name)
        years = _years(person)
        exact = False
        for year in years:
            for key in self._names.get((year, joined), ()):
                if self._may_be(person, self.people[key]):
                    exact = True
                    yield key, 0
        if exact and first_only:
            return
        for year in years:
            for name in self._close_names(year, joined):
                for key in self._names.get((year, name), ()):
                    other = self.people[key]
                    if self._may_be(person, other) and (edits := name_edits(person.name, other.name)) is not None:
                        yield key, edits
            if len(person.name) >= 2:  # another middle name: the same family and given name
                for key in self._ends.get((year, person.name[0], person.name[-1]), ()):
                    other = self.people[key]
                    if self._may_be(person, other) and (edits := name_edits(person.name, other.name)) is not None:
                        yield key, edits

    @staticmethod
    def _may_be(person: Person, other: Person) -> bool:
        """Birth years that agree (±1 when estimated), full birth dates that do not differ, and no
        two different citizen IDs."""
        if not years_match(person.birth_year, person.estimated, other.birth_year, other.estimated):
            return False
        if dates_differ(person, other):
            return False
        return not (person.citizen_id and other.citizen_id and person.citizen_id != other.citizen_id)
