"""Vietnamese text: accent folding, NFC/NFD input, and the order of names in lists."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from station_app.domain.text import fold, has_marks, name_parts, name_sort_key, nfc, words


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def sort_names(names: list[str]) -> list[str]:
    return sorted(names, key=name_sort_key)


# -- folding ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Nguyễn Thị Hương", "nguyen thi huong"),
        ("Hường", "huong"),
        ("Đặng Văn Đức", "dang van duc"),
        ("ĐỖ", "do"),
        ("đ", "d"),
        ("Ánh Ảnh Ãnh Ạnh Ành", "anh anh anh anh anh"),  # every tone
        ("ăâêôơư", "aaeoou"),  # every letter mark
        ("Lê Thị Ơn", "le thi on"),
        ("Bùi Quỳnh", "bui quynh"),
    ],
)
def test_fold_removes_tones_marks_and_d_stroke(text, folded):
    assert fold(text) == folded


def test_fold_leaves_plain_ascii_as_lower_case():
    assert fold("Nguyen Van AN 123") == "nguyen van an 123"


@pytest.mark.parametrize("text", ["Nguyễn Thị Hương", "Đặng Hường", "Trần Quốc Toản", "Ơn Ưng Ấn"])
def test_decomposed_input_folds_like_composed(text):
    assert nfd(text) != text  # the test really uses a different encoding of the same name
    assert fold(nfd(text)) == fold(text)
    assert words(nfd(text)) == words(text)
    assert nfc(nfd(text)) == text


@given(st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯ \u0300\u0301\u0303\u0309\u0323"))
def test_fold_is_the_same_for_nfc_and_nfd(text):
    assert fold(unicodedata.normalize("NFC", text)) == fold(unicodedata.normalize("NFD", text))


def test_nfc_collapses_white_space():
    assert nfc("  Nguyễn   Thị\tHương \n") == "Nguyễn Thị Hương"


def test_has_marks():
    assert has_marks("Hương")
    assert has_marks("Dang") is False
    assert has_marks("Đang")
    assert has_marks(nfd("Hương"))


def test_name_parts_family_middle_given():
    assert name_parts("Nguyễn Thị Hương") == ("nguyễn", "thị", "hương")
    assert name_parts("Tôn Nữ Thị Ngọc Lan") == ("tôn", "nữ thị ngọc", "lan")
    assert name_parts("Lê Na") == ("lê", "", "na")
    assert name_parts("Hoa") == ("", "", "hoa")


# -- sorting ------------------------------------------------------------------------------------
def test_names_sort_by_given_name_first():
    names = ["Nguyễn Văn Bình", "Trần Thị An", "Lê Văn Cường"]
    assert sort_names(names) == ["Trần Thị An", "Nguyễn Văn Bình", "Lê Văn Cường"]


def test_same_given_name_sorts_by_family_then_middle():
    names = ["Trần Văn Nam", "Lê Văn Nam", "Lê Hữu Nam", "Đỗ Văn Nam"]
    # Family: Đỗ < Lê < Trần (đ after d, before e); then middle: Hữu < Văn.
    assert sort_names(names) == ["Đỗ Văn Nam", "Lê Hữu Nam", "Lê Văn Nam", "Trần Văn Nam"]


def test_vietnamese_alphabet_order_not_code_point_order():
    # a ă â b c d đ e ê g … o ô ơ … u ư: by code point "Ă" (U+0102) would come after "Z".
    given_names = ["Ư", "U", "Ơ", "Ô", "O", "Ê", "E", "Đ", "D", "Â", "Ă", "A", "B"]
    ordered = [name_parts(n)[2] for n in sort_names([f"Lê {g}" for g in given_names])]
    assert ordered == ["a", "ă", "â", "b", "d", "đ", "e", "ê", "o", "ô", "ơ", "u", "ư"]


def test_d_stroke_comes_after_every_d_word():
    assert sort_names(["Lê Văn Đạt", "Lê Văn Dũng", "Lê Văn Duy", "Lê Văn Em"]) == [
        "Lê Văn Dũng",
        "Lê Văn Duy",
        "Lê Văn Đạt",
        "Lê Văn Em",
    ]


def test_shorter_word_first_an_before_anh():
    assert sort_names(["Lê Văn Anh", "Lê Văn An", "Lê Văn Ánh"]) == [
        "Lê Văn An",
        "Lê Văn Anh",
        "Lê Văn Ánh",
    ]
    # Even when the family name would say otherwise.
    assert sort_names(["An Văn Anh", "Vũ Văn An"]) == ["Vũ Văn An", "An Văn Anh"]


def test_same_letters_are_grouped_by_tone():
    names = ["Trần Thị Hường", "Nguyễn Thị Hương", "Bùi Thị Hường", "Vũ Thị Hương"]
    # All the Hương together, then all the Hường, each group by family name.
    assert sort_names(names) == [
        "Nguyễn Thị Hương",
        "Vũ Thị Hương",
        "Bùi Thị Hường",
        "Trần Thị Hường",
    ]


def test_tone_order_none_huyen_hoi_nga_sac_nang():
    names = ["Lê Mạ", "Lê Má", "Lê Mã", "Lê Mả", "Lê Mà", "Lê Ma"]
    assert sort_names(names) == ["Lê Ma", "Lê Mà", "Lê Mả", "Lê Mã", "Lê Má", "Lê Mạ"]


def test_letters_decide_before_tones():
    # "Hà" has a tone, "Hai" is longer: letters first (ha < hai), tones only between equal letters.
    assert sort_names(["Lê Hai", "Lê Hà"]) == ["Lê Hà", "Lê Hai"]


def test_sort_ignores_case_and_normalisation():
    assert name_sort_key("NGUYỄN THỊ HƯƠNG") == name_sort_key("Nguyễn Thị Hương")
    assert name_sort_key(nfd("Nguyễn Thị Hương")) == name_sort_key("Nguyễn Thị Hương")
