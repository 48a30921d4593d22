"""Fixtures of the store tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def people(store, add_patient):
    """A handful of patients with look-alike names and every kind of identifier."""
    return {
        "huong": add_patient(
            "Nguyễn Thị Hương",
            birth="1950",
            village="Thôn Đông",
            citizen_id="025150012345",
            phone="0912345678",
        ),
        "huong2": add_patient(
            "Nguyễn Thị Hường", birth="1962", village="Thôn Tây", insurance_no="GD4250123456789"
        ),
        "tran_huong": add_patient("Trần Thị Hương", birth="1971", village="Thôn Đông"),
        "dang": add_patient("Đặng Văn Đức", sex="1", birth="15/03/1960", insurance_no="2509876543"),
        "an": add_patient("Lê Văn An", sex="1", birth="1980", phone="0362123456"),
        "anh": add_patient("Lê Văn Anh", sex="1", birth="1981"),
        "hoa": add_patient("Phạm Thị Hoa", birth="1990", guardian_phone="0987654321"),
    }
