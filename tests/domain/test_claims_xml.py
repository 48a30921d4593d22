"""The claims tables against their field tables, and the note's complete example rebuilt exactly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from station_app.domain import claims_xml
from station_app.domain.claims_xml import FieldSpec, check_record, field_tables, read_envelope, read_records, render

EXAMPLE = Path(__file__).resolve().parent.parent / "data" / "claims" / "example_envelope.xml"
ON = dt.date(2026, 3, 10)


def example() -> claims_xml.ReadEnvelope:
    return read_envelope(EXAMPLE.read_text(encoding="utf-8"))


def test_the_example_carries_xml1_xml2_xml3_with_every_field_of_their_tables_in_order() -> None:
    tables = field_tables(ON)
    read = example()
    assert [kind for kind, _doc in read.files] == ["XML1", "XML2", "XML3"]
    for kind, document in read.files:
        (record,) = read_records(tables, kind, document)
        assert list(record) == [spec.tag for spec in tables.spec(kind)], kind


def test_every_field_of_the_example_passes_its_field_table() -> None:
    tables = field_tables(ON)
    read = example()
    assert read.problems(tables) == []
    for kind, document in read.files:
        for record in read_records(tables, kind, document):
            assert check_record(tables, kind, record) == [], kind


def test_rendering_the_example_values_gives_the_same_documents_and_envelope_byte_for_byte() -> None:
    tables = field_tables(ON)
    read = example()
    rebuilt = []
    for kind, document in read.files:
        records = read_records(tables, kind, document)
        again = render(tables, kind, records)
        assert again == document, kind
        rebuilt.append((kind, again))
    assert claims_xml.envelope("48123", ON, rebuilt) == EXAMPLE.read_text(encoding="utf-8")


def test_each_table_decodes_back_to_its_document() -> None:
    document = render(field_tables(ON), "XML14", [{"MA_LK": "K1", "HO_TEN": "Đặng Thị Hương", "NGAY_CT": ON}])
    assert claims_xml.decode(claims_xml.encode(document)) == document
    assert "<HO_TEN>Đặng Thị Hương</HO_TEN>" in document
    assert "<NGAY_CT>20260310</NGAY_CT>" in document


def test_values_are_written_in_their_formats() -> None:
    tables = field_tables(ON)
    text = claims_xml.texts(
        tables,
        "XML2",
        {"SO_LUONG": 30, "DON_GIA": Decimal("300"), "THANH_TIEN_BV": 9000, "NGAY_YL": dt.datetime(2026, 3, 10, 8, 30)},
    )
    assert (text["SO_LUONG"], text["DON_GIA"], text["THANH_TIEN_BV"], text["NGAY_YL"]) == (
        "30.000",
        "300.000",
        "9000.00",
        "202603100830",
    )
    with pytest.raises(TypeError):
        claims_xml.texts(tables, "XML2", {"DON_GIA": 300.0})


def problems_of(table: str, **changes: str) -> list[str]:
    tables = field_tables(ON)
    kind_index = {"XML1": 0, "XML2": 1, "XML3": 2}[table]
    (record,) = read_records(tables, table, example().files[kind_index][1])
    record.update(changes)
    return [p.field for p in check_record(tables, table, record)]


def test_a_required_field_left_empty_is_named() -> None:
    assert problems_of("XML1", MA_BENH_CHINH="") == ["XML1.MA_BENH_CHINH"]


def test_a_text_longer_than_its_field_is_named() -> None:
    assert problems_of("XML1", MA_CSKCB="481234") == ["XML1.MA_CSKCB"]


def test_dates_must_be_real_and_in_their_format() -> None:
    assert problems_of("XML1", NGAY_VAO="2026-03-10 08:15") == ["XML1.NGAY_VAO"]
    assert problems_of("XML1", NGAY_RA="202613100840") == ["XML1.NGAY_RA"]
    assert problems_of("XML1", GT_THE_DEN="20261231;20270231") == ["XML1.GT_THE_DEN"]


def test_a_conditional_field_is_required_only_for_its_groups() -> None:
    assert problems_of("XML2", TT_THAU="") == ["XML2.TT_THAU"]
    assert problems_of("XML2", TT_THAU="", MA_NHOM="7") == []
    assert problems_of("XML3", NGUOI_THUC_HIEN="") == []  # an examination (group 13)
    assert problems_of("XML3", NGUOI_THUC_HIEN="", MA_NHOM="8") == ["XML3.NGUOI_THUC_HIEN"]


def test_the_field_tables_are_versioned_by_date() -> None:
    before = {s.tag: s for s in field_tables(dt.date(2026, 6, 30)).spec("XML2")}
    after = {s.tag: s for s in field_tables(dt.date(2026, 7, 1)).spec("XML2")}
    assert (before["MUC_HUONG"].max_len, after["MUC_HUONG"].max_len) == (3, 4)
    assert field_tables(dt.date(2026, 7, 1)).version != field_tables(dt.date(2026, 6, 30)).version


def test_the_tables_have_the_fields_of_the_standard() -> None:
    tables = field_tables(ON)
    assert {name: len(tables.spec(name)) for name in claims_xml.TABLES} == {
        "XML1": 66,
        "XML2": 39,
        "XML3": 47,
        "XML13": 39,
        "XML14": 22,
    }
    ma_lk = FieldSpec("MA_LK", "string", 100, True)
    assert tables.spec("XML1")[0] == ma_lk
