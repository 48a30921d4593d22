"""What the head reads in the audit log: every detail of an entry named in Vietnamese, days as
dd/mm/yyyy and "—" for one left empty, whatever wrote it — a restore, a backup, a book printed for a
period, a list the command line printed. A ``from`` is a day only when it holds one."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

from PySide6.QtPrintSupport import QPrinter

from station_app.cli import main
from station_app.store import audit
from station_app.ui import pdf_preview
from station_app.ui.app import Session
from station_app.ui.pdf_preview import PdfPreviewDialog
from station_app.ui.views.audit_log import DETAIL_LABELS, HIDDEN_DETAILS, AccessHistoryTab, AuditLogView
from station_app.ui.views.referrals import ReferralsView

PACKAGE = Path(__file__).resolve().parents[2] / "station_app"
ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def logged(session: Session, action: str) -> list[dict[str, str]]:
    """The audit log view's rows of ``action``, newest first, as column title → text."""
    view = AuditLogView(session.ctx)
    view.action.setCurrentIndex(view.action.findData(action))
    titles = [view.table.horizontalHeaderItem(c).text() for c in range(view.table.columnCount())]
    rows = [{t: view.table.item(r, c).text() for c, t in enumerate(titles)} for r in range(view.table.rowCount())]
    view.deleteLater()
    return rows


def parts(row: dict[str, str]) -> dict[str, str]:
    """The "Chi tiết" cell, label → value."""
    return dict(part.split(": ", 1) for part in row["Chi tiết"].split("; "))


def readable(row: dict[str, str]) -> None:
    """Nothing of the stored form shows: no ISO day, no None, no English key."""
    details = row["Chi tiết"]
    assert not ISO_DAY.search(details) and "None" not in details, details
    assert not set(parts(row)) & (set(DETAIL_LABELS) | {"from", "to", "aside", "os_user"}), details


def test_a_restore_and_a_backup_read_as_files_not_days(make_session, demo_copy: Path, tmp_path: Path,
                                                       capsys) -> None:
    folder = tmp_path / "sao-luu"
    assert main(["backup", "--db", str(demo_copy), "--to", str(folder)]) == 0
    made = Path(capsys.readouterr().out.strip())
    assert main(["restore", "--db", str(demo_copy), "--from", str(made)]) == 0
    assert main(["backup", "--db", str(demo_copy), "--to", str(folder)]) == 0
    second = Path(capsys.readouterr().out.strip().splitlines()[-1])
    session = make_session(demo_copy)
    restore = logged(session, audit.RESTORE)[0]
    readable(restore)
    details = parts(restore)
    assert details["bản sao lưu đã khôi phục"] == str(made)  # (not "từ ngày: /…/tram-….sqlite3")
    assert ".before-restore-" in details["tệp đang dùng được giữ lại tại"]
    assert restore["Đối tượng"] == "cơ sở dữ liệu" and restore["Thao tác"] == "Khôi phục bản sao lưu"
    backup = logged(session, audit.BACKUP)[0]
    readable(backup)
    assert parts(backup) == {"tệp": str(second), "đã mã hóa": "không"}


def to_file(target: Path):
    def ask(printer: QPrinter, parent) -> bool:
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(target))
        return True
    return ask


def test_a_book_printed_for_a_period_keeps_its_last_day(session: Session, nurse, tmp_path: Path) -> None:
    view = session.window.show_area("referrals")
    assert isinstance(view, ReferralsView)
    pdf_preview.print_dialog = to_file(tmp_path / "so.pdf")
    try:
        for start in (dt.date(2025, 1, 1), None):  # a period, then one with no first day
            view.set_period(start, dt.date(2025, 12, 31))
            nurse.click(view.book_button)
            preview = nurse.dialog(PdfPreviewDialog)
            assert preview.print_document()
            preview.close()
    finally:
        pdf_preview.print_dialog = None
    open_start, period = logged(session, audit.PRINT)[:2]
    for row in (open_start, period):
        readable(row)
        assert row["Đối tượng"] == "sổ chuyển tuyến"
    assert parts(period) == {"từ ngày": "01/01/2025", "đến ngày": "31/12/2025", "gửi tới": "máy in"}
    assert parts(open_start) == {"từ ngày": "—", "đến ngày": "31/12/2025", "gửi tới": "máy in"}
    entry = audit.entries(session.store, audit.Filter(action=audit.PRINT, limit=1))[0]
    assert entry.details == {"from": None, "to": "2025-12-31", "output": "printer"}  # (the day is kept)


