"""Vietnamese for every string of the desktop app, and for Qt's own buttons and dialogs.

Three checks: every ``tr()``/``N_()`` literal of ``station_app/ui`` is in the catalogue with the
same placeholders; Qt's standard buttons answer in Vietnamese once ``qt_i18n.install`` has run; and
a sweep over the running app (every area, a patient's page, both forms) finds no English left.
"""

from __future__ import annotations

import os

# Before anything creates the QApplication: no window ever reaches a real screen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import ast
import re
import string
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QTabWidget,
    QWidget,
)

from station_app import i18n
from station_app.resources import I18N
from station_app.store import patients, visits
from station_app.ui import qt_i18n
from station_app.ui.forms.patient_form import PatientForm
from station_app.ui.views.settings import LANGUAGE_NAMES
from station_app.ui.wiring import AREAS

pytestmark = pytest.mark.gui

UI_SOURCES = Path(i18n.__file__).parent / "ui"
CATALOGUE_DIR = I18N / "vi"


def ui_literals() -> dict[str, str]:
    """``{source: "file:line"}`` for every literal given to ``tr()`` or ``N_()`` in the UI."""
    found: dict[str, str] = {}
    for path in sorted(UI_SOURCES.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("tr", "N_")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.setdefault(node.args[0].value, f"{path.name}:{node.lineno}")
    return found


def po_messages(*names: str) -> Iterator[tuple[str, str | None, str, str]]:
    """``(file, context, source, translation)`` of each entry of the named .po files (or all)."""
    files = [CATALOGUE_DIR / n for n in names] if names else sorted(CATALOGUE_DIR.glob("*.po"))
    for path in files:
        if not path.exists():
            continue
        with path.open("rb") as fh:
            catalog = read_po(fh)
        for message in catalog:
            if not message.id:
                continue
            source = message.id if isinstance(message.id, str) else message.id[0]
            target = message.string if isinstance(message.string, str) else message.string[0]
            yield path.name, message.context, source, target or ""


def named_fields(text: str) -> Counter[str]:
    return Counter(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def qt_args(text: str) -> Counter[str]:
    return Counter(re.findall(r"%\d", text))


# -- (a) the catalogue ----------------------------------------------------------------------------


def test_the_ui_has_strings_to_check() -> None:
    literals = ui_literals()
    assert len(literals) > 100
    assert "Register a patient" in literals


def test_every_ui_string_has_vietnamese_with_the_same_placeholders() -> None:
    missing, wrong = [], []
    for source, where in ui_literals().items():
        if not i18n.has_translation(source, "vi"):
            missing.append(f"{where}: {source!r}")
            continue
        target = i18n.translate(source, "vi")
        if named_fields(target) != named_fields(source):
            wrong.append(f"{where}: {source!r} -> {target!r}")
    assert not missing, "no Vietnamese for:\n" + "\n".join(missing)
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_no_message_is_in_two_catalogue_files() -> None:
    seen: dict[tuple[str | None, str], str] = {}
    twice = []
    for name, context, source, _ in po_messages():
        key = (context, source)
        if key in seen:
            twice.append(f"{source!r} (context {context!r}) in {seen[key]} and {name}")
        seen[key] = name
    assert not twice, "\n".join(twice)


def test_ui_catalogue_keeps_placeholders_and_accelerators() -> None:
    for _, context, source, target in po_messages("ui.po"):
        assert target, f"empty translation for {source!r}"
        assert named_fields(target) == named_fields(source), source
        assert qt_args(target) == qt_args(source), source
        assert target.count("\n") == source.count("\n"), source
        if context is not None and "&" in source:
            # At most one accelerator, on a letter a keyboard has: "&Có", never "&Đ".
            assert target.count("&") <= 1, source
            if "&" in target:
                key = target[target.index("&") + 1]
                assert key.isascii() and key.isalpha(), (source, target)


def test_the_areas_have_the_stations_own_words() -> None:
    assert [i18n.translate(title, "vi") for title in (a.title for a in AREAS)] == [
        "Hôm nay", "Bệnh nhân", "Lượt khám", "Nhắc hẹn", "Chuyển tuyến", "Báo cáo", "Thuốc", "BHYT",
        "Cài đặt",
    ]


# -- (b) Qt's own strings -------------------------------------------------------------------------


@pytest.fixture
def vietnamese_qt(qapp: QApplication) -> Iterator[QApplication]:
    qt_i18n.install(qapp, "vi")
    yield qapp
    qt_i18n.install(qapp, i18n.DEFAULT_LANGUAGE)


@pytest.mark.usefixtures("vietnamese_qt")
def test_qt_standard_buttons_are_vietnamese() -> None:
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Hủy"
    assert QCoreApplication.translate("QPlatformTheme", "OK") == "Đồng ý"
    assert QCoreApplication.translate("QPlatformTheme", "&Yes") == "&Có"
    assert QCoreApplication.translate("QFileDialog", "File &name:") == "&Tên tệp:"
    assert QCoreApplication.translate("QLineEdit", "&Copy") == "&Sao chép"


def test_a_message_box_reads_vietnamese(vietnamese_qt: QApplication) -> None:
    buttons = QMessageBox.StandardButton
    box = QMessageBox(QMessageBox.Icon.Question, "Trạm", "Lưu thay đổi?",
                      buttons.Yes | buttons.No | buttons.Save | buttons.Cancel)
    try:
        box.setDetailedText("…")
        box.show()
        vietnamese_qt.processEvents()
        texts = {b.text().replace("&", "") for b in box.buttons()}
        assert {"Có", "Không", "Lưu", "Hủy", "Xem chi tiết..."} <= texts, texts
    finally:
        box.close()
        box.deleteLater()


@pytest.mark.usefixtures("vietnamese_qt")
def test_qt_strings_without_translation_keep_their_english() -> None:
    """A Qt string the catalogue lacks falls back to Qt's own text; it must not become empty.

    ``Ctrl`` and ``+`` are asked for whenever Qt writes a shortcut (the right-click menu of a field
    shows "Ctrl+C"), ``%1%`` is the zoom of the print preview.
    """
    assert QCoreApplication.translate("QShortcut", "Ctrl") == "Ctrl"
    assert QCoreApplication.translate("QShortcut", "+") == "+"
    assert QCoreApplication.translate("QPrintPreviewDialog", "%1%") == "%1%"
    edit = QLineEdit("abc")
    menu = edit.createStandardContextMenu()
    try:
        texts = [a.text() for a in menu.actions()]
        assert any(t.endswith("\tCtrl+C") for t in texts), texts
    finally:
        menu.deleteLater()
        edit.deleteLater()


# -- (c) the running app in Vietnamese ------------------------------------------------------------

# "Lưu (Ctrl+S)", "← Về danh sách (Esc)", "Họ và tên *", "Số thẻ:" → the words alone.
_HINT = re.compile(r"\s*\((?:Ctrl|Alt|Shift|F\d+|Esc)[^)]*\)$")


def _bare(text: str) -> str:
    text = text.replace("&", "").strip()
    for mark in ("← ", "⚠ ", "✖ "):
        text = text.removeprefix(mark)
    text = _HINT.sub("", text)
    return text.removesuffix(" *").removesuffix(":").strip()


def visible_texts(root: QWidget) -> list[tuple[str, str]]:
    """``(where, text)`` for the texts a nurse reads in ``root`` and its children."""
    found: list[tuple[str, str]] = []
    for widget in [root, *root.findChildren(QWidget)]:
        kind = type(widget).__name__
        if widget.isWindow() and widget.windowTitle():
            found.append((f"{kind} title", widget.windowTitle()))
        if isinstance(widget, QLabel | QAbstractButton):
            found.append((kind, widget.text()))
        elif isinstance(widget, QGroupBox):
            found.append((kind, widget.title()))
        elif isinstance(widget, QLineEdit):
            found.append((f"{kind} placeholder", widget.placeholderText()))
        elif isinstance(widget, QComboBox):
            found += [(f"{kind} item", widget.itemText(i)) for i in range(widget.count())]
        elif isinstance(widget, QTabWidget):
            found += [(f"{kind} tab", widget.tabText(i)) for i in range(widget.count())]
        elif isinstance(widget, QListWidget):
            found += [(f"{kind} item", widget.item(i).text()) for i in range(widget.count())]
        model = getattr(widget, "model", None)
        if callable(model) and hasattr(widget, "horizontalHeader"):
            m = widget.model()  # type: ignore[attr-defined]
            horizontal, display = Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole
            found += [(f"{kind} header", str(m.headerData(c, horizontal, display)))
                      for c in range(m.columnCount())]
    return [(where, text) for where, text in found if text and text.strip()]


def english_sources() -> dict[str, str]:
    """English msgids of the app's catalogues whose Vietnamese differs: seeing one means a leak."""
    return {
        source: target
        for _, context, source, target in po_messages("ui.po", "core.po")
        if context is None and target and target != source
    }


def test_the_running_app_shows_no_english(
    make_session,  # the Session factory of tests/ui/conftest.py
    demo_copy: Path,
    qapp: QApplication,
) -> None:
    session = make_session(demo_copy, "vi")
    window = session.window
    collected: list[tuple[str, str, str]] = []

    def collect(step: str, root: QWidget) -> None:
        qapp.processEvents()
        collected.extend((step, where, text) for where, text in visible_texts(root))

    for key in (a.key for a in AREAS):
        window.show_area(key)
        collect(f"area {key}", window)

    # A patient with an insurance card and visits: every row of the page is filled.
    store = session.store
    patient_id = next(
        pid for pid in patients.all_ids(store)
        if (p := patients.get(store, pid)) and p.insurance_no and p.insurance_valid_to
        and visits.for_patient(store, pid)
    )
    registry = window.show_area("patients")
    registry.open_patient(patient_id)
    collect("patient page", window)

    register = PatientForm(session.ctx, parent=window)
    register.open()
    register.full_name.setText("Nguyễn Thị Hương")
    register.birth.setText("1985")
    register.citizen_id.setText("123")  # too short: a problem is shown beside the field
    register.refresh(show_all=True)
    collect("register form", register)
    register.reject()

    edit = PatientForm(session.ctx, patients.get(store, patient_id), parent=window)
    edit.open()
    edit.refresh(show_all=True)
    collect("edit form", edit)
    edit.reject()

    window.start_visit(patient_id)
    form = window._visit_form
    form.bp.setText("abc")
    form.pulse.setText("abc")
    form.refresh(show_all=True)
    collect("visit form", form)
    form.reject()

    texts = {text for _, _, text in collected}
    nav = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert nav == [i18n.translate(title, "vi") for title in (a.title for a in AREAS)]
    assert any("Đăng ký bệnh nhân" in t for t in texts)  # the sweep did reach the widgets

    english = english_sources()
    allowed = set(LANGUAGE_NAMES.values())  # each language's own name, on purpose
    leaks = sorted(
        {f"{step} / {where}: {text!r}" for step, where, text in collected
         if text not in allowed and any(_bare(line) in english for line in text.splitlines())}
    )
    assert not leaks, "English in the Vietnamese app:\n" + "\n".join(leaks)
