"""Every Qt item model of the app passes pytest-qt's model tester (Qt's QAbstractItemModelTester,
whose complaints are Qt warnings, and pytest-qt's Python checks, which assert)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import shiboken6
from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QAbstractItemView, QCompleter
from pytestqt.modeltest import ModelTester

from station_app import clock
from station_app.store import patients, visits
from station_app.ui.models import ID_ROLE, PatientTableModel, VisitLogModel
from station_app.ui.wiring import AREAS


@pytest.fixture
def check_model(request, make_session, qtlog) -> Iterator[Callable[[QAbstractItemModel], None]]:
    """pytest-qt's model tester and Qt's on ``model``; a warning from Qt's fails the test too.

    One tester per model (the ``qtmodeltester`` fixture watches only one). All stop watching
    before the app closes (``make_session`` is torn down after this fixture): a tester left on a
    model that is being destroyed checks a half-deleted view.
    """
    python_testers: list[ModelTester] = []
    qt_testers: list[QAbstractItemModelTester] = []

    def check(model: QAbstractItemModel) -> None:
        tester = ModelTester(request.config)
        python_testers.append(tester)
        tester.check(model, force_py=True)
        qt_testers.append(
            QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)
        )
        failures = [
            r.message for r in qtlog.records if "FAIL" in r.message or "modeltest" in r.message
        ]
        assert not failures, failures

    yield check
    for tester in python_testers:
        tester._cleanup()
    for qt_tester in qt_testers:
        shiboken6.delete(qt_tester)


def test_patient_table_model(session, check_model) -> None:
    model = PatientTableModel(session.store)
    ids = patients.all_ids(session.store)
    model.set_ids(ids)
    check_model(model)
    assert model.rowCount() == len(ids) == 300
    assert model.index(0, 0).data(ID_ROLE) == ids[0]
    assert model.index(0, 1).data() == patients.get(session.store, ids[0]).full_name
    assert model.headerData(1, Qt.Orientation.Horizontal)
    model.set_ids(ids[:10])  # a search narrows the list, under the tester's eyes
    assert model.rowCount() == 10
    model.set_ids([])
    assert model.rowCount() == 0


def test_visit_log_model_for_a_day(session, check_model) -> None:
    today = clock.today()
    ids = visits.log_ids(session.store, visits.LogFilter(start=today, end=today))
    assert ids, "the demo has visits today"
    model = VisitLogModel(session.store)
    model.set_ids(ids)
    check_model(model)
    assert model.rowCount() == len(ids)
    for row in range(model.rowCount()):
        assert model.index(row, 0).data().startswith(today.strftime("%d/%m/%Y"))
        assert model.patient_id_at(row) is not None


def test_every_model_of_the_running_app(session, nurse, qtbot, check_model, adult) -> None:
    """Each list and table on every area, the patient page, and the ICD-10 completer."""
    window = session.window
    seen: dict[int, QAbstractItemModel] = {}

    def collect() -> None:
        for view in window.findChildren(QAbstractItemView):
            model = view.model()
            if model is not None:
                seen.setdefault(id(model), model)

    for key in (a.key for a in AREAS):
        if key == "reports":  # computes its month on opening, a progress over the window
            with qtbot.waitSignal(window.views["reports"].loaded, timeout=30000):
                window.show_area(key)
        else:
            window.show_area(key)
        collect()
    session.ctx.open_patient.emit(adult.id)
    collect()

    registry = window.views["patients"]
    nurse.ctrl(registry.page.new_visit_button, Qt.Key.Key_N)
    from station_app.ui.forms.visit_form import VisitForm

    form = nurse.dialog(VisitForm)
    nurse.click(form.diagnosis)
    nurse.type(form.diagnosis, "tang huyet ap")
    completer: QCompleter = form.diagnosis.completer()
    qtbot.waitUntil(lambda: completer.model().rowCount() > 0)
    for model in (completer.model(), completer.completionModel()):
        seen.setdefault(id(model), model)

    assert len(seen) >= 5
    for model in seen.values():
        check_model(model)
