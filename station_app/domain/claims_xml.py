"""The BHYT claims tables as documents: field tables (``resources/data/claims_fields.json``, versioned
because the standard changes), a table built from plain values, checked against its field table, and
the ``GIAMDINHHS`` envelope that carries one visit's tables base64-encoded (QĐ 130/QĐ-BYT as amended
by QĐ 4750 and QĐ 3176). Plain Python: no Qt, no SQL."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

from station_app.domain.problems import Problem
from station_app.domain.text import xml_safe
from station_app.i18n import N_
from station_app.resources import data_file

FIELDS_FILE = "claims_fields.json"
TABLES = ("XML1", "XML2", "XML3", "XML13", "XML14")
ENVELOPE = "ENVELOPE"
XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n'

Value = str | int | Decimal | dt.date | dt.datetime | None


@dataclass(frozen=True)
class FieldSpec:
    """One field of a table: its tag, type (``string``/``number``), maximum length (None: no limit),
    whether it is required (``True``/``False`` or a condition on other fields of the record) and its
    format (``yyyyMMddHHmm``, ``decimal2``…; empty: free text)."""

    tag: str
    type: str
    max_len: int | None
    required: bool | Mapping[str, Mapping[str, Sequence[str]]]
    format: str = ""

    def is_required(self, record: Mapping[str, str]) -> bool:
        if isinstance(self.required, bool):
            return self.required
        when = self.required.get("when")
        if when is not None:
            return all(record.get(tag, "") in values for tag, values in when.items())
        unless = self.required.get("unless") or {}
        return not any(record.get(tag, "") in values for tag, values in unless.items())


@dataclass(frozen=True)
class FieldTables:
    """The field tables in force on a date: their version's id, the tables and the roots of each
    table's document (the record tag last)."""

    version: str
    tables: Mapping[str, tuple[FieldSpec, ...]]
    roots: Mapping[str, tuple[str, ...]]
    _layouts: dict[str, _Layout] = field(default_factory=dict, init=False, repr=False, compare=False)

    def spec(self, table: str) -> tuple[FieldSpec, ...]:
        return self.tables[table]

    def layout(self, table: str) -> _Layout:
        """The table's fields prepared once for writing and checking many records."""
        found = self._layouts.get(table)
        if found is None:
            found = self._layouts[table] = _Layout.of(self.tables[table])
        return found


@functools.cache
def _raw() -> dict[str, Any]:
    with data_file(FIELDS_FILE).open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


@functools.lru_cache(maxsize=64)
def field_tables(on: dt.date) -> FieldTables:
    """The tables in force on ``on``: the first version and each later one's changes up to that day."""
    versions = _raw()["versions"]
    base = versions[0]
    tables: dict[str, list[dict[str, Any]]] = {k: [dict(f) for f in v] for k, v in base["tables"].items()}
    version = str(base["id"])
    for later in versions[1:]:
        if dt.date.fromisoformat(later["valid_from"]) > on:
            break
        version = str(later["id"])
        for table, changes in later.get("changes", {}).items():
            for row in tables[table]:
                row.update(changes.get(row["tag"], {}))
    return FieldTables(
        version,
        {
            name: tuple(FieldSpec(r["tag"], r["type"], r["max_len"], r["required"], r.get("format", "")) for r in rows)
            for name, rows in tables.items()
        },
        {name: tuple(root) for name, root in base["roots"].items()},
    )


# -- values -------------------------------------------------------------------------------------------
_QUANTUM = {2: Decimal("0.01"), 3: Decimal("0.001")}


def _decimal(value: Decimal | int | str, places: int) -> str:
    quantum = _QUANTUM.get(places) or Decimal(1).scaleb(-places)
    number = value if type(value) is Decimal else Decimal(value)
    return str(number.quantize(quantum, rounding=ROUND_HALF_UP))


