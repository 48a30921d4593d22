"""Vietnamese text: normalisation, accent folding, word splitting and alphabetical sort keys.

Folding is exact for Vietnamese without any transliteration library: decompose (NFD), drop the
combining marks (tones, breve, circumflex, horn) and map ``đ``/``Đ`` to ``d``/``D``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# Vietnamese alphabet order (f, j, w, z kept for foreign names, placed as in Latin order).
_ALPHABET = [
    "a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "f", "g", "h", "i", "j", "k", "l", "m", "n",
    "o", "ô", "ơ", "p", "q", "r", "s", "t", "u", "ư", "v", "w", "x", "y", "z",
]
_LETTER_RANK = {letter: index for index, letter in enumerate(_ALPHABET)}
# Tone marks, in the conventional order: none, huyền, hỏi, ngã, sắc, nặng.
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
# Marks that make a separate letter (ă â ê ô ơ ư) rather than a tone.
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}


def nfc(text: str) -> str:
    """Text normalised to NFC with runs of white space collapsed and the ends trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case ASCII-ish form with every Vietnamese mark removed: "Đặng Hương" → "dang huong"."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d")


def words(text: str) -> list[str]:
    """The words of ``text`` (NFC, lower case), punctuation dropped."""
    return _WORD.findall(unicodedata.normalize("NFC", text).lower())


def folded_words(text: str) -> list[str]:
    return [fold(w) for w in words(text)]


def has_marks(text: str) -> bool:
    """True when ``text`` carries any Vietnamese diacritic (or đ)."""
    return fold(text) != unicodedata.normalize("NFC", text).lower()


def _split_letter(ch: str) -> tuple[str, int]:
    """A precomposed letter → (base letter with its letter marks, tone rank)."""
    decomposed = unicodedata.normalize("NFD", ch)
    base = decomposed[0]
    tone = 0
    kept = []
    for mark in decomposed[1:]:
        if mark in _TONES:
            tone = _TONES[mark]
        elif mark in _LETTER_MARKS:
            kept.append(mark)
    letter = unicodedata.normalize("NFC", base + "".join(kept))
    return letter, tone


def word_key(word: str) -> tuple[str, str]:
    """(primary, secondary) key of one word: letters in Vietnamese order, then its tones."""
    primary = []
    tones = []
    for ch in unicodedata.normalize("NFC", word.lower()):
        letter, tone = _split_letter(ch)
        rank = _LETTER_RANK.get(letter)
        if rank is None:
            # digits and foreign letters after the alphabet, in code point order
            primary.append(chr(0x100 + ord(letter[0])))
        else:
            primary.append(chr(0x41 + rank))
        tones.append(str(tone))
    return "".join(primary), "".join(tones)


def name_parts(full_name: str) -> tuple[str, str, str]:
    """(family, middle, given) of a Vietnamese name: "Nguyễn Thị Hương" → ("nguyễn", "thị", "hương")."""
    parts = words(full_name)
    if not parts:
        return "", "", ""
    if len(parts) == 1:
        return "", "", parts[0]
    return parts[0], " ".join(parts[1:-1]), parts[-1]


@lru_cache(maxsize=65536)
def name_sort_key(full_name: str) -> str:
    """A string whose plain (binary) order is the Vietnamese order of names.

    Names sort by given name, then family name, then middle names, letter by letter in the
    Vietnamese alphabet; within a word the tone breaks ties ("Hương" before "Hường"), so all the
    people with one given name stay together. Stored in the database so SQLite can ORDER BY it.
    """
    family, middle, given = name_parts(full_name)
    keys = []
    for word in [given, family, *middle.split()]:
        primary, tones = word_key(word)
        # "\x1e" ends the letters and sorts before every letter, so "An" < "Anh".
        keys.append(primary + "\x1e" + tones)
    return " ".join(keys)


# Characters an XML 1.0 document may not hold (C0 controls but tab and line ends, surrogates, the two
# non-characters U+FFFE and U+FFFF): invisible in a form, they come with pasted text or an imported
# sheet, and one of them spoils a whole file (a claims table, a workbook). They carry nothing.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (for a claims table, a workbook's cell)."""
    return text if text.isprintable() else _NOT_XML.sub("", text)


def digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())
