"""Typing slips in names: what a word typed wrongly may have meant.

A nurse types fast on a keyboard whose Vietnamese input method is sometimes off. The slips this
module reads back, each as a *reading* of a typed word (folded words it may stand for, with the
number of letter edits it took):

* one edit — a letter inserted, left out, replaced, or two neighbouring letters swapped — in a
  word of at least 4 letters, two edits from 8 letters ("ngyuen", "nguyn", "nguen" → nguyen);
* words run together ("nguyenthithuy" → nguyen thi thuy), split where the registry's words allow;
* Telex or VNI keys left in by a switched-off input method ("nguyeenx", "thij", "thuyr",
  "nguye6n4"), read back as the marked word they type ("nguyễn", "thị", "thủy", "nguyễn").

Old and new tone placement ("hoà"/"hòa", "thuỷ"/"thủy") are one: :func:`tone_variants`.

Plain Python: the registry's words come from the store; the edit distance is rapidfuzz's
optimal string alignment (each insert, delete, substitute or neighbouring swap is one edit).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from station_app.domain.text import fold

MIN_ONE_EDIT = 4  # letters from which one edit is forgiven
MIN_TWO_EDITS = 8  # ... and two
_MIN_PIECE = 2  # letters of a word found inside a run-together one
_MAX_ALTERNATIVES = 12  # registry words kept per slipped word (the closest)

_TONE_MARKS = {"\u0301": 1, "\u0300": 2, "\u0309": 3, "\u0303": 4, "\u0323": 5}  # sắc huyền hỏi ngã nặng
_MARK_OF_TONE = {tone: mark for mark, tone in _TONE_MARKS.items()}


def allowed_edits(word: str) -> int:
    """How many edits a typed word of this length may carry: 0, 1 from 4 letters, 2 from 8."""
    if len(word) >= MIN_TWO_EDITS:
        return 2
    return 1 if len(word) >= MIN_ONE_EDIT else 0


def distance(a: str, b: str, cutoff: int | None = None) -> int:
    """Edits from ``a`` to ``b`` (insert, delete, substitute, swap of neighbours)."""
    return int(OSA.distance(a, b, score_cutoff=cutoff))


def within_slip(typed: str, word: str) -> int | None:
    """The edits between two folded words when they are within a slip of each other, else None."""
    if typed == word:
        return 0
    limit = min(allowed_edits(typed), allowed_edits(word))
    if not limit:
        return None
    edits = distance(typed, word, limit)
    return edits if edits <= limit else None


# -- tone placement -------------------------------------------------------------------------------
def _letters(word: str) -> tuple[list[str], int, int]:
    """(letters without tone, tone, index of the letter that carried it; -1 when none)."""
    letters: list[str] = []
    tone, at = 0, -1
    for ch in unicodedata.normalize("NFC", word):
        decomposed = unicodedata.normalize("NFD", ch)
        kept = decomposed[0]
        for mark in decomposed[1:]:
            if mark in _TONE_MARKS:
                tone, at = _TONE_MARKS[mark], len(letters)
            else:
                kept += mark
        letters.append(unicodedata.normalize("NFC", kept))
    return letters, tone, at


def _with_tone(letters: list[str], tone: int, at: int) -> str:
    out = list(letters)
    if tone and 0 <= at < len(out):
        out[at] = unicodedata.normalize("NFC", out[at] + _MARK_OF_TONE[tone])
    return "".join(out)


def _nucleus(letters: list[str]) -> tuple[int, int]:
    """[start, end) of the vowel cluster ("qu" and "gi" before a vowel count as consonants)."""
    base = [fold(ch) for ch in letters]
    start = 0
    while start < len(base) and base[start] not in "aeiouy":
        start += 1
    if start < len(base) - 1 and start > 0:
        before = base[start - 1]
        if ((before == "q" and base[start] == "u") or (before == "g" and base[start] == "i")) and (
            base[start + 1] in "aeiouy"
        ):
            start += 1
    end = start
    while end < len(base) and base[end] in "aeiouy":
        end += 1
    return start, end


def place_tone(letters: list[str], tone: int) -> str:
    """The word with ``tone`` on the vowel the old (traditional) placement chooses."""
    if not tone:
        return "".join(letters)
    start, end = _nucleus(letters)
    if start >= end:
        return "".join(letters)
    marked = [i for i in range(start, end) if letters[i].lower() in "ăâêôơư"]
    if marked:
        at = marked[-1]  # ươ: on the ơ
    elif end - start == 1:
        at = start
    elif end < len(letters):  # a final consonant: the last vowel ("toàn", "tuyết")
        at = end - 1
    elif end - start == 3:
        at = start + 1  # "ngoài", "khuya"
    else:
        at = start  # "hòa", "thủy", "mía"
    return _with_tone(letters, tone, at)


@lru_cache(maxsize=4096)
def tone_variants(word: str) -> tuple[str, ...]:
    """``word`` and its other tone placement, if it has one: "hoà" → ("hoà", "hòa")."""
    word = unicodedata.normalize("NFC", word)
    letters, tone, at = _letters(word)
    if not tone:
        return (word,)
    start, end = _nucleus(letters)
    variants = [word]
    if end == len(letters) and end - start == 2:
        pair = "".join(fold(ch) for ch in letters[start:end]).lower()
        if pair in ("oa", "oe", "uy") and at in (start, start + 1):
            other = start + 1 if at == start else start
            variants.append(_with_tone(letters, tone, other))
    return tuple(variants)


# -- Telex and VNI ---------------------------------------------------------------------------------
_TELEX_TONES = {"s": 1, "f": 2, "r": 3, "x": 4, "j": 5, "z": 0}
_TELEX_DOUBLE = {"aa": "â", "ee": "ê", "oo": "ô", "dd": "đ", "aw": "ă", "ow": "ơ", "uw": "ư"}
_VNI_SHAPE = {("a", "6"): "â", ("e", "6"): "ê", ("o", "6"): "ô", ("o", "7"): "ơ", ("u", "7"): "ư",
              ("a", "8"): "ă", ("d", "9"): "đ"}
_LOOKS_TELEX = re.compile(r"aa|ee|oo|dd|w|[aeiouy][a-z]*[sfrxjz]|[fjz]")
_LOOKS_VNI = re.compile(r"[a-z][a-z]*[1-9]")


def _telex(word: str) -> str | None:
    if not word.isascii() or not word.isalpha():
        return None
    first_vowel = next((i for i, ch in enumerate(word) if ch in "aeiouy"), None)
    if first_vowel is None:
        return None
    tone = 0
    letters: list[str] = []
    i = 0
    while i < len(word):
        ch = word[i]
        pair = word[i : i + 2]
        if i > first_vowel and ch in _TELEX_TONES and not (ch == "r" and i == 0):
            tone = _TELEX_TONES[ch]
            i += 1
            continue
        if ch == "d" and pair == "dd":
            letters.append("đ")
            i += 2
            continue
        if ch in "aeo" and i + 1 < len(word) and word[i + 1] == ch:
            letters.append(_TELEX_DOUBLE[ch * 2])
            i += 2
            continue
        if ch in "aou" and i + 1 < len(word) and word[i + 1] == "w":
            if ch == "o" and letters and letters[-1] == "u":
                letters[-1] = "ư"  # "uow" → ươ
            letters.append(_TELEX_DOUBLE[ch + "w"])
            i += 2
            continue
        if ch == "w":
            # "uow" → ươ: the w after o also horns the u before it
            if letters and letters[-1] == "o" and len(letters) > 1 and letters[-2] == "u":
                letters[-2:] = ["ư", "ơ"]
            elif letters and letters[-1] in ("o", "u", "a"):
                letters[-1] = _TELEX_DOUBLE[letters[-1] + "w"]
            else:
                letters.append("ư")
            i += 1
            continue
        letters.append(ch)
        i += 1
    return place_tone(letters, tone)


def _vni(word: str) -> str | None:
    if not word.isascii() or not any(ch.isdigit() for ch in word) or not word[0].isalpha():
        return None
    tone = 0
    letters: list[str] = []
    for ch in word:
        if ch.isalpha():
            letters.append(ch)
            continue
        if ch in "12345":
            tone = int(ch)
            continue
        if ch == "0":
            return None
        # 6 7 8 9: the nearest letter before it that takes this mark
        for j in range(len(letters) - 1, -1, -1):
            shaped = _VNI_SHAPE.get((letters[j], ch))
            if shaped:
                letters[j] = shaped
                if ch == "7" and letters[j] == "ơ" and j > 0 and letters[j - 1] == "u":
                    letters[j - 1] = "ư"  # "uo7" → ươ
                break
        else:
            return None
    return place_tone(letters, tone)


def input_method_reading(word: str) -> str | None:
    """The marked word a Telex or VNI key sequence types, if ``word`` looks like one: else None."""
    word = word.lower()
    if any(ch.isdigit() for ch in word):
        return _vni(word) if _LOOKS_VNI.match(word) else None
    if not _LOOKS_TELEX.search(word):
        return None
    reading = _telex(word)
    return reading if reading and reading != word else None


# -- readings against the registry's words ---------------------------------------------------------
@dataclass(frozen=True)
class Reading:
    """What one typed word may stand for: folded registry words (all of them in the name; the last
    one may be a prefix when ``prefix_last``), the edits it took and the marked word it types."""

    words: tuple[str, ...]
    edits: int
    marked: str = ""
    prefix_last: bool = False


class Vocabulary:
    """The registry's distinct folded name words, sorted, for prefix and slip look-ups."""

    def __init__(self, words: Sequence[str]) -> None:
        self.words = sorted(set(words))
        self.known = set(self.words)

    def __len__(self) -> int:
        return len(self.words)

    def has_prefix(self, prefix: str) -> bool:
        i = bisect.bisect_left(self.words, prefix)
        return i < len(self.words) and self.words[i].startswith(prefix)

    def near(self, word: str) -> list[tuple[str, int]]:
        """Registry words within a slip of ``word``, fewest edits first."""
        limit = allowed_edits(word)
        if not limit:
            return []
        found = process.extract(word, self.words, scorer=OSA.distance, score_cutoff=limit,
                                limit=None)
        close = sorted(((w, int(d)) for w, d, _ in found if d and allowed_edits(w) >= d),
                       key=lambda item: (item[1], item[0]))
        return close[:_MAX_ALTERNATIVES]

    def split(self, word: str) -> tuple[str, ...] | None:
        """``word`` cut into registry words ("nguyenthithuy" → nguyen, thi, thuy), fewest pieces;
        the last piece may be the start of a word (a name still being typed). None if it cannot."""
        n = len(word)
        best: list[tuple[str, ...] | None] = [None] * (n + 1)
        best[0] = ()
        for end in range(_MIN_PIECE, n + 1):
            for start in range(0, end - _MIN_PIECE + 1):
                before = best[start]
                if before is None:
                    continue
                piece = word[start:end]
                if piece in self.known or (end == n and self.has_prefix(piece)):
                    candidate = (*before, piece)
                    current = best[end]
                    if current is None or len(candidate) < len(current):
                        best[end] = candidate
        found = best[n]
        return found if found is not None and len(found) >= 2 else None


