"""Patients in the database: save, load, search (accent-insensitive), possible duplicates."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from station_app.domain import same_person, slips
from station_app.domain.accounts import Permission
from station_app.domain.dates import PartialDate
from station_app.domain.identifiers import make_record_no, normalise_phone
from station_app.domain.patient import FIELD_LABELS, Patient, normalised
from station_app.domain.slips import tone_variants
from station_app.domain.text import fold, has_marks, name_sort_key, nfc, words
from station_app.i18n import N_
from station_app.store import audit, errors, lifespan
from station_app.store.database import Row, Store, now_text

COLUMNS = (
    "id, record_no, full_name, sex, birth_year, birth_month, birth_day, birth_estimated, "
    "citizen_id, insurance_no, insurance_valid_from, insurance_valid_to, insurance_facility, "
    "phone, address, village, ethnicity, nationality, occupation, workplace, guardian_name, "
    "guardian_phone, guardian_relation, deceased, deceased_date, notes, created_at, updated_at, "
    "nationality_code, occupation_code, province_code, district_code, commune_code"
)


class DuplicateCitizenId(errors.StoreError):
    message = N_("Another patient already has this citizen ID: {other}.")


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _datetime(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def from_row(row: Row) -> Patient:
    birth = None
    if row["birth_year"] is not None:
        birth = PartialDate(
            int(row["birth_year"]),
            row["birth_month"],
            row["birth_day"],
            bool(row["birth_estimated"]),
        )
    return Patient(
        id=row["id"],
        record_no=row["record_no"],
        full_name=row["full_name"],
        sex=row["sex"],
        birth=birth,
        citizen_id=row["citizen_id"],
        insurance_no=row["insurance_no"],
        insurance_valid_from=_date(row["insurance_valid_from"]),
        insurance_valid_to=_date(row["insurance_valid_to"]),
        insurance_facility=row["insurance_facility"],
        phone=row["phone"],
        address=row["address"],
        village=row["village"],
        ethnicity=row["ethnicity"],
        nationality=row["nationality"],
        occupation=row["occupation"],
        workplace=row["workplace"],
        guardian_name=row["guardian_name"],
        guardian_phone=row["guardian_phone"],
        guardian_relation=row["guardian_relation"],
        deceased=bool(row["deceased"]),
        deceased_date=_date(row["deceased_date"]),
        notes=row["notes"],
        created_at=_datetime(row["created_at"]),
        updated_at=_datetime(row["updated_at"]),
        nationality_code=row["nationality_code"],
        occupation_code=row["occupation_code"],
        province_code=row["province_code"],
        district_code=row["district_code"],
        commune_code=row["commune_code"],
    )


def search_words(p: Patient) -> str:
    """The words a patient can be found by: folded name, record no., IDs, card and phones."""
    return index_words(p.full_name, p.record_no or "", p.citizen_id, p.insurance_no, (p.phone, p.guardian_phone))


def index_words(full_name: str, record_no: str, citizen_id: str, insurance_no: str, phones: tuple[str, ...]) -> str:
    tokens = [fold(w) for w in words(full_name)]
    if record_no:
        digits = re.sub(r"\D", "", record_no)
        tokens += [digits, digits.lstrip("0")]
    if citizen_id:
        tokens.append(citizen_id)
    if insurance_no:
        tokens.append(insurance_no.lower())
        if len(insurance_no) == 15:
            tokens.append(insurance_no[-10:])
    for phone in phones:
        if phone:
            tokens += [phone, phone.lstrip("0")]
    return " ".join(t for t in tokens if t)


def _values(p: Patient) -> dict[str, object]:
    b = p.birth
    return {
        "full_name": p.full_name,
        "name_lower": " ".join(words(p.full_name)),
        "name_folded": " ".join(fold(w) for w in words(p.full_name)),
        "sort_key": name_sort_key(p.full_name),
        "sex": p.sex,
        "birth_year": b.year if b else None,
        "birth_month": b.month if b else None,
        "birth_day": b.day if b else None,
        "birth_estimated": int(bool(b and (b.estimated or not b.is_full))),
        "citizen_id": p.citizen_id,
        "insurance_no": p.insurance_no,
        "insurance_valid_from": p.insurance_valid_from.isoformat() if p.insurance_valid_from else None,
        "insurance_valid_to": p.insurance_valid_to.isoformat() if p.insurance_valid_to else None,
        "insurance_facility": p.insurance_facility,
        "phone": p.phone,
        "address": p.address,
        "village": p.village,
        "ethnicity": p.ethnicity,
        "nationality": p.nationality,
        "occupation": p.occupation,
        "workplace": p.workplace,
        "guardian_name": p.guardian_name,
        "guardian_phone": p.guardian_phone,
        "guardian_relation": p.guardian_relation,
        "deceased": int(p.deceased),
        "deceased_date": p.deceased_date.isoformat() if p.deceased_date else None,
        "notes": p.notes,
        "nationality_code": p.nationality_code,
        "occupation_code": p.occupation_code,
        "province_code": p.province_code,
        "district_code": p.district_code,
        "commune_code": p.commune_code,
    }


def _check_citizen_id(store: Store, p: Patient) -> None:
    if not p.citizen_id:
        return
    rows = store.query(
        # "citizen_id <> ''" lets SQLite use the partial unique index (a lookup, not a scan of every patient)
        "SELECT record_no, full_name FROM patients WHERE citizen_id = ? AND citizen_id <> '' AND id IS NOT ?",
        (p.citizen_id, p.id),
    )
    if rows:
        raise DuplicateCitizenId(other=f"{rows[0]['full_name']} ({rows[0]['record_no']})")


def _next_record_no(store: Store, next_id: int) -> str:
    """The record number of a new patient: its id, unless an imported number already took it."""
    candidate = make_record_no(next_id)
    if store.scalar("SELECT 1 FROM patients WHERE record_no = ?", (candidate,)) is None:
        return candidate
    highest = store.scalar(
        "SELECT max(CAST(substr(record_no, 1, instr(record_no, '-') - 1) AS INTEGER)) FROM patients"
    )
    return make_record_no(int(highest or 0) + 1)


def insert(store: Store, patient: Patient) -> Patient:
    """Save a new patient (normalised) in one transaction; returns it with id and record no."""
    p = normalised(patient)
    stamp = now_text()
    with store.write(Permission.EDIT_PATIENTS):
        _check_citizen_id(store, p)
        values = _values(p)
        next_id = int(store.scalar("SELECT coalesce(max(id), 0) + 1 FROM patients"))
        record_no = p.record_no or _next_record_no(store, next_id)
        values.update(id=next_id, record_no=record_no, created_at=stamp, updated_at=stamp)
        names = ", ".join(values)
        marks = ", ".join(f":{k}" for k in values)
        try:
            store.conn.execute(f"INSERT INTO patients ({names}) VALUES ({marks})", values)
        except sqlite3.IntegrityError as exc:
            if "citizen_id" in str(exc):
                raise DuplicateCitizenId(other=p.citizen_id) from exc
            raise
        saved = replace(p, id=next_id, record_no=record_no,
                        created_at=dt.datetime.fromisoformat(stamp), updated_at=dt.datetime.fromisoformat(stamp))
        store.conn.execute(
            "INSERT INTO patient_search (rowid, words) VALUES (?, ?)", (next_id, search_words(saved))
        )
        from station_app.store import followups

        followups.on_patient_registered(store, saved)
        audit.record(store, audit.CREATE, ("patient", next_id), {"record_no": record_no})
    return saved


def update(store: Store, patient: Patient) -> Patient:
    """Save changes to an existing patient in one transaction."""
    if patient.id is None:
        raise ValueError("update needs a saved patient")
    p = normalised(patient)
    stamp = now_text()
    with store.write(Permission.EDIT_PATIENTS):
        _check_citizen_id(store, p)
        values = _values(p)
        before = store.query(f"SELECT {', '.join(values)} FROM patients WHERE id = ?", (p.id,))
        changed = {k: v for k, v in (before[0] if before else {}).items() if values[k] != v}
        if "deceased_date" in changed and p.deceased_date is not None:  # not before their last visit
            found = lifespan.death_before_care(store, patient.id, p.deceased_date, "deceased_date")
            lifespan.refuse(found, FIELD_LABELS)
        values["updated_at"] = stamp
        assignments = ", ".join(f"{k} = :{k}" for k in values)
        store.conn.execute(f"UPDATE patients SET {assignments} WHERE id = :id", {**values, "id": p.id})
        saved = replace(p, updated_at=dt.datetime.fromisoformat(stamp))
        store.conn.execute("DELETE FROM patient_search WHERE rowid = ?", (p.id,))
        store.conn.execute(
            "INSERT INTO patient_search (rowid, words) VALUES (?, ?)", (p.id, search_words(saved))
        )
        for derived in ("name_lower", "name_folded", "sort_key"):
            changed.pop(derived, None)
        audit.record(store, audit.UPDATE, ("patient", p.id), {"fields": sorted(changed), "before": changed})
    return saved


def get(store: Store, patient_id: int) -> Patient | None:
    rows = store.query(f"SELECT {COLUMNS} FROM patients WHERE id = ?", (patient_id,))
    return from_row(rows[0]) if rows else None


def get_many(store: Store, ids: list[int]) -> dict[int, Patient]:
    found: dict[int, Patient] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in store.query(f"SELECT {COLUMNS} FROM patients WHERE id IN ({marks})", chunk):
            found[row["id"]] = from_row(row)
    return found


def by_record_no(store: Store, record_no: str) -> Patient | None:
    rows = store.query(f"SELECT {COLUMNS} FROM patients WHERE record_no = ?", (record_no,))
    return from_row(rows[0]) if rows else None


def count(store: Store) -> int:
    """How many patients the station has (those merged into another not counted)."""
    # The index of exactly these patients is counted (a few MB); left to itself SQLite reads the
    # whole table (30 MB at 100,000 patients: 55 ms against 11 ms in a new process, at every start).
    return int(store.scalar(
        "SELECT count(*) FROM patients INDEXED BY patients_live_sort_key WHERE merged_into IS NULL"
    ))


def all_ids(store: Store) -> list[int]:
    """Every patient id in Vietnamese name order (for the registry's lazy table)."""
    return [r[0] for r in store.conn.execute("SELECT id FROM patients WHERE merged_into IS NULL ORDER BY sort_key, id")]


# -- search ------------------------------------------------------------------------------------
_DIGIT_GAPS = re.compile(r"(?<=\d)[\s.\-]+(?=\d)")
_PHONE_PREFIX = re.compile(r"^\+?84(?=\d{9,10}$)")


@dataclass(frozen=True)
class SearchQuery:
    """A typed query prepared for the index: folded word prefixes and the marked words."""

    tokens: tuple[str, ...]
    marked: tuple[str, ...]

    @property
    def match(self) -> str:
        return " AND ".join(f'"{t}"*' for t in self.tokens)


def prepare_query(text: str) -> SearchQuery:
    """Fold a typed query: tones and đ folded, digit groups joined, ``+84`` turned into ``0``."""
    text = nfc(text)
    text = _DIGIT_GAPS.sub("", text)
    tokens: list[str] = []
    marked: list[str] = []
    for raw in text.split():
        if re.fullmatch(r"\+?\d+", raw):
            number = raw.lstrip("+")
            if _PHONE_PREFIX.match(raw):
                number = normalise_phone(raw)
            tokens.append(number)
            continue
        for word in words(raw):
            tokens.append(fold(word))
            if has_marks(word):
                marked.append(word)
    # Each word becomes terms of the SQL: a pasted paragraph must not outgrow SQLite's expression
    # depth ("Expression tree is too large"); no one types more than a few words to find someone.
    unique = tuple(dict.fromkeys(t for t in tokens if t))[:_MAX_QUERY_WORDS]
    return SearchQuery(unique, tuple(dict.fromkeys(marked))[:_MAX_QUERY_WORDS])


_MAX_QUERY_WORDS = 12


# Ranking. Matches come best first by a score, then in Vietnamese name order (sort_key, id).
# The score is one integer packing, most significant first: the typed number is exactly one of
# the patient's identifiers (phone, citizen ID, record or card number); how many of the words
# typed with marks match with their marks ("Hương" ranks Hương above Hường); how many typed
# words are whole words of the name, not just prefixes ("an" ranks An above Anh).
#
# Scoring every match reads every matching patient: quick for a few thousand, slow for one very
# common word ("nguyen" is 40 % of a station, "thi" half the women). For those, the best are
# found per score level, from the top: the patients at or above a level are walked in name order
# (the sort_key index) until `limit` of them are found, which takes a few hundred index entries
# when the level is dense. A full level ends the search; the few candidates collected are then
# ranked exactly as the plain query would. Each level is narrowed by the full-text index where it
# can be (an exact word for a whole-word level, the exact number for an identifier).
_DENSE = 2000  # matches from which walking the name order beats scoring them all...
_DENSE_SHARE = 0.025  # ...and share of all patients (a walk may have to read the whole index)
_SCAN = 1000  # matches a walk reads before giving up on a sparse level
_CLUSTER = 8  # a level of one given name is scored whole up to this many times _DENSE
_MAX_HINT_TERMS = 20


@dataclass(frozen=True)
class _Ranking:
    score: str  # SQL integer over ``patients p``: higher ranks first
    params: tuple[object, ...]
    levels: tuple[tuple[int, str], ...]  # (score, full-text query its patients match), best first


def _ranking(query: SearchQuery) -> _Ranking:
    tokens = query.tokens
    name_tokens = [t for t in tokens if not t.isdigit()]
    number = tokens[0] if len(tokens) == 1 and tokens[0].isdigit() else None
    w_base = len(name_tokens) + 1
    m_base = (len(query.marked) + 1) * w_base
    terms: list[str] = []
    params: list[object] = []
    if number is not None:
        # A number: exact identifiers first.
        terms.append(
            "(p.phone = ? OR p.citizen_id = ? OR ltrim(replace(p.record_no, '-', ''), '0') = ? "
            f"OR p.insurance_no = ?) * {m_base}"
        )
        params += [number, number, number.lstrip("0"), number.upper()]
    # Words typed with their marks: exact-diacritic matches above folded ones; the old and the new
    # tone placement ("hoà", "hòa") are one.
    for word in query.marked:
        variants = tone_variants(word)
        terms.append("(" + " OR ".join("instr(' ' || p.name_lower, ' ' || ?) > 0" for _ in variants)
                     + f") * {w_base}")
        params += variants
    # Whole words above prefixes.
    terms += ["(instr(' ' || p.name_folded || ' ', ' ' || ? || ' ') > 0)" for _ in name_tokens]
    params += name_tokens

    levels: list[tuple[int, str]] = []
    hintable = all(t.isascii() and t.isalnum() for t in name_tokens)
    for exact in (1, 0) if number is not None else (0,):
        for marked in range(len(query.marked), -1, -1):
            for whole in range(len(name_tokens), -1, -1):
                match = query.match
                if exact and number is not None:
                    # An identifier equal to the number is indexed as that word (or without zeros).
                    forms = dict.fromkeys(w for w in (number, number.lstrip("0")) if w)
                    match += " AND (" + " OR ".join(f'"{w}"' for w in forms) + ")"
                elif number is None and marked == len(query.marked) and whole and hintable:
                    if whole == len(tokens):  # every word whole: implies the prefixes
                        match = " AND ".join(f'"{t}"' for t in name_tokens)
                    elif (hint := _at_least(whole, name_tokens)) is not None:
                        match += f" AND ({hint})"
                levels.append((exact * m_base + marked * w_base + whole, match))
    # Without any term (two numbers typed, "0 1"), "0" alone would read as "ORDER BY column 0".
    return _Ranking(" + ".join(terms) or "0 * p.id", tuple(params), tuple(levels))


def _at_least(n: int, tokens: list[str]) -> str | None:
    """A full-text condition true when at least ``n`` of ``tokens`` are whole indexed words."""
    groups = list(itertools.islice(itertools.combinations(tokens, n), _MAX_HINT_TERMS + 1))
    if len(groups) > _MAX_HINT_TERMS:
        return None
    return " OR ".join("(" + " AND ".join(f'"{t}"' for t in group) + ")" for group in groups)


def _search_sql(query: SearchQuery) -> tuple[str, list[object]]:
    """SQL scoring every match, ids best first (``LIMIT ?`` last), and its parameters."""
    rank = _ranking(query)
    order = "p.sort_key, p.id" if rank.score == "0" else f"{rank.score} DESC, p.sort_key, p.id"
    sql = (
        "SELECT p.id FROM patient_search JOIN patients p ON p.id = patient_search.rowid "
        f"WHERE patient_search MATCH ? ORDER BY {order} LIMIT ?"
    )
    return sql, [query.match, *rank.params]


Rows = list[tuple[Any, ...]]  # (values as SQLite typed them)
_IDS_SQL = "SELECT rowid FROM patient_search WHERE patient_search MATCH ? LIMIT ?"
_COUNT_SQL = f"SELECT count(*) FROM ({_IDS_SQL})"


def _clustered(run: Callable[[str, list[object]], Rows], ids: list[object]) -> bool:
    """Whether patients ``ids`` (in id order, so in no name order) share a few given names.

    Names sort by given name first: such patients are adjacent in name order, and a walk from the
    start of the alphabet may read most of the index before reaching them.
    """
    sample = ids[:: max(1, len(ids) // 24)][:24]
    rows = run(
        "SELECT count(DISTINCT substr(p.sort_key, 1, instr(p.sort_key || ' ', ' '))) "
        "FROM patients p WHERE p.id IN (SELECT value FROM json_each(?))",
        [json.dumps(sample)],
    )
    return int(rows[0][0]) <= 4


def _search(run: Callable[[str, list[object]], Rows], query: SearchQuery, limit: int) -> list[int]:
    """Ids best first; ``run(sql, params)`` executes one statement and returns its rows."""
    total = run("SELECT max(id) FROM patients", [])[0][0] or 0
    dense = max(_DENSE, 10 * limit, int(total * _DENSE_SHARE))
    rank = _ranking(query)

    def best(ids: list[object], score: int | None = None) -> list[int]:
        """The best of ``ids`` (at ``score`` or above, then in name order if a score is given)."""
        where, params = "", [json.dumps(ids), *rank.params]
        order = f"{rank.score} DESC, p.sort_key, p.id"
        if score is not None:
            where, order = f" AND {rank.score} >= ?", "p.sort_key, p.id"
            params = [json.dumps(ids), *rank.params, score]
        rows = run(
            f"SELECT p.id FROM patients p WHERE p.id IN (SELECT value FROM json_each(?)){where} "
            f"ORDER BY {order} LIMIT ?",
            [*params, limit],
        )
        return [r[0] for r in rows]

    ids = [r[0] for r in run(_IDS_SQL, [query.match, dense])]
    if len(ids) < dense:  # few matches: score them all
        return best(ids) if ids else []

    scan = max(_SCAN, 4 * limit)
    candidates: dict[object, None] = {}
    for score, match in rank.levels:
        ids = [r[0] for r in run(_IDS_SQL, [match, dense])]
        if not ids:
            continue
        if len(ids) < dense:  # few at this level: score them all
            found: list[int] = best(ids, score)
        elif _clustered(run, ids) and run(_COUNT_SQL, [match, _CLUSTER * dense])[0][0] < (
            _CLUSTER * dense
        ):
            # Mostly one given name: adjacent in name order, maybe far from its start.
            rows = run(
                "SELECT p.id FROM patient_search JOIN patients p ON p.id = patient_search.rowid "
                f"WHERE patient_search MATCH ? AND {rank.score} >= ? "
                "ORDER BY p.sort_key, p.id LIMIT ?",
                [match, *rank.params, score, limit],
            )
            found = [r[0] for r in rows]
        else:  # walk the name order until `limit` patients at this level are found
            members = "p.id IN (SELECT rowid FROM patient_search WHERE patient_search MATCH ?)"
            if score == 0:
                rows = run(
                    f"SELECT p.id FROM patients p INDEXED BY patients_sort_key WHERE {members} "
                    "ORDER BY p.sort_key, p.id LIMIT ?",
                    [match, limit],
                )
            else:
                rows = run(
                    f"SELECT id FROM (SELECT p.id AS id, {rank.score} AS score "
                    f"FROM patients p INDEXED BY patients_sort_key WHERE {members} "
                    "ORDER BY p.sort_key, p.id LIMIT ?) WHERE score >= ? LIMIT ?",
                    [*rank.params, match, scan, score, limit],
                )
                if len(rows) < limit:
                    # The level is sparse among many matches (marks that match no name, say), or
                    # the walk stopped before the end: score every match once instead.
                    sql, params = _search_sql(query)
                    return [r[0] for r in run(sql, [*params, limit])]
            found = [r[0] for r in rows]
        candidates.update(dict.fromkeys(found))
        if len(found) >= limit:
            break
    return best(list(candidates)) if candidates else []


@dataclass(frozen=True)
class Found:
    """Patients found for a query, best first: the first ``exact`` as typed, the rest only when
    read with a typing slip ("gần đúng": a wrong, missing or swapped letter, words run together,
    Telex or VNI keys left in, two neighbouring digits swapped), fewer edits first."""

    ids: list[int]
    exact: int

    @property
    def approximate(self) -> bool:
        return self.exact < len(self.ids)


def find(store: Store, text: str, limit: int = 50) -> Found:
    """The patients matching ``text`` as typed, then those matching it read with a slip."""
    query = prepare_query(text)
    if not query.tokens or limit <= 0:
        return Found([], 0)
    conn = store.conn

    def run(sql: str, params: list[object]) -> Rows:
        return conn.execute(sql, params).fetchall()

    try:
        exact = _search(run, query, limit)
        more = _tolerant(run, query, exact, limit, lambda: vocabulary(store))
    except sqlite3.OperationalError as exc:
        raise errors.classify(exc, store.path) or exc from exc
    return Found(exact + more, len(exact))


def search_ids(store: Store, text: str, limit: int = 50) -> list[int]:
    """Ids of the patients matching ``text``, best first (those found only with a slip last)."""
    return find(store, text, limit).ids


def search(store: Store, text: str, limit: int = 50) -> list[Patient]:
    ids = search_ids(store, text, limit)
    found = get_many(store, ids)
    return [found[i] for i in ids if i in found]


# -- typing slips --------------------------------------------------------------------------------
# A query that finds nobody as typed (or only a few, when a word looks like Telex or VNI keys) is
# read again word by word against the registry's words (``name_words``, kept by triggers):
# each word that is not the start of any registry word gets its readings (domain.slips); the
# corrected queries, fewest edits first, run through the same ranked search as a typed one, so
# within one correction the exact-diacritic and whole-word order holds (a Telex reading brings
# its marks: "thuyr" ranks Thủy above Thúy).
_FEW = 5  # exact matches below which a word that looks like Telex is also read as Telex
_MAX_CORRECTIONS = 16


def vocabulary(store: Store) -> slips.Vocabulary:
    """The registry's folded name words, read again only when the file changed since."""
    key = (store.conn.total_changes, store.scalar("PRAGMA data_version"))
    cached: tuple[object, slips.Vocabulary] | None = getattr(store, "_name_words", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    found = slips.Vocabulary([r[0] for r in store.conn.execute("SELECT word FROM name_words")])
    store._name_words = (key, found)  # type: ignore[attr-defined]
    return found


def corrections(query: SearchQuery, vocab: Callable[[], slips.Vocabulary], found: int
                ) -> list[tuple[int, SearchQuery]]:
    """The query read with slips: (edits, corrected query), fewest edits first."""
    name_tokens = [t for t in query.tokens if not t.isdigit()]
    if found and not any(slips.input_method_reading(t) for t in name_tokens):
        return []
    if not name_tokens:
        if found or len(query.tokens) != 1:
            return []
        return [(1, SearchQuery((swapped,), ())) for swapped in slips.neighbour_swaps(query.tokens[0])]
    words_ = vocab()
    options: list[list[tuple[int, tuple[str, ...], str]]] = []  # per token: (edits, words, marked)
    for token in query.tokens:
        if token.isdigit():
            options.append([(0, (token,), "")])
            continue
        literal = words_.has_prefix(token)
        choices: list[tuple[int, tuple[str, ...], str]] = [(0, (token,), "")] if literal else []
        # Nobody found as typed: each word may be the slip, even one that is a registry word
        # ("cong" typed for "cuong"); with a few found, only Telex or VNI is read back.
        # A word found in the registry is less likely the slip: its readings count one edit more.
        choices += [(r.edits + literal, r.words, r.marked)
                    for r in slips.readings(token, words_, literal_found=bool(found))]
        if not choices:
            return []
        options.append(choices)
    out: list[tuple[int, SearchQuery]] = []
    for combo in itertools.islice(itertools.product(*options), _MAX_CORRECTIONS * 8):
        tokens = tuple(dict.fromkeys(w for _, ws, _ in combo for w in ws))
        if tokens == query.tokens:
            continue
        marked = [m for _, _, m in combo if m] + [m for m in query.marked if fold(m) in tokens]
        out.append((sum(e for e, _, _ in combo),
                    SearchQuery(tokens[:_MAX_QUERY_WORDS], tuple(dict.fromkeys(marked))[:_MAX_QUERY_WORDS])))
    out.sort(key=lambda item: item[0])
    return out[:_MAX_CORRECTIONS]


def _tolerant(run: Callable[[str, list[object]], Rows], query: SearchQuery, exact: list[int], limit: int,
              vocab: Callable[[], slips.Vocabulary]) -> list[int]:
    """Ids found only by reading the query with slips, fewer edits first; none of ``exact``."""
    if len(exact) >= limit:
        return []
    seen = set(exact)
    more: list[int] = []
    best: int | None = None  # the fewest edits that found someone: more edits are not read
    for edits, corrected in corrections(query, vocab, len(exact)):
        if best is not None and edits > best:
            break
        found = _search(run, corrected, limit - len(more) + len(seen))
        if found and best is None:
            best = edits
        for pid in found:
            if pid not in seen:
                seen.add(pid)
                more.append(pid)
                if len(exact) + len(more) >= limit:
                    return more
    return more


# -- possible duplicates -----------------------------------------------------------------------
@dataclass(frozen=True)
class DuplicateCandidate:
    patient: Patient
    # "citizen_id" (blocks saving); "insurance_no", "name", "phone", "guardian_phone" (warnings)
    reason: str
    edits: int = 0  # letters between the names as search reads them (9: the names differ)

    @property
    def blocks(self) -> bool:
        return self.reason == "citizen_id"


_PERSON_COLUMNS = ("id, name_folded, birth_year, birth_month, birth_day, birth_estimated, village, citizen_id, "
                   "insurance_no, phone, guardian_phone")


def _is_child(year: int | None, today: dt.date) -> bool:
    return year is not None and today.year - year < same_person.CHILD_AGE_YEARS


def person_of(p: Patient, key: int, today: dt.date) -> same_person.Person:
    """What the same-person rule reads of a patient (or of a row of a file, keyed by its number)."""
    b = p.birth
    return same_person.Person(
        key=key, name=same_person.name_words(p.full_name), birth_year=b.year if b else None,
        estimated=bool(b and (b.estimated or not b.is_full)), village=fold(p.village or ""),
        birth_month=b.month if b else None, birth_day=b.day if b else None,
        citizen_id=p.citizen_id or "", insurance_no=(p.insurance_no or "").upper(), phone=p.phone or "",
        guardian_phone=p.guardian_phone or "", child=_is_child(b.year if b else None, today),
    )


def _person_row(row: Sequence[Any], today: dt.date) -> same_person.Person:
    pid, folded, year, month, day, estimated, village, citizen, card, phone, guardian = row
    birth_year = int(year) if year is not None else None
    return same_person.Person(
        key=int(pid), name=tuple(str(folded).split()), birth_year=birth_year,
        estimated=bool(estimated), village=fold(str(village or "")),
        birth_month=int(month) if month is not None else None,
        birth_day=int(day) if day is not None else None,
        citizen_id=str(citizen or ""), insurance_no=str(card or "").upper(), phone=str(phone or ""),
        guardian_phone=str(guardian or ""), child=_is_child(birth_year, today),
    )


def registry_people(store: Store) -> same_person.Registry:
    """Every patient (not merged into another) indexed for the same-person rule."""
    from station_app import clock

    today = clock.today()
    registry = same_person.Registry()
    for row in store.conn.execute(f"SELECT {_PERSON_COLUMNS} FROM patients WHERE merged_into IS NULL"):
        registry.add(_person_row(row, today))
    return registry


def possible_duplicates(store: Store, patient: Patient) -> list[DuplicateCandidate]:
    """Existing patients that may be the same person as ``patient`` (not yet saved, or edited):
    the rule of ``domain.same_person``, read from the patients it can concern only."""
    from station_app import clock

    p = normalised(patient)
    today = clock.today()
    me = person_of(p, p.id if p.id is not None else -1, today)
    conditions: list[str] = []
    params: list[object] = []
    if me.birth_year is not None and me.name:
        conditions.append("birth_year BETWEEN ? AND ?")
        params += [me.birth_year - 1, me.birth_year + 1]
    for column, value in (("citizen_id", me.citizen_id), ("insurance_no", me.insurance_no), ("phone", me.phone),
                          ("guardian_phone", me.guardian_phone if me.child else "")):
        if value:
            conditions.append(f"({column} = ? AND {column} <> '')")
            params.append(value)
    if not conditions:
        return []
    registry = same_person.Registry()
    for row in store.conn.execute(
        f"SELECT {_PERSON_COLUMNS} FROM patients WHERE merged_into IS NULL AND ({' OR '.join(conditions)})", params
    ):
        registry.add(_person_row(row, today))
    found = registry.candidates(me)
    loaded = get_many(store, [c.key for c in found])
    return [DuplicateCandidate(loaded[c.key], c.reason, c.edits) for c in found if c.key in loaded]


def duplicate_groups(store: Store) -> list[list[DuplicateCandidate]]:
    """The head's "find duplicates": patients that may be one person by the same rule, in groups
    (the first of each is the earliest registered), the likeliest groups first."""
    registry = registry_people(store)
    pairs: dict[int, list[same_person.Candidate]] = {}
    for key in sorted(registry.people):
        for candidate in registry.candidates(registry.people[key]):
            if candidate.key > key and same_person.one_person(candidate):
                pairs.setdefault(key, []).append(candidate)
    groups: list[tuple[tuple[int, int, int, int], int, list[same_person.Candidate]]] = []
    taken: set[int] = set()
    for key, found in pairs.items():
        if key in taken:
            continue
        members = [c for c in found if c.key not in taken]
        if members:
            taken.update([key, *(c.key for c in members)])
            groups.append((min(c.rank() for c in members), key, members))
    groups.sort(key=lambda g: g[0])
    ids = [i for _, key, members in groups for i in (key, *(c.key for c in members))]
    loaded = get_many(store, ids)
    return [[DuplicateCandidate(loaded[key], "", 0),
             *(DuplicateCandidate(loaded[c.key], c.reason, c.edits) for c in members)]
            for _, key, members in groups]