def format_value(spec: FieldSpec, value: Value) -> str:
    """The text of ``value`` in the field ``spec``: money with 2 decimals, quantities and unit prices
    with 3, time points as yyyyMMddHHmm, days as yyyyMMdd; text as it is. None is empty."""
    if value is None:
        return ""
    if type(value) is str:  # most fields, and every field of texts already checked
        return xml_safe(value)
    if isinstance(value, float):  # never money in floats: a bug in the caller
        raise TypeError(f"{spec.tag}: a float is not a claim value")
    if spec.format in ("decimal2", "decimal3") and isinstance(value, int | Decimal):
        return _decimal(value, 2 if spec.format == "decimal2" else 3)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y%m%d%H%M")
    if isinstance(value, dt.date):
        if spec.format in ("yyyyMMddHHmm", "birth"):
            return value.strftime("%Y%m%d") + "0000"
        return value.strftime("%Y%m%d")
    return str(value)


@functools.lru_cache(maxsize=4096)  # (a visit's time comes back in most of its records)
def _stamp(value: dt.datetime) -> str:
    return value.strftime("%Y%m%d%H%M")


Formatter = Callable[[Value], str]


def _formatter(spec: FieldSpec) -> Formatter:
    """``format_value`` for one field, quicker for the values it mostly gets (the same texts)."""
    if spec.format in ("decimal2", "decimal3"):
        quantum = _QUANTUM[2 if spec.format == "decimal2" else 3]

        def number(value: Value) -> str:
            if type(value) is Decimal:
                return str(value.quantize(quantum, rounding=ROUND_HALF_UP))
            return format_value(spec, value)

        return number

    def other(value: Value) -> str:
        if type(value) is int:
            return str(value)
        if type(value) is dt.datetime:
            return _stamp(value)
        return format_value(spec, value)

    return other


def _texts(layout: _Layout, record: Mapping[str, Value]) -> list[str]:
    """The record's texts in the order of its table's fields, without the characters XML 1.0
    forbids (looked for once in the whole record: they are rare)."""
    found = [
        value if type(value) is str else ("" if value is None else formatter(value))
        for value, formatter in zip(map(record.get, layout.tags), layout.formatters, strict=True)
    ]
    return found if "".join(found).isprintable() else [xml_safe(text) for text in found]


def render(tables: FieldTables, table: str, records: Sequence[Mapping[str, Value]]) -> str:
    """The document of ``table`` holding ``records`` (every field of the table, in its order, empty
    when not given), as the note's example writes it: one element per line, LF line ends."""
    layout = tables.layout(table)
    roots = tables.roots[table]
    lines = [XML_HEAD.rstrip("\n")]
    *wrappers, record_tag = roots
    lines += [f"<{tag}>" for tag in wrappers]
    for record in records:
        if not layout.known.issuperset(record):
            raise KeyError(f"{table}: no field {sorted(set(record) - layout.known)}")
        found = _texts(layout, record)
        every = "".join(found)
        if "&" in every or "<" in every or ">" in every:
            found = [escape(text) for text in found]
        lines.append(f"<{record_tag}>")
        lines += [
            opening + text + closing for opening, text, closing in zip(layout.opens, found, layout.closes, strict=True)
        ]
        lines.append(f"</{record_tag}>")
    lines += [f"</{tag}>" for tag in reversed(wrappers)]
    return "\n".join(lines) + "\n"


def texts(tables: FieldTables, table: str, record: Mapping[str, Value]) -> dict[str, str]:
    """The record's fields as the document writes them (every field of the table; a text as it is)."""
    layout = tables.layout(table)
    return dict(zip(layout.tags, _texts(layout, record), strict=True))


# -- checks -------------------------------------------------------------------------------------------
_FORMATS = {
    "yyyyMMddHHmm": re.compile(r"\d{12}"),
    "yyyyMMdd": re.compile(r"\d{8}"),
    "yyyyMMdd;": re.compile(r"\d{8}(;\d{8})*"),
    "yyyyMMdd|yyyyMMddHHmm": re.compile(r"\d{8}|\d{12}"),
    "birth": re.compile(r"\d{12}"),
    "decimal2": re.compile(r"-?\d+(\.\d{1,2})?"),
    "decimal3": re.compile(r"-?\d+(\.\d{1,3})?"),
    "integer": re.compile(r"-?\d+"),
    "yyyy": re.compile(r"\d{4}"),
    "MM": re.compile(r"\d{2}"),
    "base64": re.compile(r"[A-Za-z0-9+/]*={0,2}"),
}
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_DATE_FORMATS = {"yyyyMMddHHmm": "%Y%m%d%H%M", "yyyyMMdd": "%Y%m%d", "yyyy": "%Y", "MM": "%m"}


