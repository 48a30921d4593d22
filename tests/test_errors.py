"""Every error a person can act on is a ``UserError``: translated when shown, one line on the
command line, a message in the app."""

from __future__ import annotations

import pytest

from station_app import i18n
from station_app.cli.common import CliError
from station_app.domain.patient_import import ImportFormatError
from station_app.errors import UserError
from station_app.reports.monthly_export import ExportError
from station_app.store.bulk_import import ImportRefused
from station_app.store.errors import DiskFull, StoreError


@pytest.mark.parametrize("kind", [StoreError, DiskFull, ImportRefused, ImportFormatError, ExportError, CliError])
def test_every_error_a_person_can_act_on_is_a_user_error(kind):
    assert issubclass(kind, UserError)


def test_the_message_is_translated_when_shown_not_when_raised():
    i18n.set_language("en")
    try:
        exc = CliError(i18n.N_("There is no file {path}."), path="/tmp/a {b}.csv")
    finally:
        i18n.set_language("vi")
    assert exc.text() == "Không có tệp /tmp/a {b}.csv."
    assert exc.text("en") == str(exc) == "There is no file /tmp/a {b}.csv."


def test_a_store_error_names_its_file():
    assert DiskFull("/data/tram.sqlite3").params["path"] == "/data/tram.sqlite3"
    assert "disk is full" in DiskFull("x").text("en")