def readings(word: str, vocabulary: Vocabulary, *, literal_found: bool) -> list[Reading]:
    """The tolerant readings of one typed (folded, or Telex/VNI) word, best first.

    ``literal_found``: the query as typed found some patients. Then only an input method reading
    is offered (the literal query found little); otherwise slips are read too.
    """
    out: list[Reading] = []
    typed = word.lower()
    marked = input_method_reading(typed)
    if marked is not None:
        folded = fold(marked)
        if folded != typed and (folded in vocabulary.known or vocabulary.has_prefix(folded)):
            out.append(Reading((folded,), 0, marked, prefix_last=folded not in vocabulary.known))
    if literal_found:
        return out
    folded_typed = fold(typed)
    if not folded_typed.isalpha():
        return out
    pieces = vocabulary.split(folded_typed)
    if pieces is not None:
        out.append(Reading(pieces, 0, prefix_last=pieces[-1] not in vocabulary.known))
    for near, edits in vocabulary.near(folded_typed):
        out.append(Reading((near,), edits))
    if marked is not None and not out[:1]:
        # Telex keys and a slip together ("nguyeenx" typed "nguyeemx"): the slip in the reading
        for near, edits in vocabulary.near(fold(marked)):
            out.append(Reading((near,), edits, marked))
    seen: set[tuple[tuple[str, ...], bool]] = set()
    unique = []
    for reading in out:
        key = (reading.words, reading.prefix_last)
        if key not in seen:
            seen.add(key)
            unique.append(reading)
    return unique


def neighbour_swaps(number: str) -> list[str]:
    """A 10–12-digit number with one pair of neighbouring digits swapped, every way it can be."""
    if not (number.isdigit() and 10 <= len(number) <= 12):
        return []
    out = []
    for i in range(len(number) - 1):
        if number[i] != number[i + 1]:
            out.append(number[:i] + number[i + 1] + number[i] + number[i + 2 :])
    return out