@functools.lru_cache(maxsize=4096)  # (the same days and times come back in every record of a visit)
def _real_date(text: str, fmt: str) -> bool:
    """Whether ``text`` (digits in ``fmt``) is a real day and time (no 31 April, no 25:00)."""
    if fmt == "yyyy":
        return int(text) >= 1
    if fmt == "MM":
        return 1 <= int(text) <= 12
    try:
        dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return False
    return fmt != "yyyyMMddHHmm" or (int(text[8:10]) < 24 and int(text[10:12]) < 60)


# Formats whose texts are all numbers: a field of one of them needs no separate check that it is one.
_NUMBER_FORMATS = frozenset(
    {"yyyyMMddHHmm", "yyyyMMdd", "yyyyMMdd|yyyyMMddHHmm", "birth", "decimal2", "decimal3", "integer", "yyyy", "MM"}
)


class _Check(NamedTuple):
    """What the field table says of one field, ready for many records."""

    tag: str
    spec: FieldSpec
    optional: bool  # never required (else: required, or required on a condition)
    max_len: int | None
    pattern: re.Pattern[str] | None
    date_format: str  # '' when the texts are not days or times
    day_list: bool  # yyyyMMdd;…: each day real
    number: bool  # a number whose format does not already say so


@dataclass(frozen=True)
class _Layout:
    """A table's fields prepared once: the elements each record is written as, the checks."""

    known: frozenset[str]
    tags: tuple[str, ...]
    formatters: tuple[Formatter, ...]  # each field's format_value
    opens: tuple[str, ...]  # "<TAG>"
    closes: tuple[str, ...]  # "</TAG>"
    checks: tuple[_Check, ...]

    @classmethod
    def of(cls, specs: tuple[FieldSpec, ...]) -> _Layout:
        return cls(
            frozenset(spec.tag for spec in specs),
            tuple(spec.tag for spec in specs),
            tuple(_formatter(spec) for spec in specs),
            tuple(f"<{spec.tag}>" for spec in specs),
            tuple(f"</{spec.tag}>" for spec in specs),
            tuple(
                _Check(
                    spec.tag,
                    spec,
                    spec.required is False,
                    spec.max_len,
                    _FORMATS.get(spec.format),
                    spec.format if spec.format in _DATE_FORMATS else "",
                    spec.format == "yyyyMMdd;",
                    spec.type == "number" and spec.format not in _NUMBER_FORMATS,
                )
                for spec in specs
            ),
        )


def check_record(
    tables: FieldTables, table: str, record: Mapping[str, str], tags: Sequence[str] | None = None
) -> list[Problem]:
    """What in ``record`` (the texts of one record) breaks the field table: a required field empty,
    a text too long, a number or a date not in its format (one problem per field, naming
    ``TABLE.TAG``). ``tags``: only those fields (a part of the envelope)."""
    found: list[Problem] = []
    for tag, spec, optional, max_len, pattern, date_format, day_list, number in tables.layout(table).checks:
        if tags is not None and tag not in tags:
            continue
        text = record.get(tag, "")
        if not text:
            if not optional and spec.is_required(record):
                name = f"{table}.{tag}"
                found.append(Problem(name, N_("{field} is required and empty."), params={"field": name}))
            continue
        if max_len is not None and len(text) > max_len:
            name = f"{table}.{tag}"
            found.append(
                Problem(
                    name,
                    N_("{field} is longer than {length} characters."),
                    params={"field": name, "length": max_len},
                )
            )
            continue
        if pattern is not None:
            ok = pattern.fullmatch(text) is not None
            if ok and date_format:
                ok = _real_date(text, date_format)
            if ok and day_list:
                ok = all(_real_date(part, "yyyyMMdd") for part in text.split(";"))
            if not ok:
                name = f"{table}.{tag}"
                found.append(
                    Problem(
                        name,
                        N_("{field} is not in the format {format}: {value}"),
                        params={"field": name, "format": spec.format, "value": text},
                    )
                )
                continue
        if number and not _NUMBER.fullmatch(text):
            name = f"{table}.{tag}"
            found.append(Problem(name, N_("{field} is not a number: {value}"), params={"field": name, "value": text}))
    return found