def test_a_search_on_the_command_line_reads_in_vietnamese(session: Session, capsys) -> None:
    assert main(["find", "--db", str(session.store.path), "nguyen", "--limit", "3", "--json"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert main(["followups", "--db", str(session.store.path), "--as-of", "2025-11-20", "--section", "overdue"]) == 0
    listed = capsys.readouterr().out.splitlines()
    followups, find = logged(session, audit.EXPORT)[:2]
    for row in (followups, find):
        readable(row)
    assert find["Đối tượng"] == "dòng lệnh find"
    assert parts(find) == {"định dạng": "JSON (mỗi dòng một mục)", "tối đa (dòng)": "3", "tìm kiếm": "nguyen",
                           "số dòng": "3"}
    assert parts(followups) == {"tính đến ngày": "20/11/2025", "định dạng": "văn bản (mỗi dòng một mục)",
                                "số dòng": str(len(listed)), "nhóm": "Quá hẹn — cần gọi"}


def test_a_role_change_still_reads_as_roles(session: Session) -> None:
    from station_app.domain.accounts import Role
    from station_app.store import users

    user = users.create(session.store, "hong.nhs", "Lê Thị Hồng", "hong-2025-x", Role.NURSE)
    users.set_role(session.store, user.id, Role.HEAD)
    row = logged(session, audit.MANAGE_USERS)[0]
    assert parts(row) == {"thay đổi": "đổi vai trò", "vai trò cũ": "Điều dưỡng / y sĩ", "vai trò mới": "Trạm trưởng",
                          "người dùng": "hong.nhs"}


def test_a_print_entry_written_before_the_output_had_its_own_key_still_reads(session: Session, adult) -> None:
    """Entries already in stations' logs say ``"to": "printer"``: the printer, not a day."""
    audit.record(session.store, audit.PRINT, ("patient", adult.id), {"document": "patient_summary", "to": "printer"})
    session.ctx.open_patient.emit(adult.id)
    page = session.window.views["patients"].page
    titles = [page.tabs.tabText(i) for i in range(page.tabs.count())]
    tab = page.tabs.widget(titles.index("Lịch sử truy cập"))
    assert isinstance(tab, AccessHistoryTab)
    printed = [tab.table.item(r, 5).text() for r in range(tab.table.rowCount())
               if tab.table.item(r, 3).text() == "In"]
    assert printed[0] == "giấy tờ: tóm tắt hồ sơ người bệnh; gửi tới: máy in"


# -- every key the code writes has its name --------------------------------------------------------
WRITERS = {"record", "record_output", "_audit", "record_as", "audited", "_audit_as", "record_listing"}


def _called(node: ast.Call) -> str | None:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def written_keys() -> dict[str, str]:
    """Detail keys in the dict literals handed to the audit's writers (and ``details = {…}``), by
    the file that writes them."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            literals: list[ast.Dict] = []
            if isinstance(node, ast.Call) and _called(node) in WRITERS:
                literals += [a for a in node.args if isinstance(a, ast.Dict)]
                literals += [k.value for k in node.keywords if k.arg is None and isinstance(k.value, ast.Dict)]
                if _called(node) == "record_listing":
                    found.update({k.arg: path.name for k in node.keywords if k.arg and k.arg != "json_lines"})
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                target = node.targets[0] if isinstance(node, ast.Assign) else node.target
                if isinstance(target, ast.Name) and target.id == "details" and isinstance(node.value, ast.Dict):
                    literals.append(node.value)
            elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "details" \
                    and isinstance(node.slice, ast.Constant) and isinstance(node.ctx, ast.Store):
                found[str(node.slice.value)] = path.name
            for literal in literals:
                found.update({k.value: path.name for k in literal.keys
                              if isinstance(k, ast.Constant) and isinstance(k.value, str)})
    return found


def test_every_detail_the_code_writes_is_named() -> None:
    keys = written_keys()
    assert {"from", "to", "aside", "output", "query", "as_of", "other_station", "start"} <= set(keys)  # the walk works
    missing = {k: where for k, where in keys.items()
               if k not in DETAIL_LABELS and k not in HIDDEN_DETAILS and k not in ("from", "to")}
    assert not missing, f"details the audit log view shows by their code name: {missing}"
