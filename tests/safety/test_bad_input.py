"""Bad input everywhere (property-based, hypothesis): no input makes a validator, the search, the
import or the command line crash; each accepts or names the problem (a field and a message that
translates); very long texts, control characters, emoji, right-to-left marks, SQL and markup
characters are stored and read back literally, and printed literally on the referral slip."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
import os
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from station_app.domain import identifiers, patient_import
from station_app.domain import patient as patient_domain
from station_app.domain import referral as referral_domain
from station_app.domain import visit as visit_domain
from station_app.domain.dates import DateFormatError, PartialDate, parse_partial_date
from station_app.domain.patient import Patient, normalised
from station_app.domain.problems import Problem
from station_app.domain.referral import Referral
from station_app.domain.visit import Visit
from station_app.i18n import has_translation
from station_app.store import open_store
from station_app.store import patients as patient_store
from station_app.store import visits as visit_store

# A failing example with a 20,000-character text makes a long report; that is expected here.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

TODAY = dt.date(2025, 11, 20)
NOW = dt.datetime(2025, 11, 20, 15, 0)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- what a hostile keyboard, a broken spreadsheet or a copy-paste from the web can type -----------
SPECIAL = [
    "Robert'); DROP TABLE patients;--", "' OR '1'='1", '"; DELETE FROM visits; --', "%_\\", "NULL",
    "<b>đậm</b>", "<font size=80>to</font>", "&amp; &lt; &#x41;", "<para>", "]]>", "{name}", "{0}", "%s %d",
    "\u200f\u202eطبيب\u202c", "שלום", "\u200b\u200c\u200d\ufeff", "😷🤒👶🏽👩‍⚕️", "🇻🇳",
    "\x00", "\x07\x08\x1b[31m", "\t\r\n", "\x7f\x85\u2028\u2029", "Nguyễn Thị Hương", "Đặng Văn Ư",
    "e\u0301 (decomposed)", "ﬁ ligature", "Ⅻ", "ǅ", "İstanbul", "ß", "\u0301 lone accent",
]
BLOCKS = st.sampled_from(SPECIAL)
CHARS = st.characters(blacklist_categories=("Cs",))  # every character a str can carry in UTF-8
nasty_text = st.one_of(
    st.text(CHARS, max_size=40),
    st.lists(st.one_of(BLOCKS, st.text(CHARS, max_size=8)), max_size=8).map("".join),
    st.builds(lambda s, n: s * n, st.one_of(BLOCKS, st.text(CHARS, min_size=1, max_size=5)),
              st.integers(500, 4_000)),  # very long: up to 20,000 characters
)
# Text the slip's font can print: Latin with every Vietnamese letter, digits, punctuation and
# symbols of the keyboard — with markup and SQL characters among them.
PRINTABLE = st.characters(
    whitelist_categories=("Lu", "Ll", "Nd", "Po", "Ps", "Pe", "Pd", "Sm", "Sc", "Pi", "Pf"),
    max_codepoint=0x1EFF,
).filter(lambda ch: ch.isascii() or "\u00c0" <= ch <= "\u01b0" or "\u1ea0" <= ch <= "\u1ef9")
printable_text = st.one_of(
    st.text(PRINTABLE, min_size=1, max_size=30),
    st.lists(st.sampled_from(["<b>x</b>", "&amp;", "<font size=80>", "'; DROP TABLE x;--", "Nguyễn Thị Hương",
                              "Đặng Ư", "{name}", "%s", "a > b < c", "“ngoặc”"]), min_size=1, max_size=4)
    .map(" ".join),
)
dates = st.one_of(st.none(), st.dates(dt.date(1800, 1, 1), dt.date(2200, 12, 31)))


def assert_named(problems: list[Problem], fields: set[str]) -> None:
    """Each problem names a field of the record and reads as a whole sentence in both languages."""
    for p in problems:
        assert p.field in fields, p
        assert p.severity in ("error", "warning")
        assert has_translation(p.message), p.message
        assert p.text("vi") and p.text("en")


# -- identifiers and dates ---------------------------------------------------------------------------
@FAST
@given(nasty_text)
@example("000" * 1434)  # more digits than int() converts: once crashed the ethnicity and record-number parsers
def test_identifier_checks_never_crash(text: str) -> None:
    assert identifiers.parse_sex(text) in (None, *identifiers.SEX_CODES)
    for normalise, check in (
        (identifiers.normalise_phone, identifiers.check_phone),
        (identifiers.normalise_insurance, identifiers.check_insurance),
        (identifiers.normalise_citizen_id, identifiers.check_citizen_id),
    ):
        value = normalise(text)
        assert isinstance(value, str)
        found = check(value)
        assert found is None or has_translation(found), found
        if found is None and check is identifiers.check_citizen_id and value:
            identifiers.citizen_id_facts(value)
    assert identifiers.parse_ethnicity(text) is None or identifiers.parse_ethnicity(text) in identifiers.ethnic_groups()
    record = identifiers.parse_record_no(text)
    assert record is None or isinstance(record, str)


@FAST
@given(nasty_text, st.booleans())
def test_partial_dates_parse_or_name_the_problem(text: str, estimated: bool) -> None:
    try:
        value = parse_partial_date(text, estimated)
    except DateFormatError:
        return
    assert isinstance(value, PartialDate)
    value.display()
    value.iso()


# -- validators --------------------------------------------------------------------------------------
PATIENT_FIELDS = {f.name for f in dataclasses.fields(Patient)}
TEXT_FIELDS = [f.name for f in dataclasses.fields(Patient) if f.type in ("str", str) and f.name not in ("sex",)]


@st.composite
def patients(draw: st.DrawFn, text: st.SearchStrategy[str] = nasty_text) -> Patient:
    birth = draw(st.one_of(st.none(), st.builds(
        PartialDate, st.integers(1, 9999), st.one_of(st.none(), st.integers(1, 12)), st.none(), st.booleans())))
    fields = {name: draw(text) for name in TEXT_FIELDS}
    fields["sex"] = draw(st.one_of(st.sampled_from(["1", "2", "3"]), text))
    return Patient(
        birth=birth, deceased=draw(st.booleans()), deceased_date=draw(dates),
        insurance_valid_from=draw(dates), insurance_valid_to=draw(dates), **fields,
    )


@FAST
@given(patients(), st.booleans())
def test_patient_validation_accepts_or_names_the_field(p: Patient, require_birth: bool) -> None:
    problems = patient_domain.validate(normalised(p), TODAY, require_birth=require_birth)
    assert_named(problems, PATIENT_FIELDS)


VISIT_FIELDS = {f.name for f in dataclasses.fields(Visit)} | set(visit_domain.FIELD_LABELS)
numbers = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**12, 10**12))


@st.composite
def visits(draw: st.DrawFn, text: st.SearchStrategy[str] = nasty_text) -> Visit:
    return Visit(
        patient_id=1,
        visit_at=draw(st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2100, 1, 1))),
        complaint=draw(text), examination=draw(text), diagnosis_text=draw(text), treatment=draw(text),
        notes=draw(text), diagnosis_code=draw(st.one_of(st.sampled_from(["I10", "E11.9", "J06", ""]), text)),
        clinician_name=draw(text),
        bp_systolic=draw(numbers), bp_diastolic=draw(numbers), pulse=draw(numbers), temperature=draw(numbers),
        weight=draw(numbers), height=draw(numbers), spo2=draw(numbers), glucose=draw(numbers),
        follow_up_date=draw(dates),
    )


@FAST
@given(visits(), st.one_of(st.none(), dates))
def test_visit_validation_accepts_or_names_the_field(v: Visit, born: dt.date | None) -> None:
    assert_named(visit_domain.validate(v, NOW, born), VISIT_FIELDS)


REFERRAL_FIELDS = {f.name for f in dataclasses.fields(Referral)} | {"icd", "icd_codes", "patient", "number"}
REFERRAL_TEXT = [f.name for f in dataclasses.fields(Referral) if f.type in ("str", str)]


@st.composite
def referrals(draw: st.DrawFn, text: st.SearchStrategy[str] = nasty_text) -> Referral:
    fields: dict[str, object] = {name: draw(text) for name in REFERRAL_TEXT}
    fields["reason"] = draw(st.one_of(st.none(), st.sampled_from(["1a", "1b", "2"]), text))
    fields["icd_extra"] = draw(st.lists(text, max_size=3))
    fields["transfer_at"] = draw(st.one_of(st.none(), st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2100, 1, 1))))
    fields["birth_year"] = draw(st.one_of(st.none(), st.integers(-5, 99999)))
    fields["signed_on"] = draw(dates)
    fields["insurance_valid_to"] = draw(dates)
    return Referral(**fields)  # type: ignore[arg-type]


@FAST
@given(referrals())
def test_referral_validation_accepts_or_names_the_field(r: Referral) -> None:
    problems = referral_domain.validate(r)
    for p in problems:
        assert has_translation(p.message), p.message
        assert p.text("vi") and p.field


@FAST
@given(nasty_text, nasty_text)
def test_account_checks_accept_or_name_the_problem(username: str, password: str) -> None:
    from station_app.domain import accounts

    for found in (accounts.username_problem(accounts.normalise_username(username)),
                  accounts.password_problem(password, username)):
        assert found is None or has_translation(found), found


# -- the import ----------------------------------------------------------------------------------------
HEADERS = ["Họ và tên", "Giới tính", "Ngày sinh", "Số CCCD", "Số thẻ BHYT", "Điện thoại", "Thôn", "Địa chỉ",
           "Dân tộc", "Ghi chú", "ho ten", "gioi", "nam sinh", "sdt"]


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    header = draw(st.lists(st.one_of(st.sampled_from(HEADERS), nasty_text), min_size=0, max_size=8))
    rows = draw(st.lists(st.lists(st.one_of(nasty_text, st.sampled_from(["1", "2", "15/03/1950", "1950"])),
                                  max_size=9), max_size=6))
    sep = draw(st.sampled_from([",", ";", "\t"]))
    quote = draw(st.booleans())

    def cell(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if quote else value

    text = "\n".join(sep.join(cell(c) for c in line) for line in [header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1258", "latin-1"]))
    return text.encode(encoding, errors="replace")


@FAST
@given(st.one_of(csv_files(), st.binary(max_size=400)))
def test_the_import_reads_or_names_the_problem(data: bytes) -> None:
    try:
        _mapping, rows = patient_import.read_rows(patient_import.decode(data), TODAY)
    except patient_import.ImportFormatError as exc:
        assert has_translation(exc.message), exc.message
        return
    for row in rows:
        assert_named(row.errors, PATIENT_FIELDS | {"row"})
        for problem in row.problems if hasattr(row, "problems") else row.errors:
            patient_import.field_label(problem.field)


# -- the search and storage round trips ----------------------------------------------------------------
@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory):
    store = open_store(tmp_path_factory.mktemp("bad-input") / "tram.sqlite3")
    patient_store.insert(store, Patient("Nguyễn Thị Hương", "2", PartialDate(1950), phone="0912345678"))
    try:
        yield store
    finally:
        store.close()


@FAST
@given(text=nasty_text, limit=st.integers(-5, 500))
def test_the_search_never_crashes(shared_store, text: str, limit: int) -> None:
    found = patient_store.search(shared_store, text, limit=limit)
    assert isinstance(found, list)
    assert len(found) <= max(limit, 0) or limit <= 0


@SLOW
@given(p=patients())
def test_every_patient_text_field_is_stored_and_read_back_literally(shared_store, p: Patient) -> None:
    # Text fields as generated; identity fields as the form's checks would let through.
    p = dataclasses.replace(p, citizen_id="", record_no=None, sex="2", birth=PartialDate(1960), deceased=False,
                            deceased_date=None, insurance_valid_from=None, insurance_valid_to=None)
    expected = normalised(p)
    saved = patient_store.insert(shared_store, p)
    back = patient_store.get(shared_store, saved.id)  # type: ignore[arg-type]
    assert back is not None
    for name in TEXT_FIELDS:
        if name in ("citizen_id", "record_no"):
            continue
        assert getattr(back, name) == getattr(expected, name), name
    # What was stored can be searched for without a crash, and the exact record number finds it.
    assert patient_store.search(shared_store, back.record_no or "")[0].id == back.id  # type: ignore[index]
    patient_store.search(shared_store, back.full_name)


@SLOW
@given(v=visits())
def test_every_visit_text_field_is_stored_and_read_back_literally(shared_store, v: Visit) -> None:
    v = dataclasses.replace(
        v, bp_systolic=None, bp_diastolic=None, pulse=None, temperature=None, weight=None, height=None,
        spo2=None, glucose=None, follow_up_date=None, diagnosis_code="",
        visit_at=dt.datetime(2025, 11, 20, 9, 0),
    )
    saved = visit_store.insert(shared_store, v)
    back = visit_store.get(shared_store, saved.id)  # type: ignore[arg-type]
    assert back is not None
    for name in ("complaint", "examination", "diagnosis_text", "treatment", "notes", "clinician_name"):
        assert getattr(back, name) == getattr(v, name), name


# -- printed literally -------------------------------------------------------------------------------
def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=printable_text, diagnosis=printable_text, signs=printable_text)
def test_the_referral_slip_prints_text_literally(name: str, diagnosis: str, signs: str) -> None:
    from station_app.printing.referral_slip import Station, render_referral_bytes

    assume(name.strip() and diagnosis.strip() and signs.strip())
    referral = Referral(
        seq=1, year=2025, patient_name=name, sex="2", birth_year=1950, diagnosis=diagnosis, icd_main="I10",
        clinical_signs=signs, reason="1a", receiving_facility="TTYT huyện", transfer_at=dt.datetime(2025, 11, 20, 9),
        sending_station="Trạm Y tế xã", signer_name="Phạm Thị Ánh",
    )
    text = pdf_text(render_referral_bytes(referral, Station(name="Trạm Y tế xã Tân Phú")))
    # A long name wraps beside "Giới tính" and "Năm sinh", which text extraction reads in between:
    # every word must be there as typed (no markup eaten, no "&amp;" turned into "&").
    for value in (name, diagnosis, signs):
        missing = [word for word in value.split() if word not in text]
        assert not missing, (value, missing)


# -- the command line --------------------------------------------------------------------------------
COMMANDS = ["find", "check", "backup", "restore", "referrals", "followups", "audit", "export", "print", "import"]
OPTIONS = ["--db", "--to", "--from", "--encrypt", "--limit", "--json", "--lang", "--id", "--out", "--help",
           "-h", "--what", "--mapping", "--on", "verify", "log", "referral", "--"]
SAFE_VALUE = st.text(string.ascii_letters + string.digits + "ăâđêôơư._- '\";<>&%{}$`\\", max_size=12).filter(
    lambda s: not s.startswith("-") or s == "-")


@SLOW
@given(
    command=st.sampled_from(COMMANDS),
    rest=st.lists(st.one_of(st.sampled_from(OPTIONS), SAFE_VALUE, nasty_text), max_size=6),
)
def test_the_command_line_never_shows_a_traceback(tmp_path_factory, command: str, rest: list[str]) -> None:
    """Any arguments: a result, a one-line error or argparse's usage message; never a traceback and
    never the "bug" path (which writes error.log)."""
    from station_app import cli

    # Relative paths land in a private folder: no generated value climbs out of it.
    assume(all(".." not in a and "/" not in a and "\x00" not in a for a in rest))
    folder = tmp_path_factory.mktemp("cli")
    argv = ["--data-dir", str(folder), command, *rest]
    out, err = io.StringIO(), io.StringIO()
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(argv)
            except SystemExit as exc:  # argparse: usage error (2) or --help (0)
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        os.chdir(cwd)
    assert code in (0, 1, 2), (argv, code)
    assert "Traceback" not in err.getvalue(), argv
    log = folder / "error.log"
    assert not log.exists(), (argv, log.read_text()[-2000:] if log.exists() else "")


# The same, on a real station: each command with the values its options take, drawn from the whole
# range a keyboard can give (ids past SQLite's integers, exponents, dates of year 1 or 9999,
# impossible dates, text where a number goes). Found: ``--limit 10**23`` and ``--id 2**63`` crashed
# in SQLite, ``--as-of 9999-12-31`` and ``--month 9999-12`` in date arithmetic.
NUMBER = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["1e23", "0", "-0", "1.5", "nan", "inf", "0x10", " 7", "٣", "１２", "9223372036854775807",
                     "9223372036854775808", "-9223372036854775809"]),
    SAFE_VALUE,
)
DAY = st.one_of(
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).map(dt.date.isoformat),
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).map(lambda d: f"{d.day:02}/{d.month:02}/{d.year:04}"),
    st.sampled_from(["2025-02-30", "2025-13-01", "0000-00-00", "31/12/9999", "00/00/0000", "2025-11", ""]),
    SAFE_VALUE,
)
MONTH = st.one_of(
    st.tuples(st.integers(0, 10_000), st.integers(0, 13)).map(lambda t: f"{t[0]:04}-{t[1]:02}"),
    DAY,
)
TEXT = st.one_of(SAFE_VALUE, st.text(CHARS, max_size=20).filter(lambda s: "\x00" not in s and not s.startswith("-")))
VALUED_COMMANDS = [
    (["find", "--db", "{db}", "{text}", "--limit", "{n1}"]),
    (["audit", "log", "--db", "{db}", "--patient", "{n1}", "--limit", "{n2}", "--user", "{text}"]),
    (["followups", "--db", "{db}", "--as-of", "{d1}"]),
    (["referrals", "--db", "{db}", "--from", "{d1}", "--to", "{d2}"]),
    (["export", "--db", "{db}", "--what", "visits", "--from", "{d1}", "--to", "{d2}", "--format", "csv",
      "--out", "{out}.csv"]),
    (["print", "referral", "--db", "{db}", "--id", "{n1}", "--out", "{out}.pdf"]),
    (["print", "patient-summary", "--db", "{db}", "--id", "{n1}", "--out", "{out}.pdf"]),
    (["print", "visit-book", "--db", "{db}", "--from", "{d1}", "--to", "{d2}", "--out", "{out}.pdf"]),
    (["report", "monthly", "--db", "{db}", "--month", "{month}", "--format", "json", "--out", "{out}.json"]),
    (["demo", "--db", "{out}.sqlite3", "--patients", "{n1}", "--seed", "{n2}"]),
]


@pytest.fixture(scope="module")
def fuzz_station(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fuzz-station") / "tram.sqlite3"
    store = open_store(path)
    try:
        for i in range(5):
            p = patient_store.insert(store, Patient(f"Nguyễn Văn {i}", "1", PartialDate(1950 + i)))
            visit_store.insert(store, Visit(patient_id=p.id, visit_at=NOW, complaint="Ho"))  # type: ignore[arg-type]
    finally:
        store.close()
    return path


@SLOW
@given(template=st.sampled_from(VALUED_COMMANDS), n1=NUMBER, n2=NUMBER, d1=DAY, d2=DAY, month=MONTH, text=TEXT)
def test_the_command_line_refuses_any_value_in_one_line(fuzz_station, tmp_path_factory, template, n1, n2, d1, d2,
                                                        month, text) -> None:
    from station_app import cli
    from station_app.cli.demo import MAX_DEMO_PATIENTS

    if template[0] == "demo":  # a valid size would build a station: only sizes out of range, or none
        assume(not n1.strip().lstrip("+").isdigit() or int(n1) > MAX_DEMO_PATIENTS)
    folder = tmp_path_factory.mktemp("cli-values")
    values = {"db": str(fuzz_station), "out": str(folder / "out"), "n1": n1, "n2": n2, "d1": d1, "d2": d2,
              "month": month, "text": text}
    argv = ["--data-dir", str(folder), *(part.format(**values) for part in template)]
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exc:  # argparse: a value it refuses (one line) or --help
            code = exc.code if isinstance(exc.code, int) else 2
    assert code in (0, 1, 2), (argv, code)
    assert "Traceback" not in err.getvalue(), argv
    assert err.getvalue().count("\n") <= 1 or code == 0, (argv, err.getvalue())
    log = folder / "error.log"
    assert not log.exists(), (argv, log.read_text()[-2000:] if log.exists() else "")