# -- the envelope -------------------------------------------------------------------------------------
def encode(document: str) -> str:
    """A table's document as the envelope carries it: base64 of its UTF-8 bytes."""
    return base64.b64encode(document.encode("utf-8")).decode("ascii")


def decode(content: str) -> str:
    return base64.b64decode(content, validate=True).decode("utf-8")


def envelope(facility_code: str, made_on: dt.date, files: Sequence[tuple[str, str]]) -> str:
    """The ``GIAMDINHHS`` file of one visit (one ``HOSO``): ``files`` are (``XML1``, document)… in
    order. ``CHUKYDONVI`` is left empty: the facility's digital signature is put on by the portal's
    signing tool, which Trạm does not hold."""
    lines = [
        XML_HEAD.rstrip("\n"),
        '<GIAMDINHHS xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema">',
        "<THONGTINDONVI>",
        f"<MACSKCB>{escape(facility_code)}</MACSKCB>",
        "</THONGTINDONVI>",
        "<THONGTINHOSO>",
        f"<NGAYLAP>{made_on.strftime('%Y%m%d')}</NGAYLAP>",
        "<SOLUONGHOSO>1</SOLUONGHOSO>",
        "<DANHSACHHOSO>",
        "<HOSO>",
    ]
    for kind, document in files:
        lines += [
            "<FILEHOSO>",
            f"<LOAIHOSO>{kind}</LOAIHOSO>",
            f"<NOIDUNGFILE>{encode(document)}</NOIDUNGFILE>",
            "</FILEHOSO>",
        ]
    lines += ["</HOSO>", "</DANHSACHHOSO>", "</THONGTINHOSO>", "<CHUKYDONVI></CHUKYDONVI>", "</GIAMDINHHS>"]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ReadEnvelope:
    """An envelope read back: its facility, date, count and each table's decoded document."""

    facility_code: str
    made_on: str
    count: str
    files: tuple[tuple[str, str], ...]

    def problems(self, tables: FieldTables) -> list[Problem]:
        """The envelope's own fields (facility, date, count, each file's kind and content) against
        the ``ENVELOPE`` field table."""
        head = {"MACSKCB": self.facility_code, "NGAYLAP": self.made_on, "SOLUONGHOSO": self.count}
        found = check_record(tables, ENVELOPE, head, tags=tuple(head))
        for kind, document in self.files:
            part = {"LOAIHOSO": kind, "NOIDUNGFILE": encode(document)}
            found += check_record(tables, ENVELOPE, part, tags=tuple(part))
        return found


def read_envelope(text: str) -> ReadEnvelope:
    """Parse a ``GIAMDINHHS`` file and decode its tables (for checks and tests)."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(text.encode("utf-8"))
    files = tuple(
        (node.findtext("LOAIHOSO") or "", decode(node.findtext("NOIDUNGFILE") or "")) for node in root.iter("FILEHOSO")
    )
    return ReadEnvelope(
        root.findtext("THONGTINDONVI/MACSKCB") or "",
        root.findtext("THONGTINHOSO/NGAYLAP") or "",
        root.findtext("THONGTINHOSO/SOLUONGHOSO") or "",
        files,
    )


def read_records(tables: FieldTables, table: str, document: str) -> list[dict[str, str]]:
    """The records of a table's document, each as its tags' texts (empty elements as '')."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(document.encode("utf-8"))
    record_tag = tables.roots[table][-1]
    nodes = [root] if root.tag == record_tag else list(root.iter(record_tag))
    return [{child.tag: child.text or "" for child in node} for node in nodes]
